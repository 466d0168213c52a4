"""Command line: parses flags into BuildOptions; holds the only print() and sys.exit()."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from freezekit import __version__
from freezekit.errors import FreezekitError, HostFileError, OptionsError
from freezekit.option_table import (
    BUILD_FLAGS,
    GROUPS,
    MACHINE_DESTS,
    OPTIONS,
    Flag,
    check_python_option,
)
from freezekit.option_table import SUPPORT_WORDS as SUPPORT_WORDS  # the README's words
from freezekit.option_table import flag_dest as _dest
from freezekit.option_table import flags_markdown as flags_markdown  # the README's flag table
from freezekit.option_table import groups as _groups
from freezekit.options import BuildOptions

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

    from freezekit.build import BuildResult
    from freezekit.log import ProgressReporter, Reporter

logger = logging.getLogger("freezekit")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> NoReturn:
        raise OptionsError(message, hint=f"see `{self.prog} --help`")


def _add_flag(parser: argparse.ArgumentParser, flag: Flag) -> None:
    kwargs: dict[str, object] = {"dest": _dest(flag), "help": flag.help}
    if flag.support == "unsupported":
        kwargs["help"] = f"refused: {flag.why}"
    elif flag.support == "ignored":
        kwargs["help"] = f"no effect here (warns): {flag.why}"
    if flag.action in ("store", "append"):
        kwargs["action"] = flag.action
        if flag.metavar:
            kwargs["metavar"] = flag.metavar
        if flag.choices:
            kwargs["choices"] = flag.choices
    elif flag.action == "store_const":
        kwargs.update(action="store_const", const=flag.const)
    else:
        kwargs["action"] = flag.action
    kwargs["default"] = argparse.SUPPRESS
    parser.add_argument(*flag.names, **kwargs)  # type: ignore[arg-type]


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line. With ``command``, the build flags are set up for that command only
    (setting them up takes longer than a rebuild in which nothing changed)."""
    parser = _Parser(
        prog="freezekit",
        description="Freeze a Python program into an app.",
        epilog="`freezekit app.py`, `freezekit --onefile app.py` and `freezekit app.spec` are "
        "short for `freezekit build ...`; `freezekit build --help` lists the flags by topic.",
    )
    parser.add_argument("--version", action="version", version=f"freezekit {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show the full error chain")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    build = sub.add_parser(
        "build",
        help="freeze a script (or build a .spec file or a [tool.freezekit] table)",
        description="Freeze a script into dist/NAME. `freezekit app.py` and "
        "`freezekit --onefile app.py` are short for `freezekit build ...`.",
    )
    build.add_argument(
        "scripts",
        nargs="+",
        metavar="SCRIPT|SPEC|PYPROJECT",
        help="the app's script (the first one names the app), a .spec file, or a "
        "pyproject.toml with a [tool.freezekit] table",
    )
    makespec = sub.add_parser(
        "makespec",
        help="write a .spec file and build nothing (pyi-makespec)",
        description="Write NAME.spec (in --specpath) from the same flags as build.",
    )
    makespec.add_argument(
        "scripts",
        nargs="+",
        metavar="SCRIPT",
        help="the app's script (the first one names the app)",
    )
    for name, sub_parser in (("build", build), ("makespec", makespec)):
        if command in (None, name):
            sections = {
                group: sub_parser.add_argument_group(group, GROUPS.get(group))
                for group in _groups()
            }
            for flag in BUILD_FLAGS:
                _add_flag(sections[flag.group], flag)  # type: ignore[arg-type]
    smoke = sub.add_parser("smoke", help="run the smoke probes built into a frozen app")
    smoke.add_argument(
        "path", type=Path, metavar="EXECUTABLE", help="the frozen executable (not its folder)"
    )
    smoke.add_argument(
        "--probe", action="append", metavar="NAME", help="run only this probe (repeatable)"
    )
    smoke.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    smoke.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="fail a probe that runs longer (default: 60)",
    )
    inspect = sub.add_parser("inspect", help="list the contents of a frozen executable")
    inspect.add_argument(
        "path",
        type=Path,
        metavar="EXECUTABLE",
        help="a onefile app, or a onedir app's executable",
    )
    inspect.add_argument("--modules", action="store_true", help="also list the PYZ modules")
    diff = sub.add_parser(
        "diff",
        help="what changed between two frozen apps or their archives",
        description="Modules, files and shared libraries added, removed and changed, with "
        "size deltas, and the distributions whose version changed.",
    )
    for side, text in (("old", "the earlier app"), ("new", "the later app")):
        diff.add_argument(
            side,
            type=Path,
            metavar=side.upper(),
            help=f"{text}: a onedir folder or executable, a onefile executable, or a "
            "published .tar.gz/.zip",
        )
    diff.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )
    sbom = sub.add_parser(
        "sbom",
        help="write a CycloneDX SBOM of a frozen app",
        description="List the interpreter, bundled distributions and shared libraries of a "
        "frozen app as CycloneDX 1.6 JSON (published cells get one beside each archive).",
    )
    sbom.add_argument(
        "path",
        type=Path,
        metavar="APP",
        help="a onedir folder or executable, a onefile executable, or a published archive",
    )
    sbom.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here (default: standard output)"
    )
    matrix = sub.add_parser("matrix", help="list the matrix cells and which this host can run")
    matrix.add_argument(
        "--format",
        choices=("table", "github"),
        default="table",
        help="table (default) or github: the JSON for a workflow's strategy.matrix",
    )
    explain = sub.add_parser(
        "explain",
        help="show the import chain that pulled a module in",
        description="Print every import from SCRIPT to MODULE: script -> a -> b -> MODULE.",
    )
    explain.add_argument("module", metavar="MODULE", help="a module name, e.g. ssl or email.mime")
    explain.add_argument("script", type=Path, metavar="SCRIPT", help="the app's main script")
    explain.add_argument(
        "--python", type=Path, metavar="PATH", help="the target interpreter (default: this one)"
    )
    explain.add_argument(
        "--workpath",
        type=Path,
        default=Path("build"),
        metavar="DIR",
        help="where a previous build kept its analysis (default: ./build); reused when current",
    )
    return parser


