"""Popular PyPI packages frozen and run, in onedir and onefile, on Python 3.11 and 3.13.

The packages of requirements-packages.txt are installed into ``build/test-venvs/<version>``
(created with that pyenv Python, kept between runs, reinstalled when the file changes) and
that venv's python is the build's target. One app per (python, mode) has a subcommand per
package (tests/functional/apps/packages/packages.py); it is frozen once per module and run
once with every subcommand, and each test checks the exact output of its package.
PySide6 and matplotlib are a second app (heavy.py), marked ``packages_heavy``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from freezekit.archive.reader import open_archive
from freezekit.options import Mode

from .conftest import FrozenApp, FrozenAppFactory, pyenv_pythons

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements-packages.txt"
VENVS = ROOT / "build" / "test-venvs"
VERSIONS = ("3.11", "3.13")
CELLS = [(v, m) for v in VERSIONS for m in (Mode.ONEDIR, Mode.ONEFILE)]
CELL_IDS = [f"{v}-{m.value}" for v, m in CELLS]
LIGHT = ["rich", "pygments", "numpy", "pillow", "cryptography", "yaml", "certifi", "metadata"]
LIGHT += ["tcl"]
# ``-m "not packages_heavy"`` leaves PySide6 and matplotlib out (the marker is registered in
# pyproject.toml; until it is, --strict-markers would refuse it, so it is applied only then).
_REGISTERED = "packages_heavy" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
HEAVY = pytest.mark.packages_heavy if _REGISTERED else pytest.mark.slow
CLICK_ARGS = ["click", "--name", "frozen app", "--count", "2", "--shout"]

EXPECTED = {
    "rich": "\n".join(
        [
            "      Fruit      ",
            "┏━━━━━━━┳━━━━━━━┓",
            "┃ name  ┃ count ┃",
            "┡━━━━━━━╇━━━━━━━┩",
            "│ apple │     3 │",
            "│ pear  │    12 │",
            "└───────┴───────┘",
        ]
    ),
    "pygments": "Rust MonokaiStyle\n"
    '<span class="k">fn</span><span class="w"> </span><span class="nf">main</span>'
    '<span class="p">()</span><span class="w"> </span><span class="p">{}</span>',
    "numpy": "solve [2.0, 3.0]\ndet 5.0\neig [1.382, 3.618]\nfft [1.0, 1.0, 1.0, 1.0]",
    "pillow": "PNG (32, 16) RGB (255, 0, 0) (255, 255, 255)\nJPEG (32, 16)",
    "cryptography": "frozen secret\nba7816bf8f01cfea",
    "yaml": "True yaml.cyaml {'a': 1, 'b': ['x', 'y']}\n{a: 1, b: [x, y]}",
    "certifi": "ca file True certificates>100 True\nverify True",
    "tcl": "1970-01-01 00:00\n1.6.1\nbundled True _tcl_data",
    "click": "HELLO FROZEN APP\nHELLO FROZEN APP",
    "tk": "frozen tk 1 8.6",
    "qt": "offscreen True True\nPNG True 40 20 True\nJPEG True 40 20 True\nbuffer True True",
    "matplotlib": "agg True (100, 50)",
}


def _python(version: str) -> Path:
    for exe in pyenv_pythons():
        if exe.parent.parent.name.startswith(version + "."):
            return exe
    pytest.skip(f"no pyenv Python {version} with a shared libpython on this machine")


def package_venv(version: str) -> Path:
    """build/test-venvs/<version> with requirements-packages.txt installed; its python."""
    venv = VENVS / version
    python = venv / "bin" / "python"
    stamp = venv / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    start = time.perf_counter()
    if not python.exists():
        subprocess.run([str(_python(version)), "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    sys.stderr.write(f"test-venvs/{version}: installed in {time.perf_counter() - start:.0f} s\n")
    return python


def split_sections(stdout: str) -> dict[str, str]:
    """``== name`` headed sections of the app's output."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in stdout.splitlines():
        if line.startswith("== "):
            current = sections.setdefault(line[3:], [])
        else:
            current.append(line)
    return {name: "\n".join(lines).rstrip("\n") for name, lines in sections.items()}


