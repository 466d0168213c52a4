"""Cross builds for real: a linux-i686 app frozen on this x86_64 host and run, and the Windows
bootloader built with mingw-w64 and run under wine64.

Without the i386 packages (scripts/install-i386.sh) or mingw-w64/wine64
(scripts/install-mingw.sh) the tests skip, saying which; under CI (CI set) they fail instead.
"""

from __future__ import annotations

import os
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from freezekit.crossbuild import linux, windows
from freezekit.options import Mode
from freezekit.platforms import Target

from .conftest import APPS, test_options

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"
ONEFILE_APP = APPS / "onefile_app" / "onefile_app.py"


def _require(problems: list[str], script: str) -> None:
    if not problems:
        return
    message = f"missing {', '.join(problems)}; run `bash scripts/{script}` as root"
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{message} (CI is set)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def i686() -> Target:
    _require(linux.i386_problems("3.11"), "install-i386.sh")
    return linux.debian_i386_target("3.11")


@pytest.fixture(scope="module")
def onedir(i686: Target, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _freeze(i686, tmp_path_factory.mktemp("i686-onedir"), ONEFILE_APP, Mode.ONEDIR)


@pytest.fixture(scope="module")
def onefile(i686: Target, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _freeze(i686, tmp_path_factory.mktemp("i686-onefile"), ONEFILE_APP, Mode.ONEFILE)


def _freeze(target: Target, tmp: Path, script: Path, mode: Mode) -> Path:
    return linux.build_cross(test_options(tmp, script, mode=mode), target).executable


def _run(exe: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp), "HOME": str(tmp)}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)


def test_crossbuild_i686_executable_and_libraries_are_32_bit(onedir: Path) -> None:
    assert linux.elf_ident(onedir) == (32, 3)
    elf_files = [p for p in (onedir.parent / "_internal").rglob("*.so*") if p.is_file()]
    assert elf_files
    assert {p.name: linux.elf_ident(p) for p in elf_files} == {p.name: (32, 3) for p in elf_files}
    assert all("x86_64" not in p.name for p in elf_files)


def test_crossbuild_i686_onedir_runs(onedir: Path, tmp_path: Path) -> None:
    result = _run(onedir, tmp=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "onefile hello\n", "")
    bits = _run(onedir, "exit", "7", tmp=tmp_path)
    assert bits.returncode == 7


def test_crossbuild_i686_interpreter_and_extensions_are_32_bit(
    i686: Target, tmp_path: Path
) -> None:
    script = tmp_path / "probe.py"
    script.write_text(
        "import ctypes, hashlib, ssl, struct, sys, sysconfig\n"
        "print(struct.calcsize('P') * 8, sys.maxsize > 2**32, ctypes.sizeof(ctypes.c_void_p),\n"
        "      sysconfig.get_config_var('MULTIARCH'), ssl.OPENSSL_VERSION.split()[0],\n"
        "      hashlib.sha256(b'').hexdigest()[:8])\n"
    )
    app = _freeze(i686, tmp_path, script, Mode.ONEDIR)
    result = _run(app, tmp=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split() == ["32", "False", "4", "i386-linux-gnu", "OpenSSL", "e3b0c442"]


def test_crossbuild_i686_onefile_extracts_and_cleans_up(onefile: Path, tmp_path: Path) -> None:
    result = _run(onefile, tmp=tmp_path)
    assert (result.returncode, result.stdout) == (0, "onefile hello\n")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("_MEI")] == []


def test_crossbuild_i686_smoke_probes_pass(onedir: Path) -> None:
    from freezekit.smoke import run_smoke

    failed = [(r.probe, r.detail) for r in run_smoke(onedir) if not r.ok]
    assert failed == []


# -- Windows -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def windows_x86_64(tmp_path_factory: pytest.TempPathFactory) -> windows.WindowsBootloader:
    _require(windows.windows_problems("3.11"), "install-mingw.sh")
    work = tmp_path_factory.mktemp("windows")
    zstd = windows.fetch_zstd_sources()
    return windows.build_windows_bootloader(
        "x86_64",
        windowed=False,
        include=windows.windows_root() / "include" / "python3.11",
        zstd=zstd,
        build_dir=work / "windows-x86_64",
    )


@pytest.fixture(scope="module")
def wine_prefix(windows_x86_64: windows.WindowsBootloader) -> Iterator[Path]:
    prefix = windows.default_prefix()  # about 700 MB: made once per machine, not per test run
    with windows.wine_session(prefix):
        yield prefix


def test_crossbuild_windows_bootloader_is_a_console_pe(
    windows_x86_64: windows.WindowsBootloader,
) -> None:
    assert windows.pe_machine(windows_x86_64.run) == ("x86_64", "console")
    data = windows_x86_64.run.read_bytes()
    assert struct.unpack_from("<H", data, 0)[0] == 0x5A4D  # MZ


def test_crossbuild_windows_bootloader_under_wine(
    windows_x86_64: windows.WindowsBootloader, wine_prefix: Path, tmp_path: Path
) -> None:
    checks = windows.check_run(
        windows_x86_64.run, FIXTURES, work=tmp_path, prefix=wine_prefix, python=(3, 11)
    )
    assert [(c.name, c.detail) for c in checks if not c.ok] == []
    assert len(checks) == 5
