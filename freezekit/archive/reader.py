"""Read and validate a freezekit executable: trailer, TOC, entries and the PYZ inside it.

Every offset and length is checked against the file size before use, as the bootloader does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import zstandard

from freezekit.archive import format as fmt
from freezekit.errors import ArchiveFormatError
from freezekit.toc import Compression, EntryKind, check_relative_name


@dataclass(frozen=True, kw_only=True)
class Archive:
    path: Path
    size: int
    trailer: fmt.Trailer
    entries: tuple[fmt.RawTocEntry, ...]

    def entry(self, name: str, kind: EntryKind | None = None) -> fmt.RawTocEntry:
        for entry in self.entries:
            if entry.name == name and (kind is None or entry.kind is kind):
                return entry
        raise KeyError(name)

    def of_kind(self, kind: EntryKind) -> list[fmt.RawTocEntry]:
        return [entry for entry in self.entries if entry.kind is kind]

    @property
    def options(self) -> list[str]:
        return [entry.name for entry in self.of_kind(EntryKind.OPTION)]


def _fail(path: Path, message: str) -> ArchiveFormatError:
    return ArchiveFormatError(
        f"{path}: {message}", hint="the file is damaged or not a freezekit executable; rebuild it"
    )


def _pread(fd: int, offset: int, length: int) -> bytes:
    chunks = []
    while length:
        chunk = os.pread(fd, length, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
        length -= len(chunk)
    return b"".join(chunks)


def _payload_digests(fd: int, offset: int, trailer: fmt.Trailer, toc: bytes) -> tuple[int, int]:
    """(prefix digest, payload digest) of the PKG at ``offset`` (format.py, "Prefix")."""
    hasher = fmt.payload_hasher()
    prefix = hasher.copy()
    done = 0
    while done < trailer.pkg_length:
        end = trailer.prefix_length if done < trailer.prefix_length else trailer.pkg_length
        block = os.pread(fd, min(end - done, 1 << 20), offset + done)
        if not block:
            break
        hasher.update(block)
        done += len(block)
        if done == trailer.prefix_length:
            prefix = hasher.copy()
    prefix.update(toc)
    return prefix.intdigest(), hasher.intdigest()


def _u16(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 2], "little")


def _u32(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 4], "little")


def archive_end(fd: int, size: int) -> int:
    """Where the archive ends: the end of the file, or, in an executable signed after it was
    built, the start of its signature less the padding before it: a PE file's Authenticode
    certificate table (padded to 8 bytes) or a Mach-O file's LC_CODE_SIGNATURE data (16). The
    bootloader finds it the same way (archive.c)."""
    head = _pread(fd, 0, 4096)
    if len(head) >= 32 and _u32(head, 0) == 0xFEEDFACF:
        return _macho_end(fd, size, head)
    if len(head) < 0x40 or head[:2] != b"MZ":
        return size
    pe = _u32(head, 0x3C)
    if pe + 24 + 2 > len(head) or head[pe : pe + 4] != b"PE\0\0":
        return size
    magic = _u16(head, pe + 24)
    directories = pe + 24 + {0x10B: 96, 0x20B: 112}.get(magic, -1)
    if directories < pe + 24 or _u32(head, directories - 4) <= 4:  # NumberOfRvaAndSizes
        return size
    table, table_size = _u32(head, directories + 32), _u32(head, directories + 36)
    if table == 0 or table_size == 0 or table + table_size != size or table > size:
        return size
    return _before(fd, table, size, 8)


def _before(fd: int, table: int, size: int, alignment: int) -> int:
    """The end of a trailer that lies right before ``table`` or up to ``alignment`` - 1
    padding bytes before it; ``size`` when there is none."""
    for padding in range(alignment):
        end = table - padding
        magic = (
            _pread(fd, end - fmt.TRAILER_SIZE, len(fmt.MAGIC)) if end >= fmt.TRAILER_SIZE else b""
        )
        if magic == fmt.MAGIC:
            return end
    return size


def _macho_end(fd: int, size: int, head: bytes) -> int:
    """A macOS executable signed after the build: codesign puts its signature (LC_CODE_SIGNATURE)
    after the archive, aligned to 16 bytes."""
    ncmds, sizeofcmds = _u32(head, 16), _u32(head, 20)
    commands = _pread(fd, 32, min(sizeofcmds, 1 << 20))
    offset = 0
    for _ in range(ncmds):
        if offset + 8 > len(commands):
            return size
        cmd, cmdsize = _u32(commands, offset), _u32(commands, offset + 4)
        if cmd == 0x1D and offset + 16 <= len(commands):  # LC_CODE_SIGNATURE
            dataoff, datasize = _u32(commands, offset + 8), _u32(commands, offset + 12)
            if 0 < dataoff <= size and dataoff + datasize <= size:
                return _before(fd, dataoff, size, 16)
            return size
        if cmdsize < 8:
            return size
        offset += cmdsize
    return size


def open_archive(path: Path) -> Archive:
    """Parse and check the trailer, the payload digest and the TOC of ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise ArchiveFormatError(f"cannot open {path}: {exc.strerror}") from exc
    try:
        size = archive_end(fd, os.fstat(fd).st_size)
        if size < fmt.TRAILER_SIZE:
            raise _fail(path, f"file is {size} bytes, too small to hold a freezekit trailer")
        try:
            trailer = fmt.decode_trailer(_pread(fd, size - fmt.TRAILER_SIZE, fmt.TRAILER_SIZE))
        except ArchiveFormatError as exc:
            raise _fail(path, exc.message) from exc
        pkg_end = size - fmt.TRAILER_SIZE
        if trailer.pkg_offset + trailer.pkg_length != pkg_end:
            raise _fail(
                path,
                f"archive truncated or extended: PKG at {trailer.pkg_offset}+"
                f"{trailer.pkg_length} does not end at offset {pkg_end}",
            )
        if trailer.toc_offset + trailer.toc_length != trailer.pkg_length:
            raise _fail(path, "TOC does not end the PKG")
        toc = _pread(fd, trailer.pkg_offset + trailer.toc_offset, trailer.toc_length)
        if fmt.crc32(toc) != trailer.toc_crc32:
            raise _fail(path, "TOC checksum mismatch")
        try:
            entries = fmt.decode_toc(toc, trailer.toc_count)
        except ArchiveFormatError as exc:
            raise _fail(path, exc.message) from exc
        for entry in entries:
            if entry.data_offset + entry.stored_size > trailer.toc_offset:
                raise _fail(path, f"entry {entry.name!r} lies outside the PKG data")
            try:
                fmt.check_sizes(entry.name, entry.compression, entry.stored_size, entry.raw_size)
            except ArchiveFormatError as exc:
                raise _fail(path, exc.message) from exc
            if entry.kind is not EntryKind.OPTION:
                try:
                    check_relative_name(entry.name)
                except ValueError as exc:
                    raise _fail(path, str(exc)) from exc
        # last: the more precise checks above name the fault when they find it
        if trailer.prefix_length > trailer.toc_offset:
            raise _fail(path, "prefix length lies beyond the PKG data")
        prefix, payload = _payload_digests(fd, trailer.pkg_offset, trailer, toc)
        if payload != trailer.payload_xxh64:
            raise _fail(path, "payload checksum mismatch")
        if prefix != trailer.prefix_xxh64:
            raise _fail(path, "payload prefix checksum mismatch")
        return Archive(path=path, size=size, trailer=trailer, entries=tuple(entries))
    finally:
        os.close(fd)


