"""The analysis stage: what the app needs (modules, extensions, libraries, data, metadata).

``analyze(options, target)`` runs modulegraph2 under the target interpreter (``imports``),
applies hooks (``hooks``), collects package data and user files (``collect``), walks shared
library dependencies with lief (``binaries``) and gathers distribution metadata
(``metadata``). The result is cached in ``cache_dir`` (``build/<name>/``).

Keep this package importable with the standard library alone: lief is imported inside
functions, and the worker (running under the target Python) imports ``analysis.hooks``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from freezekit.options import BuildOptions
from freezekit.platforms import Target
from freezekit.toc import EntryKind, TocEntry

from . import cache, collect, imports
from .binaries import (
    SYSTEM_LIBRARIES,
    LibraryPolicy,
    prepare_binary,
    scan_binaries,
    top_relative_for,
)
from .hooks import find_hooks, host_support_dirs
from .imports import LEAN_EXCLUDES, ImportGraph
from .metadata import metadata_entries
from .result import AnalysisResult, MissingModule, PureModule, write_warnings

__all__ = [
    "LEAN_EXCLUDES",
    "SYSTEM_LIBRARIES",
    "AnalysisResult",
    "LibraryPolicy",
    "MissingModule",
    "PureModule",
    "analyze",
    "explain",
    "prepare_binary",
    "top_relative_for",
    "write_warnings",
]

logger = logging.getLogger(__name__)


def analyze(
    options: BuildOptions,
    target: Target,
    *,
    cache_dir: Path | None = None,
    library_policy: LibraryPolicy | None = None,
    progress_file: Path | None = None,
    scan_after: threading.Event | None = None,
) -> AnalysisResult:
    """Everything the app needs, for ``target``. ``cache_dir``: reuse an unchanged analysis;
    ``progress_file``: where the import scan keeps its count of modules (for a progress line);
    ``scan_after``: scans ahead of the worker start once it is set (``imports.build_graph``)."""
    start = time.perf_counter()
    policy = library_policy or LibraryPolicy()
    hooks = find_hooks(options.hooks_dirs)
    key = cache.cache_key(
        options,
        target,
        extra={
            "policy": [policy.exclude, policy.include],
            "hooks": {k: str(v) for k, v in hooks.items()},
            **_hook_key(options),
        },
    )
    if cache_dir is not None:
        cached = cache.load(cache_dir, key)
        if cached is not None:
            logger.debug(
                "analysis: %s, unchanged (%.2f s)", cached.summary(), time.perf_counter() - start
            )
            return cached
    startup_names = imports.probe_startup(target)
    graph = imports.build_graph(
        options,
        target,
        hooks=hooks,
        startup=startup_names,
        progress_file=progress_file,
        scan_after=scan_after,
    )
    result = replace(
        _shape(options, target, graph, startup_names, policy), search_path=graph.sys_path
    )
    if cache_dir is not None:
        folders = [p for p in graph.sys_path if os.path.isdir(p)]
        folders += [str(p) for p in (*options.hooks_dirs, *options.paths)]
        cache.save(
            cache_dir,
            key,
            result,
            folders=folders,
            data_folders=collect.added_folders(
                (*options.datas, *options.binaries), base=Path.cwd()
            ),
            files=sorted({str(o["hook_file"]) for o in graph.hooks}),  # edited hooks re-run
            chain_graph=_chain_graph(graph),
        )
    logger.debug("analysis: %s (%.1f s)", result.summary(), time.perf_counter() - start)
    return result


def _shape(
    options: BuildOptions,
    target: Target,
    graph: ImportGraph,
    startup_names: tuple[str, ...],
    policy: LibraryPolicy,
) -> AnalysisResult:
    pure, startup = imports.split_modules(graph, startup_names)
    present = {m.name for m in pure}
    runtime = [m for m in imports.runtime_modules() if m.name not in present]
    pure = tuple(sorted((*pure, *runtime), key=lambda m: m.name))
    extensions = [
        TocEntry(
            name=imports.extension_dest(n, target),
            kind=EntryKind.EXTENSION,
            source=n.file,
            mode=0o755,
        )
        for n in imports.extensions(graph)
    ]
    datas, user_binaries, runtime_hooks = _files(options, target, graph)
    libpython = TocEntry(
        name=target.libpython.name, kind=EntryKind.BINARY, source=str(target.libpython), mode=0o755
    )
    direct = collect.merge_entries([[libpython], extensions, user_binaries])
    scan = scan_binaries(
        [
            Path(e.source)
            for e in direct
            if e.source and collect.is_shared_library(Path(e.source).name)
        ],
        target,
        site_dirs=_site_dirs(graph, target),
        policy=policy,
    )
    dists = sorted({d.path for d in graph.distributions})
    roots = [*(str(p) for p in runtime_hooks), *(str(p.resolve()) for p in options.scripts)]
    start, later = imports.start_and_later_imports(graph, roots, startup_names)
    binaries = collect.merge_entries([direct, scan.binaries])
    return AnalysisResult(
        scripts=tuple(p.resolve() for p in options.scripts),
        pure=pure,
        startup=startup,
        binaries=binaries,
        datas=collect.merge_entries([datas, metadata_entries(dists)]),
        runtime_hooks=runtime_hooks,
        missing=imports.find_missing(graph),
        excluded_libraries=scan.excluded,
        library_needs=_library_needs(binaries, scan.needs),
        start_imports=start,
        later_imports=later,
    )


def _library_needs(
    binaries: Sequence[TocEntry], edges: Sequence[tuple[str, str]]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The scan's (file, library entry) edges by entry name (a file bundled twice gets the
    edges under both names)."""
    names: dict[str, list[str]] = {}
    for entry in binaries:
        if entry.source:
            names.setdefault(str(Path(entry.source).resolve()), []).append(entry.name)
    needs: dict[str, set[str]] = {}
    for path, library in edges:
        for name in names.get(path, ()):
            needs.setdefault(name, set()).add(library)
    return tuple((name, tuple(sorted(libs))) for name, libs in sorted(needs.items()))


