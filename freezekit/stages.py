"""The build stages, run by ``build()`` when something changed since the last build: analysis,
bootloader, bytecode, archive, assemble and the size report; then the build stamp is written.

The stages, and the spec and cross builds that reuse them, import the heavy parts of freezekit
(analysis, archive, assemble, lief, zstandard); ``freezekit.build`` imports this module only
after its quick check found a change.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import posixpath
import shutil
import sys
import threading
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from freezekit import stamp
from freezekit.analysis import AnalysisResult, PureModule, analyze, write_warnings
from freezekit.analysis.collect import added_folders, link_target
from freezekit.archive.bytecode import SourceUnit, compile_units
from freezekit.archive.pkg import PkgHeader, PkgItem
from freezekit.archive.pyz import CompiledModule, write_pyz
from freezekit.archive.pyzdict import stdlib_dictionary
from freezekit.assemble.collect import assemble, check_output_writable
from freezekit.assemble.lazy import lazy_table, start_modules
from freezekit.assemble.plan import (
    CollectPlan,
    ExternalItem,
    FileItem,
    LinkItem,
    dedupe_files,
    option_items,
    trailer_flags,
)
from freezekit.build import PRODUCTS_FILE, BuildResult, Products, executable_of
from freezekit.errors import AssembleError, FreezekitError
from freezekit.inspect.report import size_report, write_report_json
from freezekit.log import NullReporter, Reporter
from freezekit.options import BuildOptions, Extract, Mode
from freezekit.platforms import Os, Target, resolve_target
from freezekit.toc import EntryKind, TocEntry

logger = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).resolve().parent / "runtime" / "_bootstrap.py"
BASE_LIBRARY = "base_library.zip"


def run(
    options: BuildOptions,
    inputs: dict[str, object],
    *,
    previous: dict[str, object] | None,
    reason: str,
    reporter: Reporter | None = None,
) -> BuildResult:
    """Build, given the quick check's ``inputs`` and the last build's stamp (``previous``)."""
    reporter = reporter or NullReporter()
    logger.debug("building %s: %s", options.name, reason)
    return_freed_memory()
    target = resolve_target(options.python)  # first: a bad interpreter is reported as such
    check_output_writable(options.distpath)
    workdir = options.workpath / options.name
    if options.clean and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = stamp.start(str(workdir))
    ahead = Ahead(options, target)
    try:
        analysis = analysis_stage(
            options, target, workdir=workdir, reporter=reporter, scan_after=ahead.compiled
        )
    finally:
        ahead.analysis_done()
    with reporter.stage("bootloader") as notes:
        bootloader = ahead.bootloader()
        notes.summary = str(bootloader.name)
    digest = input_digest(inputs, analysis, target, bootloader)
    unchanged = previous is not None and is_output_current(previous, digest)
    if unchanged:
        output = options.dist_dir
        with reporter.stage("assemble") as notes:
            notes.summary = f"{output} is up to date"
    else:
        output = produce(options, analysis, target, bootloader, workdir=workdir, reporter=reporter)
    size, count, summary = report_size(output, options, analysis, reporter=reporter)
    products = Products(workdir / PRODUCTS_FILE, (target, analysis))
    products.save()
    files, folders = watched(options, analysis, target, bootloader)
    record = stamp.record(
        inputs,
        files=files,
        folders=folders,
        started=started,
        output=os.path.abspath(output),
        work=[os.path.abspath(p) for p in work_files(options, workdir)],
    )
    returned = {"size": size, "file_count": count, "summary": summary}
    stamp.write(str(workdir), {**record, **returned, "digest": digest})
    return BuildResult(
        output=output,
        executable=executable_of(options, output),
        size=size,
        file_count=count,
        up_to_date=unchanged,
        products=products,
    )


#: glibc's mallopt parameter: blocks from this size on get their own mapping
_M_MMAP_THRESHOLD = -3


def return_freed_memory() -> None:
    """Have glibc give blocks of 256 KiB and more (file contents, zstd contexts and frames)
    their own mappings, returned to the system when freed. By default it raises that threshold
    to the size of the first such block freed (up to 32 MiB) and keeps later ones in the heap
    and in each compression thread's arena, where freed memory stays resident. Measured on a
    first build (process-tree peak): stdlib_app onefile archive stage 76 -> 62 MiB, assemble
    116 -> 92 MiB; hello onedir archive 69 -> 57 MiB; the same CPU time. Elsewhere than glibc
    (musl, macOS, Windows) nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # no C library found, or no mallopt
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 256 << 10)