def _venv_version(python: Path, dist: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


class Cell:
    def __init__(self, app: FrozenApp, python: Path) -> None:
        self.app = app
        self.python = python
        self._sections: dict[str, str] | None = None

    def sections(self) -> dict[str, str]:
        if self._sections is None:
            proc = self.app.run(*LIGHT, *CLICK_ARGS, timeout=300)
            self._sections = split_sections(proc.stdout)
            self._sections["<stderr>"] = proc.stderr
        return self._sections


@pytest.fixture(scope="module", params=CELLS, ids=CELL_IDS)
def cell(request: pytest.FixtureRequest, frozen_app: FrozenAppFactory) -> Iterator[Cell]:
    version, mode = request.param
    python = package_venv(version)
    app = frozen_app(
        "packages", mode=mode, python=python, compression_level=3, copy_metadata=("pip",)
    )
    yield Cell(app, python)


def _check(sections: dict[str, str], name: str, expected: str) -> None:
    assert name in sections, f"no output for {name}; stderr:\n{sections.get('<stderr>')}"
    assert sections[name] == expected, sections["<stderr>"]


@pytest.mark.parametrize("name", [*LIGHT, "click"])
def test_packages_output(cell: Cell, name: str) -> None:
    sections = cell.sections()
    if name == "metadata":
        expected = "\n".join(
            [
                f"rich {_venv_version(cell.python, 'rich')}",
                "pygmentize pygments.cmdline:main",
                "Pygments",
                f"pip {_venv_version(cell.python, 'pip')}",  # --copy-metadata pip
            ]
        )
        _check(sections, name, expected)
    else:
        _check(sections, name, EXPECTED[name])


def _bundled_files(app: FrozenApp) -> list[str]:
    """Paths under the top directory: onedir's files, or the onefile archive's entries."""
    if app.executable == app.result.output:
        return [entry.name for entry in open_archive(app.executable).entries]
    internal = app.result.output / "_internal"
    return [p.relative_to(internal).as_posix() for p in internal.rglob("*") if p.is_file()]


def test_packages_numpy_leaves_its_test_extensions_out(cell: Cell) -> None:
    core = {
        name.rpartition("/")[2].partition(".")[0]
        for name in _bundled_files(cell.app)
        if name.startswith("numpy/_core/")
    }
    assert "_multiarray_umath" in core
    assert not core & {
        "_simd",
        "_multiarray_tests",
        "_umath_tests",
        "_rational_tests",
        "_struct_ufunc_tests",
        "_operand_flag_tests",
    }


def test_packages_tcl_without_system_tcl(cell: Cell) -> None:
    """/usr/share/tcltk hidden (private mount namespace): Tcl runs from the bundled copy."""
    hidden = Path("/usr/share/tcltk")
    if os.geteuid() != 0 or not shutil.which("unshare") or not hidden.is_dir():
        pytest.skip("needs root, unshare and a system Tcl in /usr/share/tcltk to hide")
    script = f'mount -t tmpfs none {hidden} && exec "$0" tcl'
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, str(cell.app.executable)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "mount" in proc.stderr and proc.returncode != 0 and "== tcl" not in proc.stdout:
        pytest.skip(f"cannot make a private mount here: {proc.stderr.strip()}")
    assert split_sections(proc.stdout).get("tcl") == EXPECTED["tcl"], proc.stderr


def test_packages_tk_window_under_xvfb(cell: Cell) -> None:
    if not shutil.which("xvfb-run"):
        pytest.skip("Xvfb is not installed (apt-get install xvfb xauth)")
    proc = subprocess.run(
        ["xvfb-run", "-a", str(cell.app.executable), "tk"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert split_sections(proc.stdout).get("tk") == EXPECTED["tk"], proc.stdout + proc.stderr


@pytest.fixture(scope="module", params=CELLS, ids=CELL_IDS)
def heavy(request: pytest.FixtureRequest, frozen_app: FrozenAppFactory) -> dict[str, str]:
    version, mode = request.param
    python = package_venv(version)
    app = frozen_app("packages", mode=mode, python=python, script="heavy.py", compression_level=3)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MPLCONFIGDIR": str(app.executable.parent)}
    proc = app.run("qt", "matplotlib", env=env, timeout=300)
    sections = split_sections(proc.stdout)
    sections["<stderr>"] = proc.stderr
    return sections


@HEAVY
@pytest.mark.parametrize("name", ["qt", "matplotlib"])
def test_packages_heavy_output(heavy: dict[str, str], name: str) -> None:
    _check(heavy, name, EXPECTED[name])