def _files(
    options: BuildOptions, target: Target, graph: ImportGraph
) -> tuple[list[TocEntry], list[TocEntry], tuple[Path, ...]]:
    """(datas, binaries, runtime hooks) from options, package collection and hooks."""
    base = Path.cwd()
    datas: list[TocEntry] = []
    binaries: list[TocEntry] = []
    hook_runtime: list[Path] = []
    wanted_data = {*options.collect_data, *options.collect_all}
    wanted_bins = {*options.collect_binaries, *options.collect_all}
    for outcome in graph.hooks:
        origin = f"hook {outcome['hook_file']}"
        datas += collect.add_files(
            _pairs(outcome["datas"]), kind=EntryKind.DATA, base=base, origin=origin
        )
        binaries += collect.add_files(
            _pairs(outcome["binaries"]), kind=EntryKind.BINARY, base=base, origin=origin
        )
        hook_runtime += [Path(str(p)) for p in outcome["runtime_hooks"]]  # type: ignore[attr-defined]
        wanted_data.update(str(p) for p in outcome["collect_data"])  # type: ignore[attr-defined]
    for package in sorted(wanted_data | wanted_bins):
        folders = graph.packages.get(package) or _node_folders(graph, package)
        datas_or_bins = collect.package_files(
            package,
            folders,
            data=package in wanted_data,
            binaries=package in wanted_bins,
            ext_suffix=target.ext_suffix,
        )
        datas += [e for e in datas_or_bins if e.kind is EntryKind.DATA]
        binaries += [e for e in datas_or_bins if e.kind is not EntryKind.DATA]
    datas += _package_data(graph, target)
    datas += collect.add_files(
        options.datas, kind=EntryKind.DATA, base=base, origin="--add-data", keep_links=True
    )
    binaries += collect.add_files(
        options.binaries, kind=EntryKind.BINARY, base=base, origin="--add-binary"
    )
    # PyInstaller's order: the user's runtime hooks first, then those of the hooks/rthooks.dat
    runtime_hooks = tuple(
        dict.fromkeys([*(p.resolve() for p in options.runtime_hooks), *hook_runtime])
    )
    return datas, binaries, runtime_hooks


