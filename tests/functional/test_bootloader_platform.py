"""The bootloader's platform.c on this system: bootloader/tests/platform_check.

Builds platform_check with CMake (with AddressSanitizer when the compiler supports it) and
runs it: fk_platform_run_parallel runs every job once whatever their number (past its
thread cap too), at most FK_PARALLEL_MAX_THREADS at a time; fk_platform_make_dirs makes
what is missing and fails through a file. The same checks run under wine in win_check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
            ["cmake", "--build", str(build_dir), "--target", "platform_check"],
            capture_output=True,
            text=True,
        )
    return result


@pytest.fixture(scope="module")
def platform_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    build_dir = tmp_path_factory.mktemp("platform-asan")
    result = _build(build_dir, sanitize=True)
    if result.returncode != 0:  # no sanitizer runtime: a plain build still checks the logic
        build_dir = tmp_path_factory.mktemp("platform")
        result = _build(build_dir, sanitize=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return build_dir / "platform_check"


@pytest.mark.slow
def test_platform_check_passes(platform_check: Path, tmp_path: Path) -> None:
    env = dict(
        os.environ,
        ASAN_OPTIONS="detect_leaks=1",
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
    )
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
    assert list(tmp_path.iterdir()) == []