def options_from_args(args: argparse.Namespace, scripts: Sequence[Path]) -> BuildOptions:
    """Turn parsed build flags into one BuildOptions value (each row of the option table whose
    flags were given sets its field; the others keep BuildOptions' defaults)."""
    check_flags(args)
    values: dict[str, object] = {}
    for option in OPTIONS:
        dest = option.dest
        if option.field is None or option.kind is None or dest is None or not hasattr(args, dest):
            continue
        values[option.field] = option.kind.cli(getattr(args, dest), option.flags[0].names[-1])
    debug = tuple(check_python_option(v) for v in _debug_options(args))
    if debug:
        values["python_options"] = (*values.get("python_options", ()), *debug)  # type: ignore[misc]
    values["name"] = values.get("name") or scripts[0].stem
    values["windowed"] = values.get("windowed", False) or scripts[0].suffix == ".pyw"
    return BuildOptions(scripts=tuple(scripts), **values)  # type: ignore[arg-type]  # by the table


def check_flags(args: argparse.Namespace) -> None:
    """Refuse what cannot be honoured, warn about what has no effect for this target."""
    target_os = _target_os(args)
    for flag in BUILD_FLAGS:
        if not hasattr(args, _dest(flag)):
            continue
        spelling = flag.names[-1]
        if flag.support == "unsupported":
            raise OptionsError(f"{spelling} is not supported: {flag.why}")
        if flag.support == "ignored" and target_os in flag.only:
            raise OptionsError(
                f"{spelling} is not supported for {_OS_NAMES[target_os]} apps yet",
                hint=f"leave it out; freezekit would build the app without it ({flag.why})",
            )
        if flag.support == "ignored":
            logger.warning("ignoring %s: %s", spelling, flag.why)
    arch = getattr(args, "target_architecture", None)
    if arch is not None:
        _check_target_arch(arch, args)


_OS_NAMES = {"linux": "Linux", "windows": "Windows", "macos": "macOS"}


def _target_os(args: argparse.Namespace) -> str:
    """linux, windows or macos: what the app is built for (a cross build's --target, or this
    host)."""
    target = str(getattr(args, "target", "") or "").lower()
    platform = target or sys.platform
    if platform.startswith("win"):
        return "windows"
    if platform.startswith(("darwin", "mac")):
        return "macos"
    return "linux"


