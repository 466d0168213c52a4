"""BuildOptions: CLI flags, spec globals and [tool.freezekit] all end up in this one value."""

from __future__ import annotations

import enum
from pathlib import Path

from freezekit._record import dataclass, field  # not dataclasses: a rebuild's quick path


class Mode(enum.Enum):
    ONEDIR = "onedir"
    ONEFILE = "onefile"


class Extract(enum.Enum):
    """Where a onefile app unpacks itself at start."""

    TEMP = "temp"  # a private _MEI folder removed at exit; extension modules on first import
    TEMP_ALL = "temp-all"  # the same, with every file unpacked before the app starts
    CACHE = "cache"  # a per-user content-addressed folder reused by later starts


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """Everything that decides what a build produces, and where it goes."""

    scripts: tuple[Path, ...]
    name: str
    mode: Mode = Mode.ONEDIR
    windowed: bool = False
    distpath: Path = Path("dist")
    workpath: Path = Path("build")
    specpath: Path = Path(".")
    noconfirm: bool = False
    clean: bool = False
    python: Path | None = None  # target interpreter; None means the running one
    target: str = ""  # a cross build's platform, e.g. windows-x86_64-3.12; "" for this host
    hidden_imports: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    paths: tuple[Path, ...] = ()
    collect_submodules: tuple[str, ...] = ()
    collect_data: tuple[str, ...] = ()
    collect_binaries: tuple[str, ...] = ()
    collect_all: tuple[str, ...] = ()
    copy_metadata: tuple[str, ...] = ()
    recursive_copy_metadata: tuple[str, ...] = ()  # and their requirements, as installed
    datas: tuple[tuple[str, str], ...] = ()  # (source, destination folder)
    binaries: tuple[tuple[str, str], ...] = ()
    hooks_dirs: tuple[Path, ...] = ()
    runtime_hooks: tuple[Path, ...] = ()
    hooks_config: dict[str, dict[str, object]] = field(default_factory=dict)  # spec hooksconfig
    ignore_hook_errors: bool = False  # a failing hook is skipped with a warning
    runtime_tmpdir: str | None = None
    onefile_extract: Extract = Extract.TEMP
    python_options: tuple[str, ...] = ()  # "v", "u", "W ignore", "O", "OO"
    optimize: int | None = None  # bytecode level 0-2; None: the python options' O count, else 0
    strip: bool = True
    smoke_probes: bool = True
    reset_subprocess_env: bool = False
    lean: bool = True  # leave out what a normal app never needs (test, tkinter, ...)
    icon: str | None = None
    bootloader: Path | None = None  # a prebuilt bootloader to use instead of the cached one
    compression_level: int = 19
    extra: dict[str, str] = field(default_factory=dict)  # accepted-and-ignored flags, for notes

    @property
    def bytecode_optimize(self) -> int:
        """The level modules are compiled at: ``optimize``, else the run-time ``O`` options."""
        if self.optimize is not None:
            return self.optimize
        return min(2, sum(len(o) for o in self.python_options if o.strip("O") == ""))

    @property
    def run_time_options(self) -> tuple[str, ...]:
        """``python_options``, plus ``O``/``OO`` for ``optimize`` when they name no level."""
        if self.optimize and not any(o.strip("O") == "" for o in self.python_options):
            return (*self.python_options, "O" * self.optimize)
        return self.python_options

    @property
    def dist_dir(self) -> Path:
        """The folder (onedir) or file (onefile) this build produces."""
        return self.distpath / self.name
