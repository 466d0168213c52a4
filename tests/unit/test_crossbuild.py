"""Cross builds without the cross toolchains: Target values, analysis retargeting, apt hints,
Windows archive appending and PE headers, all on small synthetic files."""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import pytest

from freezekit.analysis import AnalysisResult, PureModule
from freezekit.archive import format as fmt
from freezekit.archive.reader import open_archive, read_entry
from freezekit.crossbuild import linux, windows
from freezekit.errors import AnalysisError, ToolchainError
from freezekit.platforms import Os, Target
from freezekit.toc import EntryKind, TocEntry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
HOST_SUFFIX = ".cpython-311-x86_64-linux-gnu.so"
TARGET_SUFFIX = ".cpython-311-i386-linux-gnu.so"


def elf(path: Path, *, bits: int, machine: int) -> Path:
    """A file that starts like an ELF file of that class and machine (and is nothing more)."""
    header = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1, 1]) + bytes(9)
    header += struct.pack("<HH", 3, machine)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + bytes(44))
    return path


def i686_target(root: Path) -> Target:
    return Target(
        os=Os.LINUX,
        machine="i686",
        bits=32,
        python=Path(sys.executable),
        version=(3, 11),
        libpython=elf(root / "i386" / "libpython3.11.so.1.0", bits=32, machine=3),
        stdlib=root / "stdlib",
        dynload=root / "stdlib" / "lib-dynload",
        include=root / "include",
        ext_suffix=TARGET_SUFFIX,
    )


def analysis(binaries: list[TocEntry], pure: tuple[PureModule, ...] = ()) -> AnalysisResult:
    return AnalysisResult(
        scripts=(),
        pure=pure,
        startup=(),
        binaries=tuple(binaries),
        datas=(),
        runtime_hooks=(),
        missing=(),
        excluded_libraries=(),
    )


def retarget(result: AnalysisResult, target: Target) -> AnalysisResult:
    return linux.retarget_analysis(
        result, target, host_suffix=HOST_SUFFIX, host_triple="x86_64-linux-gnu"
    )


@pytest.mark.parametrize(
    ("bits", "machine"), [(32, 3), (64, 62), (64, 183)], ids=["i686", "x86_64", "aarch64"]
)
def test_crossbuild_elf_ident_reads_class_and_machine(
    tmp_path: Path, bits: int, machine: int
) -> None:
    assert linux.elf_ident(elf(tmp_path / "lib.so", bits=bits, machine=machine)) == (
        bits,
        machine,
    )


def test_crossbuild_elf_ident_of_other_files_is_none(tmp_path: Path) -> None:
    (tmp_path / "text").write_text("not an ELF file at all")
    assert linux.elf_ident(tmp_path / "text") is None
    assert linux.elf_ident(tmp_path / "missing") is None


def test_crossbuild_cross_target_takes_machine_code_from_the_target_tree(tmp_path: Path) -> None:
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    libpython = elf(tmp_path / f"libpython{version}.so.1.0", bits=32, machine=3)
    (tmp_path / "lib-dynload").mkdir()
    target = linux.cross_target(
        Path(sys.executable),
        libpython=libpython,
        stdlib=tmp_path,
        dynload=tmp_path / "lib-dynload",
        include=tmp_path / "include",
        machine="i686",
        bits=32,
    )
    nodot = version.replace(".", "")
    assert (target.tag, target.bits, target.python) == (
        f"linux-i686-{version}",
        32,
        Path(sys.executable),
    )
    assert target.ext_suffix == f".cpython-{nodot}-i386-linux-gnu.so"
    assert target.libpython == libpython


def test_crossbuild_cross_target_refuses_a_libpython_of_the_wrong_bitness(tmp_path: Path) -> None:
    libpython = elf(tmp_path / "libpython3.11.so.1.0", bits=64, machine=62)
    with pytest.raises(ToolchainError, match="is not a 32-bit i686 library"):
        linux.cross_target(
            Path(sys.executable),
            libpython=libpython,
            stdlib=tmp_path,
            dynload=tmp_path,
            include=tmp_path,
            machine="i686",
            bits=32,
        )


def test_crossbuild_retarget_swaps_extensions_for_the_target_build(tmp_path: Path) -> None:
    target = i686_target(tmp_path)
    host = elf(target.dynload / f"_ssl{HOST_SUFFIX}", bits=64, machine=62)
    wanted = elf(target.dynload / f"_ssl{TARGET_SUFFIX}", bits=32, machine=3)
    entry = TocEntry(
        name=f"lib-dynload/_ssl{HOST_SUFFIX}",
        kind=EntryKind.EXTENSION,
        source=str(host),
        mode=0o755,
    )
    result = retarget(analysis([entry]), target)
    assert [(e.name, e.source) for e in result.binaries] == [
        (f"lib-dynload/_ssl{TARGET_SUFFIX}", str(wanted))
    ]


