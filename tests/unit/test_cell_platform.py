"""No cell publishes another OS's or machine's binary: interpreter discovery checks the
candidate's OS and machine, a cell checks its executable before publishing, and a release
checks every archive again. One test per OS pair, on real fixture executables."""

from __future__ import annotations

import json
import struct
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from freezekit.errors import OptionsError, PublishError
from freezekit.nox import FreezeConfig, freeze_cell
from freezekit.platforms import Os
from freezekit.platforms.executables import identify, identify_file, mismatch
from freezekit.release.cell import AppSpec, check_interpreter
from freezekit.release.interpreters import (
    HostPlatform,
    Interpreter,
    find_interpreter,
    host_platform,
    interpreter_arch,
    probe_interpreter,
)
from freezekit.release.matrix import Cell, find_cell, load_matrix
from freezekit.release.publish import gather_release, publish_cell, sha256_file
from tests.fixtures.nox_session import FakeSession, Stop

HELLO = AppSpec(name="hello", version="1.0", script=Path("hello.py"))


BINARIES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"
LINUX_HOST = HostPlatform(os=Os.LINUX, arch="x86_64")


def _macho_arm64(path: Path) -> Path:
    """A Mach-O header for arm64 (no tool here links one): magic, cputype, subtype, filetype."""
    path.write_bytes(struct.pack("<IiiI", 0xFEEDFACF, 0x0100000C, 0, 2) + bytes(64))
    return path


def _fat(path: Path, cpus: tuple[int, ...]) -> Path:
    head = struct.pack(">II", 0xCAFEBABE, len(cpus))
    head += b"".join(struct.pack(">iiIII", cpu, 0, 4096, 16, 12) for cpu in cpus)
    path.write_bytes(head + bytes(64))
    return path


@dataclass(frozen=True)
class Probe:
    probe: str
    ok: bool
    detail: str


# (fixture, os, machine, bits)
PROGRAMS = {
    "linux-x86_64": BINARIES / "libfkelf.so",
    "linux-i686": BINARIES / "fkmain32.elf",
    "windows-x86_64": BINARIES / "fkapp.exe",
    "windows-i686": BINARIES / "fkmain32.exe",
    "macos-x86_64": BINARIES / "libfkapp.dylib",
    "macos-arm64": Path("arm64.macho"),  # written by _program
}
CELLS = {key: find_cell(f"{key}-3.12", load_matrix()) for key in PROGRAMS}


def _program(key: str, tmp_path: Path) -> Path:
    if key == "macos-arm64":
        return _macho_arm64(tmp_path / "arm64.macho")
    return PROGRAMS[key]


@pytest.mark.parametrize(
    ("key", "described"),
    [
        ("linux-x86_64", "ELF x86_64 (64-bit)"),
        ("linux-i686", "ELF i686 (32-bit)"),
        ("windows-x86_64", "PE x86_64 (64-bit)"),
        ("windows-i686", "PE i686 (32-bit)"),
        ("macos-x86_64", "Mach-O x86_64 (64-bit)"),
        ("macos-arm64", "Mach-O arm64 (64-bit)"),
    ],
)
def test_cell_platform_identifies_fixture_executables(
    key: str, described: str, tmp_path: Path
) -> None:
    kind = identify_file(_program(key, tmp_path))
    assert kind is not None and kind.describe() == described
    cell = CELLS[key]
    assert mismatch(kind, os_=cell.os, arch=cell.arch, bits=cell.bits) is None


def test_cell_platform_fat_macho_fits_each_of_its_slices(tmp_path: Path) -> None:
    kind = identify_file(_fat(tmp_path / "fat", (0x01000007, 0x0100000C)))
    assert kind is not None and kind.machines == ("x86_64", "arm64")
    for key in ("macos-x86_64", "macos-arm64"):
        cell = CELLS[key]
        assert mismatch(kind, os_=cell.os, arch=cell.arch, bits=cell.bits) is None
    assert identify(b"\xca\xfe\xba\xbe\x00\x00\x00\x34") is None  # a Java class file
    assert identify(b"#!/bin/sh\n") is None


@pytest.mark.parametrize("cell_key", sorted(PROGRAMS))
@pytest.mark.parametrize("program_key", sorted(PROGRAMS))
def test_cell_platform_publish_only_the_cells_own_binary(
    cell_key: str, program_key: str, tmp_path: Path
) -> None:
    cell = CELLS[cell_key]
    app = tmp_path / "hello"
    app.mkdir()
    exe = app / "hello"
    exe.write_bytes(_program(program_key, tmp_path).read_bytes())
    out = tmp_path / "out"

    def publish() -> object:
        return publish_cell(
            app,
            executable=exe,
            app="hello",
            version="1.0",
            cell=cell,
            python_version="3.12.1",
            smoke=[Probe("hello", True, "exit 0")],
            out_dir=out,
            env={},
        )

    if cell_key == program_key:
        publish()
        binary = json.loads((out / "manifest.json").read_text())["binary"]
        assert (binary["member"], binary["bits"]) == ("hello/hello", cell.bits)
        return
    with pytest.raises(PublishError, match=f"cell {cell.name}: .* is a .*, not a "):
        publish()
    assert not out.exists()  # nothing written


