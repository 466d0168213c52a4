"""Imports made by compiled extension modules, found in their read-only strings.

An extension module imports from C (``PyImport_ImportModule("uuid")``, Cython's string table,
cffi's ``_cffi_backend``, pyo3's ``py.import("json")``), which no source scanner sees; a
missing one fails at import time, or crashes (orjson dereferences the NULL it gets back). The
names are C strings in the file: NUL on both sides, an identifier or dotted identifiers. This
module lists those strings (``candidate_names``) and keeps the ones that name a module the
target Python can find on its path without running anything (``ModuleFinder``); the worker
adds them to the graph as optional imports of the extension.

Bounds, so junk stays out: only files that call ``PyImport_*`` are read; a candidate must be
a whole C string; it must resolve to a real module file or package on the target's path (or a
built-in module); names the build excludes (``LEAN_EXCLUDES`` and ``--exclude-module``) and
the modules in ``NEVER`` are skipped. Results are cached per file (path, size, mtime) like the
scan cache, since a 10 MB extension takes tens of milliseconds to read.

Cython >= 3.1 may compress its string table (LZSS, zlib): then the names are not in the file
as text, and only hooks (or the sibling rule in the worker) see them.

Standard library only; runs under the target Python inside the analysis worker.
"""

from __future__ import annotations

import importlib.machinery
import marshal
import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from . import _mgadapter

_FORMAT = 3  # 2: compressed flag and traced imports; 3: traced per group
#: a whole C string that is an identifier or dotted identifiers (2 to 120 characters), as
#: group 1: the NUL before it is matched, not looked behind for, so the search jumps from NUL
#: to NUL (2.3x faster on numpy's extensions, the same names; the lookahead leaves the NUL
#: after it for the next string)
_NAME = re.compile(
    rb"\x00([A-Za-z_][A-Za-z0-9_]{0,60}(?:\.[A-Za-z_][A-Za-z0-9_]{0,60}){0,6})(?=\x00)"
)
#: an extension that never calls the import C API imports nothing by name
_IMPORT_API = b"PyImport_"
#: importable, but never what an extension's string means: demos, tests, and the modules
#: PEP 594 deprecated (short words such as ``chunk`` and ``uu`` are common C strings)
NEVER = frozenset(
    {"this", "antigravity", "__hello__", "__phello__", "__main__", "test", "tests", "idlelib"}
    | {"aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib"}
    | {"nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu"}
    | {"xdrlib", "trace"}
)


#: Cython >= 3.1 keeps its string table compressed (LZSS, zlib, bz2 or zstd): the error
#: messages of its decompressors are in the file
_COMPRESSED_MARKERS = (b"string data decompression failed", b"cannot initialise module strings")


def is_compressed(data: bytes) -> bool:
    """Whether the file's module names are in a compressed Cython string table."""
    return _IMPORT_API in data and any(marker in data for marker in _COMPRESSED_MARKERS)


def candidate_names(data: bytes) -> list[str]:
    """Whole C strings of an extension file that look like module names (sorted, unique)."""
    if _IMPORT_API not in data:
        return []
    names = {m.group(1).decode("ascii") for m in _NAME.finditer(data)}
    return sorted(n for n in names if len(n) >= 2 and not n.startswith("PyInit_"))


#: A file is read this many bytes at a time: numpy's _multiarray_umath (10 MB) read whole was
#: the analysis worker's peak of memory (+10 MiB, beside the whole graph)
WINDOW = 1 << 20
#: What a window keeps of the one before it: more than the longest _NAME match with the NULs
#: around it (7 parts of up to 61 characters and 6 dots: 435 bytes) and than the markers
_OVERLAP = 512


def scan_stream(stream: BinaryIO, window: int = WINDOW) -> tuple[list[str], bool]:
    """``(candidate_names, is_compressed)`` of a whole file, read ``window`` bytes at a time.

    A match depends only on the bytes from its NUL to the next NUL, so the windows (each with
    the last ``_OVERLAP`` bytes of the one before) find the same names as one read would."""
    found: set[bytes] = set()
    api = compressed = False
    tail = b""
    while block := stream.read(window):
        data = tail + block
        api = api or _IMPORT_API in data
        compressed = compressed or any(marker in data for marker in _COMPRESSED_MARKERS)
        found.update(m.group(1) for m in _NAME.finditer(data))
        tail = data[-_OVERLAP:]
    if not api:
        return [], False
    names = {n.decode("ascii") for n in found}
    return sorted(n for n in names if len(n) >= 2 and not n.startswith("PyInit_")), compressed


