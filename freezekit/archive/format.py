"""The only definition of the executable's archive layout.

An executable is ``bootloader | PKG | trailer``. The PKG holds the data of every TOC entry
followed by the TOC itself; the fixed-size trailer sits at the very end of the file (in a
Windows executable signed after the build: right before Authenticode's certificate table and
its padding to 8 bytes, which the PE header's security directory locates). All
integers are little-endian; all offsets and sizes are 64-bit.

Trailer (``TRAILER`` fields, ``TRAILER_SIZE`` bytes):
    magic, format version, flags, PKG offset (from the start of the file) and length,
    TOC offset (from the PKG start) and length, TOC entry count, CRC-32 of the TOC bytes,
    the target Python's major and minor version, a content id (first 16 bytes of the
    SHA-256 of the PKG, the name of the cache-mode extraction folder), the XXH64 (seed 0) of
    the whole PKG, which the bootloader checks before it unpacks or runs anything, the
    libpython file name, the prefix length and the prefix digest, and last a CRC-32 of all
    preceding trailer bytes.

Prefix (format version 3): the writer puts first in the PKG data everything onefile temp mode
    reads before Python runs any code of the app's (the lazy table, every entry that is not
    in it and not code: the eager files and links, options, external references), and the
    code (bootstrap, hooks, scripts, PYZ) and the lazy files after it. ``prefix_length`` is
    the length of that part from the PKG start (0: no prefix) and ``prefix_xxh64`` the XXH64
    (seed 0) of those bytes followed by the TOC bytes: computed by copying the state of the
    whole-PKG digest at the prefix's end, so a reader hashes no payload byte twice (only the
    TOC). The bootloader checks the prefix digest before it loads libpython and the whole
    digest before Python runs anything but its own initialisation (docs/hardening.md); it
    reads no older format (bootloader and archive are written together by one freezekit).

TOC entry (``TOC_ENTRY`` header, then the UTF-8 name, a NUL, zero padding to 8 bytes):
    entry length (header + name + padding), kind code, compression code, name length,
    file mode, CRC-32 of the stored bytes, data offset (from the PKG start), stored size,
    raw (uncompressed) size. A zstd entry's raw size is at most ``MAX_ZSTD_RATIO`` times its
    stored size (zstd's own limit: a 128 KiB block takes at least 4 bytes), and an entry
    read whole into memory (code, the PYZ, link targets) at most ``MAX_MEMORY_ENTRY`` bytes;
    readers refuse larger sizes before allocating anything.

Symbolic link entries: the data is a relative target; resolved from the link's folder one
    part at a time it must stay inside the top directory and never go through a folder that
    is itself a link entry (``check_link_target``). A link to a link is allowed.

Chunked file entries: a zstd entry whose raw size is at least ``CHUNKED_MIN_SIZE`` is stored
    as independent zstd frames of at most ``CHUNK_RAW_SIZE`` raw bytes each, and at least two
    (the writer makes them of equal size, the last one shorter), preceded by a zstd skippable
    frame holding the chunk index (``CHUNK_INDEX`` header, then ``CHUNK`` records of stored and
    raw size). Plain zstd decoders skip the index and read across the frames; the bootloader
    uses it to decompress one file on several threads (libpython, unpacked before every
    temp-mode start, is two frames: one per processor of a 2-core machine).

Lazy table (the data of the optional ``lazy`` entry, onefile only): UTF-8 lines
    ``module<TAB>file<TAB>file...<LF>``. In temp mode the files named there are not unpacked
    before the app starts; importing ``module`` unpacks its files first (the extension module
    itself and the bundled libraries it needs). Cache mode unpacks everything. The rows of the
    modules the app imports as it starts come first, in that order, their module name preceded
    by ``+``: the start-up set, which the process that runs Python unpacks on a background
    thread while the interpreter starts (each file once, at its first row).

PYZ (the data of the one ``pyz`` entry): ``PYZ_HEADER``, the module data, then the index,
    one ``PYZ_ENTRY`` header per module followed by its dotted name, a NUL and padding.
    Module data is a marshalled code object in a zstd frame with a content checksum. When
    ``dict_length`` is not 0, a zstd frame of that many bytes right after the header holds a
    compression dictionary (trained on the target Python's standard library), and every
    module frame is compressed with it.

``render_c_header()`` turns this module into ``bootloader/src/archive_format.h``; a unit
test regenerates it and fails on any difference.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import xxhash

from freezekit.errors import ArchiveFormatError
from freezekit.toc import Compression, EntryKind

FORMAT_VERSION = 3  # 2: the trailer holds the XXH64 of the PKG; 3: and of its prefix
PYZ_VERSION = 1
MAGIC = b"FRZKIT\x00\x01"
PYZ_MAGIC = b"FKPYZ\x00\x00\x01"
NAME_ALIGN = 8
MAX_NAME_LENGTH = 4096
LIBPYTHON_FIELD = 64
MAX_ZSTD_RATIO = 32768  # 131072-byte block / 4-byte RLE block
MAX_MEMORY_ENTRY = 1 << 30

# Trailer flags.
FLAG_ONEFILE = 1 << 0
FLAG_WINDOWED = 1 << 1
FLAG_EXTRACT_CACHE = 1 << 2

# PYZ entry flags.
PYZ_FLAG_PACKAGE = 1 << 0

# One-byte codes: the only place they appear.
KIND_CODES: dict[EntryKind, int] = {
    EntryKind.BOOTSTRAP: ord("b"),
    EntryKind.SCRIPT: ord("s"),
    EntryKind.RUNTIME_HOOK: ord("h"),
    EntryKind.PYZ: ord("z"),
    EntryKind.EXTENSION: ord("e"),
    EntryKind.BINARY: ord("n"),
    EntryKind.DATA: ord("d"),
    EntryKind.SYMLINK: ord("l"),
    EntryKind.OPTION: ord("o"),
    EntryKind.EXTERNAL: ord("x"),
    EntryKind.LAZY: ord("y"),
}
KINDS_BY_CODE: dict[int, EntryKind] = {code: kind for kind, code in KIND_CODES.items()}
COMPRESSION_CODES: dict[Compression, int] = {Compression.NONE: 0, Compression.ZSTD: 1}
COMPRESSIONS_BY_CODE: dict[int, Compression] = {c: k for k, c in COMPRESSION_CODES.items()}

# Chunked file entries.
CHUNK_RAW_SIZE = 12 << 20  # measured: 4 MiB frames cost openblas 5.5 % in size, 12 MiB 0.7 %
CHUNKED_MIN_SIZE = 4 << 20  # two 2 MiB frames (the 2 MiB window) cost ~0.3 % in size
SKIPPABLE_MAGIC = 0x184D2A5E  # one of the 16 zstd skippable-frame magics
CHUNK_INDEX_MAGIC = b"FKCHUNKS"
CHUNK_INDEX: tuple[tuple[str, str], ...] = (
    ("frame_magic", "I"),
    ("frame_size", "I"),  # bytes after this field: the rest of the header and the records
    ("magic", "8s"),
    ("count", "I"),
    ("reserved", "I"),
)
CHUNK: tuple[tuple[str, str], ...] = (
    ("stored_size", "Q"),
    ("raw_size", "Q"),
)

# Option names understood by the bootloader (others are passed to the runtime).
OPTION_RUNTIME_TMPDIR = "freezekit:runtime-tmpdir="
OPTION_NAME = "freezekit:name="

# (field, struct code) in file order.
TRAILER: tuple[tuple[str, str], ...] = (
    ("magic", "8s"),
    ("version", "I"),
    ("flags", "I"),
    ("pkg_offset", "Q"),
    ("pkg_length", "Q"),
    ("toc_offset", "Q"),
    ("toc_length", "Q"),
    ("toc_count", "I"),
    ("toc_crc32", "I"),
    ("py_major", "B"),
    ("py_minor", "B"),
    ("reserved", "H"),
    ("content_id", "16s"),
    ("payload_xxh64", "Q"),
    ("libpython", f"{LIBPYTHON_FIELD}s"),
    ("prefix_length", "Q"),
    ("prefix_xxh64", "Q"),
    ("trailer_crc32", "I"),
)
TOC_ENTRY: tuple[tuple[str, str], ...] = (
    ("entry_length", "I"),
    ("kind", "B"),
    ("compression", "B"),
    ("name_length", "H"),
    ("mode", "I"),
    ("crc32", "I"),
    ("data_offset", "Q"),
    ("stored_size", "Q"),
    ("raw_size", "Q"),
)
PYZ_HEADER: tuple[tuple[str, str], ...] = (
    ("magic", "8s"),
    ("version", "I"),
    ("count", "I"),
    ("index_offset", "Q"),
    ("index_length", "Q"),
    ("index_crc32", "I"),
    ("dict_length", "I"),  # stored size of the compression dictionary after the header, or 0
)
PYZ_ENTRY: tuple[tuple[str, str], ...] = (
    ("entry_length", "I"),
    ("flags", "B"),
    ("compression", "B"),
    ("name_length", "H"),
    ("crc32", "I"),
    ("reserved", "I"),
    ("data_offset", "Q"),
    ("stored_size", "Q"),
    ("raw_size", "Q"),
)


def _struct(fields: tuple[tuple[str, str], ...]) -> struct.Struct:
    return struct.Struct("<" + "".join(code for _, code in fields))


TRAILER_STRUCT = _struct(TRAILER)
TOC_ENTRY_STRUCT = _struct(TOC_ENTRY)
PYZ_HEADER_STRUCT = _struct(PYZ_HEADER)
PYZ_ENTRY_STRUCT = _struct(PYZ_ENTRY)
CHUNK_INDEX_STRUCT = _struct(CHUNK_INDEX)
CHUNK_STRUCT = _struct(CHUNK)
TRAILER_SIZE = TRAILER_STRUCT.size
TOC_ENTRY_SIZE = TOC_ENTRY_STRUCT.size
PYZ_HEADER_SIZE = PYZ_HEADER_STRUCT.size
PYZ_ENTRY_SIZE = PYZ_ENTRY_STRUCT.size


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def payload_hasher() -> xxhash.xxh64:
    """The digest of the trailer's ``payload_xxh64``: feed it every PKG byte in order."""
    return xxhash.xxh64(seed=0)


