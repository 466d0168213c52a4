"""The Python reader on the shared fixture archives (tests/fixtures/archives/), the same files
the bootloader's C reader is run on (tests/functional/test_bootloader_archives.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freezekit.archive.reader import open_archive, read_entry, read_pyz
from freezekit.errors import ArchiveFormatError
from freezekit.toc import EntryKind

ARCHIVES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
MANIFEST: dict[str, dict[str, str]] = json.loads((ARCHIVES / "manifest.json").read_text())


def _read_all(path: Path) -> int:
    archive = open_archive(path)
    for entry in archive.entries:
        data = read_entry(archive, entry)
        assert len(data) == entry.raw_size
    if any(entry.kind is EntryKind.PYZ for entry in archive.entries):
        read_pyz(archive)
    return len(archive.entries)


@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if n.startswith("good-")))
def test_python_reader_accepts_good_archive(name: str) -> None:
    assert _read_all(ARCHIVES / name) > 0


@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if n.startswith("bad-")))
def test_python_reader_rejects_bad_archive_in_one_line(name: str) -> None:
    with pytest.raises(ArchiveFormatError) as caught:
        _read_all(ARCHIVES / name)
    message = str(caught.value)
    assert "\n" not in message and str(ARCHIVES / name) in message, message
