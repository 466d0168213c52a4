from __future__ import annotations

import io
import marshal
from dataclasses import replace
from pathlib import Path

import pytest
import xxhash

from freezekit.archive import format as fmt
from freezekit.archive.pkg import PkgHeader, PkgItem, write_pkg
from freezekit.archive.pyz import CompiledModule, write_pyz
from freezekit.archive.reader import open_archive, read_entry, read_pyz
from freezekit.errors import ArchiveFormatError
from freezekit.toc import EntryKind

PREFIX = b"\x7fELF-not-really-a-bootloader" * 10


def _modules() -> list[CompiledModule]:
    return [
        CompiledModule(
            name="pkg", code=marshal.dumps(compile("X = 1", "pkg", "exec")), is_package=True
        ),
        CompiledModule(
            name="pkg.sub", code=marshal.dumps(compile("Y = 2", "sub", "exec")), is_package=False
        ),
    ]


def _write(tmp_path: Path, items: list[PkgItem], flags: int = 0) -> Path:
    out = io.BytesIO()
    out.write(PREFIX)
    write_pkg(
        out,
        items,
        PkgHeader(flags=flags, py_version=(3, 12), libpython="libpython3.12.so.1.0"),
        pkg_offset=len(PREFIX),
        level=3,
    )
    path = tmp_path / "app"
    path.write_bytes(out.getvalue())
    return path


def _items() -> list[PkgItem]:
    return [
        PkgItem(name="v", kind=EntryKind.OPTION),
        PkgItem(name="hello.py", kind=EntryKind.SCRIPT, data=b"code", compress=True),
        PkgItem(name="PYZ", kind=EntryKind.PYZ, data=write_pyz(_modules(), level=3)),
        PkgItem(name="data/readme.txt", kind=EntryKind.DATA, data=b"hello " * 100, compress=True),
        PkgItem(name="libfoo.so", kind=EntryKind.SYMLINK, data=b"libfoo.so.1"),
    ]


def test_pkg_round_trip(tmp_path: Path) -> None:
    archive = open_archive(_write(tmp_path, _items(), flags=fmt.FLAG_ONEFILE))
    assert archive.trailer.flags == fmt.FLAG_ONEFILE
    assert (archive.trailer.py_major, archive.trailer.py_minor) == (3, 12)
    assert archive.trailer.libpython == "libpython3.12.so.1.0"
    assert archive.options == ["v"]
    assert [e.kind for e in archive.entries][:3] == [
        EntryKind.OPTION,
        EntryKind.SCRIPT,
        EntryKind.PYZ,
    ]
    assert read_entry(archive, archive.entry("data/readme.txt")) == b"hello " * 100
    assert read_entry(archive, archive.entry("libfoo.so")) == b"libfoo.so.1"
    modules = read_pyz(archive)
    assert sorted(modules) == ["pkg", "pkg.sub"]
    assert modules["pkg"][0] is True
    namespace: dict[str, object] = {}
    exec(marshal.loads(modules["pkg.sub"][1]), namespace)
    assert namespace["Y"] == 2


def test_eager_entries_come_first_under_the_prefix_digest(tmp_path: Path) -> None:
    """Onefile temp mode reads the prefix before Python runs: the lazy table, every file it
    does not name, links, options. Code and lazy files follow; the TOC keeps its order."""
    lazy_table = fmt.encode_lazy_table({"_lazy": ("lib-dynload/_lazy.so", "libdep.so")})
    items = [
        *_items(),
        PkgItem(name="_bootstrap", kind=EntryKind.BOOTSTRAP, data=b"boot"),
        PkgItem(name="lib-dynload/_lazy.so", kind=EntryKind.EXTENSION, data=b"L" * 900),
        PkgItem(name="libdep.so", kind=EntryKind.BINARY, data=b"D" * 700, compress=True),
        PkgItem(name="libpython3.12.so.1.0", kind=EntryKind.BINARY, data=b"P" * 800),
        PkgItem(name=fmt.LAZY_TABLE_NAME, kind=EntryKind.LAZY, data=lazy_table, compress=True),
    ]
    path = _write(tmp_path, items, flags=fmt.FLAG_ONEFILE)
    archive = open_archive(path)
    trailer = archive.trailer
    first = {"v", "data/readme.txt", "libfoo.so", "libpython3.12.so.1.0", fmt.LAZY_TABLE_NAME}
    for entry in archive.entries:
        inside = entry.data_offset + entry.stored_size <= trailer.prefix_length
        assert inside == (entry.name in first), entry.name
        if entry.name not in first:
            assert entry.data_offset >= trailer.prefix_length, entry.name
    names = [entry.name for entry in archive.entries]
    assert names.index("_bootstrap") < names.index("hello.py") < names.index("PYZ")
    assert names.index("data/readme.txt") < names.index("lib-dynload/_lazy.so")
    blob = path.read_bytes()
    pkg = blob[trailer.pkg_offset : trailer.pkg_offset + trailer.pkg_length]
    toc = pkg[trailer.toc_offset :]
    assert trailer.prefix_xxh64 == xxhash.xxh64_intdigest(pkg[: trailer.prefix_length] + toc)
    assert trailer.payload_xxh64 == xxhash.xxh64_intdigest(pkg)
    assert fmt.digests(pkg[: trailer.toc_offset], toc, trailer.prefix_length) == (
        trailer.prefix_xxh64,
        trailer.payload_xxh64,
    )
    for entry in archive.entries:
        assert read_entry(archive, entry) == next(
            i.content() for i in items if i.name == entry.name
        )


