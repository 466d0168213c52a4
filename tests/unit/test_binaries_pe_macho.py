"""PE and Mach-O imports read with lief from small committed fixtures, and the Windows and
macOS system-library tables. Fixtures: tests/fixtures/binaries/ (make_binaries.sh)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from freezekit.analysis.binaries import (
    MACOS_SYSTEM_LIBRARIES,
    WINDOWS_SYSTEM_LIBRARIES,
    BinaryFormat,
    LibraryPolicy,
    policy_for,
    read_imports,
)
from freezekit.analysis.strip import has_loadable_layout
from freezekit.platforms import Os, host_target

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"


def test_binaries_pe_exe_lists_imported_dlls() -> None:
    imports = read_imports(FIXTURES / "fkapp.exe")
    assert imports is not None
    assert imports.format is BinaryFormat.PE
    assert {n.lower() for n in imports.names} == {
        "fkdep.dll",
        "kernel32.dll",
        "msvcrt.dll",
        "user32.dll",
    }
    assert imports.search_paths == ()


def test_binaries_pe_dll_lists_imported_dlls() -> None:
    imports = read_imports(FIXTURES / "fkdep.dll")
    assert imports is not None and imports.format is BinaryFormat.PE
    assert {n.lower() for n in imports.names} == {"kernel32.dll", "msvcrt.dll"}


def test_binaries_macho_lists_load_dylib_and_rpath_not_own_id() -> None:
    imports = read_imports(FIXTURES / "libfkapp.dylib")
    assert imports is not None
    assert imports.format is BinaryFormat.MACHO
    assert imports.names == ("@rpath/libfkdep.dylib", "/usr/lib/libSystem.B.dylib")
    assert imports.search_paths == ("@loader_path/../Frameworks",)
    leaf = read_imports(FIXTURES / "libfkdep.dylib")
    assert leaf is not None and leaf.names == ()


def test_binaries_read_imports_elf_and_non_binaries(tmp_path: Path) -> None:
    elf = read_imports(host_target().libpython)
    assert elf is not None and elf.format is BinaryFormat.ELF
    assert "libc.so.6" in elf.names
    text = tmp_path / "notes.txt"
    text.write_text("not a binary\n")
    assert read_imports(text) is None


def test_binaries_windows_policy_leaves_system_dlls_out() -> None:
    policy = policy_for(Os.WINDOWS)
    imports = read_imports(FIXTURES / "fkapp.exe")
    assert imports is not None
    kept = [n for n in imports.names if not policy.is_excluded(n)]
    assert kept == ["fkdep.dll"]
    for name in (
        "api-ms-win-crt-runtime-l1-1-0.dll",
        "API-MS-WIN-CORE-SYNCH-L1-2-0.DLL",
        "KERNEL32.dll",
        "ucrtbase.dll",
        "d3d11.dll",
        "C:\\Windows\\System32\\ws2_32.dll",
    ):
        assert policy.is_excluded(name), name
    for name in ("python312.dll", "vcruntime140.dll", "libcrypto-3.dll", "libffi-8.dll"):
        assert not policy.is_excluded(name), name


def test_binaries_macos_policy_matches_install_names() -> None:
    policy = policy_for(Os.MACOS)
    imports = read_imports(FIXTURES / "libfkapp.dylib")
    assert imports is not None
    assert [n for n in imports.names if not policy.is_excluded(n)] == ["@rpath/libfkdep.dylib"]
    assert policy.is_excluded("/System/Library/Frameworks/Cocoa.framework/Versions/A/Cocoa")
    assert policy.is_excluded("/usr/lib/libc++.1.dylib")
    assert not policy.is_excluded("/usr/local/lib/libssl.3.dylib")
    assert not policy.is_excluded("@loader_path/libcrypto.3.dylib")


def test_binaries_policy_tables_have_one_style() -> None:
    assert policy_for(Os.LINUX) == LibraryPolicy()
    assert all(p == p.lower() for p in WINDOWS_SYSTEM_LIBRARIES)
    assert all(p.startswith("/") for p in MACOS_SYSTEM_LIBRARIES)


def test_binaries_strip_result_is_checked(tmp_path: Path) -> None:
    good = host_target().libpython
    assert has_loadable_layout(good)
    bad = tmp_path / good.name
    shutil.copyfile(good, bad)
    data = bytearray(bad.read_bytes())
    # second program header's p_offset (ELF64: phoff at 0x20, entries of 56 bytes, offset +8)
    phoff = int.from_bytes(data[0x20:0x28], "little")
    for index in range(int.from_bytes(data[0x38:0x3A], "little")):
        entry = phoff + 56 * index
        if int.from_bytes(data[entry : entry + 4], "little") == 1 and index:  # PT_LOAD
            offset = int.from_bytes(data[entry + 8 : entry + 16], "little")
            data[entry + 8 : entry + 16] = (offset + 0x98).to_bytes(8, "little")
            break
    else:
        pytest.skip("no second PT_LOAD segment")
    bad.write_bytes(bytes(data))
    assert not has_loadable_layout(bad)


def test_binaries_vendored_library_is_bundled_whatever_its_name(tmp_path: Path) -> None:
    """pillow.libs/libxcb-<hash>.so matches the libxcb* system pattern but must be bundled."""
    import lief

    target = host_target()
    site = tmp_path / "site-packages"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg.libs").mkdir()
    vendored = "libxcb-0123abcd.so.1.1.0"
    shutil.copyfile(target.libpython, site / "pkg.libs" / vendored)
    extension = lief.ELF.parse(str(target.libpython))
    assert extension is not None
    extension.add_library(vendored)
    extension.add(lief.ELF.DynamicEntryRunPath(["$ORIGIN/../pkg.libs"]))
    extension.write(str(site / "pkg" / "ext.so"))
    from freezekit.analysis.binaries import scan_binaries

    scan = scan_binaries([site / "pkg" / "ext.so"], target, site_dirs=[site])
    assert f"pkg.libs/{vendored}" in {e.name for e in scan.binaries}
    assert vendored not in scan.excluded
    assert LibraryPolicy().is_excluded(vendored)  # by name alone it would be left out
