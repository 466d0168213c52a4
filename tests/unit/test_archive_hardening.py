"""Build-time rules of issue 19: link targets, bounded sizes, the payload digest."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from freezekit.archive import format as fmt
from freezekit.archive.pkg import PkgHeader, PkgItem, write_pkg
from freezekit.archive.reader import open_archive, read_entry
from freezekit.errors import ArchiveFormatError
from freezekit.toc import Compression, EntryKind

LINKS = {"d/l", "lib/libfoo.so", "lib/libfoo.so.1"}


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("lib/libfoo.so", "libfoo.so.1"),  # a link to a link: each is checked on its own
        ("lib/libfoo.so.1", "libfoo.so.1.2.3"),
        ("d/l", ".."),  # the top directory itself
        ("a/b/c", "../../lib/libfoo.so"),
        ("x", "./lib/./real"),
    ],
)
def test_link_targets_inside_the_top_directory_are_accepted(name: str, target: str) -> None:
    fmt.check_link_target(name, target, LINKS)


@pytest.mark.parametrize(
    ("name", "target", "why"),
    [
        ("m", "d/l/../../outside", "goes through the link 'd/l'"),  # the review's chain
        ("m", "d/l/x", "goes through the link 'd/l'"),
        ("d/m", "../..", "leaves the top directory"),
        ("m", "../x", "leaves the top directory"),
        ("m", "/etc/passwd", "is not relative"),
        ("m", "", "is not relative"),
        ("m", "a\\..\\..\\x", "is not relative"),
    ],
)
def test_link_targets_that_escape_are_refused(name: str, target: str, why: str) -> None:
    with pytest.raises(ArchiveFormatError, match=why):
        fmt.check_link_target(name, target, LINKS)


def _write(items: list[PkgItem], path: Path) -> Path:
    buffer = io.BytesIO()
    buffer.write(b"front")
    write_pkg(
        buffer,
        items,
        PkgHeader(flags=fmt.FLAG_ONEFILE, py_version=(3, 12), libpython="libpython3.12.so"),
        pkg_offset=5,
        level=3,
    )
    path.write_bytes(buffer.getvalue())
    return path


def test_writer_refuses_the_link_chain() -> None:
    items = [
        PkgItem(name="d/l", kind=EntryKind.SYMLINK, data=b".."),
        PkgItem(name="m", kind=EntryKind.SYMLINK, data=b"d/l/../../outside"),
    ]
    with pytest.raises(ArchiveFormatError, match="goes through the link 'd/l'"):
        _write(items, Path("/nonexistent"))


def test_writer_records_the_payload_digest(tmp_path: Path) -> None:
    path = _write(
        [PkgItem(name="data/x.txt", kind=EntryKind.DATA, data=b"x" * 5000, compress=True)],
        tmp_path / "app",
    )
    archive = open_archive(path)
    blob = path.read_bytes()
    pkg = blob[archive.trailer.pkg_offset : archive.trailer.pkg_offset + archive.trailer.pkg_length]
    hasher = fmt.payload_hasher()
    hasher.update(pkg)
    assert archive.trailer.payload_xxh64 == hasher.intdigest()
    flipped = bytearray(blob)
    flipped[archive.trailer.pkg_offset + 3] ^= 1
    (tmp_path / "flipped").write_bytes(bytes(flipped))
    with pytest.raises(ArchiveFormatError, match="checksum mismatch"):
        open_archive(tmp_path / "flipped")


def test_sizes_beyond_zstd_ratio_are_refused() -> None:
    fmt.check_sizes("x", Compression.ZSTD, 10, 10 * fmt.MAX_ZSTD_RATIO)
    fmt.check_sizes("x", Compression.NONE, 10, 10 << 40)  # not decompressed: checked on read
    with pytest.raises(ArchiveFormatError, match="cannot come from"):
        fmt.check_sizes("x", Compression.ZSTD, 10, 10 * fmt.MAX_ZSTD_RATIO + 1)


def test_writer_points_links_past_other_links(tmp_path: Path) -> None:
    """A framework's QtCore -> Versions/Current/QtCore (Current -> A) is stored as
    Versions/A/QtCore: the same file, without going through a link."""
    items = [
        PkgItem(name="Qt.framework/Versions/A/QtCore", kind=EntryKind.DATA, data=b"lib"),
        PkgItem(name="Qt.framework/Versions/Current", kind=EntryKind.SYMLINK, data=b"A"),
        PkgItem(
            name="Qt.framework/QtCore", kind=EntryKind.SYMLINK, data=b"Versions/Current/QtCore"
        ),
        PkgItem(name="lib/libfoo.so", kind=EntryKind.SYMLINK, data=b"libfoo.so.1"),
    ]
    archive = open_archive(_write(items, tmp_path / "app"))
    targets = {e.name: read_entry(archive, e).decode() for e in archive.of_kind(EntryKind.SYMLINK)}
    assert targets == {
        "Qt.framework/Versions/Current": "A",
        "Qt.framework/QtCore": "Versions/A/QtCore",
        "lib/libfoo.so": "libfoo.so.1",
    }