def test_cell_platform_release_rechecks_the_archived_executable(tmp_path: Path) -> None:
    cell = CELLS["windows-x86_64"]
    app = tmp_path / "hello"
    app.mkdir()
    (app / "hello.exe").write_bytes(PROGRAMS["windows-x86_64"].read_bytes())
    dist = tmp_path / "dist"
    published = publish_cell(
        app,
        executable=app / "hello.exe",
        app="hello",
        version="1.0",
        cell=cell,
        python_version="3.12.9",
        smoke=[Probe("hello", True, "exit 0")],
        out_dir=dist / cell.name,
        env={},
    )
    assert gather_release(dist, tmp_path / "release1", version="1.0", cells=[cell]).archives
    # the archive's executable swapped for a Linux one, its sha256 in the manifest updated
    with zipfile.ZipFile(published.archive, "w") as archive:
        archive.writestr("hello/hello.exe", PROGRAMS["linux-x86_64"].read_bytes())
    data = json.loads(published.manifest.read_text())
    data["artifact"]["sha256"] = sha256_file(published.archive)
    published.manifest.write_text(json.dumps(data))
    release = tmp_path / "release2"
    with pytest.raises(PublishError, match=r"hello/hello.exe in .* is a ELF x86_64"):
        gather_release(dist, release, version="1.0", cells=[cell])
    assert not release.exists()
    del data["binary"]
    published.manifest.write_text(json.dumps(data))
    with pytest.raises(PublishError, match="names no executable"):
        gather_release(dist, release, version="1.0", cells=[cell])


def _linux_python(version: str, bits: int) -> Interpreter:
    return Interpreter(
        path=Path(f"/usr/bin/python{version}"),
        version=(3, int(version[2:]), 0),
        bits=bits,
        os=Os.LINUX,
        arch="x86_64" if bits == 64 else "i686",
    )


@pytest.mark.parametrize(
    "name", ["windows-x86_64-3.11", "windows-i686-3.12", "macos-arm64-3.12", "macos-x86_64-3.12"]
)
def test_cell_platform_linux_python_never_freezes_another_os_cell(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported bug: a Linux Python 3.11 (64-bit) was taken for windows-x86_64-3.11."""
    cell = find_cell(name, load_matrix())
    session = FakeSession()
    monkeypatch.delenv("CI", raising=False)
    missing = "wine64 (Debian package wine64)"  # the Windows cell's cross path, not ready
    monkeypatch.setattr(
        "freezekit.crossbuild.windows_cross.cross_problems", lambda minor: [missing]
    )
    with pytest.raises(Stop, match=f"skip: {name}: needs a {cell.os.value} host") as skipped:
        freeze_cell(session, cell, FreezeConfig(app=HELLO), find=_linux_python, host=LINUX_HOST)
    assert not any(line.startswith("RUN") for line in session.lines)
    if cell.os is Os.WINDOWS and cell.arch == "x86_64":  # names what the cross path lacks
        assert f"or the cross path from Linux, which needs {missing}" in str(skipped.value)
    elif cell.os is Os.WINDOWS:
        assert "the cross path from Linux covers windows-x86_64 with CPython 3.11, 3.12" in str(
            skipped.value
        )
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Stop, match="error: .*CI is set"):
        freeze_cell(session, cell, FreezeConfig(app=HELLO), find=_linux_python, host=LINUX_HOST)


def test_cell_platform_interpreter_of_another_machine_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    cell = find_cell("linux-x86_64-3.12", load_matrix())

    def aarch64(version: str, bits: int) -> Interpreter:
        return Interpreter(
            path=Path("/opt/py"), version=(3, 12, 0), bits=64, os=Os.LINUX, arch="aarch64"
        )

    with pytest.raises(Stop, match="is a linux-aarch64 Python, not linux-x86_64"):
        freeze_cell(FakeSession(), cell, FreezeConfig(app=HELLO), find=aarch64, host=LINUX_HOST)


def test_cell_platform_find_interpreter_checks_os_and_machine(tmp_path: Path) -> None:
    def probe(argv: object) -> Interpreter:
        return _linux_python("3.11", 64)

    def find(os_: Os, arch: str) -> Interpreter | None:
        return find_interpreter(
            "3.11",
            64,
            host=LINUX_HOST,
            env={},
            home=tmp_path,
            probe=probe,
            which=lambda name: f"/usr/bin/{name}",
            os_=os_,
            arch=arch,
        )

    assert find(Os.LINUX, "x86_64") is not None
    assert find(Os.WINDOWS, "x86_64") is None
    assert find(Os.MACOS, "x86_64") is None
    assert find(Os.LINUX, "aarch64") is None


def test_cell_platform_probe_reports_os_and_machine() -> None:
    found = probe_interpreter([sys.executable])
    assert found is not None
    host = host_platform()
    assert (found.os, found.arch) == (host.os, host.arch)
    assert found.mismatch(Os.WINDOWS, "x86_64") is not None


def test_cell_platform_interpreter_arch() -> None:
    def arch(os_: Os, bits: int, plat: str, uname: str) -> str:
        return interpreter_arch(os_, bits, sysconfig_platform=plat, uname_machine=uname)

    assert arch(Os.WINDOWS, 64, "win-amd64", "") == "x86_64"
    assert arch(Os.WINDOWS, 32, "win32", "") == "i686"
    assert arch(Os.WINDOWS, 64, "win-arm64", "") == "arm64"
    assert arch(Os.LINUX, 32, "linux-x86_64", "x86_64") == "i686"
    assert arch(Os.LINUX, 64, "linux-aarch64", "aarch64") == "aarch64"
    assert arch(Os.MACOS, 64, "macosx-11.0-universal2", "arm64") == "arm64"


@pytest.mark.parametrize("name", ["windows-x86_64-3.12", "macos-arm64-3.12"])
def test_cell_platform_cell_runner_refuses_this_linux_python(name: str) -> None:
    cell: Cell = find_cell(name, load_matrix())
    cell = Cell(**{**cell.__dict__, "python": f"{sys.version_info[0]}.{sys.version_info[1]}"})
    with pytest.raises(OptionsError, match=r"runs under Python .*, linux-"):
        check_interpreter(cell)
