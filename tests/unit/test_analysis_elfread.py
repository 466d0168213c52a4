"""elfread: the dynamic entries as lief reads them, from the program headers alone."""

from __future__ import annotations

import ctypes
import glob
import os
import shutil
import struct
import subprocess
import sys
import sysconfig
from pathlib import Path

import lief
import pytest

from freezekit.analysis.elfread import (
    read_dynamic,
    read_ident,
    set_runpath_appended,
    set_runpath_in_place,
)
from freezekit.analysis.strip import has_loadable_layout

lief.logging.disable()

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"


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


# -- set_runpath_in_place ------------------------------------------------------------------


def _library(tmp_path: Path, rpath: str, *, new_dtags: bool) -> Path:
    """A small shared library linked by the C compiler with ``rpath`` (RPATH or RUNPATH)."""
    if sys.platform != "linux" or shutil.which("cc") is None:
        pytest.skip("needs a Linux C compiler")
    tmp_path.mkdir(exist_ok=True)
    source = tmp_path / "lib.c"
    source.write_text("double fk_half(double x) { return x / 2; }\n")
    out = tmp_path / "libfkpath.so"
    dtags = "--enable-new-dtags" if new_dtags else "--disable-new-dtags"
    subprocess.run(
        ["cc", "-shared", "-fPIC", "-o", str(out), str(source), "-Wl,--no-as-needed", "-lm",
         f"-Wl,{dtags}", f"-Wl,-rpath,{rpath}"],
        check=True,
    )  # fmt: skip
    return out


OLD_PATH = b"/opt/a/rather/long/folder/of/libraries"


@pytest.mark.parametrize("new_dtags", [True, False])
def test_runpath_written_in_place_when_it_fits(tmp_path: Path, new_dtags: bool) -> None:
    library = _library(tmp_path, OLD_PATH.decode(), new_dtags=new_dtags)
    before = library.read_bytes()
    wanted = ["$ORIGIN/..", "$ORIGIN/../pkg.libs"]
    assert set_runpath_in_place(library, wanted)
    after = library.read_bytes()
    assert read_dynamic(library) == (["libm.so.6", "libc.so.6"], [], wanted, _ident(), 1)
    assert _by_lief(str(library)) == (["libm.so.6", "libc.so.6"], [], wanted)
    at = before.index(OLD_PATH + b"\0")
    new = ":".join(wanted).encode()
    assert after[at : at + len(OLD_PATH) + 1] == new + bytes(len(OLD_PATH) + 1 - len(new))
    assert len(after) == len(before)
    changed = (i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y)
    outside = [i for i in changed if not at <= i < at + len(OLD_PATH)]
    assert len(outside) == (0 if new_dtags else 1)  # an RPATH entry's tag: 15 -> 29
    assert _half(library) == 1.5


def test_runpath_in_place_refuses_a_longer_string(tmp_path: Path) -> None:
    library = _library(tmp_path, "/opt/lib", new_dtags=True)
    before = library.read_bytes()
    assert not set_runpath_in_place(library, ["$ORIGIN/../../numpy.libs"])
    assert library.read_bytes() == before


def test_runpath_in_place_refuses_a_string_another_one_ends_in(tmp_path: Path) -> None:
    """The linker stores libm.so.6 as the end of /opt/x/libm.so.6: overwriting the search
    path would change the name of a needed library."""
    library = _library(tmp_path, "/opt/x/libm.so.6", new_dtags=False)
    before = library.read_bytes()
    found = read_dynamic(library)
    assert found is not None and found.needed[0] == "libm.so.6"
    assert not set_runpath_in_place(library, ["$ORIGIN"])
    assert library.read_bytes() == before


def test_runpath_in_place_needs_one_search_path(tmp_path: Path) -> None:
    library = tmp_path / "no-path.so"
    plain = FIXTURES / "libfkelf.so"  # linked without a search path
    assert read_dynamic(plain) is not None and read_dynamic(plain).path_entries == 0  # type: ignore[union-attr]
    library.write_bytes(plain.read_bytes())
    assert not set_runpath_in_place(library, ["$ORIGIN"])
    assert library.read_bytes() == plain.read_bytes()


def _ident() -> tuple[str, str]:
    ident = read_ident(sys.executable)
    assert ident is not None
    return ident


def _half(library: Path) -> float:
    function = ctypes.CDLL(str(library)).fk_half
    function.restype, function.argtypes = ctypes.c_double, [ctypes.c_double]
    return float(function(3.0))


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    """libfktop.so, which needs libfkdep.so beside it and has no search path to find it."""
    if sys.platform != "linux" or shutil.which("cc") is None:
        pytest.skip("needs a Linux C compiler")
    (tmp_path / "dep.c").write_text("int fk_dep(int x) { return x + 1; }\n")
    (tmp_path / "top.c").write_text(
        "int fk_dep(int);\nint fk_top(int x) { return 2 * fk_dep(x); }\n"
    )
    dep, top = tmp_path / "libfkdep.so", tmp_path / "libfktop.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(dep), str(tmp_path / "dep.c")], check=True)
    subprocess.run(
        ["cc", "-shared", "-fPIC", "-o", str(top), str(tmp_path / "top.c"), f"-L{tmp_path}",
         "-lfkdep"],
        check=True,
    )  # fmt: skip
    return top, dep