def digests(data: bytes, toc: bytes, prefix_length: int) -> tuple[int, int]:
    """(``prefix_xxh64``, ``payload_xxh64``) of a PKG made of ``data`` then ``toc``."""
    hasher = payload_hasher()
    hasher.update(data[:prefix_length])
    prefix = hasher.copy()
    prefix.update(toc)
    hasher.update(data[prefix_length:])
    hasher.update(toc)
    return prefix.intdigest(), hasher.intdigest()


def check_sizes(name: str, compression: Compression, stored_size: int, raw_size: int) -> None:
    """Refuse sizes no real entry has, before anything is allocated for them."""
    if compression is Compression.ZSTD and raw_size > stored_size * MAX_ZSTD_RATIO:
        raise ArchiveFormatError(
            f"entry {name!r}: {raw_size} bytes cannot come from {stored_size} zstd bytes"
        )


def resolve_link_target(name: str, target: str, links: Mapping[str, str]) -> str:
    """The target of link entry ``name`` rewritten so that it goes through no other link
    entry (``links``: link name -> target): a link met on the way is replaced by what it
    points to. The final part may still be a link (a chain of links is fine). Targets that
    leave the top directory or loop are left for check_link_target to refuse."""
    base = name.split("/")[:-1]
    resolved = list(base)
    parts = target.split("/")
    expansions = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        here = "/".join(resolved)
        if resolved and here in links and expansions < 40:
            expansions += 1
            resolved.pop()
            parts = [*links[here].split("/"), part, *parts]
            continue
        if part == "..":
            if not resolved:
                return target  # leaves the top directory: refused by the check
            resolved.pop()
        else:
            resolved.append(part)
    if expansions == 0 or any(p.startswith("/") for p in links.values() if p):
        return target
    common = 0
    while common < min(len(base), len(resolved)) and base[common] == resolved[common]:
        common += 1
    return "/".join([".."] * (len(base) - common) + resolved[common:]) or "."