def test_reader_rejects_a_damaged_prefix_digest(tmp_path: Path) -> None:
    path = _write(tmp_path, _items(), flags=fmt.FLAG_ONEFILE)
    blob = bytearray(path.read_bytes())
    start = len(blob) - fmt.TRAILER_SIZE
    trailer = fmt.decode_trailer(bytes(blob[start:]))
    for damaged in (
        replace(trailer, prefix_xxh64=trailer.prefix_xxh64 ^ 1 << 40),
        replace(trailer, prefix_length=trailer.prefix_length - 1),
        replace(trailer, prefix_length=trailer.toc_offset + 1),
    ):
        path.write_bytes(bytes(blob[:start]) + fmt.encode_trailer(damaged))
        with pytest.raises(ArchiveFormatError, match="prefix"):
            open_archive(path)


def test_large_file_entries_are_stored_as_chunks(tmp_path: Path) -> None:
    big = bytes(range(256)) * (fmt.CHUNKED_MIN_SIZE // 256) + b"end"
    small = b"x" * (fmt.CHUNKED_MIN_SIZE - 1)
    items = [
        PkgItem(name="big.so", kind=EntryKind.BINARY, data=big, compress=True),
        PkgItem(name="small.so", kind=EntryKind.BINARY, data=small, compress=True),
    ]
    path = _write(tmp_path, items)
    archive = open_archive(path)
    data = path.read_bytes()

    def stored(name: str) -> bytes:
        entry = archive.entry(name)
        start = archive.trailer.pkg_offset + entry.data_offset
        return data[start : start + entry.stored_size]

    chunks = fmt.decode_chunk_index(stored("big.so"))
    half = -(-len(big) // 2)  # at least two frames, of equal size: one per thread
    assert chunks is not None and [raw for _, raw in chunks] == [half, len(big) - half]
    assert fmt.decode_chunk_index(stored("small.so")) is None
    assert read_entry(archive, archive.entry("big.so")) == big
    assert read_entry(archive, archive.entry("small.so")) == small


def test_pyz_modules_compressed_with_a_dictionary_round_trip(tmp_path: Path) -> None:
    dictionary = b"X = 1 Y = 2 pkg sub " * 50  # raw-content dictionary
    pyz = write_pyz(_modules(), level=3, dictionary=dictionary)
    assert fmt.pyz_dictionary(pyz) != b""
    path = _write(tmp_path, [PkgItem(name="PYZ", kind=EntryKind.PYZ, data=pyz)])
    modules = read_pyz(open_archive(path))
    assert {name: code for name, (_, code) in modules.items()} == {
        m.name: m.code for m in _modules()
    }
    assert fmt.pyz_dictionary(write_pyz(_modules(), level=3)) == b""


def test_pkg_is_deterministic(tmp_path: Path) -> None:
    first = _write(tmp_path, _items()).read_bytes()
    second = _write(tmp_path, list(reversed(_items()))).read_bytes()
    assert first == second


def test_reader_rejects_truncated_file(tmp_path: Path) -> None:
    path = _write(tmp_path, _items())
    data = path.read_bytes()
    path.write_bytes(data[:100] + data[200:])
    with pytest.raises(ArchiveFormatError, match="truncated"):
        open_archive(path)


def test_reader_rejects_wrong_magic(tmp_path: Path) -> None:
    path = _write(tmp_path, _items())
    data = bytearray(path.read_bytes())
    data[-fmt.TRAILER_SIZE] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveFormatError, match="wrong magic"):
        open_archive(path)


def test_reader_rejects_zeroed_toc(tmp_path: Path) -> None:
    path = _write(tmp_path, _items())
    archive = open_archive(path)
    data = bytearray(path.read_bytes())
    start = archive.trailer.pkg_offset + archive.trailer.toc_offset
    data[start + 8 : start + 24] = bytes(16)
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveFormatError, match="TOC checksum"):
        open_archive(path)


def test_reader_rejects_zeroed_payload(tmp_path: Path) -> None:
    path = _write(tmp_path, _items())
    archive = open_archive(path)
    entry = archive.entry("data/readme.txt")
    data = bytearray(path.read_bytes())
    start = archive.trailer.pkg_offset + entry.data_offset
    data[start : start + entry.stored_size] = bytes(entry.stored_size)
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveFormatError, match="checksum mismatch"):
        read_entry(open_archive(path), entry)


def test_reader_rejects_plain_file(tmp_path: Path) -> None:
    path = tmp_path / "plain"
    path.write_bytes(b"#!/bin/sh\necho hi\n" * 20)
    with pytest.raises(ArchiveFormatError, match="no freezekit archive found"):
        open_archive(path)


def test_entry_names_that_climb_out_are_refused() -> None:
    for name in ("/etc/passwd", "../x", "a/../../b"):
        with pytest.raises(ValueError):
            PkgItem(name=name, kind=EntryKind.DATA, data=b"")


def test_c_header_matches_format() -> None:
    header = Path(__file__).resolve().parents[2] / "bootloader" / "src" / "archive_format.h"
    assert header.read_text() == fmt.render_c_header(), "run `invoke archive-header`"