class ExtensionScanCache:
    """``path -> ((size, mtime_ns), names, compressed, traced)`` in one marshal file;
    ``traced`` is None until the file's module has been imported by ``trace_imports``."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.entries: dict[str, tuple[Any, ...]] = {}
        self.dirty = False
        if path is None:
            return
        try:
            with open(path, "rb") as stream:
                fmt, entries = marshal.loads(stream.read())
            if fmt == _FORMAT and isinstance(entries, dict):
                self.entries = entries
        except (OSError, EOFError, ValueError, TypeError):
            self.entries = {}

    def _entry(self, filename: str) -> tuple[Any, ...] | None:
        try:
            st = os.stat(filename)
        except OSError:
            return None
        stamp = (st.st_size, st.st_mtime_ns)
        entry = self.entries.get(filename)
        if entry is not None and tuple(entry[0]) == stamp:
            return entry
        try:
            with open(filename, "rb") as stream:
                names, compressed = scan_stream(stream)
        except OSError:
            return None
        entry = (stamp, names, compressed, None)
        self.entries[filename] = entry
        self.dirty = True
        return entry

    def names(self, filename: str) -> list[str]:
        entry = self._entry(filename)
        return list(entry[1]) if entry else []

    def compressed(self, filename: str) -> bool:
        entry = self._entry(filename)
        return bool(entry and entry[2])

    def traced(self, filename: str, group: str) -> list[str] | None:
        """The imports recorded for the file when its module was imported with ``group``
        (the same compressed modules in one child: what is recorded for one depends on what
        the others imported before it)."""
        entry = self._entry(filename)
        if entry is None or not isinstance(entry[3], dict) or group not in entry[3]:
            return None
        return list(entry[3][group])

    def set_traced(self, filename: str, group: str, names: list[str]) -> None:
        entry = self._entry(filename)
        if entry is not None:
            runs = dict(entry[3]) if isinstance(entry[3], dict) else {}
            runs[group] = sorted(names)
            while len(runs) > 8:  # the oldest groups go first
                del runs[next(iter(runs))]
            self.entries[filename] = (*entry[:3], runs)
            self.dirty = True

    def save(self) -> None:
        if not self.dirty or self.path is None:
            return
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            tmp = f"{self.path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as stream:
                stream.write(marshal.dumps((_FORMAT, self.entries)))
            os.replace(tmp, self.path)
        except (OSError, ValueError):
            pass  # only costs time on the next build


class ModuleFinder:
    """Whether a module exists on ``sys.path``, found the way the path finder would, without
    importing (or running) any package on the way."""

    def __init__(self, excluded: Iterable[str]) -> None:
        self.excluded = set(excluded) | NEVER
        self._found: dict[str, list[str] | None] = {}  # name -> search locations ([] module)
        self._tops: frozenset[str] | None = None
        self._namespaces: dict[str, list[str]] = {}  # namespace package -> its folders

    def is_excluded(self, name: str) -> bool:
        parts = name.split(".")
        return any(".".join(parts[: i + 1]) in self.excluded for i in range(len(parts)))

    def exists(self, name: str) -> bool:
        if self.is_excluded(name):
            return False
        return self._locate(name) is not None

    def _top_levels(self) -> frozenset[str]:
        """Every top-level module name on ``sys.path`` (one listing per folder): most
        candidates are not module names, and asking the path finder costs a lookup in
        each folder."""
        if self._tops is None:
            names = set(sys.builtin_module_names)
            for folder in sys.path:
                try:
                    entries = os.listdir(folder or ".")
                except (OSError, TypeError, ValueError):
                    continue
                names.update(entry.partition(".")[0] for entry in entries)
            self._tops = frozenset(names)
        return self._tops

    def _locate(self, name: str) -> list[str] | None:
        if name in self._found:
            return self._found[name]
        if name.partition(".")[0] not in self._top_levels():
            self._found[name] = None
            return None
        parent, _, _ = name.rpartition(".")
        result: list[str] | None = None
        if not parent:
            builtin = name in sys.builtin_module_names
            result = [] if builtin else self._spec_locations(name, None)
        else:
            search = self._locate(parent)
            if search is None:
                search = self._namespaces.get(parent)
            if search:
                result = self._spec_locations(name, search)
        self._found[name] = result
        return result

    def _spec_locations(self, name: str, search: list[str] | None) -> list[str] | None:
        try:
            spec = importlib.machinery.PathFinder.find_spec(name, search)
        except (ImportError, ValueError, OSError):
            return None
        if spec is None:
            return None
        if not spec.origin or not os.path.isfile(spec.origin):
            # a namespace package: any folder of that name, so never a module by itself,
            # but the modules under it (sphinxcontrib.htmlhelp) are real
            if spec.submodule_search_locations is not None:
                self._namespaces[name] = list(spec.submodule_search_locations)
            return None
        if spec.submodule_search_locations is not None:
            return list(spec.submodule_search_locations)
        return []


def default_path(scan_cache_path: str) -> str:
    """Next to the import scan cache (the strings do not depend on the Python version)."""
    return os.path.join(os.path.dirname(scan_cache_path), f"extensions-{_FORMAT}.marshal")


def _requirement_name(requirement: str) -> str | None:
    """The distribution a ``Requires-Dist`` line names, unless only an extra needs it."""
    name, _, marker = requirement.partition(";")
    if "extra" in marker:
        return None
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", name.strip())
    return _normalize(match.group()) if match else None


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_PACKAGES_DISTRIBUTIONS: dict[str, list[str]] | None = None


def packages_distributions() -> dict[str, list[str]]:
    """``importlib.metadata.packages_distributions()``, once per process (it reads every
    installed distribution's file list: 0.8 s for 78 distributions here; the worker needs it
    again for the metadata)."""
    global _PACKAGES_DISTRIBUTIONS
    if _PACKAGES_DISTRIBUTIONS is None:
        import importlib.metadata as md

        _PACKAGES_DISTRIBUTIONS = dict(md.packages_distributions())
    return _PACKAGES_DISTRIBUTIONS


class Neighbours:
    """Top-level names an extension of package ``top`` may import: its own package, the
    standard library, and the packages of the distributions its distribution requires (not an
    extra). orjson's ``numpy`` string (used only when numpy is there) stays out; cffi's
    ``_cffi_backend`` for argon2-cffi-bindings (which requires cffi) goes in. The installed
    distributions are read only when a name needs them."""

    def __init__(self) -> None:
        self._tops_of: dict[str, set[str]] | None = None
        self._allowed: dict[str, frozenset[str]] = {}
        self.stdlib = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(
            sys.builtin_module_names
        )

    def _tops_of_dist(self) -> dict[str, set[str]]:
        if self._tops_of is None:
            self._tops_of = {}
            for top, dists in packages_distributions().items():
                for dist in dists:
                    self._tops_of.setdefault(_normalize(dist), set()).add(top)
        return self._tops_of

    def allowed(self, top: str) -> frozenset[str]:
        found = self._allowed.get(top)
        if found is None:
            import importlib.metadata as md

            tops = {top}
            for dist in packages_distributions().get(top, ()):
                try:
                    requires = md.distribution(dist).requires or []
                except Exception:  # a broken dist-info must not stop the analysis
                    requires = []
                for requirement in requires:
                    name = _requirement_name(requirement)
                    if name is not None:
                        tops |= self._tops_of_dist().get(name, set())
            found = self._allowed[top] = frozenset(tops)
        return found

    def may_import(self, extension: str, name: str) -> bool:
        top = name.partition(".")[0]
        own = extension.partition(".")[0]
        return top in self.stdlib or top == own or top in self.allowed(own)


#: Run in a child of the target Python: import the given modules and record, for every
#: extension module initialised on the way, the modules first imported while it ran.
_TRACER = r"""
import importlib, importlib.machinery, json, sys
request = json.load(sys.stdin)
sys.path[:] = request["path"]
loader = importlib.machinery.ExtensionFileLoader
running, found = [], {}
def wrap(method, name_of):
    def wrapper(self, arg):
        running.append(name_of(arg))
        try:
            return method(self, arg)
        finally:
            running.pop()
    return wrapper