def read_entry(archive: Archive, entry: fmt.RawTocEntry) -> bytes:
    """The decompressed data of ``entry``, with size and checksum checks."""
    with open(archive.path, "rb") as stream:
        stored = _pread(
            stream.fileno(), archive.trailer.pkg_offset + entry.data_offset, entry.stored_size
        )
    if len(stored) != entry.stored_size:
        raise _fail(archive.path, f"entry {entry.name!r} truncated")
    return _decode(archive.path, entry.name, stored, entry.compression, entry.crc32, entry.raw_size)


def _decode(
    path: Path,
    name: str,
    stored: bytes,
    compression: Compression,
    crc: int,
    raw_size: int,
    *,
    dictionary: bytes | None = None,
) -> bytes:
    if fmt.crc32(stored) != crc:
        raise _fail(path, f"entry {name!r} checksum mismatch")
    try:
        fmt.check_sizes(name, compression, len(stored), raw_size)
    except ArchiveFormatError as exc:
        raise _fail(path, exc.message) from exc
    if raw_size > fmt.MAX_MEMORY_ENTRY:
        raise _fail(path, f"entry {name!r} of {raw_size} bytes is over the in-memory limit")
    if compression is Compression.NONE:
        data = stored
    else:
        try:
            data = _decompress(stored, raw_size, dictionary)
        except (zstandard.ZstdError, ArchiveFormatError) as exc:
            raise _fail(path, f"entry {name!r} has a corrupt zstd frame: {exc}") from exc
    if len(data) != raw_size:
        raise _fail(path, f"entry {name!r} is {len(data)} bytes, expected {raw_size}")
    return data


