"""Every build option once, as a row of ``OPTIONS`` ("options as data").

A row says which ``BuildOptions`` field the option sets, its type (``Kind``), its command-line
flags (PyInstaller's spellings included) with their help text and ``--help`` topic, its
``[tool.freezekit]`` key, its spec keyword, and whether it describes the build machine
(``--distpath``) rather than the app (``--onefile``). The surfaces read the rows and keep no
list of their own: the argparse parser and ``options_from_args`` (``freezekit.cli``), the
``[tool.freezekit]`` reader (``freezekit.spec.pyproject``), a cell job's ``app.options``
(``freezekit.release.cell``), the spec keywords freezekit adds (``freezekit.spec.keywords``)
and the README's tables (``flags_markdown``, ``options_markdown``). A new option is one new row
(and a ``BuildOptions`` field) plus the code that uses it.

Flags with no field are rows too: ``--log-level``, ``-q``/``-v``, and PyInstaller's flags that
have no effect here or are refused (``support``).
"""

from __future__ import annotations

import os
from pathlib import Path

from freezekit._record import dataclass  # not dataclasses: on the CLI's quick path
from freezekit.errors import OptionsError
from freezekit.options import BuildOptions, Extract, Mode

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import enum
    from collections.abc import Callable, Iterator

# -- value types ---------------------------------------------------------------------------------


class BadValue(Exception):  # noqa: N818  # not an error of its own: each surface words it
    """A ``[tool.freezekit]`` or cell-job value of the wrong type; ``expected`` says what fits.
    The surface that read it turns it into one ``OptionsError`` naming its key."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


@dataclass(frozen=True, kw_only=True)
class Kind:
    """An option's type: how a TOML/JSON value and how argparse's value become the field's."""

    name: str  # for the README: "list of strings", "path", ...
    # a [tool.freezekit] or cell-job value -> the field's value; relative paths under ``base``
    data: Callable[[object, Path], object]
    # argparse's value (a string, a list of them, a bool) and the flag's spelling -> the value
    cli: Callable[[object, str], object]


def _string(value: object, base: Path) -> str:
    if not isinstance(value, str):
        raise BadValue("a string")
    return value


def _boolean(value: object, base: Path) -> bool:
    if not isinstance(value, bool):
        raise BadValue("true or false")
    return value


def _strings(value: object, base: Path) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise BadValue("a list of strings")
    return tuple(value)


def _path_items(value: object) -> tuple[str | os.PathLike[str], ...]:
    """Paths as strings (TOML, JSON) or Path values (a cell's AppSpec made in a noxfile)."""
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, (str, os.PathLike)) for v in value
    ):
        raise BadValue("a list of strings")
    return tuple(value)


def _paths(value: object, base: Path) -> tuple[Path, ...]:
    return tuple(base / v for v in _path_items(value))


def _path(value: object, base: Path) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise BadValue("a string")
    return base / value


def _pairs(value: object, base: Path) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, (list, tuple))
        and len(v) == 2
        and isinstance(v[0], (str, os.PathLike))
        and isinstance(v[1], str)
        for v in value
    ):
        raise BadValue('a list of ["source", "destination"] pairs')
    return tuple((str(base / source), dest) for source, dest in value)


def _choice(enum_type: type[enum.Enum]) -> Callable[[object, Path], object]:
    choices = [member.value for member in enum_type]

    def convert(value: object, base: Path) -> object:
        if value not in choices:
            raise BadValue(" or ".join(repr(c) for c in choices))
        return enum_type(value)

    return convert


def _level(value: object, base: Path) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 22:
        raise BadValue("a number from 1 to 22")
    return value


def _optimize(value: object, base: Path) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value not in (0, 1, 2):
        raise BadValue("0, 1 or 2")
    return value


def _python_options(value: object, base: Path) -> tuple[str, ...]:
    return tuple(check_python_option(v) for v in _strings(value, base))


def _no_data(value: object, base: Path) -> object:
    raise BadValue("set on the command line")  # no [tool.freezekit] key reads it