loader.create_module = wrap(loader.create_module, lambda spec: spec.name)
loader.exec_module = wrap(loader.exec_module, lambda module: module.__name__)
class Recorder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if running and name != running[-1]:
            found.setdefault(running[-1], []).append(name)
        return None
sys.meta_path.insert(0, Recorder)
failed = []
for name in request["modules"]:
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
loaded = {k: sorted({n for n in v if n in sys.modules}) for k, v in found.items()}
with open(request["out"], "w", encoding="utf-8") as stream:
    json.dump({"imports": loaded, "failed": failed}, stream)
"""


def trace_imports(
    modules: list[str], *, timeout: float = 120
) -> tuple[dict[str, list[str]], list[str]]:
    """Import ``modules`` in a child of this Python (same ``sys.path``) and return, per
    extension module initialised, the modules first imported while its init ran (what a
    compressed string table hides), and the failures. Runs the packages' code: only used for
    extensions whose strings cannot be read."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="freezekit-trace-") as tmp:
        out = os.path.join(tmp, "imports.json")
        request = json.dumps({"path": sys.path, "modules": modules, "out": out})
        try:
            subprocess.run(
                [sys.executable, "-I", "-B", "-c", _TRACER],
                input=request,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=tmp,
            )
            with open(out, encoding="utf-8") as stream:
                reply = json.load(stream)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            return {}, [f"{', '.join(modules)}: {type(exc).__name__}: {exc}"]
    return dict(reply.get("imports", {})), list(reply.get("failed", []))


