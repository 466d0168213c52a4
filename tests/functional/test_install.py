"""freezekit installed NOT editable, from its sdist and from its wheel, freezes and runs hello.

A non-editable install has no checkout beside it: the bootloader must come from the C sources
that the sdist and the wheel carry (``freezekit/_bootloader_src``), compiled once per user.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "examples" / "hello" / "hello.py"
MATRIX = ROOT / "matrix" / "cells.toml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dists")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (sdist,) = out.glob("freezekit-*.tar.gz")
    (wheel,) = out.glob("freezekit-*.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_sdist_carries_the_bootloader_sources(dists: dict[str, Path]) -> None:
    import tarfile
    import zipfile

    with tarfile.open(dists["sdist"]) as sdist:
        names = sdist.getnames()
    assert any(name.endswith("/bootloader/CMakeLists.txt") for name in names)
    assert any(name.endswith("/bootloader/src/archive.c") for name in names)
    assert not any("/bootloader/build" in name for name in names)
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        inside = wheel.namelist()
    assert "freezekit/_bootloader_src/CMakeLists.txt" in inside
    assert "freezekit/_bootloader_src/src/archive.c" in inside


def test_sdist_and_wheel_carry_the_matrix(dists: dict[str, Path]) -> None:
    """matrix/cells.toml is the one copy in git; build_py writes the package copy."""
    import tarfile
    import zipfile

    with tarfile.open(dists["sdist"]) as sdist:
        names = sdist.getnames()
    assert any(name.endswith("/matrix/cells.toml") for name in names)
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        assert wheel.read("freezekit/release/cells.toml") == MATRIX.read_bytes()


@pytest.mark.parametrize("kind", ["sdist", "wheel"])
def test_non_editable_install_freezes_hello(
    kind: str, dists: dict[str, Path], tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(dists[kind])],
        check=True,
        capture_output=True,
        text=True,
    )
    # the installed copy, not this checkout, and its sources are the packaged ones
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import freezekit.assemble.bootloader as b; print(b.__file__); print(b.source_dir())\n"
            "from freezekit.release import matrix as m; print(m.default_matrix_path())",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout.splitlines()
    assert where[0].startswith(str(env_dir))
    package = Path(where[0]).parents[1]  # freezekit/assemble/bootloader.py
    assert where[1] == str(package / "_bootloader_src")
    # the matrix the installed copy reads is its own, written by build_py, equal to the repo's
    assert where[2] == str(package / "release" / "cells.toml")
    assert Path(where[2]).read_bytes() == MATRIX.read_bytes()
    matrix = subprocess.run(
        [str(env_dir / "bin" / "freezekit"), "matrix"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "linux-x86_64-3.12" in matrix.stdout

    app = tmp_path / "app"
    app.mkdir()
    (app / "hello.py").write_bytes(HELLO.read_bytes())
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    built = subprocess.run(
        [str(env_dir / "bin" / "freezekit"), "build", "hello.py", "-y"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    ran = subprocess.run(
        [str(app / "dist" / "hello" / "hello")], capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "hello from a frozen app\n"