def check_link_target(name: str, target: str, links: Collection[str]) -> None:
    """Refuse a symbolic link entry ``name -> target`` that leaves the top directory or goes
    through another link (``links``: the names of every link entry), after resolving it from
    the link's folder one part at a time (a link to a link is fine: each is checked)."""
    resolved = name.split("/")[:-1]
    if not target or target.startswith("/") or "\x00" in target or "\\" in target:
        raise ArchiveFormatError(f"symbolic link {name!r} -> {target!r} is not relative")
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if resolved and "/".join(resolved) in links:
            raise ArchiveFormatError(
                f"symbolic link {name!r} -> {target!r} goes through the link "
                f"{'/'.join(resolved)!r}; point it at the real folder"
            )
        if part == "..":
            if not resolved:
                raise ArchiveFormatError(
                    f"symbolic link {name!r} -> {target!r} leaves the top directory"
                )
            resolved.pop()
        else:
            resolved.append(part)


@dataclass(frozen=True, kw_only=True)
class Trailer:
    flags: int
    pkg_offset: int
    pkg_length: int
    toc_offset: int
    toc_length: int
    toc_count: int
    toc_crc32: int
    py_major: int
    py_minor: int
    content_id: bytes
    payload_xxh64: int
    libpython: str
    prefix_length: int = 0
    prefix_xxh64: int = 0
    version: int = FORMAT_VERSION


