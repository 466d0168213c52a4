"""A persistent cache of modulegraph2's per-file import scans, used by the worker.

modulegraph2 parses every source file (``compile(..., PyCF_ONLY_AST)``) and disassembles its
code object on every run; for a stdlib-heavy app that is most of the analysis time, and the
answer only changes when the file does. This module wraps the three functions modulegraph2's
graph builder calls so that a file whose path, size and mtime are unchanged is not parsed
again. The cache is one pickle per target Python under ``~/.cache/freezekit/scan/``. The
standard library's frozen modules (``<frozen os>``, ...) have no file: their code is that of the
exact interpreter version, which stands for their state.

``list_distributions_once`` is the other per-run saving: modulegraph2 looks up the distribution
of every file it adds by listing every ``sys.path`` folder again (numpy_app: 789 lookups,
5,700 listings).

Standard library + modulegraph2 only; runs under the target Python inside the worker.
"""

from __future__ import annotations

import ast
import os
import pickle
import sys
from typing import Any

_FORMAT = 1


class _CachedAst:
    """Stands in for an AST that need not be built: the scan result is cached."""

    def __init__(self, filename: str) -> None:
        self.filename = filename


class ScanCache:
    def __init__(self, path: str) -> None:
        self.path = path
        self.entries: dict[str, tuple[tuple[int, int], Any, Any]] = {}
        self.dirty = False
        self._last_ast_file: str | None = None
        try:
            with open(path, "rb") as stream:
                fmt, entries = pickle.load(stream)
            if fmt == _FORMAT:
                self.entries = entries
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
            self.entries = {}

    @staticmethod
    def _stamp(filename: str) -> tuple[int, int] | None:
        if filename.startswith("<frozen "):
            return (sys.hexversion, -1)
        try:
            st = os.stat(filename)
        except (OSError, TypeError, ValueError):
            return None
        return (st.st_size, st.st_mtime_ns)

    def _get(self, filename: str, slot: int) -> Any:
        entry = self.entries.get(filename)
        if entry is None or entry[0] != self._stamp(filename) or entry[slot] is None:
            return None
        return entry[slot]

    def _put(self, filename: str, slot: int, value: Any) -> None:
        stamp = self._stamp(filename)
        if stamp is None:
            return
        entry = self.entries.get(filename)
        if entry is None or entry[0] != stamp:
            entry = (stamp, None, None)
        entry = (entry[0], value, entry[2]) if slot == 1 else (entry[0], entry[1], value)
        self.entries[filename] = entry
        self.dirty = True

    def install(self, graphbuilder: Any) -> None:
        real_compile = compile
        real_ast_info = graphbuilder.extract_ast_info
        real_bytecode_info = graphbuilder.extract_bytecode_info
        cache = self

        def cached_compile(source: Any, filename: Any, mode: str, *args: Any, **kwargs: Any) -> Any:
            flags = kwargs.get("flags", args[0] if args else 0)
            if flags & ast.PyCF_ONLY_AST and isinstance(filename, str):
                cache._last_ast_file = filename
                if cache._get(filename, 1) is not None:
                    return _CachedAst(filename)
            return real_compile(source, filename, mode, *args, **kwargs)

        def cached_ast_info(node: Any) -> Any:
            if isinstance(node, _CachedAst):
                return list(cache._get(node.filename, 1))
            result = list(real_ast_info(node))
            if cache._last_ast_file:
                cache._put(cache._last_ast_file, 1, result)
            return result

        def cached_bytecode_info(code: Any) -> Any:
            filename = getattr(code, "co_filename", None)
            if isinstance(filename, str):
                hit = cache._get(filename, 2)
                if hit is not None:
                    imports, written, read = hit
                    return list(imports), set(written), set(read)
            result = real_bytecode_info(code)
            if isinstance(filename, str):
                cache._put(filename, 2, result)
            return result

        graphbuilder.compile = cached_compile
        graphbuilder.extract_ast_info = cached_ast_info
        graphbuilder.extract_bytecode_info = cached_bytecode_info

    def save(self) -> None:
        if not self.dirty:
            return
        folder = os.path.dirname(self.path)
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            tmp = f"{self.path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as stream:
                pickle.dump((_FORMAT, self.entries), stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs time


def list_distributions_once(distributions: Any) -> None:
    """Make ``modulegraph2._distributions.all_distributions`` list each folder once per run
    (the worker's ``sys.path`` does not change while the graph is built); the distributions
    themselves come from modulegraph2's own cache and reader, in the order the folder lists."""
    made = distributions._cached_distributions
    create = distributions.create_distribution
    listed: dict[str, list[str]] = {}

    def all_distributions(path: Any = None) -> Any:
        for entry in sys.path if path is None else path:
            names = listed.get(entry)
            if names is None:
                try:
                    names = [os.path.join(entry, n) for n in os.listdir(entry)]
                except (OSError, TypeError, ValueError):
                    names = []
                listed[entry] = names = [n for n in names if n.endswith(".dist-info")]
            for dist_name in names:
                dist = made.get(dist_name)
                if dist is None:
                    dist = made[dist_name] = create(dist_name)
                yield dist

    distributions.all_distributions = all_distributions


def default_path(modulegraph_version: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}-{sys.implementation.cache_tag}"
    return os.path.join(base, "freezekit", "scan", f"{tag}-mg{modulegraph_version}.pickle")
