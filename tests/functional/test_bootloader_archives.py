"""The bootloader's C reader on the shared fixture archives (tests/fixtures/archives/).

Builds bootloader/tests/archive_check with CMake (with AddressSanitizer when the compiler
supports it) and runs it on every fixture: good files give exit 0, bad ones exactly one line
on stderr and exit 1, never a crash or a sanitizer report.
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
            ["cmake", "--build", str(build_dir), "--target", "archive_check"],
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