@dataclass(frozen=True, kw_only=True)
class RawTocEntry:
    """A TOC entry as stored: what the reader returns and the writer encodes."""

    name: str
    kind: EntryKind
    compression: Compression
    mode: int
    crc32: int
    data_offset: int
    stored_size: int
    raw_size: int


@dataclass(frozen=True, kw_only=True)
class RawPyzEntry:
    name: str
    is_package: bool
    compression: Compression
    crc32: int
    data_offset: int
    stored_size: int
    raw_size: int


def _padded_name(name: str) -> bytes:
    raw = name.encode("utf-8") + b"\x00"
    if len(raw) - 1 > MAX_NAME_LENGTH:
        raise ArchiveFormatError(f"entry name too long ({len(raw) - 1} bytes): {name[:60]!r}...")
    return raw + b"\x00" * (-(len(raw)) % NAME_ALIGN)


def encode_trailer(trailer: Trailer) -> bytes:
    libpython = trailer.libpython.encode("utf-8")
    if len(libpython) >= LIBPYTHON_FIELD:
        raise ArchiveFormatError(f"libpython name too long for the trailer: {trailer.libpython!r}")
    if len(trailer.content_id) != 16:
        raise ArchiveFormatError("content id must be 16 bytes")
    body = TRAILER_STRUCT.pack(
        MAGIC,
        trailer.version,
        trailer.flags,
        trailer.pkg_offset,
        trailer.pkg_length,
        trailer.toc_offset,
        trailer.toc_length,
        trailer.toc_count,
        trailer.toc_crc32,
        trailer.py_major,
        trailer.py_minor,
        0,
        trailer.content_id,
        trailer.payload_xxh64,
        libpython,
        trailer.prefix_length,
        trailer.prefix_xxh64,
        0,
    )
    return body[:-4] + struct.pack("<I", crc32(body[:-4]))


