"""Start times and peak memory of every working build and of plain python."""

from __future__ import annotations

import sysconfig
import venv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchkit.builds import Built, Variant
from benchkit.config import ONEDIR, OUT_DIR, PYTHON
from benchkit.freezers import App
from benchkit.procs import memory_run, run_env, timed_run
from benchkit.results import round_order

PLAIN_ENV = OUT_DIR / "python-env"


def plain_python() -> Path:
    """The interpreter for `python app.py`: a venv that sees the bench env's packages through a
    plain path entry, so freezekit's editable-install finder (imported at start by a .pth file,
    tens of ms) does not slow the baseline down."""
    python = PLAIN_ENV / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=False, clear=True).create(PLAIN_ENV)
        purelib = Path(sysconfig.get_path("purelib", vars={"base": str(PLAIN_ENV)}))
        (purelib / "bench-env.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


@dataclass(frozen=True, kw_only=True)
class Starter:
    """How to start one variant: its command line and environment."""

    variant: Variant
    argv: tuple[str, ...]
    env: Mapping[str, str]


@dataclass(kw_only=True)
class StartStats:
    starter: Starter
    seconds: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)
    problem: str | None = None


def starters(app: App, builds: Sequence[Built]) -> list[Starter]:
    """plain python, then every working build. The cache-mode onefile gets a private
    XDG_CACHE_HOME, warmed by the warm-up run."""
    out = [
        Starter(
            variant=Variant(column=PYTHON, mode=ONEDIR),
            argv=(str(plain_python()), str(app.script)),
            env=run_env(),
        )
    ]
    for built in builds:
        if not built.ok:
            continue
        assert built.variant.freezer is not None
        extra = {}
        if built.variant.cache_extract:
            extra["XDG_CACHE_HOME"] = str(OUT_DIR / app.name / "xdg-cache")
        exe = built.variant.freezer.executable(built.job)
        out.append(Starter(variant=built.variant, argv=(str(exe),), env=run_env(**extra)))
    return out


def time_starts(stats: Sequence[StartStats], runs: int) -> None:
    """One warm-up round, then `runs` timed rounds, alternating the variants."""
    for i in range(runs + 1):
        for stat in round_order(stats, i):
            if stat.problem:
                continue
            sample = timed_run(stat.starter.argv, stat.starter.env)
            if sample.returncode != 0:
                stat.problem = f"start failed (exit {sample.returncode}) in run {i}"
            elif i > 0:
                stat.seconds.append(sample.seconds)


def measure_memory(stats: Sequence[StartStats], runs: int) -> None:
    for i in range(runs):
        for stat in round_order(stats, i):
            if not stat.problem:
                stat.peaks.append(memory_run(stat.starter.argv, stat.starter.env))
