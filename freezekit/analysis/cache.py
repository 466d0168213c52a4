"""The analysis cache: a no-change rebuild skips modulegraph2 and lief entirely.

``build/<name>/analysis-cache.json`` holds the result, the graph edges (for ``explain``), a key
(target interpreter, options that matter, freezekit's own analysis code), the mtime and size
of every file the result came from, and a signature of every folder modules are searched in
(``sys.path`` entries and package folders): the names of the importable entries in it, so
installing a package or adding a submodule invalidates the cache, while ``build/`` and ``dist/``
appearing next to the script do not. In a folder of data files (and every folder given to
--add-data or --add-binary) every name counts: a file appearing there is added to the app.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from freezekit.options import BuildOptions
from freezekit.platforms import Target

from .result import AnalysisResult, result_from_json, result_to_json

logger = logging.getLogger(__name__)

CACHE_FILE = "analysis-cache.json"
_FORMAT = 5  # 2: library_needs, 3: search_path and data_folders, 4: start_imports, 5: later_imports
_HERE = Path(__file__).resolve().parent
_API = _HERE / "pyinstaller_api" / "PyInstaller"  # what PyInstaller-style hooks call
_CODE_DIRS = (
    _HERE,
    _HERE.parent / "hooks",
    _API,
    _API / "utils",
    _API / "utils" / "hooks",
    _API / "depend",
    _API / "isolated",
)


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def cache_key(options: BuildOptions, target: Target, *, extra: Mapping[str, object]) -> str:
    code = sorted((str(p), _stat(str(p))) for d in _CODE_DIRS if d.is_dir() for p in d.glob("*.py"))
    material = {
        "format": _FORMAT,
        "cwd": os.getcwd(),
        "python": [
            str(target.python),
            list(target.version),
            str(target.libpython),
            _stat(str(target.python)),
            _stat(str(target.libpython)),
        ],
        "options": {
            "scripts": [str(p.resolve()) for p in options.scripts],
            "hidden_imports": options.hidden_imports,
            "excludes": options.excludes,
            "paths": [str(p.resolve()) for p in options.paths],
            "collect_submodules": options.collect_submodules,
            "collect_data": options.collect_data,
            "collect_binaries": options.collect_binaries,
            "collect_all": options.collect_all,
            "copy_metadata": options.copy_metadata,
            "recursive_copy_metadata": options.recursive_copy_metadata,
            "datas": options.datas,
            "binaries": options.binaries,
            "hooks_dirs": [str(p.resolve()) for p in options.hooks_dirs],
            "runtime_hooks": [str(p) for p in options.runtime_hooks],
            "lean": options.lean,
        },
        "code": code,
        "extra": extra,
    }
    blob = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


_IMPORTABLE_SUFFIXES = (
    ".py",
    ".pyc",
    ".so",
    ".pth",
    ".dist-info",
    ".egg-info",
    ".egg-link",
    ".egg",
)


def folder_signature(path: str, *, every_name: bool = False) -> str | None:
    """Hash of the importable entries of a folder (modules, packages, metadata, .pth), or of
    all of them (``every_name``: a folder of data files)."""
    try:
        names = os.listdir(path)
    except OSError:
        return None
    keep = []
    for name in names:
        if every_name or name.endswith(_IMPORTABLE_SUFFIXES) or ".so." in name:
            keep.append(name)
        elif name.isidentifier() and os.path.isfile(os.path.join(path, name, "__init__.py")):
            keep.append(name + "/")
    return hashlib.sha256("\0".join(sorted(keep)).encode()).hexdigest()[:16]


def watched(
    result: AnalysisResult,
    *,
    folders: Iterable[str],
    data_folders: Iterable[str] = (),
    files: Iterable[str] = (),
) -> dict[str, object]:
    """Every file the result depends on (mtime, size; ``files``: more of them, such as the
    hook files that ran) and folder (signature); in the folders of data files (and
    ``data_folders``: --add-data folders), every name counts."""
    paths: set[str] = {str(p) for p in result.scripts} | set(files)
    paths.update(str(m.source) for m in (*result.pure, *result.startup) if m.source)
    paths.update(e.source for e in (*result.binaries, *result.datas) if e.source)
    paths.update(str(p) for p in result.runtime_hooks)
    dirs = {os.path.dirname(p) for p in paths} | set(folders)
    data_dirs = {os.path.dirname(e.source) for e in result.datas if e.source}
    data_dirs.update(data_folders)
    return {
        "files": {p: _stat(p) for p in sorted(paths)},
        "folders": {d: folder_signature(d) for d in sorted(dirs)},
        "data_folders": {d: folder_signature(d, every_name=True) for d in sorted(data_dirs)},
    }


def _changed(stored: object) -> str | None:
    """The first file or folder that no longer matches, or None."""
    if not isinstance(stored, dict):
        return "(format)"
    files: dict[str, object] = stored.get("files", {})
    folders: dict[str, object] = stored.get("folders", {})
    data_folders: dict[str, object] = stored.get("data_folders", {})
    for name, stat in files.items():
        if _stat(name) != stat:
            return str(name)
    for name, signature in folders.items():
        if folder_signature(name) != signature:
            return str(name)
    for name, signature in data_folders.items():
        if folder_signature(name, every_name=True) != signature:
            return str(name)
    return None


def save(
    cache_dir: Path,
    key: str,
    result: AnalysisResult,
    *,
    folders: Iterable[str],
    data_folders: Iterable[str] = (),
    files: Iterable[str] = (),
    chain_graph: Mapping[str, object],
) -> None:
    data = {
        "key": key,
        "watched": watched(result, folders=folders, data_folders=data_folders, files=files),
        "result": result_to_json(result),
        "graph": chain_graph,
    }
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / CACHE_FILE
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)


def _load_raw(cache_dir: Path, key: str) -> dict[str, object] | None:
    path = cache_dir / CACHE_FILE
    try:
        data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("key") != key:
        logger.debug("analysis cache %s: options, target or freezekit changed", path)
        return None
    changed = _changed(data.get("watched"))
    if changed is not None:
        logger.debug("analysis cache %s: %s changed", path, changed)
        return None
    return data


def load(cache_dir: Path, key: str) -> AnalysisResult | None:
    data = _load_raw(cache_dir, key)
    if data is None:
        return None
    try:
        return result_from_json(data["result"])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError) as exc:
        logger.debug("analysis cache unreadable: %s", exc)
        return None


def load_graph(cache_dir: Path, key: str) -> Mapping[str, object] | None:
    data = _load_raw(cache_dir, key)
    graph = None if data is None else data.get("graph")
    return graph if isinstance(graph, dict) else None