def decode_trailer(data: bytes) -> Trailer:
    if len(data) != TRAILER_SIZE:
        raise ArchiveFormatError(f"trailer is {len(data)} bytes, expected {TRAILER_SIZE}")
    fields = dict(zip((f for f, _ in TRAILER), TRAILER_STRUCT.unpack(data), strict=True))
    if fields["magic"] != MAGIC:
        raise ArchiveFormatError("no freezekit archive found (wrong magic at the end of the file)")
    if fields["trailer_crc32"] != crc32(data[:-4]):
        raise ArchiveFormatError("trailer checksum mismatch: the end of the file is damaged")
    if fields["version"] != FORMAT_VERSION:
        raise ArchiveFormatError(
            f"archive format version {fields['version']} is not supported "
            f"(this freezekit reads version {FORMAT_VERSION})"
        )
    libpython = fields["libpython"].split(b"\x00", 1)[0].decode("utf-8", "replace")
    return Trailer(
        flags=fields["flags"],
        pkg_offset=fields["pkg_offset"],
        pkg_length=fields["pkg_length"],
        toc_offset=fields["toc_offset"],
        toc_length=fields["toc_length"],
        toc_count=fields["toc_count"],
        toc_crc32=fields["toc_crc32"],
        py_major=fields["py_major"],
        py_minor=fields["py_minor"],
        content_id=fields["content_id"],
        payload_xxh64=fields["payload_xxh64"],
        libpython=libpython,
        prefix_length=fields["prefix_length"],
        prefix_xxh64=fields["prefix_xxh64"],
    )


def encode_toc_entry(entry: RawTocEntry) -> bytes:
    name = _padded_name(entry.name)
    return (
        TOC_ENTRY_STRUCT.pack(
            TOC_ENTRY_SIZE + len(name),
            KIND_CODES[entry.kind],
            COMPRESSION_CODES[entry.compression],
            len(entry.name.encode("utf-8")),
            entry.mode,
            entry.crc32,
            entry.data_offset,
            entry.stored_size,
            entry.raw_size,
        )
        + name
    )


def _decode_name(data: bytes, start: int, length: int, where: str) -> str:
    end = start + length
    if end >= len(data) or data[end] != 0:
        raise ArchiveFormatError(f"{where}: name is not NUL-terminated")
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchiveFormatError(f"{where}: name is not valid UTF-8") from exc


def decode_toc(data: bytes, count: int) -> list[RawTocEntry]:
    """Decode ``count`` TOC entries from ``data``, checking every length against it."""
    entries: list[RawTocEntry] = []
    pos = 0
    for index in range(count):
        where = f"TOC entry {index} at TOC offset {pos}"
        if pos + TOC_ENTRY_SIZE > len(data):
            raise ArchiveFormatError(f"{where}: TOC truncated")
        (length, kind, comp, name_len, mode, crc, offset, stored, raw) = (
            TOC_ENTRY_STRUCT.unpack_from(data, pos)
        )
        if kind not in KINDS_BY_CODE:
            raise ArchiveFormatError(f"{where}: unknown entry kind {kind}")
        if comp not in COMPRESSIONS_BY_CODE:
            raise ArchiveFormatError(f"{where}: unknown compression {comp}")
        if name_len == 0 or name_len > MAX_NAME_LENGTH:
            raise ArchiveFormatError(f"{where}: bad name length {name_len}")
        if (
            length < TOC_ENTRY_SIZE + name_len + 1
            or length % NAME_ALIGN
            or pos + length > len(data)
        ):
            raise ArchiveFormatError(f"{where}: bad entry length {length}")
        name = _decode_name(data, pos + TOC_ENTRY_SIZE, name_len, where)
        entries.append(
            RawTocEntry(
                name=name,
                kind=KINDS_BY_CODE[kind],
                compression=COMPRESSIONS_BY_CODE[comp],
                mode=mode,
                crc32=crc,
                data_offset=offset,
                stored_size=stored,
                raw_size=raw,
            )
        )
        pos += length
    if pos != len(data):
        raise ArchiveFormatError(f"TOC has {len(data) - pos} stray bytes after {count} entries")
    return entries


