"""elfread: the dynamic entries as lief reads them, from the program headers alone."""

from __future__ import annotations

import glob
import os
import struct
import sys
import sysconfig
from pathlib import Path

import lief
import pytest

from freezekit.analysis.elfread import read_dynamic, read_ident

lief.logging.disable()


def _real_elf_files() -> list[str]:
    """This Python's libpython and extension modules, and the system libraries they use."""
    patterns = [
        os.path.join(sysconfig.get_config_var("DESTSHARED") or "", "*.so"),
        os.path.join(sysconfig.get_config_var("LIBDIR") or "", "libpython*.so*"),
        "/usr/lib/x86_64-linux-gnu/lib[csmz]*.so*",
        "/usr/lib/i386-linux-gnu/libc.so.6",  # 32-bit, where installed
        sys.executable,
    ]
    found = {os.path.realpath(p) for pattern in patterns for p in glob.glob(pattern)}
    return sorted(p for p in found if os.path.isfile(p) and lief.is_elf(p))


def _by_lief(path: str) -> tuple[list[str], list[str], list[str]]:
    binary = lief.ELF.parse(path)
    assert binary is not None
    tag = lief.ELF.DynamicEntry.TAG
    rpath = [p for e in binary.dynamic_entries if e.tag == tag.RPATH for p in e.paths]
    runpath = [p for e in binary.dynamic_entries if e.tag == tag.RUNPATH for p in e.paths]
    return list(binary.libraries), rpath, runpath


def test_reads_what_lief_reads_on_real_files() -> None:
    files = _real_elf_files()
    assert len(files) >= 20, files
    for path in files:
        found = read_dynamic(path)
        assert found is not None, path
        assert (found.needed, found.rpath, found.runpath) == _by_lief(path), path


def test_ident_tells_class_and_machine() -> None:
    ours = read_ident(sys.executable)
    assert ours is not None and ours[0] == ("ELF64" if sys.maxsize > 2**32 else "ELF32")
    assert read_dynamic(sys.executable).ident == ours  # type: ignore[union-attr]


def test_not_elf_truncated_and_out_of_range(tmp_path: Path) -> None:
    script = tmp_path / "libc.so"
    script.write_text("/* GNU ld script */\nGROUP ( libc.so.6 )\n")
    assert read_dynamic(script) is None and read_ident(script) is None
    assert read_dynamic(tmp_path / "missing.so") is None
    real = Path(
        sysconfig.get_config_var("DESTSHARED"), "_ssl" + sysconfig.get_config_var("EXT_SUFFIX")
    )
    if not real.exists():
        pytest.skip("no _ssl extension module in this Python")
    data = real.read_bytes()
    cut = tmp_path / "cut.so"
    cut.write_bytes(data[:100])  # the header promises program headers that are not there
    assert read_dynamic(cut) is None
    moved = bytearray(data)
    phoff_at = 32 if data[4] == 2 else 28
    struct.pack_into("<Q" if data[4] == 2 else "<I", moved, phoff_at, len(data) + 4096)
    far = tmp_path / "far.so"
    far.write_bytes(bytes(moved))
    assert read_dynamic(far) is None
