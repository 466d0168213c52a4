"""Packages that break freezers, each frozen with NO flags (onedir, Python 3.12) and run.

black (mypyc: ``black/__init__`` is an extension module; also onefile), lxml (``lxml.etree`` imports
``lxml._elementpath`` from C), SQLAlchemy (the dialect is a plugin loaded by name), jsonschema
(metaschemas read by path), Django (settings named by a string, ``django.setup()``, an app's
template tag, ``call_command("check")``, an app command, a request) and Sphinx (an HTML build of
a two-page project). The packages (requirements-patterns.txt) go into
``build/test-venvs/patterns-3.12``; a package that cannot install there skips its test, except
under CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from freezekit.options import Mode

from .conftest import FrozenAppFactory, pyenv_pythons

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements-patterns.txt"
VENV = ROOT / "build" / "test-venvs" / "patterns-3.12"
APPS = Path(__file__).resolve().parent / "apps" / "patterns"
VERSION = "3.12"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _python() -> Path:
    for exe in pyenv_pythons():
        if exe.parent.parent.name.startswith(VERSION + "."):
            return exe
    _unavailable(f"no pyenv Python {VERSION} with a shared libpython on this machine")
    raise AssertionError  # not reached


@pytest.fixture(scope="module")
def venv_python() -> Path:
    """The venv with requirements-patterns.txt (created once, kept while the file is the same)."""
    python = VENV / "bin" / "python"
    stamp = VENV / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    start = time.perf_counter()
    if not python.exists():
        subprocess.run([str(_python()), "-m", "venv", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    proc = subprocess.run([*pip, "-r", str(REQUIREMENTS)], capture_output=True, text=True)
    if proc.returncode != 0:
        _unavailable(f"cannot install requirements-patterns.txt: {proc.stderr.strip()[-500:]}")
    stamp.write_text(wanted)
    sys.stderr.write(
        f"test-venvs/patterns-{VERSION}: installed in {time.perf_counter() - start:.0f} s\n"
    )
    return python


def _run(
    frozen_app: FrozenAppFactory,
    python: Path,
    script: str,
    *args: str,
    mode: Mode = Mode.ONEDIR,
) -> list[str]:
    app = frozen_app("patterns", python=python, script=script, mode=mode)
    proc = app.run(*args, timeout=180, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.splitlines()


def test_patterns_black_compiled_init(frozen_app: FrozenAppFactory, venv_python: Path) -> None:
    assert _run(frozen_app, venv_python, "black_app.py") == [
        "def f(a, b):",
        '    return {"x": a + b}',
        "compiled True",
    ]


def test_patterns_black_compiled_init_onefile(
    frozen_app: FrozenAppFactory, venv_python: Path
) -> None:
    """onefile unpacks black/__init__'s extension on first import (the importer must leave
    the package to the path finder then, not make it a namespace package)."""
    lines = _run(frozen_app, venv_python, "black_app.py", mode=Mode.ONEFILE)
    assert lines == ["def f(a, b):", '    return {"x": a + b}', "compiled True"]


def test_patterns_lxml_extension_imports(frozen_app: FrozenAppFactory, venv_python: Path) -> None:
    assert _run(frozen_app, venv_python, "lxml_app.py") == [
        "['x', 'y'] y",
        '<b n="1">x</b>',
        "Hello frozen world",
    ]


def test_patterns_sqlalchemy_dialect_by_name(
    frozen_app: FrozenAppFactory, venv_python: Path
) -> None:
    assert _run(frozen_app, venv_python, "sqlalchemy_app.py") == [
        "['apple', 'pear']",
        "sqlite pysqlite",
    ]


def test_patterns_jsonschema_metaschemas(frozen_app: FrozenAppFactory, venv_python: Path) -> None:
    assert _run(frozen_app, venv_python, "jsonschema_app.py") == [
        "True False",
        "[\"'n' is a required property\"]",
        "Draft7Validator",
    ]


def test_patterns_django_settings_by_name(frozen_app: FrozenAppFactory, venv_python: Path) -> None:
    assert _run(frozen_app, venv_python, "django_site/site_app.py") == [
        "PEAR! APPLE!",
        "System check identified no issues (0 silenced).",
        "hello frozen",
        "200 OK",
        "poll 7",
        "Ja",
    ]


def test_patterns_sphinx_two_page_build(
    frozen_app: FrozenAppFactory, venv_python: Path, tmp_path: Path
) -> None:
    out = tmp_path / "html"
    lines = _run(frozen_app, venv_python, "sphinx_app.py", str(APPS / "sphinx_project"), str(out))
    assert lines == ["status 0", "index True True", "second True True", "static True True"]


def test_patterns_lazy_submodules_by_attribute(frozen_app: FrozenAppFactory) -> None:
    """A package's __getattr__ importing f"pkg.{name}" for the names it lists (scipy), and a
    lazy_loader-style attach_stub reading __init__.pyi at run time (scikit-image): the listed
    submodules are bundled, an unlisted one is not."""
    ran = frozen_app("lazy_subs").run()
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.splitlines() == ["alpha beta", "gamma 42", "unlisted bundled: False"]