def test_crossbuild_retarget_keeps_extensions_already_built_for_the_target(
    tmp_path: Path,
) -> None:
    target = i686_target(tmp_path)
    abi3 = elf(tmp_path / "site" / "pkg" / "_speedups.abi3.so", bits=32, machine=3)
    entry = TocEntry(
        name="pkg/_speedups.abi3.so", kind=EntryKind.EXTENSION, source=str(abi3), mode=0o755
    )
    assert retarget(analysis([entry]), target).binaries == (entry,)


def test_crossbuild_retarget_names_an_extension_without_a_target_build(tmp_path: Path) -> None:
    target = i686_target(tmp_path)
    host = elf(tmp_path / "site" / "pkg" / f"_fast{HOST_SUFFIX}", bits=64, machine=62)
    entry = TocEntry(
        name=f"pkg/_fast{HOST_SUFFIX}", kind=EntryKind.EXTENSION, source=str(host), mode=0o755
    )
    with pytest.raises(AnalysisError, match=f"_fast{TARGET_SUFFIX} not found"):
        retarget(analysis([entry]), target)


def test_crossbuild_retarget_drops_host_libraries_and_refuses_unreplaced_ones(
    tmp_path: Path,
) -> None:
    target = i686_target(tmp_path)
    host_lib = elf(tmp_path / "x86_64" / "libfoo.so.1", bits=64, machine=62)
    entry = TocEntry(name="libfoo.so.1", kind=EntryKind.BINARY, source=str(host_lib), mode=0o755)
    with pytest.raises(AnalysisError, match="libfoo.so.1 is built for the host"):
        retarget(analysis([entry]), target)


def test_crossbuild_retarget_keeps_target_and_non_elf_binaries(tmp_path: Path) -> None:
    target = i686_target(tmp_path)
    libpython = TocEntry(
        name=target.libpython.name,
        kind=EntryKind.BINARY,
        source=str(target.libpython),
        mode=0o755,
    )
    script = tmp_path / "helper.sh"
    script.write_text("#!/bin/sh\n")
    helper = TocEntry(name="helper.sh", kind=EntryKind.BINARY, source=str(script), mode=0o755)
    result = retarget(analysis([libpython, helper]), target)
    assert [e.name for e in result.binaries] == sorted([libpython.name, helper.name])


def test_crossbuild_retarget_uses_the_target_sysconfigdata(tmp_path: Path) -> None:
    target = i686_target(tmp_path)
    target.stdlib.mkdir(parents=True, exist_ok=True)
    host = target.stdlib / "_sysconfigdata__x86_64-linux-gnu.py"
    host.write_text("build_time_vars = {}\n")
    (target.stdlib / "_sysconfigdata__i386-linux-gnu.py").write_text("build_time_vars = {}\n")
    module = PureModule(name=host.stem, source=host, is_package=False)
    result = retarget(analysis([], pure=(module,)), target)
    assert [m.name for m in result.pure] == ["_sysconfigdata__i386-linux-gnu"]


def test_crossbuild_i386_problems_name_what_to_install(tmp_path: Path) -> None:
    problems = linux.i386_problems("3.11", root=tmp_path)
    assert "i386 headers (unpacked libpython3.11-dev:i386)" in problems
    assert "32-bit libzstd.a (unpacked libzstd-dev:i386)" in problems


def test_crossbuild_apt_hint_is_the_install_script_commands() -> None:
    hint = linux.i386_apt_command("3.11", Path("/opt/x"))
    assert "dpkg --add-architecture i386" in hint
    assert "-t bookworm gcc-multilib python3.11 libpython3.11:i386" in hint
    assert "apt-get download libpython3.11-dev:i386 libzstd-dev:i386" in hint


def test_crossbuild_debian_target_without_packages_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError) as caught:
        linux.debian_i386_target("3.11", root=tmp_path / "missing")
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("run `bash scripts/install-i386.sh` as root")


def test_crossbuild_with_archive_moves_the_pkg_behind_a_bootloader(tmp_path: Path) -> None:
    bootloader = tmp_path / "run.exe"
    bootloader.write_bytes(b"MZ" + bytes(5000))
    dest = windows.with_archive(
        bootloader,
        FIXTURES / "good-minimal.bin",
        tmp_path / "app.exe",
        flags=fmt.FLAG_ONEFILE,
        libpython="python311.dll",
        python=(3, 11),
    )
    archive = open_archive(dest)
    data = dest.read_bytes()
    trailer = fmt.decode_trailer(data[-fmt.TRAILER_SIZE :])
    assert (trailer.pkg_offset, trailer.flags, trailer.libpython) == (
        5002,
        fmt.FLAG_ONEFILE,
        "python311.dll",
    )
    assert (trailer.py_major, trailer.py_minor) == (3, 11)
    original = open_archive(FIXTURES / "good-minimal.bin")
    expected = {entry.name: read_entry(original, entry) for entry in original.entries}
    assert {entry.name: read_entry(archive, entry) for entry in archive.entries} == expected


