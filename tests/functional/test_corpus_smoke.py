"""`nox -s corpus -- --smoke` end to end: the corpus runner makes its small venv (three
small packages and freezekit from this work tree), runs each app unfrozen, freezes it onedir
with no flags, runs the executable and compares; the full corpus is a session of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "corpus"))

from corpuskit.catalog import SMOKE  # noqa: E402
from corpuskit.envs import find_python  # noqa: E402


def test_corpus_smoke_freezes_runs_and_compares() -> None:
    try:
        find_python("3.12")
    except ValueError:
        pytest.skip("no Python 3.12 (pyenv or PATH) for the corpus venv")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "corpus" / "run.py"), "--smoke", "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    work = ROOT / "build" / "corpus" / "smoke-3.12"
    data = json.loads((work / "results.json").read_text(encoding="utf-8"))
    rows = {(r["app"], r["freezer"], r["mode"]): r for r in data["results"]}
    for app in SMOKE:
        row = rows[app, "freezekit", "onedir"]
        assert row["status"] == "pass", row
        assert row["build_seconds"] > 0 and row["run_seconds"] > 0
        log = ROOT / row["log"]
        assert "freezekit build" in log.read_text(encoding="utf-8")
        run_log = (log.parent / "run.log").read_text(encoding="utf-8")
        assert run_log.startswith("exit 0\n")
    assert "- freezekit onedir: 3/3 pass" in (work / "corpus.md").read_text(encoding="utf-8")
