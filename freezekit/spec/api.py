"""The build steps of a spec file: Analysis, PYZ, EXE, COLLECT, MERGE, BUNDLE, and its globals.

They are thin. ``Analysis(...)`` runs the analysis stage (through the context) and exposes
plain PyInstaller-style lists of ``(name, path, typecode)`` that the spec may filter; ``PYZ``,
``EXE``, ``COLLECT``, ``MERGE`` and ``BUNDLE`` only record what to assemble. ``freezekit.spec.run``
turns the records into builds once the spec has run.

The classes the spec sees are subclasses made per run by ``make_globals``, bound to one
``SpecSession`` (the context plus the records); nothing here is module-level state.
``TOC``, ``Tree`` and the ``datas=`` pairs live in ``freezekit.spec.toc``; the keyword tables
and checks live in ``freezekit.spec.keywords``. Both are re-exported here.
"""

from __future__ import annotations

import builtins
import logging
import os
import posixpath
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from freezekit.analysis import AnalysisResult, PureModule
from freezekit.assemble.merge import MergeApp, plan_merge
from freezekit.assemble.plan import ExternalItem
from freezekit.errors import OptionsError
from freezekit.option_table import own_spec_lists
from freezekit.options import BuildOptions
from freezekit.platforms import Target
from freezekit.spec.keywords import (
    ANALYSIS_IGNORED,
    ANALYSIS_KNOWN,
    BUNDLE_IGNORED,
    BUNDLE_KNOWN,
    COLLECT_IGNORED,
    COLLECT_KNOWN,
    EXE_IGNORED,
    EXE_KNOWN,
    Ignored,
    bind,
    check_ignored,
    check_python_option,
    flag,
    hooks_config,
    optimize_level,
    optional_string,
    strings,
)
from freezekit.spec.toc import (
    KIND_OF_TYPECODE,
    TOC,
    TocTuple,
    Tree,
    entry_tuple,
    file_mode,
    resolve_pairs,
    spec_path,
    toc_tuple,
)
from freezekit.toc import EntryKind, TocEntry, check_relative_name

__all__ = [
    "BUNDLE",
    "COLLECT",
    "EXE",
    "MERGE",
    "PYZ",
    "TOC",
    "Analysis",
    "Analyzer",
    "Ignored",
    "SpecContext",
    "SpecSession",
    "Splash",
    "TocTuple",
    "Tree",
    "bind",
    "check_ignored",
    "check_python_option",
    "flag",
    "make_globals",
    "optional_string",
    "resolve_pairs",
    "spec_path",
    "strings",
    "to_entry",
    "to_module",
    "to_script",
]

logger = logging.getLogger(__name__)

Analyzer = Callable[[BuildOptions, Target, Path], AnalysisResult]


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


# -- mapping TOC tuples back to freezekit's values ---------------------------------------------


def to_entry(session: SpecSession, item: TocTuple) -> TocEntry:
    known = session.known.get(item)
    if isinstance(known, TocEntry):
        return known
    name, path, typecode = item
    kind = KIND_OF_TYPECODE.get(typecode)
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
        mode=file_mode(Path(path)),
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


# -- Analysis ----------------------------------------------------------------------------------


class Analysis:
    """Analyse ``scripts``; exposes ``scripts``, ``pure``, ``binaries``, ``datas``,
    ``zipped_data``, ``zipfiles`` and (after MERGE) ``dependencies`` as TOC lists."""

    session: ClassVar[SpecSession]

    def __init__(self, *args: object, **kwargs: object) -> None:
        session = self.session
        values = bind(
            "Analysis", args, kwargs, positional=list(ANALYSIS_KNOWN), known=ANALYSIS_KNOWN
        )
        check_ignored(session, "Analysis", values, ANALYSIS_IGNORED)
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
            hooks_config=hooks_config("Analysis", values["hooksconfig"]),
            **_own_lists(values),  # type: ignore[arg-type]  # list fields: collect_data=, ...
            lean=flag("Analysis", "lean", lean),
            optimize=optimize_level("Analysis", values["optimize"]),
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
                item = entry_tuple(entry)
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


def _own_lists(values: dict[str, object]) -> dict[str, tuple[str, ...]]:
    """The lists of names freezekit adds to Analysis (``collect_data=``, ...; the option
    table's rows): each sets the field of the same name."""
    return {key: strings("Analysis", key, values[key]) for key in own_spec_lists("Analysis")}


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
        found += [toc_tuple(entry) for entry in item]
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


class EXE:
    """The executable: a PYZ, the scripts, run-time options and (onefile) binaries and datas."""

    session: ClassVar[SpecSession]

    def __init__(self, *args: object, **kwargs: object) -> None:
        session = self.session
        values = bind("EXE", (), kwargs, positional=(), known=EXE_KNOWN)
        check_ignored(session, "EXE", values, EXE_IGNORED)
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
        values = bind("COLLECT", (), kwargs, positional=(), known=COLLECT_KNOWN)
        check_ignored(session, "COLLECT", values, COLLECT_IGNORED)
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
        values = bind("BUNDLE", (), kwargs, positional=(), known=BUNDLE_KNOWN)
        check_ignored(session, "BUNDLE", values, BUNDLE_IGNORED)
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
        "HOMEPATH": str(Path(__file__).resolve().parents[2]),
        "SPEC": str(context.spec),
        "SPECPATH": str(context.spec_dir),
        "specnm": context.specnm,
        "workpath": str(workdir),
        "WARNFILE": str(workdir / f"warn-{context.specnm}.txt"),
    }