def pe(path: Path, *, machine: int, subsystem: int) -> Path:
    data = bytearray(0x200)
    data[:2] = b"MZ"
    data[0x3C:0x40] = struct.pack("<I", 0x80)
    data[0x80:0x84] = b"PE\0\0"
    data[0x84:0x86] = struct.pack("<H", machine)
    data[0x80 + 24 + 68 : 0x80 + 24 + 70] = struct.pack("<H", subsystem)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("machine", "subsystem", "expected"),
    [(0x8664, 3, ("x86_64", "console")), (0x14C, 2, ("i686", "windows"))],
)
def test_crossbuild_pe_machine_reads_machine_and_subsystem(
    tmp_path: Path, machine: int, subsystem: int, expected: tuple[str, str]
) -> None:
    assert windows.pe_machine(pe(tmp_path / "x.exe", machine=machine, subsystem=subsystem)) == (
        expected
    )


def test_crossbuild_pe_machine_refuses_other_files(tmp_path: Path) -> None:
    (tmp_path / "x.exe").write_bytes(b"\x7fELF" + bytes(100))
    with pytest.raises(ToolchainError, match="no MZ header"):
        windows.pe_machine(tmp_path / "x.exe")


def test_crossbuild_windows_problems_without_headers(tmp_path: Path) -> None:
    problems = windows.windows_problems("3.11", root=tmp_path)
    assert f"CPython 3.11 headers for Windows in {tmp_path}/include/python3.11" in problems


def test_crossbuild_windows_path_is_on_the_z_drive(tmp_path: Path) -> None:
    assert windows.windows_path(tmp_path / "a b") == "Z:" + str(tmp_path / "a b").replace("/", "\\")


def test_crossbuild_retarget_adds_every_target_sysconfigdata_with_sysconfig(
    tmp_path: Path,
) -> None:
    target = i686_target(tmp_path)
    target.stdlib.mkdir(parents=True, exist_ok=True)
    for name in (
        "sysconfig",
        "_sysconfigdata__i386-linux-gnu",
        "_sysconfigdata__linux_i386-linux-gnu",
    ):
        (target.stdlib / f"{name}.py").write_text("")
    module = PureModule(name="sysconfig", source=target.stdlib / "sysconfig.py", is_package=False)
    result = retarget(analysis([], pure=(module,)), target)
    assert [m.name for m in result.pure] == [
        "_sysconfigdata__i386-linux-gnu",
        "_sysconfigdata__linux_i386-linux-gnu",
        "sysconfig",
    ]


def fake_wine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, wineboot: str = "") -> Path:
    """wine64 and wineserver scripts on PATH that log their arguments (wine64 running
    ``wineboot`` also runs ``wineboot``, e.g. a sleep); returns the log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name, extra in (("wine64", wineboot), ("wineserver", "")):
        script = bin_dir / name
        script.write_text(
            f'#!/bin/sh\necho "{name} $* $WINEPREFIX" >> "{log}"\n'
            f'if [ "$1" = wineboot ]; then {extra or ":"}; fi\n'
        )
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return log


def test_crossbuild_wine_session_leaves_a_made_prefix_and_its_server_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_wine(tmp_path, monkeypatch)
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    (prefix / "system.reg").write_text("WINE REGISTRY Version 2\n")
    with windows.wine_session(prefix):
        pass
    calls = log.read_text().splitlines()
    assert calls == [f"wineserver -p30 {prefix}"]


def test_crossbuild_wine_session_makes_a_new_prefix_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_wine(tmp_path, monkeypatch)
    prefix = tmp_path / "new" / "prefix"
    with windows.wine_session(prefix):
        pass
    calls = log.read_text().splitlines()
    assert calls == [f"wine64 wineboot -i {prefix}", f"wineserver -p30 {prefix}"]
    assert not any(" -k" in call for call in calls)


def test_crossbuild_wine_session_names_the_prefix_when_wineboot_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_wine(tmp_path, monkeypatch, wineboot="sleep 30")
    prefix = tmp_path / "slow"
    with pytest.raises(ToolchainError) as raised, windows.wine_session(prefix, timeout=0.5):
        pytest.fail("the block ran although the prefix was not made")
    message = str(raised.value)
    assert str(prefix) in message and "wineboot -i" in message
    assert "\n" not in message


def test_crossbuild_wine_running_shares_the_apps_prefix_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from freezekit.crossbuild import windows_cross

    log = fake_wine(tmp_path, monkeypatch)
    prefix = tmp_path / "apps"
    prefix.mkdir()
    (prefix / "system.reg").write_text("WINE REGISTRY Version 2\n")
    with windows_cross.wine_running(prefix):
        pass
    calls = log.read_text().splitlines()
    assert calls == [f"wineserver -p30 {prefix}", f"wine64 cmd /c exit {prefix}"]
