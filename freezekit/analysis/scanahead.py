"""Scans of the modules the analysis worker is about to reach, made beside it.

On an empty scan cache the worker parses every module it adds into a syntax tree to find its
import statements (numpy_app: 533 files, the largest part of its time), one after the other,
while the build process waits for it on the other processor. When the build runs under the
target interpreter itself, ``ScanAhead`` follows the imports from the worker's seeds (the
scripts, the packages and modules of the request) on a thread of the build process, in about
the worker's order: each source module's syntax tree is scanned as the worker would scan it
(``_scancache.Scanner``: the same functions, the same plain values) and appended to a file the
worker reads the scans it lacks from (``ScanCache(ahead=...)``); the worker still scans the code
objects (from the ``__pycache__`` files: cheap to load) where the walk, once it has followed
every import, has not scanned them first.

What a name resolves to is found here without importing anything (file finders of its own);
where that differs from what the worker finds, a record is not used: records are keyed by path,
size and mtime, like the scan cache's entries, and a scan depends only on the file. So the
graph is the one the worker makes alone; only the time differs.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.machinery
import logging
import marshal
import os
import pkgutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from freezekit.platforms import Target

from . import _mgadapter
from ._scancache import (
    RECORD_LENGTH,
    Plain,
    ScanCache,
    Scanner,
    plain_bytecode_info,
    to_plain,
)

logger = logging.getLogger(__name__)


def possible(target: Target) -> bool:
    """Whether this process can scan for ``target``'s worker: the same interpreter (so the same
    syntax trees and code objects), not optimising (the worker does not)."""
    try:
        same = os.path.samefile(sys.executable, target.python)
    except OSError:
        return False
    return same and not sys.flags.optimize


#: Larger sources are left to the worker: their syntax trees take tens of MiB for a moment
MAX_SOURCE = 64 << 10


class ScanAhead:
    """The thread that scans ahead of the worker started with ``request``, into ``path``."""

    def __init__(
        self, request: Mapping[str, Any], path: str, after: threading.Event | None = None
    ) -> None:
        self.path = path
        self.after = after
        self.scripts = [str(s) for s in request.get("scripts", [])]
        self.packages = [str(p) for p in request.get("packages", [])]
        self.modules = [str(m) for m in request.get("modules", [])]
        self.excluded = frozenset([*request.get("excludes", []), *request.get("lean_excludes", [])])
        self.search = [str(p) for p in request.get("paths", [])] + [p for p in sys.path if p]
        self.stopped = threading.Event()
        self.scanned = 0
        self._found: dict[str, tuple[str | None, list[str] | None]] = {}
        self._finders: dict[str, importlib.machinery.FileFinder] = {}
        self._thread = threading.Thread(target=self._run, name="freezekit-scan-ahead", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop (at the next module) and wait for the thread."""
        self.stopped.set()
        self._thread.join()

    # -- the walk -------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            with open(self.path, "ab", buffering=0) as out:
                # not beside the build's other early work (the PYZ dictionary's compiler): the
                # three of them and the worker's growth made the build's peak of memory
                while self.after is not None and not self.after.wait(0.02):
                    if self.stopped.is_set():
                        break
                if not self.stopped.is_set():
                    self._walk(Scanner(*_mgadapter.scan_functions()), out)
                out.write(bytes(RECORD_LENGTH))  # the end: the worker stops looking
        except Exception as exc:  # the worker scans what is missing itself
            logger.debug("scan ahead stopped: %s: %s", type(exc).__name__, exc)
        finally:
            self._found.clear()
            self._finders.clear()
            _trim_heap()

    def _walk(self, scanner: Scanner, out: Any) -> None:
        # modulegraph2's order, roughly, so that the walk stays ahead of the worker: a work
        # stack; a module is loaded (scanned) with its packages first, and its imports are
        # pushed in order (the last one is taken first), each module before the names of its
        # ``from`` list (those wait until the module's own imports are done)
        stack: list[str] = []
        pushed: set[str] = set()
        done: set[str] = set()
        walked: list[tuple[str, str, tuple[int, int]]] = []

        def push(names: Iterable[str]) -> None:
            for name in names:
                if name not in pushed and not self._is_excluded(name):
                    pushed.add(name)
                    stack.append(name)

        def load(name: str) -> None:
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                part = ".".join(parts[:end])
                if part in done:
                    continue
                done.add(part)
                if self._is_excluded(part):
                    return
                found = self._scan_tree(scanner, part)
                if found is None:
                    continue
                origin, stamp, ast_plain = found
                _write(out, (origin, stamp, 1, ast_plain))
                walked.append((part, origin, stamp))
                self.scanned += 1
                is_package = os.path.basename(origin) == "__init__.py"
                push(_imported_names(part, is_package, ast_plain))

        starved = _Starved()
        for script in self.scripts:
            with contextlib.suppress(OSError, SyntaxError, ValueError):
                with open(script, "rb") as stream:
                    tree = compile(stream.read(), script, "exec", ast.PyCF_ONLY_AST, True)
                push(_imported_names("", False, [to_plain(i) for i in scanner.ast_info(tree)]))
            while stack and not self._over() and not starved():
                load(stack.pop())
        for seed in [*self.packages, *self.modules]:
            push([seed])
            if seed in self.packages:
                push(self._submodules(seed))
            while stack and not self._over() and not starved():
                load(stack.pop())
        # then the code objects' scans (the smaller part), the last module walked first: the
        # worker, going the same way, meets them somewhere in the middle
        for name, origin, stamp in reversed(walked):
            if self._over() or starved():
                break
            bytecode_plain = _scan_code(scanner, name, origin)
            if bytecode_plain is not None:
                _write(out, (origin, stamp, 2, bytecode_plain))
        if starved.stopped:
            logger.debug("scan ahead: stopped, no processor to itself (%.2f)", starved.share)

    def _scan_tree(self, scanner: Scanner, name: str) -> tuple[str, Any, Any] | None:
        origin = self._find(name)[0]
        if origin is None or not origin.endswith(".py"):
            return None  # not found, an extension, a namespace package, ...
        found = _scan_tree(scanner, name, origin)
        return None if found is None else (origin, *found)

    def _over(self) -> bool:
        """The worker has ended, or has added every module (it said so: ``<path>.done``)."""
        return self.stopped.is_set() or os.path.exists(self.path + ".done")

    def _is_excluded(self, name: str) -> bool:
        parts = name.split(".")
        return any(".".join(parts[:end]) in self.excluded for end in range(1, len(parts) + 1))

    def _find(self, name: str) -> tuple[str | None, list[str] | None]:
        """(its file if a source module or package, else None; its folders if a package, else
        None) for a module name, as the path finder would find it (the walk's own finders:
        the build process's import caches are left alone)."""
        if name in self._found:
            return self._found[name]
        parent = name.rpartition(".")[0]
        search = self._find(parent)[1] if parent else self.search
        found: tuple[str | None, list[str] | None] = (None, None)
        portions: list[str] = []
        for folder in search or ():
            finder = self._finders.get(folder)
            if finder is None:
                finder = self._finders[folder] = importlib.machinery.FileFinder(folder, *_LOADERS)
            try:
                spec = finder.find_spec(name)
            except (ImportError, OSError, ValueError):
                spec = None
            if spec is None:
                continue
            if spec.loader is None:  # a portion of a namespace package
                portions += list(spec.submodule_search_locations or ())
                continue
            is_source = isinstance(spec.loader, importlib.machinery.SourceFileLoader)
            locations = spec.submodule_search_locations
            found = (
                spec.origin if is_source else None,
                list(locations) if locations is not None else None,
            )
            break
        else:
            found = (None, portions or None)
        self._found[name] = found
        return found

    def _submodules(self, package: str) -> list[str]:
        """The modules of a package's folders, at every depth."""
        names = []
        for info in pkgutil.iter_modules(self._find(package)[1] or [], prefix=f"{package}."):
            names.append(info.name)
            if info.ispkg:
                names += self._submodules(info.name)
        return names


