"""The globals of a spec file: TOC, Tree, Analysis, PYZ, EXE, COLLECT, MERGE, BUNDLE.

They are thin. ``Analysis(...)`` runs the analysis stage (through the context) and exposes
plain PyInstaller-style lists of ``(name, path, typecode)`` that the spec may filter; ``PYZ``,
``EXE``, ``COLLECT``, ``MERGE`` and ``BUNDLE`` only record what to assemble. ``freezekit.spec``
turns the records into builds once the spec has run.

The classes the spec sees are subclasses made per run by ``make_globals``, bound to one
``SpecSession`` (the context plus the records); nothing here is module-level state.
"""

from __future__ import annotations

import builtins
import difflib
import fnmatch
import glob
import logging
import os
import posixpath
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar, SupportsIndex

from freezekit.analysis import AnalysisResult, PureModule
from freezekit.assemble.merge import MergeApp, plan_merge
from freezekit.assemble.plan import ExternalItem
from freezekit.errors import OptionsError
from freezekit.options import BuildOptions
from freezekit.platforms import Target
from freezekit.toc import EntryKind, TocEntry, check_relative_name

logger = logging.getLogger(__name__)

TocTuple = tuple[str, "str | None", str]
Analyzer = Callable[[BuildOptions, Target, Path], AnalysisResult]

_KIND_OF_TYPECODE = {
    "BINARY": EntryKind.BINARY,
    "EXTENSION": EntryKind.EXTENSION,
    "DATA": EntryKind.DATA,
}
_TYPECODE_OF_KIND = {kind: code for code, kind in _KIND_OF_TYPECODE.items()}


@dataclass(frozen=True, kw_only=True)
class SpecContext:
    """What the spec globals need from the build: passed into ``spec.run()``.

    ``options`` carries the build-environment settings (distpath, workpath, python, ...);
    ``analyze`` is the analysis stage (a parameter so unit tests can pass a fake).
    """

    spec: Path  # absolute path of the spec file
    options: BuildOptions
    target: Target
    analyze: Analyzer

    @property
    def spec_dir(self) -> Path:
        return self.spec.parent

    @property
    def specnm(self) -> str:
        return self.spec.stem

    @property
    def workdir(self) -> Path:
        """``workpath/<specnm>``: PyInstaller's ``workpath`` global."""
        return self.options.workpath.absolute() / self.specnm


@dataclass(kw_only=True)
class SpecSession:
    """One run of one spec: the context and everything the spec's calls recorded."""

    context: SpecContext
    analyses: list[Analysis] = field(default_factory=list)
    exes: list[EXE] = field(default_factory=list)
    collects: list[COLLECT] = field(default_factory=list)
    bundles: list[BUNDLE] = field(default_factory=list)
    merged: bool = False
    # every tuple an Analysis handed out, mapped back to freezekit's own value
    known: dict[TocTuple, TocEntry | PureModule | Path] = field(default_factory=dict)

    def line(self) -> int | None:
        """The spec line being executed (for warnings), found on the call stack."""
        frame = sys._getframe(1)
        filename = str(self.context.spec)
        while frame is not None:
            if frame.f_code.co_filename == filename:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]  # f_back is None at the bottom
        return None

    def warn(self, message: str, *args: object) -> None:
        line = self.line()
        where = f"{self.context.spec.name}:{line}" if line else self.context.spec.name
        logger.warning("%s: " + message, where, *args)


# -- keyword checking --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Ignored:
    """A keyword accepted for compatibility: values in ``harmless`` pass silently."""

    why: str
    harmless: tuple[object, ...] = (None, False, (), "")


def bind(
    call: str,
    args: Sequence[object],
    kwargs: Mapping[str, object],
    *,
    positional: Sequence[str],
    known: Mapping[str, object],
) -> dict[str, object]:
    """Match a call's arguments to ``known`` (name → default); unknown names are an error."""
    if len(args) > len(positional):
        raise OptionsError(
            f"{call}() takes at most {len(positional)} positional arguments ({len(args)} given)",
            hint="pass the others by keyword",
        )
    values = dict(known)
    for name, value in zip(positional[: len(args)], args, strict=True):
        values[name] = value
    for name, value in kwargs.items():
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
            hint = (
                f"did you mean '{close[0]}'?" if close else f"{call}() accepts: {', '.join(known)}"
            )
            raise OptionsError(f"unknown keyword '{name}' in {call}()", hint=hint)
        if name in positional[: len(args)]:
            raise OptionsError(f"{call}() got '{name}' both by position and by keyword")
        values[name] = value
    return values


