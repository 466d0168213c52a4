"""Run-time parity checks: prints one JSON object describing what the frozen app sees."""

import json
import multiprocessing
import sys


def documented():
    """A docstring that -OO removes."""


def square_in_main(value):
    return value * value


def child_put(queue, value):
    queue.put((__name__, value * 2))


def asserts_run():
    try:
        assert False, "asserts are on"
    except AssertionError:
        return True
    return False


def mp_check(method):
    if method not in multiprocessing.get_all_start_methods():
        return "unavailable"
    context = multiprocessing.get_context(method)
    with context.Pool(2) as pool:
        squares = pool.map(square_in_main, range(5))
    queue = context.Queue()
    process = context.Process(target=child_put, args=(queue, 21))
    process.start()
    name, doubled = queue.get(timeout=60)
    process.join(60)
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=context) as executor:
        executor_result = executor.submit(square_in_main, 7).result(timeout=60)
    return {
        "squares": squares,
        "child": [name, doubled],
        "exitcode": process.exitcode,
        "executor": executor_result,
    }


def attempt(function, *args):
    try:
        return function(*args)
    except Exception as exc:  # reported, compared by the test
        return f"error: {type(exc).__name__}: {exc}"


def main_spec():
    import importlib.util

    spec = importlib.util.find_spec("__main__")
    return [spec.name, spec.origin, type(spec.loader).__name__]


def main():
    import pkgutil

    report = {
        "optimize": sys.flags.optimize,
        "docstring": documented.__doc__,
        "asserts": asserts_run(),
        "stdlib_dir": getattr(sys, "_stdlib_dir", None),
        "meipass": getattr(sys, "_MEIPASS", None),
        "stdlib_docstring": json.dumps.__doc__ is not None,
        "main_spec": attempt(main_spec),
        "get_data": attempt(lambda: pkgutil.get_data("__main__", "parity-data.txt").decode()),
    }
    for method in sys.argv[1:]:
        report["mp-" + method] = attempt(mp_check, method)
    print(json.dumps(report))


if __name__ == "__main__":
    multiprocessing.freeze_support()  # what PyInstaller's docs ask for: harmless here
    main()