def extension_file(mg: Any, node: Any) -> str | None:
    """The file of an extension module node, or of a package whose __init__ is one."""
    if isinstance(node, mg.ExtensionModule):
        return str(node.filename) if node.filename else None
    if isinstance(node, mg.Package) and isinstance(node.init_module, mg.ExtensionModule):
        return str(node.init_module.filename) if node.init_module.filename else None
    return None


def add_extension_imports(
    mg: Any,
    graph: Any,
    *,
    excluded: Iterable[str],
    stdlib_dirs: Iterable[str],
    cache: ExtensionScanCache,
    drain: Callable[[], None],
    log: Callable[[str], None] = lambda message: None,
) -> list[tuple[str, str]]:
    """Add the modules each non-stdlib extension module of ``graph`` names (and that exist)
    as optional imports of it, until no new extension turns up; returns the (extension,
    module) pairs added. An extension whose strings are compressed (Cython >= 3.1) is
    imported once in a child process instead (``trace_imports``), and the result cached."""
    from modulegraph2 import DependencyInfo

    optional = DependencyInfo(True, True, False, None)
    finder = ModuleFinder(excluded)
    neighbours = Neighbours()
    stdlib = tuple(os.path.join(d, "") for d in stdlib_dirs)
    seen: set[str] = set()
    added: list[tuple[str, str]] = []
    while True:
        todo = []
        for node in list(graph.nodes()):
            file = extension_file(mg, node)
            if file and node.identifier not in seen and not file.startswith(stdlib):
                todo.append((node, file))
        if not todo:
            return added
        group = _trace_compressed(todo, cache, log)
        for node, file in todo:
            seen.add(node.identifier)
            traced = set(cache.traced(file, group) or ()) if group else set()
            for name in sorted({*cache.names(file), *traced}):
                if name == node.identifier:
                    continue
                known = graph.find_node(name)
                if known is not None and not isinstance(known, mg.MissingModule):
                    continue
                if not finder.exists(name):
                    continue
                if name not in traced and not neighbours.may_import(node.identifier, name):
                    continue
                if add_import(graph, node, name, optional):
                    added.append((node.identifier, name))
            drain()


def add_import(graph: Any, node: Any, name: str, edge: Any) -> bool:
    """Put module ``name`` in the graph (found or loaded by modulegraph2) with an ``edge`` from
    ``node``; False when modulegraph2 refuses it (then it is left out)."""
    try:
        # import_module() would add a non-optional edge as well
        target = _mgadapter.find_or_load(graph, node, name)
        graph.add_edge(node, target, edge)
    except Exception:  # modulegraph2 refused it: leave it out
        return False
    return True


def _trace_compressed(
    todo: list[tuple[Any, str]], cache: ExtensionScanCache, log: Callable[[str], None]
) -> str:
    """Trace this round's compressed modules together (once per group, then cached); the
    group's key, or "" when there are none."""
    import hashlib

    files = {node.identifier: file for node, file in todo if cache.compressed(file)}
    if not files:
        return ""
    members = sorted(files)
    group = hashlib.sha256("\n".join(members).encode()).hexdigest()[:16]
    if all(cache.traced(files[m], group) is not None for m in members):
        return group
    traced, failed = trace_imports(members)
    for message in failed:
        log(f"cannot import {message} (its compressed strings are not followed)")
    for module in members:
        cache.set_traced(files[module], group, traced.get(module, []))
    return group
