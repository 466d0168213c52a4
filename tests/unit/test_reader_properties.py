"""Property tests of the Python archive reader (freezekit/archive/reader.py) over mutated
archives: whatever the bytes, it returns the data or raises ArchiveFormatError, never
anything else (no struct.error, zstd error, MemoryError, UnicodeDecodeError, IndexError...).

The mutations start from the fixture archives. Half of the examples keep every checksum
consistent after mutating (TOC CRC, payload digest, trailer CRC recomputed), so that the
reader's deeper checks (entries, chunk indexes, PYZ, zstd frames) see the damage instead
of the first checksum.
"""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

import pytest
import xxhash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from freezekit.archive import format as fmt
from freezekit.archive.reader import open_archive, read_entry, read_pyz
from freezekit.errors import ArchiveFormatError
from freezekit.toc import EntryKind

ARCHIVES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
SEEDS = {p.name: p.read_bytes() for p in sorted(ARCHIVES.glob("good-*.bin"))}
PREFIX_LENGTH = open_archive(ARCHIVES / "good-minimal.bin").trailer.pkg_offset
INTERESTING = [0, 1, 7, 8, 0x7F, 0xFF, 0x100, 0xFFFF, 2**31 - 1, 2**32 - 1, 2**63, 2**64 - 1]


def _read_all(path: Path) -> None:
    archive = open_archive(path)
    for entry in archive.entries:
        read_entry(archive, entry)
    if archive.of_kind(EntryKind.PYZ):
        read_pyz(archive)


def _fixed_pyz(pyz: bytes) -> bytes:
    """A PYZ blob with its modules' CRCs and its index CRC recomputed, where it decodes."""
    try:
        header = list(fmt.PYZ_HEADER_STRUCT.unpack_from(pyz))
        index_offset = header[3]
        blob = bytearray(pyz)
        pos = index_offset
        for _ in range(header[2]):
            fields = list(fmt.PYZ_ENTRY_STRUCT.unpack_from(blob, pos))
            offset, stored = fields[6], fields[7]
            fields[4] = fmt.crc32(bytes(blob[offset : offset + stored]))
            fmt.PYZ_ENTRY_STRUCT.pack_into(blob, pos, *fields)
            pos += fields[0] or 1
        header[5] = fmt.crc32(bytes(blob[index_offset:]))
        fmt.PYZ_HEADER_STRUCT.pack_into(blob, 0, *header)
        return bytes(blob)
    except (struct.error, IndexError, ValueError, OverflowError):
        return pyz


def _fixed_entries(pkg: bytes, toc_offset: int, toc_length: int, count: int) -> bytes:
    """The PKG with every entry's CRC (and a stored PYZ's inner CRCs) recomputed, where the
    TOC decodes."""
    try:
        entries = fmt.decode_toc(pkg[toc_offset : toc_offset + toc_length], count)
    except ArchiveFormatError:
        return pkg
    data = bytearray(pkg[:toc_offset])
    fixed = []
    for entry in entries:
        end = entry.data_offset + entry.stored_size
        if end <= len(data) and entry.kind is EntryKind.PYZ and entry.compression.value == "none":
            data[entry.data_offset : end] = _fixed_pyz(bytes(data[entry.data_offset : end]))
        stored = bytes(data[entry.data_offset : end])
        fixed.append(replace(entry, crc32=fmt.crc32(stored)) if end <= len(data) else entry)
    toc = b"".join(fmt.encode_toc_entry(entry) for entry in fixed)
    if len(toc) != toc_length:
        return pkg
    return bytes(data) + toc + pkg[toc_offset + toc_length :]


def _consistent(blob: bytes) -> bytes:
    """``blob`` with the entry CRCs, TOC CRC, payload digests and trailer CRC recomputed
    where the trailer still describes a PKG inside the file."""
    if len(blob) < fmt.TRAILER_SIZE:
        return blob
    start = len(blob) - fmt.TRAILER_SIZE
    fields = list(fmt.TRAILER_STRUCT.unpack(blob[start:]))
    names = [name for name, _ in fmt.TRAILER]
    value = dict(zip(names, fields, strict=True))
    pkg_offset, pkg_length = value["pkg_offset"], value["pkg_length"]
    toc_offset, toc_length = value["toc_offset"], value["toc_length"]
    if pkg_offset + pkg_length != start or toc_offset + toc_length > pkg_length:
        return blob
    pkg = _fixed_entries(blob[pkg_offset:start], toc_offset, toc_length, value["toc_count"])
    blob = blob[:pkg_offset] + pkg + blob[start:]
    value["toc_crc32"] = fmt.crc32(pkg[toc_offset : toc_offset + toc_length])
    value["payload_xxh64"] = xxhash.xxh64_intdigest(pkg)
    toc = pkg[toc_offset:]
    value["prefix_xxh64"] = fmt.digests(pkg[:toc_offset], toc, value["prefix_length"])[0]
    body = fmt.TRAILER_STRUCT.pack(*(value[name] for name in names))
    return blob[:start] + body[:-4] + struct.pack("<I", fmt.crc32(body[:-4]))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    blob = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "integer", "truncate", "insert", "delete"]))
        if not blob:
            break
        # mostly inside the PKG: the fake bootloader in front is half of a fixture
        low = PREFIX_LENGTH if draw(st.integers(0, 4)) and len(blob) > PREFIX_LENGTH else 0
        at = draw(st.integers(low, len(blob) - 1))
        if kind == "flip":
            blob[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "integer":
            width = draw(st.sampled_from([1, 2, 4, 8]))
            number = draw(st.sampled_from(INTERESTING)) % (1 << (8 * width))
            blob[at : at + width] = number.to_bytes(width, "little")
        elif kind == "truncate":
            del blob[at:]
        elif kind == "insert":
            blob[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del blob[at : at + draw(st.integers(1, 64))]
    data = bytes(blob)
    return _consistent(data) if draw(st.booleans()) else data


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(blob=mutated())
def test_reader_raises_only_the_archive_error(tmp_path: Path, blob: bytes) -> None:
    path = tmp_path / "app"
    path.write_bytes(blob)
    try:
        _read_all(path)
    except ArchiveFormatError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_consistent_helper_keeps_good_archives_good(tmp_path: Path, name: str) -> None:
    path = tmp_path / "app"
    path.write_bytes(_consistent(SEEDS[name]))
    _read_all(path)