def encode_pyz_header(
    *, count: int, index_offset: int, index_length: int, index_crc32: int, dict_length: int = 0
) -> bytes:
    return PYZ_HEADER_STRUCT.pack(
        PYZ_MAGIC, PYZ_VERSION, count, index_offset, index_length, index_crc32, dict_length
    )


def pyz_dictionary(data: bytes) -> bytes:
    """The stored (zstd-compressed) dictionary of a PYZ blob; empty when it has none."""
    if len(data) < PYZ_HEADER_SIZE:
        raise ArchiveFormatError("PYZ truncated: shorter than its header")
    fields = PYZ_HEADER_STRUCT.unpack_from(data, 0)
    dict_length, index_offset = fields[6], fields[3]
    if PYZ_HEADER_SIZE + dict_length > min(index_offset, len(data)):
        raise ArchiveFormatError(f"PYZ dictionary of {dict_length} bytes overlaps the modules")
    return data[PYZ_HEADER_SIZE : PYZ_HEADER_SIZE + dict_length]


def encode_pyz_entry(entry: RawPyzEntry) -> bytes:
    name = _padded_name(entry.name)
    return (
        PYZ_ENTRY_STRUCT.pack(
            PYZ_ENTRY_SIZE + len(name),
            PYZ_FLAG_PACKAGE if entry.is_package else 0,
            COMPRESSION_CODES[entry.compression],
            len(entry.name.encode("utf-8")),
            entry.crc32,
            0,
            entry.data_offset,
            entry.stored_size,
            entry.raw_size,
        )
        + name
    )


def decode_pyz(data: bytes) -> list[RawPyzEntry]:
    """Decode a whole PYZ blob's index, checking every offset against the blob."""
    if len(data) < PYZ_HEADER_SIZE:
        raise ArchiveFormatError("PYZ truncated: shorter than its header")
    magic, version, count, index_offset, index_length, index_crc, dict_length = (
        PYZ_HEADER_STRUCT.unpack_from(data, 0)
    )
    if magic != PYZ_MAGIC:
        raise ArchiveFormatError("PYZ has a wrong magic")
    if version != PYZ_VERSION:
        raise ArchiveFormatError(f"PYZ format version {version} is not supported")
    if index_offset < PYZ_HEADER_SIZE or index_offset + index_length != len(data):
        raise ArchiveFormatError(
            f"PYZ index at {index_offset}+{index_length} does not end the {len(data)}-byte PYZ"
        )
    data_start = PYZ_HEADER_SIZE + dict_length
    if data_start > index_offset:
        raise ArchiveFormatError(f"PYZ dictionary of {dict_length} bytes overlaps the index")
    index = data[index_offset:]
    if crc32(index) != index_crc:
        raise ArchiveFormatError("PYZ index checksum mismatch")
    entries: list[RawPyzEntry] = []
    pos = 0
    for number in range(count):
        where = f"PYZ entry {number}"
        if pos + PYZ_ENTRY_SIZE > len(index):
            raise ArchiveFormatError(f"{where}: PYZ index truncated")
        length, flags, comp, name_len, crc, _, offset, stored, raw = PYZ_ENTRY_STRUCT.unpack_from(
            index, pos
        )
        if comp not in COMPRESSIONS_BY_CODE:
            raise ArchiveFormatError(f"{where}: unknown compression {comp}")
        if (
            length < PYZ_ENTRY_SIZE + name_len + 1
            or length % NAME_ALIGN
            or pos + length > len(index)
        ):
            raise ArchiveFormatError(f"{where}: bad entry length {length}")
        if offset < data_start or offset + stored > index_offset:
            raise ArchiveFormatError(f"{where}: data {offset}+{stored} lies outside the PYZ data")
        name = _decode_name(index, pos + PYZ_ENTRY_SIZE, name_len, where)
        entries.append(
            RawPyzEntry(
                name=name,
                is_package=bool(flags & PYZ_FLAG_PACKAGE),
                compression=COMPRESSIONS_BY_CODE[comp],
                crc32=crc,
                data_offset=offset,
                stored_size=stored,
                raw_size=raw,
            )
        )
        pos += length
    if pos != len(index):
        raise ArchiveFormatError("PYZ index has stray bytes")
    return entries