def trim_heap() -> None:
    """Give the free pages of glibc's heaps back to the system (malloc_trim): small blocks
    freed among live ones stay resident otherwise. Elsewhere than glibc nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


class Ahead:
    """What depends only on the target, started before the analysis and done beside it: the
    bootloader (found, or compiled with cmake) and the PYZ dictionary (the standard library
    compiled and trained on), one after the other on one thread. The analysis runs in its own
    process, so on an empty cache the two take a second processor instead of adding their time
    after it. Their errors are raised where the build would have met them without this.

    The dictionary's training waits for the end of the analysis (``analysis_done``): it takes
    ~0.16 s, but ~22 MiB beside the 9 MiB of compiled samples, and beside the analysis worker
    that made the analysis stage the build's peak of memory.
    """

    def __init__(self, options: BuildOptions, target: Target) -> None:
        self._options = options
        self._target = target
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="freezekit-ahead")
        self._bootloader: Future[Path] | None = None
        if options.bootloader is None:
            self._bootloader = pool.submit(find_bootloader, target, windowed=options.windowed)
        self._analysed = threading.Event()
        #: set once the dictionary's samples are compiled (or it needs none): the analysis
        #: scans ahead of its worker after that (analysis/scanahead.py), not beside the compiler
        self.compiled = threading.Event()
        pool.submit(self._dictionary)
        pool.shutdown(wait=False)

    def _dictionary(self) -> None:
        try:  # kept in memory and in the cache (pyzdict.py)
            stdlib_dictionary(self._target, before_training=self._wait_for_analysis)
        finally:
            self.compiled.set()

    def _wait_for_analysis(self) -> None:
        self.compiled.set()
        trim_heap()  # the samples just freed (small blocks, in this thread's heap)
        self._analysed.wait()

    def analysis_done(self) -> None:
        """The analysis has ended (or failed): the dictionary may train now."""
        self._analysed.set()

    def bootloader(self) -> Path:
        if self._bootloader is None:
            assert self._options.bootloader is not None
            return self._options.bootloader
        return self._bootloader.result()


def analysis_stage(
    options: BuildOptions,
    target: Target,
    *,
    workdir: Path,
    reporter: Reporter,
    scan_after: threading.Event | None = None,
) -> AnalysisResult:
    with reporter.stage("analysis") as notes:
        progress = workdir / "analysis-progress.txt"  # the worker's count of modules scanned
        progress.unlink(missing_ok=True)
        notes.poll(lambda: f"{int(progress.read_text())} modules scanned")
        analysis = analyze(
            options, target, cache_dir=workdir, progress_file=progress, scan_after=scan_after
        )
        progress.unlink(missing_ok=True)
        write_warnings(analysis, workdir / f"warn-{options.name}.txt")
        notes.summary = analysis.summary()  # the same line as a spec build's
    return analysis


def produce(
    options: BuildOptions,
    analysis: AnalysisResult,
    target: Target,
    bootloader: Path,
    *,
    workdir: Path,
    reporter: Reporter,
) -> Path:
    """The bytecode, archive and assemble stages: write the output."""
    with reporter.stage("bytecode") as notes:
        code = compile_all(options, analysis, target, workdir=workdir)
        notes.summary = f"{len(code)} code objects"
    with reporter.stage("archive") as notes:
        plan = plan_build(options, analysis, code, target, workdir=workdir, progress=notes.progress)
        notes.summary = f"{len(plan.files)} files, {len(plan.links)} links"
    with reporter.stage("assemble") as notes:
        # the output being written (assemble.collect's partial name), for the progress line
        notes.watch(options.distpath / f".{options.name}.partial-{os.getpid()}")
        output = assemble(
            plan,
            bootloader,
            options.distpath,
            progress=lambda done, total: notes.progress(done >> 20, total >> 20, "MB compressed"),
        )
        notes.summary = str(output)
    return output


# -- the build stamp ------------------------------------------------------------------------


def input_digest(
    inputs: dict[str, object], analysis: AnalysisResult, target: Target, bootloader: Path
) -> str:
    """A digest of what the bytecode, archive and assemble stages start from."""
    material = [inputs, repr(target), repr(analysis), str(bootloader.absolute())]
    return hashlib.sha256(json.dumps(material, default=str).encode()).hexdigest()


def is_output_current(previous: dict[str, object], digest: str) -> bool:
    """True when the last build started from the same analysis and files (``digest`` and the
    files' states), and its output is untouched: the output stages can be skipped."""
    if previous.get("digest") != digest:
        return False
    changed = stamp.changed_files(previous) or stamp.changed_output(previous)
    if changed is not None:
        logger.debug("rebuilding the output: %s changed", changed)
    return changed is None


def work_files(options: BuildOptions, workdir: Path) -> list[Path]:
    """The files of the work dir a rebuild that changes nothing returns or reads."""
    return [
        workdir / PRODUCTS_FILE,
        workdir / f"report-{options.name}.json",
        workdir / f"warn-{options.name}.txt",
    ]


def watched(
    options: BuildOptions, analysis: AnalysisResult, target: Target, bootloader: Path
) -> tuple[list[str], list[str]]:
    """(files, folders) whose state the stamp records: every file the build read, and every
    folder where a new file could change what the analysis finds."""
    files = [str(p) for p in (*analysis.scripts, *analysis.runtime_hooks, bootloader)]
    files += [str(m.source) for m in (*analysis.pure, *analysis.startup) if m.source]
    files += [e.source for e in (*analysis.binaries, *analysis.datas) if e.source]
    files.append(str(target.include / "patchlevel.h"))  # part of the bootloader's build key
    folders = list(analysis.search_path)
    # freezekit's own files are also in the inputs, as this process imported them
    read_trees = [stamp.PACKAGE_DIR, *(str(p) for p in options.hooks_dirs)]
    read_trees += _bootloader_sources() + _dependency_trees()
    for tree in read_trees:
        _walk(tree, folders, files)
    for tree in _package_trees(analysis):
        _walk(tree, folders, None)
    folders += added_folders((*options.datas, *options.binaries), base=Path.cwd())
    files = [os.path.abspath(p) for p in files]
    folders += [os.path.dirname(p) for p in files]
    return files, [os.path.abspath(p) for p in folders]


def _walk(top: str, folders: list[str], files: list[str] | None) -> None:
    """Add the folders (and ``files``, if given) under ``top``; ``__pycache__`` is left out."""
    if files is not None and not os.path.isdir(top):
        files.append(top)
    for folder, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        folders.append(folder)
        if files is not None:
            files += [os.path.join(folder, name) for name in names]


#: What freezekit runs besides itself: modulegraph2 and what it needs (linked into the analysis
#: worker), lief (libraries) and zstandard (archives); tomli reads pyproject.toml before 3.11.
DEPENDENCIES = ("modulegraph2", "objectgraph", "typing_extensions", "lief", "zstandard", "tomli")


def _dependency_trees() -> list[str]:
    """The folder (or file) of each installed dependency, for this interpreter."""
    import importlib.util

    trees = []
    for name in DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            packaged = spec.submodule_search_locations is not None
            trees.append(os.path.dirname(spec.origin) if packaged else spec.origin)
    return trees


def _bootloader_sources() -> list[str]:
    from freezekit.assemble.bootloader import source_dir

    try:
        return [str(source_dir())]
    except FreezekitError:
        return []  # a shipped bootloader: the package's files cover it


def _package_trees(analysis: AnalysisResult) -> list[str]:
    """The folders of the bundled top-level packages (a namespace package's, in every folder of
    the search path)."""
    trees = []
    for module in (*analysis.pure, *analysis.startup):
        if "." in module.name or not module.is_package:
            continue
        if module.source is not None:
            trees.append(os.path.dirname(module.source))
        else:
            trees += [os.path.join(p, module.name) for p in analysis.search_path]
    return [tree for tree in trees if os.path.isdir(tree)]


# -- the stages -----------------------------------------------------------------------------


def report_size(
    output: Path, options: BuildOptions, analysis: AnalysisResult, *, reporter: Reporter
) -> tuple[int, int, str]:
    """The size report (printed, and written beside the warnings file): (bytes, files, line)."""
    size, count = measure(output)
    report = size_report(output, analysis, executable=executable_of(options, output))
    write_report_json(report, options.workpath / options.name / f"report-{options.name}.json")
    largest = "; ".join(line.strip() for line in report.summary(3)[1:])
    files = "1 file" if count == 1 else f"{count} files"
    summary = f"{size / 1e6:.1f} MB in {files}; {largest}"
    with reporter.stage("size") as notes:
        notes.summary = summary
    return size, count, summary


def finish(
    output: Path,
    options: BuildOptions,
    *,
    target: Target,
    analysis: AnalysisResult,
    reporter: Reporter,
) -> BuildResult:
    """The last step of a spec or cross build: the size report and the BuildResult."""
    size, count, _ = report_size(output, options, analysis, reporter=reporter)
    return BuildResult(
        output=output,
        executable=executable_of(options, output),
        size=size,
        file_count=count,
        products=Products(options.workpath / options.name / PRODUCTS_FILE, (target, analysis)),
    )


def find_bootloader(target: Target, *, windowed: bool) -> Path:
    """The bootloader for ``target``: shipped in the package, cached, or compiled now."""
    from freezekit.assemble import bootloader

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
    return compile_units(units, target, optimize=options.bytecode_optimize)


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
    entries: Sequence[TocEntry],
    options: BuildOptions,
    workdir: Path,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> list[FileItem]:
    from freezekit.analysis.binaries import prepare_binary

    items = []
    prepared: dict[str, Path] = {}  # one prepared copy per original file (the shallowest)
    for done, entry in enumerate(sorted(entries, key=lambda e: (e.name.count("/"), e.name))):
        if progress is not None:
            progress(done, len(entries), "binaries prepared")
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
    progress: Callable[[int, int | None, str], None] | None = None,
) -> CollectPlan:
    # the binaries (hashing, copying, stripping: mostly system calls and file reads) are
    # prepared on a thread beside the PYZ's compression threads (zstd), not after them
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="freezekit-binaries") as pool:
        binaries = pool.submit(_prepare_binaries, analysis.binaries, options, workdir, progress)
        pyz = write_pyz(
            [
                CompiledModule(name=m.name, code=code[m.name], is_package=m.is_package)
                for m in analysis.pure
            ],
            level=options.compression_level,
            dictionary=stdlib_dictionary(target),
        )
        files = binaries.result()
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
    files += [
        FileItem(dest=entry.name, source=Path(entry.source), kind=EntryKind.DATA, mode=entry.mode)
        for entry in analysis.datas
        if entry.source is not None and entry.kind is not EntryKind.SYMLINK
    ]
    data_links = [  # symbolic links kept from --add-data folders
        LinkItem(dest=entry.name, target=link_target(entry.source))
        for entry in analysis.datas
        if entry.source is not None and entry.kind is EntryKind.SYMLINK
    ]
    if target.os is Os.WINDOWS:  # a Windows app holds no links: copies of what they reach
        files += _link_copies([link.dest for link in data_links], analysis)
        data_links = []
    files.append(FileItem(dest=BASE_LIBRARY, source=base_library, kind=EntryKind.DATA, mode=0o644))
    _check_unique(files)
    kept, links = dedupe_files(files)
    links = sorted([*links, *data_links], key=lambda link: link.dest)
    lazy = {}
    if options.mode is Mode.ONEFILE and options.onefile_extract is Extract.TEMP:
        lazy = lazy_table(kept, links, analysis.library_needs, eager=[target.libpython_name])
    later = {name for module in analysis.later_imports for name in lazy.get(module, ())}
    sizes = {item.dest: item.source.stat().st_size for item in kept if item.dest in later}
    lazy_start = start_modules(lazy, analysis.start_imports, analysis.later_imports, sizes)
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
        lazy_start=lazy_start,
    )


def _link_copies(names: Sequence[str], analysis: AnalysisResult) -> list[FileItem]:
    """The files a kept data link reaches (one, or a folder's), as copies under its name."""
    sources = {e.name: Path(str(e.source)) for e in analysis.datas if e.name in set(names)}
    items = []
    for name, source in sorted(sources.items()):
        found = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for path in found:
            dest = name if path == source else f"{name}/{path.relative_to(source).as_posix()}"
            items.append(FileItem(dest=dest, source=path, kind=EntryKind.DATA, mode=0o644))
    return items


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