class _Starved:
    """True once the walk gets less than ``MIN_SHARE`` of a processor over a ``WINDOW``: the
    machine has no processor to spare, and the walk would slow the worker down instead."""

    MIN_SHARE = 0.5
    WINDOW = 0.25  # seconds

    def __init__(self) -> None:
        self.stopped = False
        self.share = 1.0
        self._wall, self._cpu = time.perf_counter(), time.thread_time()

    def __call__(self) -> bool:
        wall = time.perf_counter() - self._wall
        if wall >= self.WINDOW and not self.stopped:
            self.share = (time.thread_time() - self._cpu) / wall
            self.stopped = self.share < self.MIN_SHARE
            self._wall, self._cpu = time.perf_counter(), time.thread_time()
        return self.stopped


#: the path finder's file finders (importlib._bootstrap_external._get_supported_file_loaders)
_LOADERS = (
    (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES),
    (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
)


def _trim_heap() -> None:
    """Give the pages the syntax trees left free back to the system (glibc's malloc_trim):
    the end of the analysis is the build's peak of memory."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).malloc_trim(0)


def _write(out: Any, record: tuple[str, tuple[int, int], int, Any]) -> None:
    data = marshal.dumps(record)
    out.write(len(data).to_bytes(RECORD_LENGTH, "little") + data)


def _scan_tree(scanner: Scanner, name: str, origin: str) -> tuple[tuple[int, int], Any] | None:
    """(stamp, the imports of its syntax tree) of a source module, as the worker makes them
    (the same source text, as the loader decodes it, and the same compile flags)."""
    stamp = ScanCache._stamp(origin)
    if stamp is None or stamp[0] > MAX_SOURCE:
        return None
    try:
        source = importlib.machinery.SourceFileLoader(name, origin).get_source(name)
        if source is None:
            return None
        tree = compile(source, origin, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        return stamp, [to_plain(i) for i in scanner.ast_info(tree)]
    except Exception:  # a syntax error, an odd file: the worker deals with it
        return None


def _scan_code(scanner: Scanner, name: str, origin: str) -> Any:
    """The scan of a source module's code object, as the worker makes it (the loader's code:
    from the ``__pycache__`` file when that is current), as plain values; or None."""
    try:
        code = _ReadOnlyLoader(name, origin).get_code(name)
        return plain_bytecode_info(scanner.bytecode_info(code))
    except Exception:  # a syntax error, an odd file: the worker deals with it
        return None


class _ReadOnlyLoader(importlib.machinery.SourceFileLoader):
    """A source loader that writes no ``__pycache__`` file (the worker runs with ``-B``)."""

    def _cache_bytecode(self, *args: object, **kwargs: object) -> None:
        return None


def _imported_names(name: str, is_package: bool, imports: Iterable[Plain]) -> list[str]:
    """The module names the imports of module ``name`` may reach, in the order to push them:
    for each import, ``module.name`` for each name of its ``from`` list (a submodule, or not),
    then the module (taken first: its packages are loaded before it, in ``_walk``)."""
    package = name if is_package else name.rpartition(".")[0]
    found: list[str] = []
    for module, level, names, *_ in imports:  # the module after its names: taken first
        target = module[0] if isinstance(module, tuple) else module
        if level:
            parts = package.split(".") if package else []
            if level - 1 >= len(parts):
                continue
            base = ".".join(parts[: len(parts) - (level - 1)])
            target = f"{base}.{target}" if target else base
        if not target:
            continue
        for item in names:
            item_name = item[0] if isinstance(item, tuple) else item
            if item_name != "*":
                found.append(f"{target}.{item_name}")
        found.append(target)
    return found


def start(
    request: dict[str, Any], target: Target, *, after: threading.Event | None = None
) -> ScanAhead | None:
    """Start scanning ahead of the worker of ``request`` (and name the file in it), once
    ``after`` is set, when this process can (``possible``); None otherwise."""
    if not possible(target):
        return None
    fd, path = tempfile.mkstemp(prefix="freezekit-scan-ahead-")
    os.close(fd)
    request["scan_ahead"] = path
    ahead = ScanAhead(request, path, after)
    ahead.start()
    return ahead


def finish(ahead: ScanAhead | None) -> None:
    """Stop the thread and remove its file."""
    if ahead is None:
        return
    ahead.stop()
    logger.debug("scan ahead: %d modules scanned beside the worker", ahead.scanned)
    for path in (ahead.path, ahead.path + ".done"):
        with contextlib.suppress(OSError):
            os.remove(path)
