"""PKG writer: the data of every TOC entry, the TOC, and the trailer, appended to a bootloader."""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from freezekit.archive import format as fmt
from freezekit.archive.pyz import EAGER_WINDOW_LOG, WINDOW_LOG, compress, frame_spans
from freezekit.toc import Compression, EntryKind, check_relative_name


@dataclass(frozen=True, kw_only=True)
class PkgItem:
    """One TOC entry to write: its content is ``data`` or the file at ``source``."""

    name: str
    kind: EntryKind
    data: bytes | None = None
    source: Path | None = None
    mode: int = 0o644
    compress: bool = False

    def __post_init__(self) -> None:
        if self.kind is not EntryKind.OPTION:
            check_relative_name(self.name)
        if self.data is not None and self.source is not None:
            raise ValueError(f"PKG item {self.name!r} has both data and a source file")

    def content(self) -> bytes:
        if self.source is not None:
            return self.source.read_bytes()
        return self.data or b""


@dataclass(frozen=True, kw_only=True)
class PkgHeader:
    """Trailer fields that do not come from the entries themselves."""

    flags: int
    py_version: tuple[int, int]
    libpython: str


_KIND_ORDER = {
    EntryKind.OPTION: 0,
    EntryKind.BOOTSTRAP: 1,
    EntryKind.RUNTIME_HOOK: 2,
    EntryKind.SCRIPT: 3,
    EntryKind.PYZ: 4,
}


def order_items(items: Iterable[PkgItem]) -> list[PkgItem]:
    """Deterministic TOC order: options, bootstrap, hooks and scripts keep their given order;
    files are sorted by name after them."""
    items = list(items)
    fixed = [item for item in items if item.kind in _KIND_ORDER]
    fixed.sort(key=lambda item: _KIND_ORDER[item.kind])  # stable: keeps script order
    rest = sorted((item for item in items if item.kind not in _KIND_ORDER), key=lambda i: i.name)
    return fixed + rest


#: Besides libpython, the file a onefile app unpacks before Python starts whatever it imports:
#: with EAGER_WINDOW_LOG it streams through the window the extraction thread already has, not
#: into a buffer of fresh pages (hello: 0.59 -> 0.48 ms of CPU; 58,107 -> 60,497 bytes).
EAGER_DATA = ("base_library.zip",)


def window_log_of(item: PkgItem, header: PkgHeader) -> int:
    """The zstd window of an entry's frames: small for libpython and EAGER_DATA
    (pyz.EAGER_WINDOW_LOG)."""
    eager = item.name == header.libpython or item.name in EAGER_DATA
    return EAGER_WINDOW_LOG if eager else WINDOW_LOG


def compress_entry(raw: bytes, *, level: int, window_log: int = WINDOW_LOG) -> bytes:
    """One zstd frame, or for a large file independent frames behind a chunk index, so the
    bootloader can unpack it on several threads (format.py, "Chunked file entries")."""
    spans = frame_spans(len(raw))
    if len(spans) == 1:
        return compress(raw, level=level, window_log=window_log)
    frames = [
        compress(raw[start : start + length], level=level, window_log=window_log)
        for start, length in spans
    ]
    sizes = [(len(frame), length) for frame, (_, length) in zip(frames, spans, strict=True)]
    return fmt.encode_chunk_index(sizes) + b"".join(frames)


def compress_file(path: Path, *, level: int, window_log: int = WINDOW_LOG) -> tuple[bytes, int]:
    """``compress_entry`` of a file's content, read one frame's raw bytes at a time (a 25 MB
    library was held whole, and each 12 MiB frame copied out of it); (stored bytes, raw size)."""
    frames: list[bytes] = []
    sizes: list[tuple[int, int]] = []
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        for _, length in frame_spans(size):
            raw = stream.read(length)
            if len(raw) != length:
                raise OSError(errno.EIO, f"{path} changed size while it was read", str(path))
            frames.append(compress(raw, level=level, window_log=window_log))
            sizes.append((len(frames[-1]), length))
    if len(frames) == 1:
        return frames[0], size
    return fmt.encode_chunk_index(sizes) + b"".join(frames), size


