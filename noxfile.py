"""The project's own sessions. Thin callers: the work is in freezekit's Python API.

`tests` and `lint` run in the environment nox itself is installed in (the .venv that
setup.sh makes), so CI does not install everything twice.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from freezekit.nox import declare_freeze_sessions, declare_wheel_sessions  # noqa: E402

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "tests"]

# freeze-<cell> for every matrix cell, `freeze` (every cell this host can run), matrix, release
declare_freeze_sessions(ROOT / "examples" / "cliapp" / "pyproject.toml")
# wheels-<cell> (cibuildwheel) and sdist: freezekit's own platform wheels
declare_wheel_sessions()


@nox.session(venv_backend="none", tags=["test"])
def tests(session: nox.Session) -> None:
    """Unit tests and the slow functional tests that freeze and run real apps."""
    args = session.posargs or ["-m", "slow or not slow"]
    session.run("python", "-m", "pytest", *args, env={"PYTHONHASHSEED": "0"})


@nox.session(venv_backend="none", tags=["lint"])
def lint(session: nox.Session) -> None:
    """Formatting, lint, types, the layering rule and the archive-header drift check."""
    session.run("ruff", "format", "--check", "freezekit", "tests", "noxfile.py", "tasks.py")
    session.run("ruff", "check", "freezekit", "tests", "noxfile.py", "tasks.py")
    session.run("mypy")
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "tests/unit/test_layering.py",
        "tests/unit/test_archive_roundtrip.py::test_c_header_matches_format",
    )


@nox.session(venv_backend="none", tags=["bootloader"])
def bootloader(session: nox.Session) -> None:
    """Build the bootloader for every local Python and run the C archive tests."""
    from freezekit.bootloader import build_bootloader
    from freezekit.platforms import resolve_target

    sys.path.insert(0, str(ROOT / "tests" / "functional"))
    from conftest import pyenv_pythons  # type: ignore[import-not-found]

    for python in pyenv_pythons():
        target = resolve_target(python)
        for windowed in (False, True):
            path = build_bootloader(
                target,
                windowed=windowed,
                debug=False,
                build_dir=ROOT / "build" / "bootloader" / f"{target.tag}{'-w' if windowed else ''}",
            )
            session.log(f"bootloader {target.tag}{' windowed' if windowed else ''}: {path}")
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "tests/functional/test_bootloader_archives.py",
        env={"CI": os.environ.get("CI", "")},
    )


@nox.session(python=False, tags=["bench"])
def bench(session: nox.Session) -> None:
    """freezekit vs PyInstaller vs cx_Freeze, side by side in one run (`-- --quick`: hello only)."""
    venv = ROOT / ".nox" / "bench-env"
    python = venv / "bin" / "python"
    if not python.exists():
        session.run(sys.executable, "-m", "venv", str(venv), external=True)
    session.run(
        str(python),
        "-m",
        "pip",
        "install",
        "-q",
        "-e",
        str(ROOT),
        "-r",
        str(ROOT / "bench" / "requirements.txt"),
        external=True,
    )
    session.run(str(python), str(ROOT / "bench" / "run.py"), *session.posargs, external=True)
