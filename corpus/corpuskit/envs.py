"""The venvs a corpus run freezes from, one set per Python, kept between runs under
build/corpus/<version>/: `freezekit` (the corpus packages and freezekit itself, as a path entry
so the run measures the work tree) and `pyinstaller` (the same packages with PyInstaller and its
contrib hooks, never in the project's .venv). A venv is reinstalled when what it was made from
changes (a stamp holds the digest of the requirement text and pyproject.toml)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "build" / "corpus"


def find_python(spec: str) -> Path:
    """An interpreter from `3.12` (pyenv's newest 3.12.x, else python3.12 on PATH) or a path."""
    if os.sep in spec:
        path = Path(spec)
        if not path.exists():
            raise ValueError(f"--python {spec}: no such file")
        return path
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    folders = sorted(
        root.glob(f"{spec}.*"), key=lambda p: [int(x) for x in p.name.split(".") if x.isdigit()]
    )
    for folder in reversed(folders):
        exe = folder / "bin" / f"python{spec}"
        if exe.exists():
            return exe
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        found = Path(entry) / f"python{spec}"
        if found.exists():
            return found
    raise ValueError(f"--python {spec}: no pyenv {spec}.x and no python{spec} on PATH")


def python_version(python: Path) -> str:
    code = "import sys; print('%d.%d.%d' % sys.version_info[:3])"
    return subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def _stamp(base: Path, requirements: str, extra: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for part in (str(base), requirements, *extra):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def ensure_venv(
    venv: Path,
    base: Path,
    *,
    requirements: str,
    extra: Sequence[str] = (),
    stamp_extra: Sequence[str] = (),
    say: Callable[[str], None],
) -> Path:
    """`venv` made with `base`, with `requirements` (requirements-file text) and `extra` pip
    arguments installed; its python. Skipped when the stamp says nothing changed."""
    python = venv / "bin" / "python"
    stamp_file = venv / "corpus-stamp"
    wanted = _stamp(base, requirements, [*extra, *stamp_extra])
    if python.exists() and stamp_file.exists() and stamp_file.read_text() == wanted:
        return python
    start = time.perf_counter()
    if not python.exists():
        subprocess.run([str(base), "-m", "venv", str(venv)], check=True)
    req_file = venv / "corpus-requirements.txt"
    req_file.write_text(requirements, encoding="utf-8")
    say(f"installing {venv.relative_to(ROOT) if venv.is_relative_to(ROOT) else venv} ...")
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-r", str(req_file), *extra],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        errors = [line for line in proc.stderr.splitlines() if not line.startswith("WARNING")]
        sys.exit(f"corpus: pip install into {venv} failed:\n" + "\n".join(errors[-15:]))
    stamp_file.write_text(wanted)
    say(f"  installed in {time.perf_counter() - start:.0f} s")
    return python


def freezekit_install_args() -> list[str]:
    """freezekit from the work tree as a plain path entry (no import hook at every start)."""
    return ["--config-settings", "editable_mode=compat", "-e", str(ROOT)]


def freezekit_stamp() -> list[str]:
    """What the freezekit install depends on: its dependencies, in pyproject.toml."""
    return [(ROOT / "pyproject.toml").read_text(encoding="utf-8")]


def git_commit() -> str:
    """HEAD of the work tree, with `+dirty` when tracked files under freezekit/ differ."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "freezekit")
    return head + ("+dirty" if dirty else "")
