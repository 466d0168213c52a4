"""Paths, names and limits shared by the bench modules."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS_DIR = ROOT / "bench" / "apps"
OUT_DIR = ROOT / "build" / "bench"
ALL_APPS = ("hello", "stdlib_app", "cli_app", "numpy_app")
QUICK_APPS = ("hello",)
DEFAULT_RUNS = 7
#: fewer than DEFAULT_RUNS make a reduced run: a noisy look (a shared machine), not a verdict
MIN_RUNS = 1
#: Start timings take 3x the runs: a start costs a tenth of a second, and its spread is wide
#: (numpy_app's BLAS threads on 2 cores: sigma 18 ms on a 90 ms start), so 7 runs let the
#: median of two equal executables differ by 15 %.
START_RUNS_FACTOR = 3
RUN_TIMEOUT = 120.0
BUILD_TIMEOUT = 900.0

ONEDIR, ONEFILE = "onedir", "onefile"
FREEZEKIT, PYINSTALLER, CX_FREEZE, PYTHON = "freezekit", "pyinstaller", "cx_freeze", "python"
COLUMNS = (FREEZEKIT, PYINSTALLER, CX_FREEZE, PYTHON)
VS_PYTHON_METRICS = ("onedir_start_vs_python",)