def check_python_option(option: str) -> str:
    """A run-time option the bootloader applies: ``v``, ``u``, ``O``, ``OO``, ``W <action>``,
    ``X <option>``."""
    value = option.strip()
    if value in ("v", "u", "O", "OO") or (
        value[:1] in ("W", "X") and value[1:2] == " " and value[2:].strip()
    ):
        return value
    raise OptionsError(
        f"run-time option {option!r} is not supported",
        hint="use v (verbose imports), u (unbuffered stdio), O or OO (optimise), "
        "'W <action>' (e.g. 'W ignore') or 'X <option>'",
    )


def split_pair(value: str, flag: str) -> tuple[str, str]:
    """``SRC:DEST`` (or PyInstaller's Windows ``SRC;DEST``) of --add-data and --add-binary."""
    sep = ";" if ";" in value else ":"
    source, found, dest = value.rpartition(sep)
    if not found or not source or not dest:
        raise OptionsError(f"{flag} {value!r} is not SRC:DEST", hint=f"e.g. {flag} 'assets:assets'")
    return source, dest


def _cli_level(value: object, flag: str) -> int:
    text = str(value)
    if not text.isdigit() or not 1 <= int(text) <= 22:
        raise OptionsError(f"{flag} {text!r} is not a number from 1 to 22")
    return int(text)


def _cli_search_paths(value: object, flag: str) -> tuple[Path, ...]:
    """-p: each value may hold several folders, os.pathsep-separated."""
    assert isinstance(value, list)
    return tuple(Path(p) for entry in value for p in str(entry).split(os.pathsep) if p)


def _list(value: object) -> list[str]:
    assert isinstance(value, list)  # argparse's append
    return [str(v) for v in value]


STRING = Kind(name="string", data=_string, cli=lambda v, f: str(v))
BOOL = Kind(name="boolean", data=_boolean, cli=lambda v, f: bool(v))
STRINGS = Kind(
    name="list of strings",
    data=_strings,
    cli=lambda v, f: tuple(_list(v)),
)
PATHS = Kind(
    name="list of paths",
    data=_paths,
    cli=lambda v, f: tuple(Path(p) for p in _list(v)),
)
SEARCH_PATHS = Kind(name="list of paths", data=_paths, cli=_cli_search_paths)
PATH = Kind(name="path", data=_path, cli=lambda v, f: Path(str(v)))
OPTIONAL_PATH = Kind(  # an empty --python or --bootloader is no path
    name="path", data=_path, cli=lambda v, f: Path(str(v)) if v else None
)
PAIRS = Kind(
    name="list of [source, destination]",
    data=_pairs,
    cli=lambda v, f: tuple(split_pair(p, f) for p in _list(v)),
)
MODE = Kind(
    name="'onedir' or 'onefile'",
    data=_choice(Mode),
    cli=lambda v, f: Mode(v),
)
EXTRACT = Kind(
    name="'temp', 'temp-all' or 'cache'",
    data=_choice(Extract),
    cli=lambda v, f: Extract(v),
)
LEVEL = Kind(name="integer 1-22", data=_level, cli=_cli_level)
OPTIMIZE = Kind(name="0, 1 or 2", data=_optimize, cli=lambda v, f: int(str(v)))
PYTHON_OPTIONS = Kind(
    name="list of run-time options",
    data=_python_options,
    cli=lambda v, f: tuple(check_python_option(o) for o in _list(v)),
)
HOOKS_CONFIG = Kind(  # spec only: hooksconfig={module: {key: value}}
    name="table of tables", data=_no_data, cli=lambda v, f: v
)


# -- command-line flags --------------------------------------------------------------------------

#: The topics of `freezekit build --help` and of the README's flag table, in order.
WHAT = "what to build"
BUNDLE = "what to bundle"
HOW = "how to bundle"
RUNTIME = "run-time behaviour"
OS_SPECIFIC = "OS-specific"
GROUPS: dict[str, str] = {
    WHAT: "the app, where it goes, and what the build prints",
    BUNDLE: "modules, files and metadata the app gets",
    HOW: "the interpreter, bootloader, compression and stripping used",
    RUNTIME: "what the frozen app does when it starts",
    OS_SPECIFIC: "flags that apply to Windows or macOS apps only",
}


