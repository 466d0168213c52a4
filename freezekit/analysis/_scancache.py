"""A persistent cache of modulegraph2's per-file import scans, used by the worker.

modulegraph2 parses every source file (``compile(..., PyCF_ONLY_AST)``) and disassembles its
code object on every run; for a stdlib-heavy app that is most of the analysis time, and the
answer only changes when the file does. This module wraps the three functions modulegraph2's
graph builder calls so that a file whose path, size and mtime are unchanged is not parsed
again. The cache is one marshal file per target Python under ``~/.cache/freezekit/scan/``. The
standard library's frozen modules (``<frozen os>``, ...) have no file: their code is that of the
exact interpreter version, which stands for their state.

The other per-run saving, ``_mgadapter.list_distributions_once``: modulegraph2 looks up the
distribution of every file it adds by listing every ``sys.path`` folder again (numpy_app: 789
lookups, 5,700 listings).

Standard library + modulegraph2 only; runs under the target Python inside the worker.
"""

from __future__ import annotations

import ast
import functools
import marshal
import os
import sys
from typing import Any

from freezekit.analysis import _astscan as fast_ast
from freezekit.analysis._bytecodescan import scan as scan_bytecode

_FORMAT = 2  # 2: marshal of plain values (1: a pickle of modulegraph2's objects)

#: an import as plain values: (module, asname), level, ((name, asname), ...), star, in function,
#: in conditional, in try/except
Plain = tuple[Any, ...]


class _CachedAst:
    """Stands in for an AST that need not be built: the scan result is cached."""

    def __init__(self, filename: str) -> None:
        self.filename = filename


_NO_ASNAME = object()


def _plain_name(name: Any) -> Any:
    """modulegraph2's import_name (a str with an ``asname``) as (name, asname); a str as is."""
    asname = getattr(name, "asname", _NO_ASNAME)
    return name if asname is _NO_ASNAME else (str(name), asname)


def to_plain(info: Any) -> Plain:
    """An ImportInfo as plain values that marshal can write."""
    return (
        _plain_name(info.import_module),
        info.import_level,
        tuple(_plain_name(n) for n in info.import_names),
        info.star_import,
        info.is_in_function,
        info.is_in_conditional,
        info.is_in_tryexcept,
    )


class _Decoder:
    """Plain values back into modulegraph2's objects (made when a cached scan is used)."""

    def __init__(self, importinfo: Any) -> None:
        self.info = importinfo.ImportInfo
        self.name = importinfo.import_name

    def name_of(self, plain: Any) -> Any:
        return self.name.from_tuple(plain) if isinstance(plain, tuple) else plain

    def info_of(self, plain: Plain) -> Any:
        module, level, names, star, in_function, in_conditional, in_try = plain
        return self.info(
            self.name_of(module),
            level,
            {self.name_of(n) for n in names},
            star,
            in_function,
            in_conditional,
            in_try,
        )


class Scanner:
    """The two scans of a source module, as the worker makes them: the imports of its syntax
    tree (_astscan.py where this Python is supported, modulegraph2's ``extract_ast_info``
    otherwise) and the imports and global names of its code object (_bytecodescan.py,
    modulegraph2's ``extract_bytecode_info`` where unsure). ``importinfo``:
    modulegraph2._importinfo; the other two: modulegraph2's functions."""

    def __init__(self, importinfo: Any, extract_ast_info: Any, extract_bytecode_info: Any) -> None:
        self.importinfo = importinfo
        self.ast_info = extract_ast_info
        if fast_ast.supported():
            # the same imports in the same order, 10x faster: statement lists only (_astscan.py)
            self.ast_info = functools.partial(
                fast_ast.scan, create_importinfo=importinfo.create_importinfo
            )
        self.modulegraph_bytecode_info = extract_bytecode_info

    def bytecode_info(self, code: Any) -> Any:
        # the same answer 3-5x faster (_bytecodescan.py), modulegraph2's where unsure
        found = scan_bytecode(code, self.importinfo.create_importinfo)
        return self.modulegraph_bytecode_info(code) if found is None else found


def plain_bytecode_info(result: Any) -> tuple[list[Plain], list[Any], list[Any]]:
    """A bytecode scan (imports, names written, names read) as plain values."""
    imports, written, read = result
    return (
        [to_plain(i) for i in imports],
        [_plain_name(n) for n in written],
        [_plain_name(n) for n in read],
    )


#: A record of a scan-ahead file (scanahead.py): its length, then the marshalled
#: ``(path, stamp, slot, scan)`` (slot 1: the AST imports, 2: the bytecode scan); a record of
#: length 0 ends the file.
RECORD_LENGTH = 4