_C_TYPES = {"B": 1, "H": 2, "I": 4, "Q": 8}


def _c_offsets(prefix: str, fields: tuple[tuple[str, str], ...]) -> list[str]:
    lines = []
    offset = 0
    for name, code in fields:
        size = _C_TYPES.get(code) or int(code[:-1])
        lines.append(f"#define {prefix}_{name.upper()}_OFF {offset}")
        lines.append(f"#define {prefix}_{name.upper()}_LEN {size}")
        offset += size
    lines.append(f"#define {prefix}_SIZE {offset}")
    return lines


def _c_bytes(data: bytes) -> str:
    return "{" + ", ".join(f"0x{b:02x}" for b in data) + "}"


def render_c_header() -> str:
    """Return the text of bootloader/src/archive_format.h."""
    lines = [
        "/* Generated from freezekit/archive/format.py by `invoke archive-header`. Do not edit. */",
        "#ifndef FK_ARCHIVE_FORMAT_H",
        "#define FK_ARCHIVE_FORMAT_H",
        "",
        f"#define FK_FORMAT_VERSION {FORMAT_VERSION}",
        f"#define FK_PYZ_VERSION {PYZ_VERSION}",
        f"#define FK_MAGIC_BYTES {_c_bytes(MAGIC)}",
        f"#define FK_PYZ_MAGIC_BYTES {_c_bytes(PYZ_MAGIC)}",
        f"#define FK_MAGIC_LEN {len(MAGIC)}",
        f"#define FK_NAME_ALIGN {NAME_ALIGN}",
        f"#define FK_MAX_NAME_LENGTH {MAX_NAME_LENGTH}",
        f"#define FK_LIBPYTHON_FIELD {LIBPYTHON_FIELD}",
        f"#define FK_MAX_ZSTD_RATIO {MAX_ZSTD_RATIO}u",
        f"#define FK_MAX_MEMORY_ENTRY {MAX_MEMORY_ENTRY}u",
        "",
        f"#define FK_FLAG_ONEFILE {FLAG_ONEFILE}u",
        f"#define FK_FLAG_WINDOWED {FLAG_WINDOWED}u",
        f"#define FK_FLAG_EXTRACT_CACHE {FLAG_EXTRACT_CACHE}u",
        f"#define FK_PYZ_FLAG_PACKAGE {PYZ_FLAG_PACKAGE}u",
        "",
    ]
    for kind, code in KIND_CODES.items():
        lines.append(f"#define FK_KIND_{kind.name} {code} /* '{chr(code)}' {kind.value} */")
    lines.append("")
    for comp, code in COMPRESSION_CODES.items():
        lines.append(f"#define FK_COMPRESSION_{comp.name} {code}")
    lines += [
        "",
        f'#define FK_OPTION_RUNTIME_TMPDIR "{OPTION_RUNTIME_TMPDIR}"',
        f'#define FK_OPTION_NAME "{OPTION_NAME}"',
        "",
    ]
    lines += _c_offsets("FK_TRAILER", TRAILER)
    lines.append("")
    lines += _c_offsets("FK_TOC_ENTRY", TOC_ENTRY)
    lines.append("")
    lines += _c_offsets("FK_PYZ_HEADER", PYZ_HEADER)
    lines.append("")
    lines += _c_offsets("FK_PYZ_ENTRY", PYZ_ENTRY)
    lines.append("")
    lines += [
        f"#define FK_CHUNK_RAW_SIZE {CHUNK_RAW_SIZE}u",
        f"#define FK_CHUNKED_MIN_SIZE {CHUNKED_MIN_SIZE}u",
        f"#define FK_SKIPPABLE_MAGIC 0x{SKIPPABLE_MAGIC:08X}u",
        f"#define FK_CHUNK_INDEX_MAGIC_BYTES {_c_bytes(CHUNK_INDEX_MAGIC)}",
    ]
    lines += _c_offsets("FK_CHUNK_INDEX", CHUNK_INDEX)
    lines += _c_offsets("FK_CHUNK", CHUNK)
    lines += ["", "#endif /* FK_ARCHIVE_FORMAT_H */", ""]
    return "\n".join(lines)


