"""Starting programs: timed runs, peak-memory runs and captured runs."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchkit.config import OUT_DIR, RUN_TIMEOUT
from benchkit.results import combine_rss


@dataclass(frozen=True, kw_only=True)
class RunSample:
    """One timed process run: wall time, exit status and the process tree's ru_maxrss."""

    seconds: float
    returncode: int
    maxrss: int  # bytes


# ---------------------------------------------------------------- running processes


def run_env(**extra: str) -> dict[str, str]:
    """The environment of every run: the caller's, minus Python variables that would change
    what plain python does, with a fixed locale and private temp folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(LC_ALL="C.UTF-8", TMPDIR=str(OUT_DIR / "tmp"), **extra)
    return env


def spawn(argv: Sequence[str], env: Mapping[str, str]) -> int:
    devnull = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    return os.posix_spawn(argv[0], list(argv), dict(env), file_actions=devnull)


def timed_run(argv: Sequence[str], env: Mapping[str, str]) -> RunSample:
    """Wall time from spawn to exit, output discarded; ru_maxrss of the process tree."""
    start = time.perf_counter()
    pid = spawn(argv, env)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    return RunSample(
        seconds=seconds, returncode=os.waitstatus_to_exitcode(status), maxrss=usage.ru_maxrss * 1024
    )


def _read_hwm(pid: int) -> tuple[int, bool]:
    """(VmHWM in bytes, whether libpython is mapped) of a running process; (0, False) if gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return 0, False
    hwm = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0
    )
    return hwm * 1024, "libpython" in maps


def memory_run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Peak memory of one run in bytes: the largest process of the tree (ru_maxrss), plus the
    onefile launcher's own peak, sampled from /proc while it waits for its child."""
    pid = spawn(argv, env)
    top_hwm, saw_python, sampled = 0, False, False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        hwm, has_python = _read_hwm(pid)
        if hwm:
            top_hwm, sampled = max(top_hwm, hwm), True
            saw_python = saw_python or has_python
        time.sleep(0.002)
    return combine_rss(
        tree_maxrss=usage.ru_maxrss * 1024,
        top_hwm=top_hwm,
        top_is_launcher=sampled and not saw_python,
    )


def capture_run(argv: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), env=dict(env), capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
