"""build(options): calls the stages in order, nothing else."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import posixpath
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from freezekit import __version__
from freezekit.analysis import AnalysisResult, PureModule, analyze, write_warnings
from freezekit.archive.bytecode import SourceUnit, compile_units
from freezekit.archive.pkg import PkgHeader, PkgItem
from freezekit.archive.pyz import CompiledModule, write_pyz
from freezekit.assemble.collect import assemble, check_output_writable
from freezekit.assemble.lazy import lazy_table
from freezekit.assemble.plan import (
    CollectPlan,
    ExternalItem,
    FileItem,
    dedupe_files,
    option_items,
    trailer_flags,
)
from freezekit.errors import AssembleError, OptionsError
from freezekit.log import NullReporter, Reporter
from freezekit.options import BuildOptions, Extract, Mode
from freezekit.platforms import Target, resolve_target
from freezekit.report import size_report, write_report_json
from freezekit.toc import EntryKind, TocEntry

logger = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).resolve().parent / "runtime" / "_bootstrap.py"
BASE_LIBRARY = "base_library.zip"


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    output: Path  # dist/app (a folder for onedir, the file for onefile)
    executable: Path
    target: Target
    analysis: AnalysisResult
    size: int  # bytes of everything produced
    file_count: int


def build(options: BuildOptions, *, reporter: Reporter | None = None) -> BuildResult:
    """Freeze ``options.scripts`` into ``options.distpath``; the one public entry point."""
    reporter = reporter or NullReporter()
    check_scripts(options.scripts)
    check_output_writable(options.distpath)
    check_existing_output(options)
    workdir = options.workpath / options.name
    if options.clean and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    target = resolve_target(options.python)
    with reporter.stage("analysis") as notes:
        analysis = analyze(options, target, cache_dir=workdir)
        write_warnings(analysis, workdir / f"warn-{options.name}.txt")
        notes.summary = (
            f"{len(analysis.pure) + len(analysis.startup)} modules, "
            f"{len(analysis.binaries)} binaries, {len(analysis.datas)} data files, "
            f"{len(analysis.missing)} missing"
        )
    with reporter.stage("bootloader") as notes:
        bootloader = options.bootloader or find_bootloader(target, windowed=options.windowed)
        notes.summary = str(bootloader.name)
    stamp = input_stamp(options, analysis, target, bootloader)
    if is_up_to_date(workdir, stamp, options.dist_dir):
        with reporter.stage("assemble") as notes:
            notes.summary = f"{options.dist_dir} is up to date"
        return finish(
            options.dist_dir, options, target=target, analysis=analysis, reporter=reporter
        )
    with reporter.stage("bytecode") as notes:
        code = compile_all(options, analysis, target, workdir=workdir)
        notes.summary = f"{len(code)} code objects"
    with reporter.stage("archive") as notes:
        plan = plan_build(options, analysis, code, target, workdir=workdir)
        notes.summary = f"{len(plan.files)} files, {len(plan.links)} links"
    with reporter.stage("assemble") as notes:
        output = assemble(plan, bootloader, options.distpath)
        notes.summary = str(output)
    write_stamp(workdir, stamp, output)
    return finish(output, options, target=target, analysis=analysis, reporter=reporter)


STAMP = "build-stamp.json"


def _file_state(path: Path) -> list[object]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns]


def input_stamp(
    options: BuildOptions, analysis: AnalysisResult, target: Target, bootloader: Path
) -> str:
    """A digest of everything the later stages read: the options, the analysis result, and the
    size and mtime of every source file, data file, library and the bootloader."""
    sources = [m.source for m in (*analysis.pure, *analysis.startup) if m.source is not None]
    sources += [*analysis.scripts, *analysis.runtime_hooks, BOOTSTRAP, bootloader]
    sources += [Path(e.source) for e in (*analysis.binaries, *analysis.datas) if e.source]
    state = {
        "freezekit": __version__,
        "options": repr(options),
        "target": repr(target),
        "analysis": repr(analysis),
        "files": [_file_state(Path(p)) for p in sources],
    }
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def _output_state(output: Path) -> list[object]:
    exe = output if output.is_file() else output / output.name
    return [_file_state(output), _file_state(exe)]


def is_up_to_date(workdir: Path, stamp: str, output: Path) -> bool:
    """True when the last build of these inputs wrote ``output`` and it is untouched."""
    try:
        recorded = json.loads((workdir / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return bool(recorded.get("stamp") == stamp and recorded.get("output") == _output_state(output))


def write_stamp(workdir: Path, stamp: str, output: Path) -> None:
    (workdir / STAMP).write_text(json.dumps({"stamp": stamp, "output": _output_state(output)}))


def finish(
    output: Path,
    options: BuildOptions,
    *,
    target: Target,
    analysis: AnalysisResult,
    reporter: Reporter,
) -> BuildResult:
    """The last step of every build: the size report (printed, and written beside the
    warnings file) and the BuildResult."""
    size, count = measure(output)
    report = size_report(output, analysis)
    write_report_json(report, options.workpath / options.name / f"report-{options.name}.json")
    with reporter.stage("size") as notes:
        largest = "; ".join(line.strip() for line in report.summary(3)[1:])
        notes.summary = f"{size / 1e6:.1f} MB in {count} files; {largest}"
    executable = output if options.mode is Mode.ONEFILE else output / options.name
    return BuildResult(
        output=output,
        executable=executable,
        target=target,
        analysis=analysis,
        size=size,
        file_count=count,
    )


def check_scripts(scripts: Sequence[Path]) -> None:
    if not scripts:
        raise OptionsError("no script to freeze", hint="give the app's main script, e.g. app.py")
    for script in scripts:
        if not script.is_file():
            raise OptionsError(
                f"script {script} does not exist", hint="check the path of the app's main script"
            )


def check_existing_output(options: BuildOptions) -> None:
    """Refuse to replace existing output unless told to (the CLI asks on a terminal)."""
    output = options.dist_dir
    if (output.exists() or output.is_symlink()) and not options.noconfirm:
        raise AssembleError(
            f"output {output} exists and would be replaced",
            hint="pass --noconfirm (-y) to replace it",
        )


def find_bootloader(target: Target, *, windowed: bool) -> Path:
    """The bootloader for ``target``: shipped in the package, cached, or compiled now."""
    from freezekit import bootloader

    return bootloader.find_bootloader(target, windowed=windowed)


def _module_filename(module: PureModule) -> str:
    parts = module.name.split(".")
    if module.is_package:
        return posixpath.join(*parts, "__init__.py")
    return posixpath.join(*parts) + ".py"


def compile_all(
    options: BuildOptions, analysis: AnalysisResult, target: Target, *, workdir: Path
) -> dict[str, bytes]:
    """Marshalled code for every module (keyed by name), script (``script:<i>``), runtime
    hook (``hook:<i>``) and the bootstrap (``bootstrap``)."""
    empty = workdir / "empty.py"
    empty.write_bytes(b"")
    units = [
        SourceUnit(key=m.name, source=m.source or empty, filename=_module_filename(m))
        for m in (*analysis.pure, *analysis.startup)
    ]
    units += [
        SourceUnit(key=f"script:{i}", source=script, filename=script.name)
        for i, script in enumerate(analysis.scripts)
    ]
    units += [
        SourceUnit(key=f"hook:{i}", source=hook, filename=hook.name)
        for i, hook in enumerate(analysis.runtime_hooks)
    ]
    units.append(
        SourceUnit(key="bootstrap", source=BOOTSTRAP, filename="freezekit/runtime/_bootstrap.py")
    )
    return compile_units(units, target)


def write_base_library(
    modules: Sequence[PureModule], code: dict[str, bytes], magic: bytes
) -> bytes:
    """A stored zip of the start-up modules, read by the interpreter's own zipimport."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for module in sorted(modules, key=lambda m: m.name):
            name = _module_filename(module) + "c"
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, magic + bytes(12) + code[module.name])
    return buffer.getvalue()