@dataclass(frozen=True, kw_only=True)
class Flag:
    """One command-line argument: its spellings, how it is supported, and argparse settings."""

    names: tuple[str, ...]
    support: str  # "supported", "limited", "ignored" (accepted with a warning), "unsupported"
    why: str = ""
    dest: str | None = None
    action: str = "store"
    help: str = ""
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    const: object = None
    default: object = None
    group: str = HOW  # the --help section and README column (GROUPS)
    only: tuple[str, ...] = ()  # "ignored" flags: the target OSes where they would matter


def flag_dest(flag: Flag) -> str:
    """The argparse attribute the flag sets."""
    if flag.dest:
        return flag.dest
    longest = max(flag.names, key=len)
    return longest.lstrip("-").replace("-", "_")


def _s(*names: str, help: str, **kw: object) -> Flag:
    return Flag(names=names, support="supported", help=help, **kw)  # type: ignore[arg-type]


def _i(*names: str, why: str, action: str = "store", **kw: object) -> Flag:
    return Flag(names=names, support="ignored", why=why, action=action, help=why, **kw)  # type: ignore[arg-type]


def _l(*names: str, why: str, action: str = "store", **kw: object) -> Flag:
    """Some values work, the others are refused (``cli.check_flags`` says which)."""
    return Flag(names=names, support="limited", why=why, action=action, help=why, **kw)  # type: ignore[arg-type]


def _u(*names: str, why: str, action: str = "store", **kw: object) -> Flag:
    return Flag(names=names, support="unsupported", why=why, action=action, help=why, **kw)  # type: ignore[arg-type]


# -- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Option:
    """One build option. ``None`` in a channel's column means that channel cannot set it."""

    field: str | None  # the BuildOptions field; None: a flag that sets none (-q, --splash, ...)
    kind: Kind | None = None  # the field's type
    flags: tuple[Flag, ...] = ()  # its command-line arguments, in --help order
    key: str | None = None  # its [tool.freezekit] key
    spec: str | None = None  # "Analysis.hiddenimports", "EXE.console", ... or how a spec says it
    spec_default: object = None  # for freezekit's own spec keywords: the keyword's default
    machine: bool = False  # describes the build machine: a spec or pyproject build takes it
    # from the command line
    help: str = ""  # for the README's option table (each flag has its own --help text)

    @property
    def name(self) -> str:
        """The field, or the flag's argparse attribute for a flag that sets no field."""
        return self.field or flag_dest(self.flags[0])

    @property
    def dest(self) -> str | None:
        """The argparse attribute its flags set (all of them set the same one)."""
        return flag_dest(self.flags[0]) if self.flags else None

    @property
    def cell_key(self) -> str | None:
        """The key of a cell job's ``app.options`` (the field's name): every app option with a
        [tool.freezekit] key, except the script and the name (``AppSpec.script``, ``.name``)."""
        if self.key is None or self.machine or self.field in ("scripts", "name"):
            return None
        return self.field

    @property
    def spec_keyword(self) -> tuple[str, str] | None:
        """(call, keyword) when a spec sets it with a keyword, e.g. ("Analysis", "excludes")."""
        if self.spec is None or " " in self.spec or "." not in self.spec:
            return None
        call, _, keyword = self.spec.partition(".")
        return call, keyword

    @property
    def own_spec_keyword(self) -> bool:
        """A keyword freezekit adds to PyInstaller's Analysis or EXE (collect_data=, ...)."""
        return self.spec_default is not _PYINSTALLER

    @property
    def description(self) -> str:
        """One line for the README: ``help``, else the first flag's help."""
        return self.help or (self.flags[0].why or self.flags[0].help if self.flags else "")

    @property
    def default(self) -> object:
        """The BuildOptions default (None for scripts and name, which every build sets)."""
        if self.field is None or self.field in ("scripts", "name"):
            return None
        return getattr(_DEFAULTS, self.field)


_PYINSTALLER = object()  # spec_default of a keyword PyInstaller's spec files have
_DEFAULTS = BuildOptions(scripts=(), name="")