def check_ignored(
    session: SpecSession, call: str, values: Mapping[str, object], ignored: Mapping[str, Ignored]
) -> None:
    for name, rule in ignored.items():
        value = values.get(name)
        if isinstance(value, list):
            value = tuple(value)
        if isinstance(value, dict) and not value:
            continue
        if value not in rule.harmless:
            session.warn("ignoring %s(%s=%r): %s", call, name, values.get(name), rule.why)


def strings(call: str, name: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise OptionsError(f"{call}({name}=...) must be a list of strings, not {value!r}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise OptionsError(f"{call}({name}=...) must be a list of strings; {item!r} is not")
    return items


def flag(call: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise OptionsError(f"{call}({name}=...) must be True or False, not {value!r}")
    return value


def optional_string(call: str, name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise OptionsError(f"{call}({name}=...) must be a string or None, not {value!r}")
    return value


def check_python_option(option: str) -> str:
    """A run-time option the bootloader applies: ``v``, ``u``, ``W <action>``, ``X <option>``."""
    value = option.strip()
    if value in ("v", "u") or (value[:1] in ("W", "X") and value[1:2] == " " and value[2:].strip()):
        return value
    raise OptionsError(
        f"run-time option {option!r} is not supported",
        hint="use v (verbose imports), u (unbuffered stdio) or 'W <action>' (e.g. 'W ignore')",
    )


# -- TOC and Tree ------------------------------------------------------------------------------


def _toc_tuple(entry: object) -> TocTuple:
    if (
        isinstance(entry, Sequence)
        and not isinstance(entry, str)
        and len(entry) == 3
        and isinstance(entry[0], str)
        and (entry[1] is None or isinstance(entry[1], str))
        and isinstance(entry[2], str)
    ):
        return (entry[0], entry[1], entry[2])
    raise OptionsError(
        f"TOC entry {entry!r} is not a (name, path, typecode) tuple",
        hint="e.g. ('data/readme.txt', 'src/readme.txt', 'DATA')",
    )


class TOC(list[TocTuple]):
    """A list of ``(name, path, typecode)`` tuples that keeps only the first entry per name.

    ``toc + other`` adds the entries whose names are new; ``toc - other`` removes the entries
    whose names appear in ``other``. Plain list operations (slicing, comprehensions) work and
    give plain lists, which every spec global accepts too.
    """

    def __init__(self, initlist: Iterable[object] | None = None) -> None:
        super().__init__()
        if initlist is not None:
            self.extend(initlist)

    def _names(self) -> set[str]:
        return {entry[0] for entry in self}

    def append(self, entry: object) -> None:
        item = _toc_tuple(entry)
        if item[0] not in self._names():
            super().append(item)

    def insert(self, index: SupportsIndex, entry: object) -> None:
        item = _toc_tuple(entry)
        if item[0] not in self._names():
            super().insert(index, item)

    def extend(self, entries: Iterable[object]) -> None:
        names = self._names()
        for entry in entries:
            item = _toc_tuple(entry)
            if item[0] not in names:
                names.add(item[0])
                super().append(item)

    def __add__(self, other: Iterable[object]) -> TOC:  # type: ignore[override]
        result = TOC(self)
        result.extend(other)
        return result

    def __radd__(self, other: Iterable[object]) -> TOC:
        result = TOC(other)
        result.extend(self)
        return result

    def __iadd__(self, other: Iterable[object]) -> TOC:  # type: ignore[override]
        self.extend(other)
        return self

    def __sub__(self, other: Iterable[object]) -> TOC:
        drop = {_toc_tuple(entry)[0] for entry in other}
        return TOC(entry for entry in self if entry[0] not in drop)

    def __isub__(self, other: Iterable[object]) -> TOC:
        drop = {_toc_tuple(entry)[0] for entry in other}
        self[:] = [entry for entry in self if entry[0] not in drop]
        return self

    def copy(self) -> TOC:
        return TOC(self)


class Tree(TOC):
    """Every file under ``root`` as ``(prefix/relative path, absolute path, typecode)``.

    ``excludes`` are names or glob patterns matched against file and folder names; a matching
    folder is left out whole. A relative ``root`` is relative to the spec file's folder.
    """

    base: ClassVar[Path | None] = None  # set on the per-run subclass: the spec's folder

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        prefix: str | None = None,
        excludes: Sequence[str] | None = None,
        typecode: str = "DATA",
    ) -> None:
        super().__init__()
        if root is None:
            raise OptionsError(
                "Tree() needs a root folder", hint="e.g. Tree('assets', prefix='assets')"
            )
        base = self.base or Path.cwd()
        self.root = spec_path(base, str(root))
        self.prefix = (prefix or "").replace("\\", "/").strip("/")
        self.excludes = tuple(strings("Tree", "excludes", excludes))
        self.typecode = typecode
        if not self.root.is_dir():
            raise OptionsError(f"Tree root {self.root} is not a folder", hint="check the path")
        for path in sorted(_walk(self.root, self.excludes)):
            relative = path.relative_to(self.root).as_posix()
            name = posixpath.join(self.prefix, relative) if self.prefix else relative
            super().append((name, str(path), typecode))


def _walk(root: Path, excludes: Sequence[str]) -> Iterable[Path]:
    def excluded(name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in excludes)

    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not excluded(d))
        for name in files:
            if not excluded(name):
                yield Path(folder) / name


# -- datas= and binaries= of Analysis ----------------------------------------------------------


def spec_path(base: Path, value: str) -> Path:
    """``value`` (``/`` or ``\\`` separated, absolute or relative to ``base``), normalised."""
    return Path(os.path.normpath(base / value.replace("\\", "/")))


def _dest_dir(dest: str, source: str) -> str:
    value = posixpath.normpath(dest.replace("\\", "/")) if dest.strip() else "."
    if value.startswith("/") or value == ".." or value.startswith("../"):
        raise OptionsError(
            f"destination {dest!r} of {source!r} is absolute or climbs out of the top directory",
            hint="use a folder relative to the top directory, e.g. 'data' or '.'",
        )
    return "" if value == "." else value


def resolve_pairs(pairs: object, *, base: Path, kind: EntryKind, what: str) -> list[TocEntry]:
    """Expand ``(source, dest_dir)`` pairs (globs, whole folders) into TOC entries."""
    if pairs is None:
        return []
    if isinstance(pairs, str) or not isinstance(pairs, Iterable):
        raise OptionsError(f"{what}= must be a list of (source, destination) tuples, not {pairs!r}")
    entries: list[TocEntry] = []
    for pair in pairs:
        if not (
            isinstance(pair, Sequence)
            and not isinstance(pair, str)
            and len(pair) == 2
            and all(isinstance(p, str) for p in pair)
        ):
            raise OptionsError(
                f"{what}= entry {pair!r} is not a (source, destination) pair of strings",
                hint="e.g. ('src/README.txt', '.')",
            )
        source, dest = str(pair[0]), str(pair[1])
        dest_dir = _dest_dir(dest, source)
        pattern = spec_path(base, source)
        matches = (
            sorted(glob.glob(str(pattern)))
            if glob.has_magic(source)
            else ([str(pattern)] if pattern.exists() else [])
        )
        if not matches:
            raise OptionsError(
                f"{what} source {source!r} not found ({pattern})",
                hint="paths in a spec file are relative to the spec file's folder",
            )
        for match in matches:
            entries += _entries_for(Path(match), dest_dir, kind)
    return entries


def _entries_for(path: Path, dest_dir: str, kind: EntryKind) -> list[TocEntry]:
    if path.is_dir():
        files = sorted(p for p in _walk(path, ("__pycache__",)) if p.is_file())
        named = [(posixpath.join(dest_dir, p.relative_to(path).as_posix()), p) for p in files]
    else:
        named = [(posixpath.join(dest_dir, path.name), path)]
    return [
        TocEntry(name=name, kind=kind, source=str(source.absolute()), mode=_mode(source))
        for name, source in named
    ]


def _mode(path: Path) -> int:
    return 0o755 if os.access(path, os.X_OK) else 0o644


# -- mapping TOC tuples back to freezekit's values ---------------------------------------------


def to_entry(session: SpecSession, item: TocTuple) -> TocEntry:
    known = session.known.get(item)
    if isinstance(known, TocEntry):
        return known
    name, path, typecode = item
    kind = _KIND_OF_TYPECODE.get(typecode)
    if kind is None:
        raise OptionsError(
            f"TOC entry {item!r} has typecode {typecode!r}; expected BINARY, EXTENSION or DATA here"
        )
    if path is None or not Path(path).is_file():
        raise OptionsError(f"file {path!r} of TOC entry {name!r} not found")
    try:
        check_relative_name(posixpath.normpath(name.replace("\\", "/")))
    except ValueError as exc:
        raise OptionsError(f"TOC entry name {name!r}: {exc}") from exc
    return TocEntry(
        name=posixpath.normpath(name.replace("\\", "/")),
        kind=kind,
        source=str(Path(path).absolute()),
        mode=_mode(Path(path)),
    )


def to_module(session: SpecSession, item: TocTuple) -> PureModule:
    known = session.known.get(item)
    if isinstance(known, PureModule):
        return known
    name, path, _ = item
    if path is not None and not Path(path).is_file():
        raise OptionsError(f"source {path!r} of module {name!r} not found")
    source = Path(path) if path else None
    return PureModule(
        name=name, source=source, is_package=bool(source and source.stem == "__init__")
    )


def to_script(session: SpecSession, item: TocTuple) -> Path:
    known = session.known.get(item)
    if isinstance(known, Path):
        return known
    if item[1] is None or not Path(item[1]).is_file():
        raise OptionsError(f"script {item[1]!r} of TOC entry {item[0]!r} not found")
    return Path(item[1]).absolute()


def _entry_tuple(entry: TocEntry) -> TocTuple:
    return (entry.name, entry.source, _TYPECODE_OF_KIND.get(entry.kind, entry.kind.name))


# -- Analysis ----------------------------------------------------------------------------------

_ANALYSIS_KNOWN: dict[str, object] = {
    "scripts": None,
    "pathex": None,
    "binaries": None,
    "datas": None,
    "hiddenimports": None,
    "hookspath": None,
    "hooksconfig": None,
    "excludes": None,
    "runtime_hooks": None,
    "cipher": None,
    "win_no_prefer_redirects": False,
    "win_private_assemblies": False,
    "noarchive": False,
    "module_collection_mode": None,
    "optimize": None,
    # freezekit only
    "collect_submodules": None,
    "collect_data": None,
    "collect_binaries": None,
    "collect_all": None,
    "copy_metadata": None,
    "lean": True,
}
_ANALYSIS_IGNORED = {
    "hooksconfig": Ignored(why="hook options are not supported; write a hook in hookspath"),
    "cipher": Ignored(why="bytecode encryption is not supported (it protected nothing)"),
    "win_no_prefer_redirects": Ignored(why="Windows only"),
    "win_private_assemblies": Ignored(why="Windows only"),
    "noarchive": Ignored(why="modules always go into the PYZ"),
    "module_collection_mode": Ignored(why="modules are always collected as bytecode"),
    "optimize": Ignored(why="bytecode is kept at optimisation level 0", harmless=(None, 0, -1)),
}


class Analysis:
    """Analyse ``scripts``; exposes ``scripts``, ``pure``, ``binaries``, ``datas``,
    ``zipped_data``, ``zipfiles`` and (after MERGE) ``dependencies`` as TOC lists."""

    session: ClassVar[SpecSession]

    def __init__(self, *args: object, **kwargs: object) -> None:
        session = self.session
        values = bind(
            "Analysis", args, kwargs, positional=list(_ANALYSIS_KNOWN), known=_ANALYSIS_KNOWN
        )
        check_ignored(session, "Analysis", values, _ANALYSIS_IGNORED)
        base = session.context.spec_dir
        scripts = strings("Analysis", "scripts", values["scripts"])
        if not scripts:
            raise OptionsError("Analysis() needs at least one script", hint="Analysis(['app.py'])")
        paths = [spec_path(base, s) for s in scripts]
        for path in paths:
            if not path.is_file():
                raise OptionsError(
                    f"script {path} not found",
                    hint="scripts are relative to the spec file's folder",
                )
        lean = values["lean"]
        user_datas = resolve_pairs(values["datas"], base=base, kind=EntryKind.DATA, what="datas")
        user_binaries = resolve_pairs(
            values["binaries"], base=base, kind=EntryKind.BINARY, what="binaries"
        )
        self.options = replace(
            session.context.options,
            scripts=tuple(p.absolute() for p in paths),
            name=paths[0].stem,
            paths=tuple(
                spec_path(base, p) for p in strings("Analysis", "pathex", values["pathex"])
            ),
            hidden_imports=strings("Analysis", "hiddenimports", values["hiddenimports"]),
            excludes=strings("Analysis", "excludes", values["excludes"]),
            hooks_dirs=tuple(
                spec_path(base, p) for p in strings("Analysis", "hookspath", values["hookspath"])
            ),
            runtime_hooks=tuple(
                spec_path(base, p)
                for p in strings("Analysis", "runtime_hooks", values["runtime_hooks"])
            ),
            collect_submodules=strings(
                "Analysis", "collect_submodules", values["collect_submodules"]
            ),
            collect_data=strings("Analysis", "collect_data", values["collect_data"]),
            collect_binaries=strings("Analysis", "collect_binaries", values["collect_binaries"]),
            collect_all=strings("Analysis", "collect_all", values["collect_all"]),
            copy_metadata=strings("Analysis", "copy_metadata", values["copy_metadata"]),
            lean=flag("Analysis", "lean", lean),
            # user binaries go through the analysis so their own dependencies are found
            binaries=tuple(
                (str(e.source), posixpath.dirname(e.name) or ".") for e in user_binaries
            ),
            datas=(),
        )
        index = len(session.analyses)
        cache_dir = session.context.workdir / f"analysis-{index}-{paths[0].stem}"
        result = session.context.analyze(self.options, session.context.target, cache_dir)
        self.result = _with_user_files(result, user_binaries, user_datas)
        self._expose(session)
        session.analyses.append(self)

    def _expose(self, session: SpecSession) -> None:
        result = self.result
        self.scripts = TOC()
        for script in result.scripts:
            item: TocTuple = (script.stem, str(script), "PYSOURCE")
            session.known[item] = script
            self.scripts.append(item)
        self.pure = TOC()
        for module in result.pure:
            item = (module.name, str(module.source) if module.source else None, "PYMODULE")
            session.known[item] = module
            self.pure.append(item)
        self.binaries = TOC()
        self.datas = TOC()
        for entries, toc in ((result.binaries, self.binaries), (result.datas, self.datas)):
            for entry in entries:
                item = _entry_tuple(entry)
                session.known[item] = entry
                toc.append(item)
        self.zipped_data = TOC()
        self.zipfiles = TOC()
        self.dependencies = TOC()  # (dest, sibling executable, 'DEPENDENCY'), set by MERGE

    @property
    def externals(self) -> tuple[ExternalItem, ...]:
        return tuple(
            ExternalItem(dest=name, sibling=str(path)) for name, path, _ in self.dependencies
        )


def _with_user_files(
    result: AnalysisResult, binaries: Sequence[TocEntry], datas: Sequence[TocEntry]
) -> AnalysisResult:
    """Add the spec's own binaries (when the analysis did not place them) and datas."""
    have = {entry.name for entry in result.binaries}
    extra_binaries = tuple(entry for entry in binaries if entry.name not in have)
    have_datas = {entry.name for entry in result.datas}
    extra_datas = tuple(entry for entry in datas if entry.name not in have_datas)
    return replace(
        result,
        binaries=result.binaries + extra_binaries,
        datas=result.datas + extra_datas,
    )


# -- PYZ, EXE, COLLECT -------------------------------------------------------------------------


def _tocs(call: str, items: Iterable[object]) -> list[TocTuple]:
    found: list[TocTuple] = []
    for item in items:
        if isinstance(item, str) or not isinstance(item, Iterable):
            raise OptionsError(f"{call}() got {item!r}; expected a list of (name, path, typecode)")
        found += [_toc_tuple(entry) for entry in item]
    return found


class PYZ:
    """The module archive: records the PYMODULE entries of the lists it is given."""

    session: ClassVar[SpecSession]

    def __init__(self, *tocs: object, name: str | None = None, cipher: object = None) -> None:
        self.name = name
        self.modules: list[PureModule] = []
        for item in _tocs("PYZ", tocs):
            if item[2] != "PYMODULE":
                self.session.warn(
                    "PYZ(): leaving out %r (typecode %s is not PYMODULE)", item[0], item[2]
                )
                continue
            self.modules.append(to_module(self.session, item))
        self.toc = TOC(
            (m.name, str(m.source) if m.source else None, "PYMODULE") for m in self.modules
        )


_EXE_KNOWN: dict[str, object] = {
    "name": None,
    "console": True,
    "debug": False,
    "strip": None,
    "upx": False,
    "upx_exclude": None,
    "runtime_tmpdir": None,
    "exclude_binaries": False,
    "bootloader_ignore_signals": False,
    "disable_windowed_traceback": False,
    "argv_emulation": False,
    "target_arch": None,
    "codesign_identity": None,
    "entitlements_file": None,
    "icon": None,
    "version": None,
    "uac_admin": False,
    "uac_uiaccess": False,
    "manifest": None,
    "embed_manifest": True,
    "resources": None,
    "contents_directory": None,
    "hide_console": None,
    "append_pkg": True,
    "win_no_prefer_redirects": False,
    "win_private_assemblies": False,
    "cipher": None,
    # freezekit only
    "onefile_extract": "temp",
    "smoke_probes": True,
    "reset_subprocess_env": False,
    "compression_level": None,
}
_WINDOWS_ONLY = "Windows only"
_EXE_IGNORED = {
    "debug": Ignored(why="use the run-time option ('v', None, 'OPTION') and --log-level DEBUG"),
    "upx": Ignored(why="UPX is never used", harmless=(None, False, True)),
    "upx_exclude": Ignored(why="UPX is never used", harmless=(None, False, (), "")),
    "bootloader_ignore_signals": Ignored(why="the onefile parent always forwards signals"),
    "disable_windowed_traceback": Ignored(why="windowed tracebacks go to the null stream"),
    "argv_emulation": Ignored(why="macOS only"),
    "codesign_identity": Ignored(why="macOS only"),
    "entitlements_file": Ignored(why="macOS only"),
    "icon": Ignored(
        why="icons are used on Windows and macOS only (BUNDLE(icon=...))",
        harmless=(None, "", "NONE"),
    ),
    "version": Ignored(why=_WINDOWS_ONLY),
    "uac_admin": Ignored(why=_WINDOWS_ONLY),
    "uac_uiaccess": Ignored(why=_WINDOWS_ONLY),
    "manifest": Ignored(why=_WINDOWS_ONLY),
    "embed_manifest": Ignored(why=_WINDOWS_ONLY, harmless=(None, True, False)),
    "resources": Ignored(why=_WINDOWS_ONLY),
    "hide_console": Ignored(why=_WINDOWS_ONLY),
    "win_no_prefer_redirects": Ignored(why=_WINDOWS_ONLY),
    "win_private_assemblies": Ignored(why=_WINDOWS_ONLY),
    "append_pkg": Ignored(why="the archive is always appended", harmless=(True,)),
    "contents_directory": Ignored(
        why="the top directory is always _internal", harmless=(None, "_internal")
    ),
    "cipher": Ignored(why="bytecode encryption is not supported (it protected nothing)"),
}


class EXE:
    """The executable: a PYZ, the scripts, run-time options and (onefile) binaries and datas."""

    session: ClassVar[SpecSession]

    def __init__(self, *args: object, **kwargs: object) -> None:
        session = self.session
        values = bind("EXE", (), kwargs, positional=(), known=_EXE_KNOWN)
        check_ignored(session, "EXE", values, _EXE_IGNORED)
        arch = values["target_arch"]
        if arch not in (None, session.context.target.machine):
            session.warn(
                "ignoring EXE(target_arch=%r): the target is the Python that builds "
                "(use --python with an interpreter of that architecture)",
                arch,
            )
        self.name = optional_string("EXE", "name", values["name"]) or session.context.specnm
        self.console = flag("EXE", "console", values["console"])
        strip = values["strip"]
        self.strip = None if strip is None else flag("EXE", "strip", strip)
        self.runtime_tmpdir = optional_string("EXE", "runtime_tmpdir", values["runtime_tmpdir"])
        self.exclude_binaries = flag("EXE", "exclude_binaries", values["exclude_binaries"])
        self.onefile_extract = optional_string("EXE", "onefile_extract", values["onefile_extract"])
        if self.onefile_extract not in ("temp", "temp-all", "cache"):
            raise OptionsError(
                f"EXE(onefile_extract={self.onefile_extract!r}) must be 'temp', 'temp-all' "
                "or 'cache'"
            )
        self.smoke_probes = flag("EXE", "smoke_probes", values["smoke_probes"])
        self.reset_subprocess_env = flag(
            "EXE", "reset_subprocess_env", values["reset_subprocess_env"]
        )
        level = values["compression_level"]
        if level is not None and not (isinstance(level, int) and 1 <= level <= 22):
            raise OptionsError(f"EXE(compression_level={level!r}) must be a number from 1 to 22")
        self.compression_level: int | None = level
        icon = values["icon"]
        if isinstance(icon, (list, tuple)) and icon:  # PyInstaller 6 writes icon=['app.ico']
            icon = icon[0]
        self.icon = icon if isinstance(icon, str) else None
        self.pyz: PYZ | None = None
        self.entries: list[TocTuple] = []
        for arg in args:
            if isinstance(arg, PYZ):
                if self.pyz is not None:
                    raise OptionsError("EXE() got two PYZ archives", hint="pass one PYZ(a.pure)")
                self.pyz = arg
            else:
                self.entries += _tocs("EXE", [arg])
        if self.pyz is None:
            raise OptionsError("EXE() needs a PYZ", hint="EXE(pyz, a.scripts, ...)")
        self.scripts = [e for e in self.entries if e[2] == "PYSOURCE"]
        if not self.scripts:
            raise OptionsError("EXE() got no script", hint="EXE(pyz, a.scripts, ...)")
        self.options = tuple(
            check_python_option(e[0])
            for e in self.entries
            if e[2] == "OPTION" and not _pyi_option(session, e[0])
        )
        self.line = session.line()
        session.exes.append(self)

    def files(self) -> list[TocTuple]:
        """The binaries and datas passed to this EXE (unless exclude_binaries)."""
        if self.exclude_binaries:
            return []
        return [
            e for e in self.entries if e[2] not in ("PYSOURCE", "OPTION", "DEPENDENCY", "PYMODULE")
        ]

    def dependencies(self) -> list[TocTuple]:
        return [e for e in self.entries if e[2] == "DEPENDENCY"]


def _pyi_option(session: SpecSession, name: str) -> bool:
    """PyInstaller's own ``pyi-...`` bootloader options: accepted and ignored."""
    if name.startswith("pyi-"):
        session.warn(
            "ignoring run-time option %r: it is specific to PyInstaller's bootloader", name
        )
        return True
    return False


class COLLECT:
    """The onedir folder: one EXE plus the binaries and datas lists."""

    session: ClassVar[SpecSession]

    def __init__(self, *args: object, **kwargs: object) -> None:
        session = self.session
        values = bind(
            "COLLECT",
            (),
            kwargs,
            positional=(),
            known={"name": None, "strip": None, "upx": False, "upx_exclude": None},
        )
        check_ignored(
            session,
            "COLLECT",
            values,
            {"upx": _EXE_IGNORED["upx"], "upx_exclude": _EXE_IGNORED["upx_exclude"]},
        )
        exes = [arg for arg in args if isinstance(arg, EXE)]
        if len(exes) != 1:
            raise OptionsError(
                f"COLLECT() needs exactly one EXE, got {len(exes)}",
                hint="COLLECT(exe, a.binaries, a.datas, name=...)",
            )
        self.exe = exes[0]
        self.name = optional_string("COLLECT", "name", values["name"]) or self.exe.name
        strip = values["strip"]
        self.strip = None if strip is None else flag("COLLECT", "strip", strip)
        self.entries = _tocs("COLLECT", [a for a in args if not isinstance(a, (EXE, PYZ))])
        session.collects.append(self)


# -- MERGE and BUNDLE --------------------------------------------------------------------------


def MERGE(*apps: object) -> None:  # noqa: N802  # the spec's name
    """Store each shared binary and data file once, in the first app that needs it."""
    session = _session_of(apps)
    triples: list[tuple[Analysis, str, str]] = []
    for app in apps:
        if not (
            isinstance(app, tuple)
            and len(app) == 3
            and isinstance(app[0], Analysis)
            and isinstance(app[1], str)
            and isinstance(app[2], str)
        ):
            raise OptionsError(
                f"MERGE() argument {app!r} is not (analysis, script name, executable name)",
                hint="MERGE((foo_a, 'foo', 'foo'), (bar_a, 'bar', 'bar'))",
            )
        triples.append(app)
    shares = plan_merge(
        [
            MergeApp(
                name=exe_name,
                files=tuple(
                    (name, str(path))
                    for name, path, _ in [*analysis.binaries, *analysis.datas]
                    if path
                ),
            )
            for analysis, _, exe_name in triples
        ]
    )
    for (analysis, _, _), share in zip(triples, shares, strict=True):
        dropped = {ext.dest for ext in share.externals}
        analysis.binaries[:] = [e for e in analysis.binaries if e[0] not in dropped]
        analysis.datas[:] = [e for e in analysis.datas if e[0] not in dropped]
        analysis.dependencies.extend(
            (ext.dest, ext.sibling, "DEPENDENCY") for ext in share.externals
        )
        if share.externals:
            logger.info(
                "MERGE: %s refers to %d files of its siblings", share.name, len(share.externals)
            )
    session.merged = True


def _session_of(apps: Sequence[object]) -> SpecSession:
    for app in apps:
        if isinstance(app, tuple) and app and isinstance(app[0], Analysis):
            return app[0].session
    raise OptionsError(
        "MERGE() needs (analysis, script name, executable name) tuples",
        hint="MERGE((foo_a, 'foo', 'foo'), (bar_a, 'bar', 'bar'))",
    )


class BUNDLE:
    """A macOS ``.app`` folder around an EXE (onefile) or a COLLECT (onedir)."""

    session: ClassVar[SpecSession]

    def __init__(self, *args: object, **kwargs: object) -> None:
        session = self.session
        values = bind(
            "BUNDLE",
            (),
            kwargs,
            positional=(),
            known={
                "name": None,
                "icon": None,
                "bundle_identifier": None,
                "info_plist": None,
                "version": None,
                "codesign_identity": None,
                "entitlements_file": None,
                "strip": None,
                "upx": False,
                "upx_exclude": None,
            },
        )
        check_ignored(
            session,
            "BUNDLE",
            values,
            {
                "codesign_identity": Ignored(why="signing is done after the build (codesign)"),
                "entitlements_file": Ignored(why="signing is done after the build (codesign)"),
                "upx": _EXE_IGNORED["upx"],
                "upx_exclude": _EXE_IGNORED["upx_exclude"],
            },
        )
        targets = [a for a in args if isinstance(a, (EXE, COLLECT))]
        if not targets:
            raise OptionsError(
                "BUNDLE() needs an EXE or a COLLECT", hint="BUNDLE(coll, name='App.app')"
            )
        collects = [a for a in targets if isinstance(a, COLLECT)]
        self.target: EXE | COLLECT = collects[0] if collects else targets[0]
        default = self.target.name + ".app"
        self.name = optional_string("BUNDLE", "name", values["name"]) or default
        if not self.name.endswith(".app"):
            self.name += ".app"
        self.icon = optional_string("BUNDLE", "icon", values["icon"])
        if self.icon:
            icon = session.context.spec_dir / self.icon
            if not icon.is_file():
                raise OptionsError(f"BUNDLE icon {self.icon!r} not found ({icon})")
            self.icon = str(icon)
        self.bundle_identifier = optional_string(
            "BUNDLE", "bundle_identifier", values["bundle_identifier"]
        )
        self.version = optional_string("BUNDLE", "version", values["version"])
        plist = values["info_plist"] or {}
        if not isinstance(plist, dict) or not all(isinstance(k, str) for k in plist):
            raise OptionsError(
                f"BUNDLE(info_plist=...) must be a dict with string keys, not {plist!r}"
            )
        self.info_plist: dict[str, object] = dict(plist)
        session.bundles.append(self)


class Splash:
    """PyInstaller's splash screen: not implemented."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise OptionsError(
            "Splash() is not supported: splash screens are not implemented",
            hint="remove the Splash(...) call and its use in EXE()",
        )


def make_globals(session: SpecSession) -> dict[str, object]:
    """The namespace a spec runs in, bound to ``session``."""
    context = session.context
    bound = {"session": session}
    tree_base: dict[str, object] = {"base": context.spec_dir}
    workdir = context.workdir
    return {
        "__name__": "__main__",
        "__file__": str(context.spec),
        "__builtins__": builtins,
        "os": os,
        "sys": sys,
        "Analysis": type("Analysis", (Analysis,), bound),
        "PYZ": type("PYZ", (PYZ,), bound),
        "EXE": type("EXE", (EXE,), bound),
        "COLLECT": type("COLLECT", (COLLECT,), bound),
        "BUNDLE": type("BUNDLE", (BUNDLE,), bound),
        "MERGE": MERGE,
        "TOC": TOC,
        "Tree": type("Tree", (Tree,), tree_base),
        "Splash": Splash,
        "DISTPATH": str(context.options.distpath.absolute()),
        "HOMEPATH": str(Path(__file__).resolve().parent.parent),
        "SPEC": str(context.spec),
        "SPECPATH": str(context.spec_dir),
        "specnm": context.specnm,
        "workpath": str(workdir),
        "WARNFILE": str(workdir / f"warn-{context.specnm}.txt"),
    }