class ScanCache:
    """``entries``: path -> (stamp, AST imports or None, bytecode scan or None), plain values:
    marshal reads them in a tenth of the time pickle took for modulegraph2's objects
    (1,217 files, 14,000 imports: 98 ms), and only the entries a run uses are turned back into
    objects.

    ``ahead``: a file the build process fills with the scans of modules the worker is likely to
    reach (scanahead.py, on a processor the worker leaves free); a scan not in the cache is
    looked for there before the worker makes it."""

    def __init__(self, path: str, ahead: str | None = None) -> None:
        self.path = path
        self.entries: dict[str, tuple[Any, Any, Any]] = {}
        self.dirty = False
        self._last_ast_file: str | None = None
        self._decode: _Decoder | None = None
        self._ahead = ahead
        self._ahead_offset = 0
        try:
            with open(path, "rb") as stream:
                fmt, entries = marshal.loads(stream.read())
            if fmt == _FORMAT and isinstance(entries, dict):
                self.entries = entries
        except (OSError, EOFError, ValueError, TypeError):
            self.entries = {}

    def _read_ahead(self) -> None:
        """Take the new complete records of the scan-ahead file."""
        assert self._ahead is not None
        try:
            with open(self._ahead, "rb") as stream:
                stream.seek(self._ahead_offset)
                data = stream.read()
        except OSError:
            self._ahead = None
            return
        at = 0
        while len(data) - at >= RECORD_LENGTH:
            length = int.from_bytes(data[at : at + RECORD_LENGTH], "little")
            if length == 0:  # the end: nothing more will come
                self._ahead = None
                break
            end = at + RECORD_LENGTH + length
            if end > len(data):
                break  # being written
            try:
                filename, stamp, slot, scan = marshal.loads(data[at + RECORD_LENGTH : end])
            except (EOFError, ValueError, TypeError):
                self._ahead = None
                return
            at = end
            if slot not in (1, 2):
                continue
            entry = self.entries.get(filename)
            if entry is None or entry[0] != tuple(stamp):
                entry = (tuple(stamp), None, None)
            if entry[slot] is None:
                self.entries[filename] = (*entry[:slot], scan, *entry[slot + 1 :])
                self.dirty = True
        self._ahead_offset += at

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
        if entry is None or entry[slot] is None:
            if self._ahead is None:
                return None
            self._read_ahead()
            entry = self.entries.get(filename)
            if entry is None or entry[slot] is None:
                return None
        if entry[0] != self._stamp(filename):
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

    def install(self, graphbuilder: Any, importinfo: Any) -> None:
        """Wrap ``graphbuilder``'s scans; ``importinfo``: modulegraph2._importinfo."""
        real_compile = compile
        scanner = Scanner(
            importinfo, graphbuilder.extract_ast_info, graphbuilder.extract_bytecode_info
        )
        real_ast_info = scanner.ast_info
        real_bytecode_info = scanner.bytecode_info
        cache = self

        decode = _Decoder(importinfo)

        def cached_compile(source: Any, filename: Any, mode: str, *args: Any, **kwargs: Any) -> Any:
            flags = kwargs.get("flags", args[0] if args else 0)
            if flags & ast.PyCF_ONLY_AST and isinstance(filename, str):
                cache._last_ast_file = filename
                if cache._get(filename, 1) is not None:
                    return _CachedAst(filename)
            return real_compile(source, filename, mode, *args, **kwargs)

        def cached_ast_info(node: Any) -> Any:
            if isinstance(node, _CachedAst):
                return [decode.info_of(p) for p in cache._get(node.filename, 1)]
            result = list(real_ast_info(node))
            if cache._last_ast_file:
                cache._put(cache._last_ast_file, 1, [to_plain(i) for i in result])
            return result

        def cached_bytecode_info(code: Any) -> Any:
            filename = getattr(code, "co_filename", None)
            if isinstance(filename, str):
                hit = cache._get(filename, 2)
                if hit is not None:
                    imports, written, read = hit
                    return (
                        [decode.info_of(p) for p in imports],
                        {decode.name_of(n) for n in written},
                        {decode.name_of(n) for n in read},
                    )
            result = real_bytecode_info(code)
            if isinstance(filename, str):
                cache._put(filename, 2, plain_bytecode_info(result))
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
                stream.write(marshal.dumps((_FORMAT, self.entries)))
            os.replace(tmp, self.path)
            legacy = os.path.splitext(self.path)[0] + ".pickle"  # format 1, never read again
            if os.path.exists(legacy):
                os.remove(legacy)
        except (OSError, ValueError):
            pass  # a cache that cannot be written only costs time (ValueError: not plain)


def default_path(modulegraph_version: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}-{sys.implementation.cache_tag}"
    return os.path.join(base, "freezekit", "scan", f"{tag}-mg{modulegraph_version}.marshal")