def _hook_key(options: BuildOptions) -> dict[str, object]:
    """What else decides the hooks' outcome: their options, and freezekit's own copies of
    pyinstaller-hooks-contrib and packaging (a hook folder's changes are seen by the cache's
    folder signatures; the target's site-packages are among them)."""
    support = {}
    for name, folder in host_support_dirs().items():
        try:
            stamp = os.stat(os.path.join(folder, name)).st_mtime_ns
        except OSError:
            stamp = 0
        support[name] = [folder, stamp]
    return {
        "hook_support": support,
        "hooks_config": options.hooks_config,
        "ignore_hook_errors": options.ignore_hook_errors,
    }


def _package_data(graph: ImportGraph, target: Target) -> list[TocEntry]:
    """Data files of every bundled regular package outside the standard library."""
    stdlib = (target.stdlib, target.dynload)
    datas: list[TocEntry] = []
    for node in graph.nodes.values():
        if node.kind != "package" or not node.file or imports.is_under(node.file, stdlib):
            continue
        if Path(node.file).name.partition(".")[0] != "__init__":
            continue
        datas += collect.package_data(node.name, os.path.dirname(node.file))
    return datas


def _pairs(value: object) -> list[tuple[str, str]]:
    assert isinstance(value, list)
    return [(str(s), str(d)) for s, d in value]


def _node_folders(graph: ImportGraph, package: str) -> tuple[str, ...]:
    node = graph.nodes.get(package)
    return node.search_path if node is not None else ()


def _site_dirs(graph: ImportGraph, target: Target) -> list[Path]:
    """sys.path folders where bundled libraries keep their relative place (deepest first)."""
    stdlib = {str(target.stdlib), str(target.dynload)}
    dirs = [Path(p) for p in graph.sys_path if os.path.isdir(p) and p not in stdlib]
    return sorted(dirs, key=lambda p: len(p.parts), reverse=True)


def _chain_graph(graph: ImportGraph) -> Mapping[str, object]:
    return {
        "roots": list(graph.roots),
        "nodes": [[n.name, n.kind] for n in graph.nodes.values()],
        "edges": [[e.source, e.target] for e in graph.edges],
    }


def explain(
    options: BuildOptions, target: Target, module: str, *, cache_dir: Path | None = None
) -> list[str] | None:
    """The import chain from a script (or other seed) to ``module``; None if not bundled."""
    hooks = find_hooks(options.hooks_dirs)
    key = cache.cache_key(
        options,
        target,
        extra={"policy": [SYSTEM_LIBRARIES, ()], "hooks": {k: str(v) for k, v in hooks.items()}},
    )
    stored = cache.load_graph(cache_dir, key) if cache_dir is not None else None
    if stored is not None:
        graph = _graph_from_chain(stored)
    else:
        graph = imports.build_graph(
            options, target, hooks=hooks, startup=imports.probe_startup(target)
        )
    return imports.import_chain(graph, module)


def _graph_from_chain(stored: Mapping[str, object]) -> ImportGraph:
    nodes_raw: list[list[str]] = stored["nodes"]  # type: ignore[assignment]
    edges_raw: list[list[str]] = stored["edges"]  # type: ignore[assignment]
    return ImportGraph(
        nodes={n: imports.Node(name=n, kind=k, file=None) for n, k in nodes_raw},
        edges=tuple(
            imports.Edge(source=s, target=t, optional=False, is_global=True, fromlist=False)
            for s, t in edges_raw
        ),
        roots=tuple(stored["roots"]),  # type: ignore[arg-type]
        sys_path=(),
        hooks=(),
        packages={},
        distributions=(),
        log=(),
    )