def _loads(library: Path) -> str:
    """What a fresh process says when it loads ``library`` (no LD_LIBRARY_PATH)."""
    code = "import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).fk_top(3))"
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    run = subprocess.run(
        [sys.executable, "-c", code, str(library)], capture_output=True, text=True, env=env
    )
    return run.stdout.strip() or run.stderr.strip().splitlines()[-1]


def test_runpath_appended_gives_a_library_without_one_its_folder(tmp_path: Path) -> None:
    top, _ = _pair(tmp_path)
    assert "libfkdep.so" in _loads(top)  # not found: no search path
    before = top.read_bytes()
    assert not set_runpath_in_place(top, ["$ORIGIN"])  # no entry to write over
    assert set_runpath_appended(top, ["$ORIGIN"])
    after = top.read_bytes()
    assert _loads(top) == "8"
    assert read_dynamic(top) == (["libfkdep.so"], [], ["$ORIGIN"], _ident(), 1)
    assert _by_lief(str(top)) == (["libfkdep.so"], [], ["$ORIGIN"])
    assert has_loadable_layout(top)
    # nothing moved: before the appended segment only the ELF header's e_phoff/e_phnum and
    # two section headers changed, and the old string table (unused now) is zeros
    original = tmp_path / "original.so"
    original.write_bytes(before)
    old_strings = lief.ELF.parse(str(original)).get_section(".dynstr")
    start, end = old_strings.file_offset, old_strings.file_offset + old_strings.size
    assert after[start:end] == bytes(end - start)
    changed = [i for i, (x, y) in enumerate(zip(before, after, strict=False)) if x != y]
    shoff = struct.unpack_from("<Q", before, 40)[0]
    assert all(i < 64 or i >= shoff or start <= i < end for i in changed)


def test_runpath_appended_replaces_an_rpath_too_short(tmp_path: Path) -> None:
    short = _library(tmp_path / "short", "/o", new_dtags=False)
    wanted = ["$ORIGIN/..", "$ORIGIN"]
    assert not set_runpath_in_place(short, wanted)
    assert set_runpath_appended(short, wanted)
    assert read_dynamic(short) == (["libm.so.6", "libc.so.6"], [], wanted, _ident(), 1)
    assert _half(short) == 1.5


def test_runpath_appended_leaves_executables_alone(tmp_path: Path) -> None:
    executable = tmp_path / "python"
    executable.write_bytes(Path(sys.executable).resolve().read_bytes())
    before = executable.read_bytes()
    assert not set_runpath_appended(executable, ["$ORIGIN"])
    assert executable.read_bytes() == before


def _section_headers_to_the_end(library: Path) -> None:
    """Move the section header table after everything else, as strip.py leaves it."""
    data = bytearray(library.read_bytes())
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    table = bytes(data[shoff : shoff + shentsize * shnum])
    data += bytes(-len(data) % 8)
    struct.pack_into("<Q", data, 0x28, len(data))
    library.write_bytes(bytes(data) + table)


def test_runpath_grows_a_string_table_that_ends_the_file(tmp_path: Path) -> None:
    """patchelf's layout (the table last in the last segment, only section headers after it):
    the table grows where it is, without a second copy."""
    top, _ = _pair(tmp_path)
    assert set_runpath_appended(top, ["$ORIGIN"])  # the table is now last in the last segment
    _section_headers_to_the_end(top)
    assert _loads(top) == "8"
    size = top.stat().st_size
    wanted = ["$ORIGIN/a/longer/folder/than/before", "$ORIGIN"]
    assert set_runpath_appended(top, wanted)
    assert top.stat().st_size - size <= 64  # the new string and alignment, no copy of the table
    assert read_dynamic(top) == (["libfkdep.so"], [], wanted, _ident(), 1)
    assert _by_lief(str(top)) == (["libfkdep.so"], [], wanted)
    assert has_loadable_layout(top)
    assert _loads(top) == "8"


def test_runpath_appended_to_an_elf32_big_endian_library(tmp_path: Path) -> None:
    """The ppc32 fixture has no search path: it gets one, as lief and this reader both read."""
    library = tmp_path / "libfkelf-ppc32.so"
    library.write_bytes((FIXTURES / "libfkelf-ppc32.so").read_bytes())
    wanted = ["$ORIGIN/..", "$ORIGIN/lib"]
    assert not set_runpath_in_place(library, wanted)
    assert set_runpath_appended(library, wanted)
    found = read_dynamic(library)
    assert found is not None and found.ident[0] == "ELF32"
    assert (found.runpath, found.rpath, found.path_entries) == (wanted, [], 1)
    assert _by_lief(str(library))[1:] == ([], wanted)
    assert has_loadable_layout(library)