def _direct_links(items: list[PkgItem]) -> list[PkgItem]:
    """Link entries made to point straight at their folder (a framework's
    ``QtCore -> Versions/Current/QtCore`` becomes ``Versions/A/QtCore``: the bootloader never
    goes through another link), then checked (format.check_link_target)."""
    targets = {i.name: i.content().decode("utf-8") for i in items if i.kind is EntryKind.SYMLINK}
    done = []
    for item in items:
        if item.kind is EntryKind.SYMLINK:
            target = fmt.resolve_link_target(item.name, targets[item.name], targets)
            fmt.check_link_target(item.name, target, targets)
            item = replace(item, data=target.encode("utf-8"))
        done.append(item)
    return done


_CODE_KINDS = frozenset(
    {EntryKind.BOOTSTRAP, EntryKind.RUNTIME_HOOK, EntryKind.SCRIPT, EntryKind.PYZ}
)


def prefix_items(items: list[PkgItem]) -> list[PkgItem]:
    """The items whose data goes in the PKG's prefix (format.py, "Prefix"), in their order:
    what onefile temp mode reads before Python runs any code of the app's. Everything but
    the code (bootstrap, hooks, scripts, PYZ) and the files the lazy table names."""
    lazy: set[str] = set()
    for item in items:
        if item.kind is EntryKind.LAZY:
            for files in fmt.decode_lazy_table(item.content()).values():
                lazy.update(files)
    return [item for item in items if item.kind not in _CODE_KINDS and item.name not in lazy]


def write_pkg(
    out: BinaryIO, items: Iterable[PkgItem], header: PkgHeader, *, pkg_offset: int, level: int
) -> fmt.Trailer:
    """Write PKG data, TOC and trailer to ``out`` (positioned at ``pkg_offset``). The TOC
    keeps ``order_items``' order; the data of ``prefix_items`` comes first."""
    sha = hashlib.sha256()
    digest = fmt.payload_hasher()
    prefix_digest = digest.copy()  # the state at the prefix's end, once there
    prefix_length = 0
    entries: dict[int, fmt.RawTocEntry] = {}
    position = 0
    seen: set[tuple[EntryKind, str]] = set()
    items = _direct_links(order_items(items))
    first = prefix_items(items)
    in_prefix = {id(item) for item in first}
    data_order = [*first, *(item for item in items if id(item) not in in_prefix)]
    for number, item in enumerate(data_order):
        if number == len(first):
            prefix_digest = digest.copy()
            prefix_length = position
        key = (item.kind, item.name)
        if key in seen:
            raise ValueError(f"duplicate PKG entry {item.kind.value} {item.name!r}")
        seen.add(key)
        window_log = window_log_of(item, header)
        if item.compress and item.source is not None:
            stored, raw_size = compress_file(item.source, level=level, window_log=window_log)
            compression = Compression.ZSTD if raw_size else Compression.NONE
            stored = stored if raw_size else b""
        else:
            raw = item.content()
            raw_size = len(raw)
            compression = Compression.ZSTD if item.compress and raw else Compression.NONE
            stored = (
                compress_entry(raw, level=level, window_log=window_log)
                if compression is Compression.ZSTD
                else raw
            )
        out.write(stored)
        sha.update(stored)
        digest.update(stored)
        entries[id(item)] = fmt.RawTocEntry(
            name=item.name,
            kind=item.kind,
            compression=compression,
            mode=item.mode,
            crc32=fmt.crc32(stored),
            data_offset=position,
            stored_size=len(stored),
            raw_size=raw_size,
        )
        position += len(stored)
    if len(data_order) == len(first):  # nothing after the prefix
        prefix_digest = digest.copy()
        prefix_length = position
    raw_entries = [entries[id(item)] for item in items]
    toc = b"".join(fmt.encode_toc_entry(entry) for entry in raw_entries)
    out.write(toc)
    sha.update(toc)
    digest.update(toc)
    prefix_digest.update(toc)
    trailer = fmt.Trailer(
        flags=header.flags,
        pkg_offset=pkg_offset,
        pkg_length=position + len(toc),
        toc_offset=position,
        toc_length=len(toc),
        toc_count=len(raw_entries),
        toc_crc32=fmt.crc32(toc),
        py_major=header.py_version[0],
        py_minor=header.py_version[1],
        content_id=sha.digest()[:16],
        payload_xxh64=digest.intdigest(),
        libpython=header.libpython,
        prefix_length=prefix_length,
        prefix_xxh64=prefix_digest.intdigest(),
    )
    out.write(fmt.encode_trailer(trailer))
    return trailer