def _row(field: str, kind: Kind, *flags: Flag, **kw: object) -> Option:
    kw.setdefault("spec_default", _PYINSTALLER)
    return Option(field=field, kind=kind, flags=flags, **kw)  # type: ignore[arg-type]


def _flag(flag: Flag, **kw: object) -> Option:
    """A flag that sets no BuildOptions field."""
    return Option(field=None, flags=(flag,), spec_default=_PYINSTALLER, **kw)  # type: ignore[arg-type]


OPTIONS: tuple[Option, ...] = (
    _row(
        "scripts",
        PATHS,
        key="scripts",
        spec="Analysis.scripts",
        help="the app's scripts (the first one names the app): the command line's SCRIPT arguments",
    ),
    _row(
        "name",
        STRING,
        _s(
            "-n",
            "--name",
            help="name of the app and of its executable (default: the script's)",
            group=WHAT,
        ),
        key="name",
        spec="EXE.name",
    ),
    _row(
        "mode",
        MODE,
        _s(
            "-D",
            "--onedir",
            dest="mode",
            action="store_const",
            const="onedir",
            help="a folder with the executable and _internal/ (default)",
            group=WHAT,
        ),
        _s(
            "-F",
            "--onefile",
            dest="mode",
            action="store_const",
            const="onefile",
            help="one executable that unpacks itself at start",
            group=WHAT,
        ),
        key="mode",
        spec="COLLECT (onedir when a COLLECT takes the EXE)",
        help="onedir (a folder) or onefile (one executable)",
    ),
    _row(
        "windowed",
        BOOL,
        _s(
            "-w",
            "--windowed",
            "--noconsole",
            dest="windowed",
            action="store_true",
            help="no console: standard streams become null streams",
            group=WHAT,
        ),
        _s(
            "-c",
            "--console",
            "--nowindowed",
            dest="windowed",
            action="store_false",
            help="console app (default)",
            group=WHAT,
        ),
        key="windowed",
        spec="EXE.console (negated)",
        help="no console (default: a .pyw script's app is windowed)",
    ),
    _row(
        "distpath",
        PATH,
        _s("--distpath", help="where the app goes (default: ./dist)", metavar="DIR", group=WHAT),
        key="distpath",
        machine=True,
    ),
    _row(
        "workpath",
        PATH,
        _s(
            "--workpath",
            help="where temporary files go (default: ./build)",
            metavar="DIR",
            group=WHAT,
        ),
        key="workpath",
        machine=True,
    ),
    _row(
        "specpath",
        PATH,
        _s(
            "--specpath",
            help="where makespec writes the spec (default: .)",
            metavar="DIR",
            group=WHAT,
        ),
    ),
    _row(
        "noconfirm",
        BOOL,
        _s(
            "-y",
            "--noconfirm",
            action="store_true",
            help="replace existing output without asking",
            group=WHAT,
        ),
        machine=True,
    ),
    _row(
        "clean",
        BOOL,
        _s(
            "--clean",
            action="store_true",
            help="remove cached analysis before building",
            group=WHAT,
        ),
        machine=True,
    ),
    _flag(
        _s("-q", "--quiet", action="store_true", help="print warnings and errors only", group=WHAT),
        machine=True,
    ),
    _flag(
        _s(
            "-v",
            "--verbose",
            action="count",
            help="more detail: each decision and its reason (-vv: trace); "
            "unlike PyInstaller's -v, which is --version",
            group=WHAT,
        ),
        machine=True,
    ),
    _flag(
        _s(
            "--log-level",
            help="TRACE, DEBUG, INFO, WARN, ERROR or FATAL",
            metavar="LEVEL",
            choices=("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "DEPRECATION", "ERROR", "FATAL"),
            group=WHAT,
        ),
        machine=True,
    ),
    _row(
        "datas",
        PAIRS,
        _s(
            "--add-data",
            dest="add_data",
            action="append",
            metavar="SRC:DEST",
            help="add a file or folder (globs allowed) under DEST in the top directory",
            group=BUNDLE,
        ),
        key="datas",
        spec="Analysis.datas",
    ),
    _row(
        "binaries",
        PAIRS,
        _s(
            "--add-binary",
            dest="add_binary",
            action="append",
            metavar="SRC:DEST",
            help="add a shared library under DEST",
            group=BUNDLE,
        ),
        key="binaries",
        spec="Analysis.binaries",
    ),
    _row(
        "hidden_imports",
        STRINGS,
        _s(
            "--hidden-import",
            "--hiddenimport",
            dest="hidden_import",
            action="append",
            metavar="MODULE",
            help="a module the analysis cannot see",
            group=BUNDLE,
        ),
        key="hidden-imports",
        spec="Analysis.hiddenimports",
    ),
    _row(
        "excludes",
        STRINGS,
        _s(
            "--exclude-module",
            dest="exclude_module",
            action="append",
            metavar="MODULE",
            help="leave a module out",
            group=BUNDLE,
        ),
        key="excludes",
        spec="Analysis.excludes",
    ),
    _row(
        "paths",
        SEARCH_PATHS,
        _s(
            "-p",
            "--paths",
            dest="paths",
            action="append",
            metavar="DIR",
            help="extra import paths for the analysis (os.pathsep-separated)",
            group=BUNDLE,
        ),
        key="paths",
        spec="Analysis.pathex",
    ),
    _row(
        "collect_submodules",
        STRINGS,
        _s(
            "--collect-submodules",
            action="append",
            metavar="PACKAGE",
            help="bundle every submodule of a package",
            group=BUNDLE,
        ),
        key="collect-submodules",
        spec="Analysis.collect_submodules",
        spec_default=None,
    ),
    _row(
        "collect_data",
        STRINGS,
        _s(
            "--collect-data",
            "--collect-datas",
            dest="collect_data",
            action="append",
            metavar="PACKAGE",
            help="bundle the data files of a package",
            group=BUNDLE,
        ),
        key="collect-data",
        spec="Analysis.collect_data",
        spec_default=None,
    ),
    _row(
        "collect_binaries",
        STRINGS,
        _s(
            "--collect-binaries",
            action="append",
            metavar="PACKAGE",
            help="bundle the shared libraries of a package",
            group=BUNDLE,
        ),
        key="collect-binaries",
        spec="Analysis.collect_binaries",
        spec_default=None,
    ),
    _row(
        "collect_all",
        STRINGS,
        _s(
            "--collect-all",
            action="append",
            metavar="PACKAGE",
            help="submodules, data, binaries and metadata of a package",
            group=BUNDLE,
        ),
        key="collect-all",
        spec="Analysis.collect_all",
        spec_default=None,
    ),
    _row(
        "copy_metadata",
        STRINGS,
        _s(
            "--copy-metadata",
            dest="copy_metadata",
            action="append",
            metavar="DIST",
            help="bundle a distribution's metadata (automatic for bundled ones)",
            group=BUNDLE,
        ),
        key="copy-metadata",
        spec="Analysis.copy_metadata",
        spec_default=None,
    ),
    _row(
        "recursive_copy_metadata",
        STRINGS,
        _s(
            "--recursive-copy-metadata",
            dest="recursive_copy_metadata",
            action="append",
            metavar="DIST",
            help="the metadata of DIST and of its requirements, transitively, as installed "
            "for the target Python (an extra's requirements when they are installed)",
            group=BUNDLE,
        ),
        key="recursive-copy-metadata",
        spec="Analysis.recursive_copy_metadata",
        spec_default=None,
    ),
    _row(
        "hooks_dirs",
        PATHS,
        _s(
            "--additional-hooks-dir",
            dest="hooks_dir",
            action="append",
            metavar="DIR",
            help="a folder of hook-<module>.py files",
            group=BUNDLE,
        ),
        key="hooks-dirs",
        spec="Analysis.hookspath",
    ),
    _row(
        "runtime_hooks",
        PATHS,
        _s(
            "--runtime-hook",
            dest="runtime_hook",
            action="append",
            metavar="FILE",
            help="a script run inside the app before the main script",
            group=BUNDLE,
        ),
        key="runtime-hooks",
        spec="Analysis.runtime_hooks",
    ),
    _row(
        "hooks_config",
        HOOKS_CONFIG,
        spec="Analysis.hooksconfig",
        help="settings read by hooks ({module: {key: value}}); a spec file only",
    ),
    _row(
        "ignore_hook_errors",
        BOOL,
        _s(
            "--ignore-hook-errors",
            action="store_true",
            help="build on without a hook that fails (a warning names it) instead of stopping",
            group=BUNDLE,
        ),
        key="ignore-hook-errors",
    ),
    _row(
        "runtime_tmpdir",
        STRING,
        _s(
            "--runtime-tmpdir",
            metavar="DIR",
            help="onefile: unpack under DIR instead of TMPDIR",
            group=RUNTIME,
        ),
        key="runtime-tmpdir",
        spec="EXE.runtime_tmpdir",
    ),
    _row(
        "onefile_extract",
        EXTRACT,
        _s(
            "--onefile-extract",
            choices=("temp", "temp-all", "cache"),
            metavar="MODE",
            help="onefile: temp (unpack per run, extension modules on first import; default), "
            "temp-all (unpack everything per run, before the start) or cache (once per user)",
            group=RUNTIME,
        ),
        key="onefile-extract",
        spec="EXE.onefile_extract",
        spec_default="temp",
    ),
    _row(
        "python_options",
        PYTHON_OPTIONS,
        _s(
            "--python-option",
            dest="python_option",
            action="append",
            metavar="OPTION",
            help="run-time option: v, u, O, OO, 'W <action>' or 'X <option>'",
            group=RUNTIME,
        ),
        key="python-options",
        spec="EXE (OPTION entries: [('v', None, 'OPTION')])",
    ),
    _row(
        "optimize",
        OPTIMIZE,
        _s(
            "--optimize",
            choices=("0", "1", "2"),
            metavar="LEVEL",
            help="compile modules at optimisation level 0, 1 (no asserts) or 2 (no docstrings "
            "either); the app runs with -O/-OO to match unless --python-option gives O",
            group=RUNTIME,
        ),
        key="optimize",
        spec="Analysis.optimize",
    ),
    _row(
        "strip",
        BOOL,
        _s(
            "-s",
            "--strip",
            dest="strip",
            action="store_true",
            help="strip symbol tables and debug info from shared libraries (default)",
        ),
        _s(
            "--no-strip",
            dest="strip",
            action="store_false",
            help="bundle shared libraries as they are",
        ),
        key="strip",
        spec="EXE.strip (and COLLECT.strip)",
    ),
    _row(
        "python",
        OPTIONAL_PATH,
        _s("--python", metavar="PATH", help="the target interpreter (default: this one)"),
        machine=True,
    ),
    _row(
        "target",
        STRING,
        _s(
            "--target",
            metavar="PLATFORM",
            help="cross-freeze for windows-x86_64-3.11, -3.12 or -3.13 from Linux "
            "(wine64 and scripts/install-windows-python.sh)",
        ),
        key="target",
        machine=True,
    ),
    _row(
        "lean",
        BOOL,
        _s(
            "--no-lean",
            dest="lean",
            action="store_false",
            help="keep modules a normal app never needs (test, tkinter, ...)",
            group=BUNDLE,
        ),
        key="lean",
        spec="Analysis.lean",
        spec_default=True,
    ),
    _row(
        "smoke_probes",
        BOOL,
        _s(
            "--no-smoke-probes",
            dest="smoke_probes",
            action="store_false",
            help="leave the built-in smoke probes out",
            group=BUNDLE,
        ),
        key="smoke-probes",
        spec="EXE.smoke_probes",
        spec_default=True,
    ),
    _row(
        "reset_subprocess_env",
        BOOL,
        _s(
            "--reset-subprocess-env",
            action="store_true",
            help="programs started outside the bundle get the caller's original environment",
            group=RUNTIME,
        ),
        key="reset-subprocess-env",
        spec="EXE.reset_subprocess_env",
        spec_default=False,
    ),
    _row(
        "bootloader",
        OPTIONAL_PATH,
        _s("--bootloader", metavar="PATH", help="use this bootloader instead of the cached one"),
        machine=True,
    ),
    _row(
        "compression_level",
        LEVEL,
        _s("--compression-level", metavar="N", help="zstd level 1-22 (default 19)"),
        key="compression-level",
        spec="EXE.compression_level",
        spec_default=None,
    ),
    _row(
        "icon",
        STRING,
        _i(
            "-i",
            "--icon",
            why="Linux executables have no icon",
            group=OS_SPECIFIC,
            only=("windows", "macos"),
        ),
        key="icon",
        spec="EXE.icon",
        help="the app's icon (Windows and macOS apps)",
    ),
    _flag(
        _i(
            "--upx-dir",
            why="UPX slows start-up; freezekit strips and compresses with zstd instead",
        ),
        machine=True,
    ),
    _flag(_i("--noupx", action="store_true", why="UPX is never used")),
    _flag(_i("--upx-exclude", action="append", why="UPX is never used")),
    _flag(_i("-a", "--ascii", action="store_true", why="codecs are always included"), machine=True),
    _flag(
        _i(
            "--uac-admin",
            action="store_true",
            why="Windows only",
            group=OS_SPECIFIC,
            only=("windows",),
        )
    ),
    _flag(
        _i(
            "--uac-uiaccess",
            action="store_true",
            why="Windows only",
            group=OS_SPECIFIC,
            only=("windows",),
        )
    ),
    _flag(_i("--version-file", why="Windows only", group=OS_SPECIFIC, only=("windows",))),
    _flag(_i("-m", "--manifest", why="Windows only", group=OS_SPECIFIC, only=("windows",))),
    _flag(
        _i(
            "--no-embed-manifest",
            action="store_true",
            why="Windows only",
            group=OS_SPECIFIC,
            only=("windows",),
        )
    ),
    _flag(_i("--hide-console", why="Windows only", group=OS_SPECIFIC, only=("windows",))),
    _flag(
        _i(
            "--disable-windowed-traceback",
            action="store_true",
            why="windowed tracebacks go to the null stream",
            group=OS_SPECIFIC,
            only=("windows", "macos"),
        )
    ),
    _flag(_i("--codesign-identity", why="macOS only", group=OS_SPECIFIC, only=("macos",))),
    _flag(_i("--osx-entitlements-file", why="macOS only", group=OS_SPECIFIC, only=("macos",))),
    _flag(
        _i(
            "--osx-bundle-identifier",
            why="macOS only (use BUNDLE in a spec)",
            group=OS_SPECIFIC,
            only=("macos",),
        )
    ),
    _flag(
        _i(
            "-r",
            "--resource",
            action="append",
            why="Windows only",
            group=OS_SPECIFIC,
            only=("windows",),
        )
    ),
    _flag(
        _i(
            "--argv-emulation",
            action="store_true",
            why="macOS only",
            group=OS_SPECIFIC,
            only=("macos",),
        )
    ),
    _flag(
        _l(
            "--target-architecture",
            "--target-arch",
            metavar="ARCH",
            why="this host's architecture only (no effect); another one is refused: use --target "
            "(a cross build) or --python with an interpreter of that architecture",
        )
    ),
    _flag(
        _l(
            "-d",
            "--debug",
            metavar="WHAT",
            choices=("all", "imports", "bootloader", "noarchive"),
            why="imports (the same as --python-option v); all, bootloader and noarchive are "
            "refused",
        )
    ),
    _flag(_u("--splash", why="splash screens are not implemented", group=RUNTIME)),
    _flag(_u("--splash-center", why="splash screens are not implemented", group=RUNTIME)),
    _flag(
        _u(
            "--key",
            why="bytecode encryption was removed from PyInstaller 6 too; it protected nothing",
        )
    ),
    _flag(_u("--contents-directory", why="the top directory is always _internal", group=RUNTIME)),
    _flag(
        _u(
            "--bootloader-ignore-signals",
            action="store_true",
            why="the bootloader forwards signals to the app; ignoring them is not implemented",
            group=RUNTIME,
        )
    ),
    _flag(
        _u(
            "--win-private-assemblies",
            action="store_true",
            why="removed in PyInstaller 6, which refuses it too",
            group=OS_SPECIFIC,
        )
    ),
    _flag(
        _u(
            "--win-no-prefer-redirects",
            action="store_true",
            why="removed in PyInstaller 6, which refuses it too",
            group=OS_SPECIFIC,
        )
    ),
)


# -- what the surfaces read ----------------------------------------------------------------------

#: Every command-line flag of `freezekit build` and `makespec`, in --help order.
BUILD_FLAGS: tuple[Flag, ...] = tuple(flag for option in OPTIONS for flag in option.flags)

#: The argparse attributes of the flags that describe the build machine: the only ones a spec
#: or pyproject build takes from the command line.
MACHINE_DESTS: frozenset[str] = frozenset(
    option.dest for option in OPTIONS if option.machine and option.dest
)


def field_options() -> Iterator[Option]:
    """The rows that set a BuildOptions field."""
    return (option for option in OPTIONS if option.field is not None)


def by_key() -> dict[str, Option]:
    """[tool.freezekit] key -> row, in table order."""
    return {option.key: option for option in OPTIONS if option.key is not None}


def by_cell_key() -> dict[str, Option]:
    """A cell job's app.options key -> row, in table order."""
    return {option.cell_key: option for option in OPTIONS if option.cell_key is not None}


def own_spec_keywords(call: str) -> dict[str, object]:
    """The keywords freezekit adds to ``call`` (Analysis or EXE) and their defaults."""
    found: dict[str, object] = {}
    for option in OPTIONS:
        keyword = option.spec_keyword
        if keyword is not None and keyword[0] == call and option.own_spec_keyword:
            found[keyword[1]] = option.spec_default
    return found


def own_spec_lists(call: str) -> tuple[str, ...]:
    """freezekit's own keywords of ``call`` that are lists of names (``collect_data=``, ...):
    each sets the BuildOptions field of the same name."""
    return tuple(
        option.field
        for option in field_options()
        if option.field is not None
        and option.kind is STRINGS
        and option.own_spec_keyword
        and option.spec_keyword == (call, option.field)
    )


# -- the README ----------------------------------------------------------------------------------

#: How the README and --help name each kind of support.
SUPPORT_WORDS = {
    "supported": "supported",
    "limited": "some values",
    "ignored": "no effect here (warns)",
    "unsupported": "refused",
}


def groups() -> list[str]:
    """GROUPS in order, then any group a row names that GROUPS does not (none today)."""
    return [*GROUPS, *sorted({flag.group for flag in BUILD_FLAGS} - set(GROUPS))]


def flags_markdown() -> str:
    """The README's flag table (a unit test keeps README true)."""
    lines = ["| flag | topic | support | notes |", "|---|---|---|---|"]
    for group in groups():
        for flag in BUILD_FLAGS:
            if flag.group != group:
                continue
            names = ", ".join(f"`{name}`" for name in flag.names)
            support = SUPPORT_WORDS[flag.support]
            lines.append(f"| {names} | {group} | {support} | {flag.why or flag.help} |")
    return "\n".join(lines)


def long_name(flag: Flag) -> str:
    """The flag's first long spelling: ``--hidden-import`` of -hidden-import/--hiddenimport."""
    return next(name for name in flag.names if name.startswith("--"))


def options_markdown() -> str:
    """The README's option table: each BuildOptions field and how every surface sets it."""
    lines = [
        "| option | type | flags | `[tool.freezekit]` | spec file | cell job `options` | "
        "describes | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    none = "—"
    for option in field_options():
        assert option.kind is not None
        flags = ", ".join(f"`{long_name(flag)}`" for flag in option.flags) or none
        if option.field == "scripts":
            flags = "SCRIPT arguments"
        key = f"`{option.key}`" if option.key else none
        keyword = option.spec_keyword
        spec = option.spec or ("command line" if option.machine else none)
        if keyword is not None:
            spec = f"`{keyword[0]}({keyword[1]}=...)`"
        cell = f"`{option.cell_key}`" if option.cell_key else none
        describes = "build machine" if option.machine else "app"
        lines.append(
            f"| `{option.field}` | {option.kind.name} | {flags} | {key} | {spec} | {cell} | "
            f"{describes} | {option.description} |"
        )
    return "\n".join(lines)
