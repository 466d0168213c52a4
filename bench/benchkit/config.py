"""Paths, names and limits shared by the bench modules."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS_DIR = ROOT / "bench" / "apps"
OUT_DIR = ROOT / "build" / "bench"
ALL_APPS = ("hello", "stdlib_app", "cli_app", "numpy_app")
QUICK_APPS = ("hello",)
MIN_RUNS = 7
RUN_TIMEOUT = 120.0
BUILD_TIMEOUT = 900.0

ONEDIR, ONEFILE = "onedir", "onefile"
FREEZEKIT, PYINSTALLER, CX_FREEZE, PYTHON = "freezekit", "pyinstaller", "cx_freeze", "python"
COLUMNS = (FREEZEKIT, PYINSTALLER, CX_FREEZE, PYTHON)
VS_PYTHON_METRICS = ("onedir_start_vs_python",)