def _prepare_binaries(
    entries: Sequence[TocEntry], options: BuildOptions, workdir: Path
) -> list[FileItem]:
    from freezekit.analysis.binaries import prepare_binary

    items = []
    prepared: dict[str, Path] = {}  # one prepared copy per original file (the shallowest)
    for entry in sorted(entries, key=lambda e: (e.name.count("/"), e.name)):
        assert entry.source is not None
        origin = str(Path(entry.source).resolve())
        dest = prepared.get(origin)
        if dest is None:
            dest = prepared[origin] = workdir / "prepared" / entry.name
            depth = entry.name.count("/")
            top_relative = posixpath.join(*([".."] * depth)) if depth else "."
            prepare_binary(Path(entry.source), dest, top_relative=top_relative, strip=options.strip)
        items.append(FileItem(dest=entry.name, source=dest, kind=entry.kind, mode=0o755))
    return items


def plan_build(
    options: BuildOptions,
    analysis: AnalysisResult,
    code: dict[str, bytes],
    target: Target,
    *,
    workdir: Path,
    externals: Sequence[ExternalItem] = (),
) -> CollectPlan:
    pyz = write_pyz(
        [
            CompiledModule(name=m.name, code=code[m.name], is_package=m.is_package)
            for m in analysis.pure
        ],
        level=options.compression_level,
    )
    base_library = workdir / BASE_LIBRARY
    base_library.write_bytes(write_base_library(analysis.startup, code, target.pyc_magic))
    code_items = [
        *option_items(options),
        PkgItem(name="_bootstrap", kind=EntryKind.BOOTSTRAP, data=code["bootstrap"], compress=True),
        *(
            PkgItem(
                name=f"rthook-{i:02d}-{hook.name}",
                kind=EntryKind.RUNTIME_HOOK,
                data=code[f"hook:{i}"],
                compress=True,
            )
            for i, hook in enumerate(analysis.runtime_hooks)
        ),
        *(
            PkgItem(
                name=script.name, kind=EntryKind.SCRIPT, data=code[f"script:{i}"], compress=True
            )
            for i, script in enumerate(analysis.scripts)
        ),
        PkgItem(name="PYZ", kind=EntryKind.PYZ, data=pyz),
    ]
    files = _prepare_binaries(analysis.binaries, options, workdir)
    files += [
        FileItem(dest=entry.name, source=Path(entry.source), kind=EntryKind.DATA, mode=entry.mode)
        for entry in analysis.datas
        if entry.source is not None
    ]
    files.append(FileItem(dest=BASE_LIBRARY, source=base_library, kind=EntryKind.DATA, mode=0o644))
    _check_unique(files)
    kept, links = dedupe_files(files)
    lazy = {}
    if options.mode is Mode.ONEFILE and options.onefile_extract is Extract.TEMP:
        lazy = lazy_table(kept, links, analysis.library_needs, eager=[target.libpython_name])
    return CollectPlan(
        name=options.name,
        mode=options.mode,
        code_items=tuple(code_items),
        files=tuple(kept),
        links=tuple(links),
        externals=tuple(externals),
        header=PkgHeader(
            flags=trailer_flags(options),
            py_version=target.version,
            libpython=target.libpython_name,
        ),
        level=options.compression_level,
        lazy=lazy,
    )


def _check_unique(files: Sequence[FileItem]) -> None:
    seen: dict[str, FileItem] = {}
    for item in files:
        other = seen.get(item.dest)
        if other is not None and Path(other.source).resolve() != Path(item.source).resolve():
            raise AssembleError(
                f"two different files would be placed at {item.dest}: {other.source} and "
                f"{item.source}",
                hint="change the destination of one of them (--add-data SRC:DEST)",
            )
        seen[item.dest] = item


def measure(path: Path) -> tuple[int, int]:
    """Total bytes and file count of ``path`` (links count as files, not their targets)."""
    if path.is_file():
        return path.stat().st_size, 1
    size = count = 0
    for item in path.rglob("*"):
        if item.is_symlink():
            count += 1
        elif item.is_file():
            size += item.stat().st_size
            count += 1
    return size, count
