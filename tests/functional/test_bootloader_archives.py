"""The bootloader's C reader on the shared fixture archives (tests/fixtures/archives/), and
its platform.c on this system.

Builds bootloader/tests/archive_check and platform_check with CMake (with AddressSanitizer
when the compiler supports it). archive_check runs on every fixture: good files give exit 0,
bad ones exactly one line on stderr and exit 1, never a crash or a sanitizer report.
platform_check: fk_platform_run_parallel runs every job once whatever their number (past its
thread cap too), fk_platform_make_dirs makes what is missing and fails through a file (the
same checks run under wine in win_check); on POSIX (also the macOS CI cell, which runs
`nox -s bootloader`), the onefile watchdog removes a folder after a SIGKILL of its app and
waits for a worker's lock, and is no child of the app.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARCHIVES = ROOT / "tests" / "fixtures" / "archives"
MANIFEST: dict[str, dict[str, str]] = json.loads((ARCHIVES / "manifest.json").read_text())


def _build(build_dir: Path, *, sanitize: bool) -> subprocess.CompletedProcess[str]:
    configure = [
        "cmake",
        "-S",
        str(ROOT / "bootloader"),
        "-B",
        str(build_dir),
        f"-DPython_INCLUDE_DIR={sysconfig.get_paths()['include']}",
        f"-DFK_SANITIZE={'ON' if sanitize else 'OFF'}",
        "-DCMAKE_BUILD_TYPE=Debug",
    ]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    result = subprocess.run(configure, capture_output=True, text=True)
    if result.returncode == 0:
        result = subprocess.run(
            ["cmake", "--build", str(build_dir), "--target", "archive_check", "platform_check"],
            capture_output=True,
            text=True,
        )
    return result


@pytest.fixture(scope="module")
def archive_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    build_dir = tmp_path_factory.mktemp("bootloader-asan")
    result = _build(build_dir, sanitize=True)
    if result.returncode != 0:  # no sanitizer runtime: a plain build still checks the logic
        build_dir = tmp_path_factory.mktemp("bootloader")
        result = _build(build_dir, sanitize=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return build_dir / "archive_check"


@pytest.fixture(scope="module")
def platform_check(archive_check: Path) -> Path:
    return archive_check.with_name("platform_check")


def _run(tool: Path, archive: Path) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        ASAN_OPTIONS="allocator_may_return_null=1:detect_leaks=1",
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
    )
    return subprocess.run([str(tool), str(archive)], capture_output=True, text=True, env=env)


def test_fixture_manifest_lists_every_archive() -> None:
    assert sorted(MANIFEST) == sorted(path.name for path in ARCHIVES.glob("*.bin"))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if n.startswith("good-")))
def test_archive_check_accepts_good_archive(archive_check: Path, name: str) -> None:
    result = _run(archive_check, ARCHIVES / name)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"{ARCHIVES / name}: ok (")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n in MANIFEST if n.startswith("bad-")))
def test_archive_check_rejects_bad_archive(archive_check: Path, name: str) -> None:
    result = _run(archive_check, ARCHIVES / name)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{ARCHIVES / name}: ")
    assert lines[0].endswith(" \u2014 rebuild or recopy it"), lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pe", "macho-x86_64", "macho-arm64"])
def test_archive_check_reads_executables_signed_after_the_build(
    archive_check: Path, kind: str, tmp_path: Path
) -> None:
    """Signing appends after the archive (Authenticode's table, codesign's LC_CODE_SIGNATURE
    data): the C reader finds the archive before it, as the Python reader does."""
    from tests.fixtures.signing import macho_executable, signed_pe, simulate_codesign

    if kind == "pe":
        if shutil.which("osslsigncode") is None:
            pytest.skip("osslsigncode is installed by scripts/install-mingw.sh")
        exe, _ = signed_pe(tmp_path)
    else:
        exe = macho_executable(kind.split("-")[1], tmp_path)
        simulate_codesign(exe)
    result = _run(archive_check, exe)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert result.stdout.strip().endswith("ok (9 entries)")
    # the same file with one byte of the archive changed is refused in one line
    from freezekit.archive.reader import open_archive

    trailer = open_archive(exe).trailer
    data = bytearray(exe.read_bytes())
    data[trailer.pkg_offset + trailer.pkg_length // 2] ^= 0xFF
    exe.write_bytes(bytes(data))
    damaged = _run(archive_check, exe)
    assert damaged.returncode == 1 and len(damaged.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_platform_check_passes(platform_check: Path, tmp_path: Path) -> None:
    env = dict(os.environ, UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    done = subprocess.run(
        [str(platform_check), str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].endswith(" passed, 0 failed"), done.stdout
    # past the 16-thread cap: every job ran (the old code dropped jobs 16 and up)
    for count in (17, 33, 100):
        assert f"ok fk_platform_run_parallel of {count} jobs" in lines
    assert "ok fk_platform_make_dirs through a file fails" in lines
    assert "ok fk_platform_monitor: two threads take 2000 turns through wait and notify" in lines
    # the onefile watchdog (POSIX): after a SIGKILL of the app, and after a worker's lock
    assert "ok watchdog removes the folder after a SIGKILL" in lines
    assert "ok watchdog removes the folder once the lock is released" in lines
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_archive_check_finds_the_first_entry_of_each_name(
    archive_check: Path, tmp_path: Path
) -> None:
    """fk_archive_find is a binary search of an index sorted at open: on a TOC whose head is
    not sorted (options, the script) and where one name has three kinds (an option, a script
    and a data file), every lookup gives the first entry of the TOC with that name (and kind).
    An index sort that does not keep equal names in TOC order fails here (entry 1)."""
    from freezekit.archive.pkg import PkgHeader, PkgItem, write_pkg
    from freezekit.toc import EntryKind

    items = [
        PkgItem(name="zeta", kind=EntryKind.OPTION),
        PkgItem(name="m", kind=EntryKind.OPTION),
        PkgItem(name="alpha", kind=EntryKind.OPTION),
        PkgItem(name="m", kind=EntryKind.SCRIPT, data=b"script"),
        PkgItem(name="m", kind=EntryKind.DATA, data=b"data"),
        *(PkgItem(name=f"pkg/f{i:03d}.txt", kind=EntryKind.DATA, data=b"x") for i in range(300)),
    ]
    archive = tmp_path / "names.bin"
    with archive.open("wb") as out:
        out.write(b"\0" * 64)
        header = PkgHeader(flags=0, py_version=(3, 12), libpython="libpython3.12.so")
        write_pkg(out, items, header, pkg_offset=64, level=3)
    result = _run(archive_check, archive)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    assert result.stdout.strip().endswith("ok (305 entries)")