def _check_target_arch(arch: str, args: argparse.Namespace) -> None:
    """--target-arch: only the architecture the build produces anyway is accepted."""
    from freezekit.release.interpreters import host_platform, normalize_arch

    host = host_platform()
    built = host.arch
    if getattr(args, "python", None):
        from freezekit.platforms import resolve_target

        built = normalize_arch(resolve_target(Path(args.python)).machine, host.os)
    if normalize_arch(arch, host.os) == built:
        return
    raise OptionsError(
        f"--target-arch {arch}: this build makes {built} executables, not {arch}",
        hint="for another architecture, pass --target (a cross build; see `freezekit build "
        "--help`) or --python with an interpreter of that architecture",
    )


def _debug_options(args: argparse.Namespace) -> tuple[str, ...]:
    """PyInstaller's --debug: imports is the run-time option v; the others are refused."""
    value = getattr(args, "debug", None)
    if value is None:
        return ()
    if value == "imports":
        return ("v",)
    raise OptionsError(
        f"--debug {value} is not supported: the bootloader has no debug build, and modules "
        "are always in the archive",
        hint="--debug imports (or --python-option v) traces imports; "
        "`freezekit inspect APP --modules` lists what is bundled",
    )


def log_level(args: argparse.Namespace) -> int:
    """-q, -v/-vv or --log-level (in that order of precedence) as a logging level."""
    if getattr(args, "quiet", False):
        return logging.WARNING
    verbose = getattr(args, "verbose", 0) or 0
    if verbose:
        return logging.DEBUG if verbose == 1 else 5
    name = getattr(args, "log_level", "INFO")
    return {
        "TRACE": 5,
        "WARN": logging.WARNING,
        "DEPRECATION": logging.WARNING,
        "FATAL": logging.CRITICAL,
    }.get(name, getattr(logging, name, logging.INFO))