def _frame(frame: bytes, raw_size: int) -> None:
    """Refuse a frame whose header declares another size than the entry (before zstandard
    allocates what the header says)."""
    declared = zstandard.frame_content_size(frame)
    if declared not in (-1, raw_size):
        raise ArchiveFormatError(f"zstd frame declares {declared} bytes, expected {raw_size}")


def _decompress(stored: bytes, raw_size: int, dictionary: bytes | None = None) -> bytes:
    """One zstd frame, or the frames of a chunked entry (checked against its index)."""
    chunks = fmt.decode_chunk_index(stored)
    if chunks is None:
        _frame(stored, raw_size)
        dict_data = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
        return zstandard.ZstdDecompressor(dict_data=dict_data).decompress(
            stored, max_output_size=raw_size
        )
    parts = []
    offset = fmt.CHUNK_INDEX_STRUCT.size + len(chunks) * fmt.CHUNK_STRUCT.size
    for stored_size, chunk_raw in chunks:
        frame = stored[offset : offset + stored_size]
        _frame(frame, chunk_raw)
        part = zstandard.ZstdDecompressor().decompress(frame, max_output_size=chunk_raw)
        if len(frame) != stored_size or len(part) != chunk_raw:
            raise ArchiveFormatError("a chunk does not match the chunk index")
        parts.append(part)
        offset += stored_size
    if offset != len(stored):
        raise ArchiveFormatError("data after the last chunk")
    return b"".join(parts)


def read_pyz(archive: Archive) -> dict[str, tuple[bool, bytes]]:
    """Every module in the PYZ: name → (is_package, marshalled code)."""
    pyz_entries = archive.of_kind(EntryKind.PYZ)
    if not pyz_entries:
        return {}
    blob = read_entry(archive, pyz_entries[0])
    try:
        entries = fmt.decode_pyz(blob)
        stored_dict = fmt.pyz_dictionary(blob)
        if stored_dict and not 0 < zstandard.frame_content_size(stored_dict) <= 4 << 20:
            raise ArchiveFormatError("PYZ dictionary frame declares no size or over 4 MiB")
        dictionary = zstandard.ZstdDecompressor().decompress(stored_dict) if stored_dict else None
    except ArchiveFormatError as exc:
        raise _fail(archive.path, exc.message) from exc
    except zstandard.ZstdError as exc:
        raise _fail(archive.path, f"PYZ dictionary has a corrupt zstd frame: {exc}") from exc
    modules = {}
    for entry in entries:
        stored = blob[entry.data_offset : entry.data_offset + entry.stored_size]
        code = _decode(
            archive.path,
            entry.name,
            stored,
            entry.compression,
            entry.crc32,
            entry.raw_size,
            dictionary=dictionary,
        )
        modules[entry.name] = (entry.is_package, code)
    return modules
