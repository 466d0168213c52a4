"""Freeze one bench app with freezekit's Python API (`freezekit.build.build`).

The bench runs this as a subprocess, so freezekit's build time includes starting Python and
importing the freezer, exactly like `python -m PyInstaller` and `cxfreeze` do.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from freezekit.build import build
from freezekit.options import BuildOptions, Extract, Mode


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("script", type=Path)
    parser.add_argument("--distpath", type=Path, required=True)
    parser.add_argument("--workpath", type=Path, required=True)
    parser.add_argument("--onefile", action="store_true")
    parser.add_argument("--extract", choices=[e.value for e in Extract], default="temp")
    parser.add_argument("--clean", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    options = BuildOptions(
        scripts=(args.script.resolve(),),
        name=args.script.stem,
        mode=Mode.ONEFILE if args.onefile else Mode.ONEDIR,
        distpath=args.distpath,
        workpath=args.workpath,
        specpath=args.workpath,
        noconfirm=True,
        clean=args.clean,
        onefile_extract=Extract(args.extract),
    )
    result = build(options)
    print(f"{result.executable} ({result.size} bytes, {result.file_count} files)")


if __name__ == "__main__":
    main()
