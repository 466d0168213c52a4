"""Run a spec file: ``build_spec(path, args)`` executes it with the globals of
``freezekit.spec.api`` and then builds what it recorded, each app once.

``run(path, context)`` only executes the spec (the analysis runs inside, through the context)
and returns the records; ``plan_apps`` turns them into one ``AppPlan`` per app (pure); the
build stages of ``freezekit.stages`` then compile and assemble each app.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from freezekit.analysis import AnalysisResult, analyze, write_warnings
from freezekit.assemble.app_bundle import BundleSettings, write_bundle
from freezekit.assemble.collect import assemble, check_output_writable
from freezekit.assemble.merge import external_links, missing_siblings
from freezekit.assemble.plan import CollectPlan, ExternalItem
from freezekit.build import BuildResult, check_existing_output
from freezekit.errors import FreezekitError, OptionsError
from freezekit.log import NullReporter, Reporter
from freezekit.option_table import BUILD_FLAGS, MACHINE_DESTS, OPTIONS, flag_dest, long_name
from freezekit.options import BuildOptions, Extract, Mode
from freezekit.platforms import Target, resolve_target
from freezekit.spec.api import (
    COLLECT,
    EXE,
    Analysis,
    SpecContext,
    SpecSession,
    TocTuple,
    make_globals,
    to_entry,
    to_script,
)
from freezekit.spec.makespec import write_spec
from freezekit.stages import compile_all, find_bootloader, finish, measure, plan_build
from freezekit.toc import EntryKind, TocEntry

__all__ = ["SPEC_EFFECTIVE", "AppPlan", "build_spec", "plan_apps", "run", "write_spec"]

logger = logging.getLogger(__name__)

# Flags that take effect when building from a spec: those that describe the build machine in the
# option table (the chapter's list, plus --log-level, --clean, -q, -v and the machine's choices
# that a spec cannot encode: --python, --bootloader, --target).
SPEC_EFFECTIVE = tuple(sorted(MACHINE_DESTS))
_NOT_FLAGS = frozenset({"command", "scripts", "traceback", "quiet", "verbose"})  # not the app
_FLAG_SPELLING = {"mode": "--onefile/--onedir", "windowed": "--windowed/--console"}


@dataclass(frozen=True, kw_only=True)
class AppPlan:
    """One app a spec builds: its options, its (filtered) analysis and its MERGE references."""

    options: BuildOptions
    analysis: AnalysisResult
    externals: tuple[ExternalItem, ...]
    folder: str  # the dist name: COLLECT's name (onedir) or the executable's (onefile)


@dataclass(frozen=True, kw_only=True)
class BundlePlan:
    app: str  # the name of the app it wraps
    settings: BundleSettings


# -- running the spec --------------------------------------------------------------------------


def run(path: Path, context: SpecContext) -> SpecSession:
    """Execute the spec file; errors name the spec file and line."""
    session = SpecSession(context=context)
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise OptionsError(f"cannot read spec file {path}: {exc.strerror}") from exc
    try:
        code = compile(source, str(context.spec), "exec")
    except SyntaxError as exc:
        raise OptionsError(
            f"{path.name}:{exc.lineno}: invalid spec file: {exc.msg}",
            hint="a spec file is Python code; fix the syntax error",
        ) from exc
    namespace = make_globals(session)
    try:
        exec(code, namespace)
    except FreezekitError as exc:
        raise type(exc)(f"{_where(exc, context)}: {exc.message}", hint=exc.hint) from exc
    except SystemExit as exc:
        raise OptionsError(
            f"{_where(exc, context)}: the spec called sys.exit({exc.code!r})"
        ) from exc
    except Exception as exc:  # the spec is user code: report any failure with its place
        raise OptionsError(
            f"{_where(exc, context)}: the spec raised {type(exc).__name__}: {exc}",
            hint="fix the spec file (--traceback shows the full traceback)",
        ) from exc
    return session


def _where(exc: BaseException, context: SpecContext) -> str:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(context.spec):
            line = frame.lineno
    return f"{context.spec.name}:{line}" if line else context.spec.name


# -- from records to apps (pure) ---------------------------------------------------------------


def plan_apps(session: SpecSession) -> tuple[list[AppPlan], list[BundlePlan]]:
    """One AppPlan per EXE: onedir when a COLLECT takes the EXE, else onefile."""
    collect_of = {id(c.exe): c for c in session.collects}
    apps = [_plan_app(session, exe, collect_of.get(id(exe))) for exe in session.exes]
    names = [app.options.name for app in apps]
    for name in names:
        if names.count(name) > 1:
            raise OptionsError(
                f"two apps of {session.context.spec.name} are named {name!r}",
                hint="give each EXE its own name=",
            )
    bundles = [
        BundlePlan(
            app=bundle.target.name if isinstance(bundle.target, EXE) else bundle.target.exe.name,
            settings=BundleSettings(
                name=bundle.name,
                icon=Path(bundle.icon) if bundle.icon else None,
                bundle_identifier=bundle.bundle_identifier,
                version=bundle.version,
                info_plist=bundle.info_plist,
            ),
        )
        for bundle in session.bundles
    ]
    return apps, bundles


def _plan_app(session: SpecSession, exe: EXE, collect: COLLECT | None) -> AppPlan:
    assert exe.pyz is not None
    analysis = _analysis_of(session, exe)
    entries = exe.files() + (collect.entries if collect else [])
    binaries, datas, dependencies = _split_files(session, entries)
    mode = Mode.ONEDIR if collect else Mode.ONEFILE
    strip = collect.strip if collect and collect.strip is not None else exe.strip
    options = replace(
        analysis.options,
        name=exe.name,
        mode=mode,
        windowed=not exe.console,
        strip=analysis.options.strip if strip is None else strip,
        runtime_tmpdir=exe.runtime_tmpdir,
        onefile_extract=Extract(exe.onefile_extract),
        python_options=exe.options,
        smoke_probes=exe.smoke_probes,
        reset_subprocess_env=exe.reset_subprocess_env,
        compression_level=exe.compression_level or analysis.options.compression_level,
        icon=exe.icon,
    )
    externals = {e.dest: e for e in analysis.externals}
    for name, sibling, _ in [*exe.dependencies(), *dependencies]:
        externals.setdefault(name, ExternalItem(dest=name, sibling=str(sibling)))
    result = replace(
        analysis.result,
        scripts=tuple(to_script(session, item) for item in exe.scripts),
        pure=tuple(sorted(exe.pyz.modules, key=lambda m: m.name)),
        binaries=tuple(binaries),
        datas=tuple(datas),
    )
    return AppPlan(
        folder=collect.name if collect else exe.name,
        options=options,
        analysis=result,
        externals=tuple(sorted(externals.values(), key=lambda e: e.dest)),
    )


def _analysis_of(session: SpecSession, exe: EXE) -> Analysis:
    """The Analysis whose scripts this EXE runs (its options and start-up modules apply)."""
    wanted = {to_script(session, item) for item in exe.scripts}
    for analysis in session.analyses:
        if wanted <= set(analysis.result.scripts):
            return analysis
    if len(session.analyses) == 1:
        return session.analyses[0]
    raise OptionsError(
        f"cannot tell which Analysis the scripts of EXE(name={exe.name!r}) come from",
        hint="pass the scripts of one Analysis: EXE(pyz, a.scripts, ...)",
    )


def _split_files(
    session: SpecSession, entries: Sequence[TocTuple]
) -> tuple[list[TocEntry], list[TocEntry], list[TocTuple]]:
    binaries: list[TocEntry] = []
    datas: list[TocEntry] = []
    dependencies: list[TocTuple] = []
    seen: set[str] = set()
    for item in entries:
        if item[2] == "DEPENDENCY":
            dependencies.append(item)
            continue
        if item[2] in ("PYSOURCE", "PYMODULE", "OPTION"):
            session.warn("ignoring %r in COLLECT(): %s entries belong in EXE/PYZ", item[0], item[2])
            continue
        entry = to_entry(session, item)
        if entry.name in seen:
            continue
        seen.add(entry.name)
        is_data = entry.kind in (EntryKind.DATA, EntryKind.SYMLINK)  # links: kept data links
        (datas if is_data else binaries).append(entry)
    return binaries, datas, dependencies


# -- the build ---------------------------------------------------------------------------------


def ignored_flags(args: argparse.Namespace) -> list[str]:
    """Flags given on the command line that a spec build does not use."""
    given = sorted(set(vars(args)) - _NOT_FLAGS - set(SPEC_EFFECTIVE))
    return [_FLAG_SPELLING.get(dest) or _spelling(dest) for dest in given]


def _spelling(dest: str) -> str:
    """The long spellings of the flags that set ``dest`` (--no-lean for lean, ...)."""
    names = [long_name(flag) for flag in BUILD_FLAGS if flag_dest(flag) == dest]
    return "/".join(names) or "--" + dest.replace("_", "-")


def machine_options(args: argparse.Namespace, *, keep_empty: bool = False) -> dict[str, object]:
    """Field -> value for the flags given that describe the build machine (the option table's
    ``machine`` rows: --distpath, --workpath, -y, --clean, --python, --bootloader, --target);
    an empty value (``--distpath ''``) counts only with ``keep_empty``."""
    values: dict[str, object] = {}
    for option in OPTIONS:
        dest = option.dest
        if not option.machine or option.field is None or option.kind is None or dest is None:
            continue
        value = getattr(args, dest, None)
        if value is None or (value == "" and not keep_empty):
            continue
        values[option.field] = option.kind.cli(value, option.flags[0].names[-1])
    return values


def spec_options(path: Path, args: argparse.Namespace) -> BuildOptions:
    """The build-environment settings a spec build takes from the command line."""
    return BuildOptions(scripts=(), name=path.stem, **machine_options(args, keep_empty=True))  # type: ignore[arg-type]  # by the table


def build_spec(
    path: Path, args: argparse.Namespace, *, reporter: Reporter | None = None
) -> list[BuildResult]:
    """Run the spec file at ``path`` and build every app it declares."""
    reporter = reporter or NullReporter()
    for spelling in ignored_flags(args):
        logger.warning(
            "ignoring %s: building from %s uses the options written in the spec file "
            "(edit the spec to change them)",
            spelling,
            path.name,
        )
    if not path.is_file():
        raise OptionsError(f"spec file {path} not found")
    options = spec_options(path, args)
    target = resolve_target(options.python)  # first: a bad interpreter is reported as such
    check_output_writable(options.distpath)
    context = SpecContext(
        spec=path.absolute(), options=options, target=target, analyze=_staged_analyze(reporter)
    )
    if options.clean and context.workdir.exists():
        shutil.rmtree(context.workdir)
    context.workdir.mkdir(parents=True, exist_ok=True)
    session = run(path, context)
    for index, analysis in enumerate(session.analyses):
        suffix = f"-{index}" if index else ""
        write_warnings(analysis.result, context.workdir / f"warn-{context.specnm}{suffix}.txt")
    apps, bundles = plan_apps(session)
    if not apps:
        raise OptionsError(f"{path.name} declares no EXE", hint="add EXE(pyz, a.scripts, ...)")
    for app in apps:
        check_existing_output(replace(app.options, name=app.folder))
    results = [build_app(app, target, workdir=context.workdir, reporter=reporter) for app in apps]
    _check_merge(apps, results)
    by_name = {r.executable.name: r for r in results}
    for bundle in bundles:
        results.append(_build_bundle(bundle, by_name[bundle.app], options.distpath))
    return results


def _staged_analyze(reporter: Reporter) -> Callable[[BuildOptions, Target, Path], AnalysisResult]:
    def stage(options: BuildOptions, target: Target, cache_dir: Path) -> AnalysisResult:
        with reporter.stage("analysis") as notes:
            result = analyze(options, target, cache_dir=cache_dir)
            notes.summary = f"{options.name}: {result.summary()}"
        return result

    return stage


def build_app(app: AppPlan, target: Target, *, workdir: Path, reporter: Reporter) -> BuildResult:
    """Compile, plan and assemble one app of a spec (the stages of ``freezekit.stages``)."""
    options = app.options
    appdir = workdir / options.name
    appdir.mkdir(parents=True, exist_ok=True)
    with reporter.stage("bytecode") as notes:
        code = compile_all(options, app.analysis, target, workdir=appdir)
        notes.summary = f"{options.name}: {len(code)} code objects"
    with reporter.stage("archive") as notes:
        plan = plan_build(
            options, app.analysis, code, target, workdir=appdir, externals=app.externals
        )
        if options.mode is Mode.ONEDIR and app.externals:
            plan = replace(plan, links=plan.links + external_links(app.externals))
        notes.summary = (
            f"{options.name}: {len(plan.files)} files, {len(plan.links)} links, "
            f"{len(plan.externals)} in siblings"
        )
    with reporter.stage("assemble") as notes:
        bootloader = options.bootloader or find_bootloader(target, windowed=options.windowed)
        output = _assemble_as(app.folder, plan, bootloader, options.distpath)
        notes.summary = str(output)
    return finish(output, options, target=target, analysis=app.analysis, reporter=reporter)


def _assemble_as(folder: str, plan: CollectPlan, bootloader: Path, distpath: Path) -> Path:
    """Assemble; a onedir folder named unlike its executable (COLLECT(name=...)) is assembled
    in a staging folder of ``distpath`` and renamed into place."""
    if folder == plan.name:
        return assemble(plan, bootloader, distpath)
    stage = distpath / f".{folder}.stage-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        built = assemble(plan, bootloader, stage)
        final = distpath / folder
        if final.is_dir() and not final.is_symlink():
            shutil.rmtree(final)
        elif final.exists() or final.is_symlink():
            final.unlink()
        os.rename(built, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return final


def _check_merge(apps: Sequence[AppPlan], results: Sequence[BuildResult]) -> None:
    for app, result in zip(apps, results, strict=True):
        if app.options.mode is Mode.ONEDIR and app.externals:
            missing = missing_siblings(result.output, app.externals)
            if missing:
                logger.warning(
                    "%s refers to files no sibling app provides: %s",
                    app.options.name,
                    ", ".join(missing[:5]),
                )


def _build_bundle(bundle: BundlePlan, app: BuildResult, distpath: Path) -> BuildResult:
    mode = Mode.ONEFILE if app.output == app.executable else Mode.ONEDIR
    output = write_bundle(
        app.output,
        mode=mode,
        executable=app.executable.name,
        settings=bundle.settings,
        distpath=distpath,
    )
    size, count = measure(output)
    logger.info("bundle: %s (%.1f MB; runs on macOS only)", output, size / 1e6)
    return replace(
        app,
        output=output,
        executable=output / "Contents" / "MacOS" / app.executable.name,
        size=size,
        file_count=count,
    )