def _setup_logging(level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("freezekit")
    root.handlers[:] = [handler]
    root.setLevel(level)


def _confirm_replace(options: BuildOptions) -> BuildOptions:
    output = options.dist_dir
    if options.noconfirm or not (output.exists() or output.is_symlink()):
        return options
    if not sys.stdin.isatty():
        return options  # build() refuses with a hint to pass --noconfirm
    from freezekit.platforms import resolve_target

    resolve_target(options.python)  # a bad interpreter first, before asking anything
    answer = input(f"{output} exists and will be replaced. Continue? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise OptionsError("aborted: existing output kept", hint="pass --noconfirm to replace it")
    from freezekit._record import replace

    return replace(options, noconfirm=True)


def _say(line: str) -> None:
    """Print a line of the build's own output, unless -q or --log-level WARN and above."""
    if logger.getEffectiveLevel() <= logging.INFO:
        print(line)


@contextlib.contextmanager
def _reporter() -> Iterator[Reporter]:
    """The build's stage lines and progress on stdout (nothing with -q); the closing total
    line when the build succeeded."""
    from freezekit.log import NullReporter, ProgressReporter

    if logger.getEffectiveLevel() > logging.INFO:
        yield NullReporter()
        return
    reporter = ProgressReporter(sys.stdout, interactive=_is_terminal(sys.stdout))
    handlers = logger.handlers if reporter.interactive else []
    for handler in handlers:  # a warning first takes the progress line off the terminal
        handler.addFilter(_clearing(reporter))
    try:
        yield reporter
    finally:
        reporter.close()
        for handler in handlers:
            handler.filters.clear()
    print(reporter.total())


def _clearing(reporter: ProgressReporter) -> Callable[[logging.LogRecord], bool]:
    return lambda record: reporter.clear_line()


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def _cmd_build(args: argparse.Namespace) -> int:
    scripts = [Path(s) for s in args.scripts]
    if scripts[0].suffix == ".toml" or scripts[0].is_dir():
        from freezekit.spec.pyproject import options_from_pyproject

        check_app_flags_absent(args, scripts[0], "its [tool.freezekit] table")
        options = _confirm_replace(options_from_pyproject(scripts[0], args))
        with _reporter() as reporter:
            result = _build_any(options, reporter, pyproject=scripts[0])
        _say(f"built {result.executable}")
        return 0
    if scripts[0].suffix == ".spec":
        from freezekit.spec.run import build_spec

        if getattr(args, "target", None):
            raise OptionsError(
                "--target is not supported for .spec files yet",
                hint="cross-freeze the script, or a pyproject.toml with [tool.freezekit]",
            )
        check_app_flags_absent(args, scripts[0], "the spec file")
        with _reporter() as reporter:
            results = build_spec(scripts[0], args, reporter=reporter)
        for result in results:
            _say(f"built {result.output}")
        return 0
    options = _confirm_replace(options_from_args(args, scripts))
    with _reporter() as reporter:
        result = _build_any(options, reporter)
    _say(f"built {result.executable}")
    return 0


def _build_any(
    options: BuildOptions, reporter: Reporter, *, pyproject: Path | None = None
) -> BuildResult:
    """build(), or a cross build when the options name a --target."""
    if options.target:
        from freezekit.crossbuild.windows_cross import build_for_target

        return build_for_target(options, pyproject=pyproject, reporter=reporter)
    from freezekit.build import build

    return build(options, reporter=reporter)


def check_app_flags_absent(args: argparse.Namespace, source: Path, what: str) -> None:
    """A spec or pyproject build takes the app from ``source``: a flag that describes the app
    would be ignored, which changes the result, so it is refused (PyInstaller refuses them too)."""
    machine = {*MACHINE_DESTS, "command", "scripts", "traceback"}
    for flag in BUILD_FLAGS:
        dest = _dest(flag)
        if hasattr(args, dest) and dest not in machine:
            spelling = "/".join(f.names[-1] for f in BUILD_FLAGS if _dest(f) == dest)
            raise OptionsError(
                f"{spelling} cannot be combined with {source.name}: the app is described by {what}",
                hint=f"drop {spelling} and edit {source.name} instead",
            )


def _cmd_makespec(args: argparse.Namespace) -> int:
    from freezekit.spec.run import write_spec

    scripts = [Path(s) for s in args.scripts]
    options = options_from_args(args, scripts)
    path = write_spec(options)
    print(f"wrote {path}")
    return 0


def _cmd_smoke(args: argparse.Namespace) -> int:
    from freezekit.smoke import check_is_freezekit_executable, format_table, results_json, run_smoke

    check_is_freezekit_executable(args.path)
    results = run_smoke(args.path, probes=args.probe, timeout=args.timeout)
    print(format_table(results))
    if args.json:
        args.json.write_text(results_json(results))
    return 0 if all(result.ok for result in results) else 1


def _cmd_inspect(args: argparse.Namespace) -> int:
    from freezekit.archive.reader import open_archive, read_pyz

    archive = open_archive(args.path)
    trailer = archive.trailer
    print(
        f"{args.path}: freezekit archive v{trailer.version}, Python "
        f"{trailer.py_major}.{trailer.py_minor}, {trailer.libpython}, "
        f"content id {trailer.content_id.hex()}"
    )
    for entry in archive.entries:
        print(
            f"{entry.kind.value:13} {entry.compression.value:4} {entry.stored_size:>10} "
            f"{entry.raw_size:>10}  {entry.name}"
        )
    if args.modules:
        for name, (is_package, _) in sorted(read_pyz(archive).items()):
            print(f"{'package' if is_package else 'module':13} {name}")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from freezekit.inspect.diff import diff_paths, format_json, format_text

    result = diff_paths(args.old, args.new)
    print(format_json(result) if args.format == "json" else format_text(result))
    return 0


def _cmd_sbom(args: argparse.Namespace) -> int:
    from freezekit.inspect.inventory import read_inventory
    from freezekit.inspect.sbom import build_sbom
    from freezekit.release.publish import sha256_file, source_date_epoch

    inventory = read_inventory(args.path)
    name = args.path.name.split(".")[0] if args.path.is_file() else args.path.name
    text = build_sbom(
        inventory,
        app=name,
        version="0",
        python_version=inventory.python,
        archive_sha256=sha256_file(args.path) if args.path.is_file() else "0" * 64,
        epoch=source_date_epoch(),
    )
    if args.output is None:
        print(text, end="")
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


def _cmd_matrix(args: argparse.Namespace) -> int:
    import json

    from freezekit.release.matrix import format_matrix_table, github_matrix, load_matrix

    cells = load_matrix()
    if args.format == "github":
        print(json.dumps(github_matrix(cells)))
    else:
        print(format_matrix_table(cells))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from freezekit.analysis import explain
    from freezekit.build import check_scripts
    from freezekit.platforms import resolve_target

    check_scripts((args.script,))
    options = BuildOptions(scripts=(args.script,), name=args.script.stem, python=args.python)
    cache = args.workpath / options.name  # a previous build's analysis answers at once
    chain = explain(options, resolve_target(args.python), args.module, cache_dir=cache)
    if chain is None:
        print(f"{args.module} is not in the app")
        return 1
    print(" -> ".join(chain))
    if chain[0] != args.script.name:
        print(
            f"({args.module} is not imported by {args.script.name}: {chain[0]} is a seed of the "
            "analysis, i.e. a hidden import, an interpreter start-up module or a module "
            "freezekit's run time needs)"
        )
    return 0


COMMANDS = {
    "build": _cmd_build,
    "makespec": _cmd_makespec,
    "smoke": _cmd_smoke,
    "inspect": _cmd_inspect,
    "diff": _cmd_diff,
    "sbom": _cmd_sbom,
    "matrix": _cmd_matrix,
    "explain": _cmd_explain,
}


#: What the top-level parser reads itself; anything else first is a build.
_TOP_LEVEL = ("-h", "--help", "--version")
_BUILD_SUFFIXES = (".py", ".pyw", ".spec", ".toml")


def command_line(argv: Sequence[str]) -> list[str]:
    """PyInstaller's forms as freezekit's: ``--onefile app.py``, ``app.py --onefile`` and
    ``app.spec`` are builds (``build`` is put in front); ``--traceback`` may come anywhere."""
    argv = [arg for arg in argv if arg != "--traceback"]
    if "--version" in argv and (not argv or argv[0] not in COMMANDS):
        return ["--version"]  # `pyinstaller app.py --version` prints the version too
    if not argv or argv[0] in COMMANDS or argv[0] in _TOP_LEVEL:
        return argv
    first = argv[0]
    if first.startswith("-") or first.endswith(_BUILD_SUFFIXES) or os.path.isdir(first):
        return ["build", *argv]
    return argv  # a mistyped command: argparse names the choices


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv
    argv = command_line(argv)
    try:
        try:
            args = make_parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv)
        except OptionsError as exc:
            if argv and argv[0] in COMMANDS:
                exc.hint = f"see `freezekit {argv[0]} --help`"
            raise
        _setup_logging(log_level(args))
        if not args.command:
            raise OptionsError("no command given", hint="try `freezekit build app.py`")
        return COMMANDS[args.command](args)
    except FreezekitError as exc:
        if show_traceback:
            import traceback

            traceback.print_exc()
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`freezekit inspect app | head`): not a bug
        with contextlib.suppress(OSError, ValueError):  # stdout that is not a file: captured
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush at exit
        return 141  # 128 + SIGPIPE, what a shell reports for a killed writer
    except OSError as exc:  # the build machine's files: permissions, a full or read-only disk
        if show_traceback:
            import traceback

            traceback.print_exc()
        error = host_file_error(exc)
        print(f"error: {error.message}", file=sys.stderr)
        print(f"hint: {error.hint}", file=sys.stderr)
        return error.exit_code
    except Exception:  # the last-resort handler
        import traceback

        if show_traceback:
            traceback.print_exc()
        else:
            print(
                f"error: {traceback.format_exc().strip().splitlines()[-1]}\n"
                "this is a bug; please report it with the --traceback output",
                file=sys.stderr,
            )
        return 70


def host_file_error(exc: OSError) -> HostFileError:
    """One line for an OSError on the build machine's files: the path, what failed, the fix."""
    import errno

    path = exc.filename if exc.filename is not None else exc.filename2
    reason = exc.strerror or str(exc)
    where = f"{os.fsdecode(path)}: " if path is not None else ""
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        hint = (
            "give this user access to that path (or choose another folder: --distpath, --workpath)"
        )
    elif code == errno.EROFS:
        hint = "the disk is read-only: choose a writable folder with --distpath or --workpath"
    elif code in (errno.ENOSPC, errno.EDQUOT):
        hint = "free some space, or put --workpath and --distpath on another disk"
    elif code in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENOTEMPTY):
        hint = "something else is in the way at that path: move it, or choose another folder"
    elif code == errno.ENOENT:
        hint = "the path vanished or never existed: check it (another process may have removed it)"
    else:
        hint = "check that path; --traceback shows which step failed"
    return HostFileError(f"{where}{reason}", hint=hint)


def run() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    run()
