"""Entry point of the example app (frozen as `cliapp`)."""

import argparse
import multiprocessing
from importlib import resources


def square(n: int) -> int:
    return n * n


def main() -> int:
    parser = argparse.ArgumentParser(prog="cliapp", description="freezekit example app")
    parser.add_argument("numbers", nargs="*", type=int, default=[1, 2, 3, 4])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    greeting = resources.files("cliapp").joinpath("data/greeting.txt").read_text().strip()
    print(greeting)
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        print("squares:", pool.map(square, args.numbers))
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
