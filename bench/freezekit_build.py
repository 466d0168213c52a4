"""Freeze one bench app with freezekit's Python API (`freezekit.build.build`).

The bench runs this as a subprocess, so freezekit's build time includes starting Python and
importing the freezer, exactly like `python -m PyInstaller` and `cxfreeze` do.

usage: freezekit_build.py SCRIPT --distpath DIR --workpath DIR [--onefile] [--extract MODE]
       [--clean]

The flags are read by hand: argparse, with the gettext, locale and shutil modules it loads,
takes longer to import than freezekit needs for a rebuild in which nothing changed, and it is
no part of the API being measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

from freezekit.build import build
from freezekit.options import BuildOptions, Extract, Mode

USAGE = __doc__.split("usage: ", 1)[1].split("\n\n", 1)[0]


def parse_args(argv: list[str]) -> dict[str, str | bool]:
    """{"script", "distpath", "workpath", "extract": str; "onefile", "clean": bool}."""
    args: dict[str, str | bool] = {"onefile": False, "clean": False, "extract": "temp"}
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg in ("--onefile", "--clean"):
            args[arg[2:]] = True
        elif arg in ("--distpath", "--workpath", "--extract") and rest:
            args[arg[2:]] = rest.pop(0)
        elif not arg.startswith("-") and "script" not in args:
            args["script"] = arg
        else:
            sys.exit(f"usage: {USAGE}\nfreezekit_build.py: error: unexpected {arg!r}")
    if not {"script", "distpath", "workpath"} <= args.keys():
        sys.exit(f"usage: {USAGE}\nfreezekit_build.py: error: SCRIPT, --distpath and --workpath")
    if args["extract"] not in {e.value for e in Extract}:
        sys.exit(f"usage: {USAGE}\nfreezekit_build.py: error: --extract {args['extract']!r}")
    return args


def main() -> None:
    args = parse_args(sys.argv[1:])
    script, workpath = Path(str(args["script"])), Path(str(args["workpath"]))
    options = BuildOptions(
        scripts=(script.resolve(),),
        name=script.stem,
        mode=Mode.ONEFILE if args["onefile"] else Mode.ONEDIR,
        distpath=Path(str(args["distpath"])),
        workpath=workpath,
        specpath=workpath,
        noconfirm=True,
        clean=bool(args["clean"]),
        onefile_extract=Extract(str(args["extract"])),
    )
    result = build(options)
    print(f"{result.executable} ({result.size} bytes, {result.file_count} files)")


if __name__ == "__main__":
    main()