def encode_chunk_index(chunks: list[tuple[int, int]]) -> bytes:
    """The skippable frame that starts a chunked entry: (stored size, raw size) per frame."""
    records = b"".join(CHUNK_STRUCT.pack(stored, raw) for stored, raw in chunks)
    size = CHUNK_INDEX_STRUCT.size - 8 + len(records)
    return (
        CHUNK_INDEX_STRUCT.pack(SKIPPABLE_MAGIC, size, CHUNK_INDEX_MAGIC, len(chunks), 0) + records
    )


def decode_chunk_index(stored: bytes) -> list[tuple[int, int]] | None:
    """The chunk index at the start of a stored zstd entry, or None when it has none."""
    if len(stored) < CHUNK_INDEX_STRUCT.size:
        return None
    frame_magic, size, magic, count, _ = CHUNK_INDEX_STRUCT.unpack_from(stored)
    if frame_magic != SKIPPABLE_MAGIC or magic != CHUNK_INDEX_MAGIC:
        return None
    if size != CHUNK_INDEX_STRUCT.size - 8 + count * CHUNK_STRUCT.size or 8 + size > len(stored):
        raise ArchiveFormatError("chunk index does not fit its entry")
    return [
        CHUNK_STRUCT.unpack_from(stored, CHUNK_INDEX_STRUCT.size + i * CHUNK_STRUCT.size)
        for i in range(count)
    ]


LAZY_TABLE_NAME = "freezekit-lazy"
START_MARK = "+"  # before the module of a lazy table row of the start-up set


def encode_lazy_table(table: Mapping[str, tuple[str, ...]], start: Sequence[str] = ()) -> bytes:
    """``{module: (file, ...)}`` as the lazy entry's data: the modules of ``start`` (the
    start-up set, in the order the app imports them) first, marked, then the others sorted."""
    lines = []
    first = [module for module in dict.fromkeys(start) if module in table]
    rest = sorted(set(table) - set(first))
    for marked, module in [*((True, m) for m in first), *((False, m) for m in rest)]:
        files = table[module]
        fields = (module, *files)
        if not files or any(not f or "\t" in f or "\n" in f for f in fields):
            raise ValueError(f"lazy table row for {module!r} is empty or has a tab or newline")
        if module.startswith(START_MARK):
            raise ValueError(f"lazy table module {module!r} starts with {START_MARK!r}")
        lines.append(START_MARK * marked + "\t".join(fields) + "\n")
    return "".join(lines).encode("utf-8")


def decode_lazy_table(data: bytes) -> dict[str, tuple[str, ...]]:
    """The inverse of encode_lazy_table; a malformed table raises ArchiveFormatError."""
    table: dict[str, tuple[str, ...]] = {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchiveFormatError("lazy table is not UTF-8") from exc
    for line in text.splitlines():
        module, *files = line.split("\t")
        module = module.removeprefix(START_MARK)
        if not module or not files or not all(files):
            raise ArchiveFormatError(f"lazy table row {line!r} is malformed")
        table[module] = tuple(files)
    return table


def decode_lazy_start(data: bytes) -> list[str]:
    """The start-up set's modules of a lazy table, in order (see encode_lazy_table)."""
    return [
        line.split("\t", 1)[0][len(START_MARK) :]
        for line in data.decode("utf-8", "replace").splitlines()
        if line.startswith(START_MARK)
    ]


def kind_name(kind: EntryKind) -> str:
    """The name the runtime sees for a kind (``_freezekit.toc()``)."""
    return kind.value
