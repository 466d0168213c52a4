"""strip_unneeded: symbol tables and debug sections go, every byte the loader maps stays.

Fixtures (tests/fixtures/binaries/, make_binaries.sh): libfkelf.so as gcc lays it out,
libfkelf-patched.so after patchelf (symbol table between segments), libfkelf-ppc32.so
(ELF32 big-endian).
"""

from __future__ import annotations

import ctypes
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from freezekit.analysis.binaries import prepare_binary
from freezekit.analysis.strip import (
    has_removable_sections,
    has_same_loaded_image,
    strip_unneeded,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"
RUNS_X86_64_ELF = sys.platform == "linux" and platform.machine() == "x86_64"


def _elf(path: Path) -> Any:
    """The lief binary; keep it referenced while using its sections (they do not own it)."""
    import lief

    lief.logging.disable()
    return lief.ELF.parse(str(path))


def _section_names(path: Path) -> set[str]:
    binary = _elf(path)
    return {s.name for s in binary.sections}


def _section(path: Path, name: str) -> tuple[int, int]:
    """(file offset, size) of section ``name``."""
    binary = _elf(path)
    section = binary.get_section(name)
    return section.file_offset, section.size


def _exported(path: Path) -> set[str]:
    binary = _elf(path)
    return {f.name for f in binary.exported_functions}


def _segments(path: Path) -> list[tuple[int, int, int, int]]:
    binary = _elf(path)
    return [
        (s.file_offset, s.virtual_address, s.physical_size, s.virtual_size) for s in binary.segments
    ]


def _triple(path: Path) -> int:
    if not RUNS_X86_64_ELF:
        pytest.skip("the fixture is an x86-64 Linux library")
    return int(ctypes.CDLL(str(path)).fk_triple(5))


def test_strip_removes_symbol_table_and_debug_sections(tmp_path: Path) -> None:
    source, dest = FIXTURES / "libfkelf.so", tmp_path / "libfkelf.so"
    assert {".symtab", ".strtab", ".debug_info"} <= _section_names(source)
    assert strip_unneeded(source, dest)
    names = _section_names(dest)
    assert not {n for n in names if n in (".symtab", ".strtab") or n.startswith(".debug")}
    assert {".dynsym", ".dynstr", ".text", ".comment"} <= names
    assert _exported(dest) >= {"fk_add", "fk_triple"}
    assert dest.stat().st_size < source.stat().st_size
    assert _segments(dest) == _segments(source)
    assert not has_removable_sections(dest)
    assert _triple(dest) == 15


def test_strip_zeroes_symbols_between_segments_in_place(tmp_path: Path) -> None:
    """patchelf'd layout: the sections stay where they are, zeroed; nothing mapped moves."""
    source, dest = FIXTURES / "libfkelf-patched.so", tmp_path / "libfkelf-patched.so"
    offset, size = _section(source, ".symtab")
    assert offset < max(start for start, *_ in _segments(source))  # this fixture's layout
    assert strip_unneeded(source, dest)
    assert ".symtab" not in _section_names(dest)
    assert _segments(dest) == _segments(source)
    data = dest.read_bytes()
    assert data[offset : offset + size] == bytes(size)
    assert has_same_loaded_image(source, dest)
    assert _triple(dest) == 15


def test_strip_reads_elf32_big_endian(tmp_path: Path) -> None:
    source, dest = FIXTURES / "libfkelf-ppc32.so", tmp_path / "libfkelf-ppc32.so"
    assert has_removable_sections(source)
    assert strip_unneeded(source, dest)
    assert ".symtab" not in _section_names(dest)
    assert _exported(dest) >= {"fk_add", "fk_triple"}
    assert dest.stat().st_size < source.stat().st_size
    assert has_same_loaded_image(source, dest)


def test_strip_leaves_a_file_with_appended_data_alone(tmp_path: Path) -> None:
    source = tmp_path / "payload.so"
    source.write_bytes((FIXTURES / "libfkelf.so").read_bytes() + b"appended payload")
    assert not strip_unneeded(source, tmp_path / "out.so")
    assert not (tmp_path / "out.so").exists()


def test_strip_leaves_non_elf_files_alone(tmp_path: Path) -> None:
    assert not strip_unneeded(FIXTURES / "fkdep.dll", tmp_path / "fkdep.dll")
    assert not strip_unneeded(FIXTURES / "make_binaries.sh", tmp_path / "make_binaries.sh")
    assert not has_removable_sections(FIXTURES / "libfkapp.dylib")
    assert list(tmp_path.iterdir()) == []


def test_strip_check_refuses_a_change_to_mapped_bytes(tmp_path: Path) -> None:
    source, dest = FIXTURES / "libfkelf.so", tmp_path / "libfkelf.so"
    assert strip_unneeded(source, dest)
    data = bytearray(dest.read_bytes())
    data[_section(dest, ".text")[0]] ^= 0xFF
    damaged = tmp_path / "damaged.so"
    damaged.write_bytes(bytes(data))
    assert not has_same_loaded_image(source, damaged)


@pytest.mark.parametrize("strip", [True, False])
def test_strip_prepare_binary_strips_unless_told_not_to(tmp_path: Path, strip: bool) -> None:
    dest = tmp_path / "app" / "libfkelf.so"
    cache = tmp_path / "cache"
    prepare_binary(FIXTURES / "libfkelf.so", dest, top_relative=".", strip=strip, cache_dir=cache)
    assert (".symtab" in _section_names(dest)) is not strip
    if not strip:  # --no-strip: the file as it was (it needs no RUNPATH)
        assert dest.read_bytes() == (FIXTURES / "libfkelf.so").read_bytes()
    shutil.rmtree(cache)
