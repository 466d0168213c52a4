"""Starting programs: timed runs, peak-memory runs and captured runs."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchkit.config import OUT_DIR, RUN_TIMEOUT
from benchkit.results import tree_peak


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


def _memory(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a running process in bytes; (0, 0) once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in status.splitlines() if line.startswith("Vm"))
    kib = [int(fields.get(key, "0 kB").split()[0]) for key in ("VmRSS", "VmHWM")]
    return kib[0] * 1024, kib[1] * 1024


def _descendants(root: int) -> list[int]:
    """Every living descendant of `root`, from the parent pids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def memory_run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Peak memory of one run in bytes: the largest sample of (top process's current RSS + peak
    RSS of each descendant, e.g. a onefile launcher's child), sampled from /proc every few ms,
    and at least ru_maxrss, the largest single process of the tree."""
    pid = spawn(argv, env)
    samples = []
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        rss, _ = _memory(pid)
        samples.append(rss + sum(_memory(child)[1] for child in _descendants(pid)))
        time.sleep(0.002)
    return tree_peak(tree_maxrss=usage.ru_maxrss * 1024, samples=samples)


def capture_run(argv: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), env=dict(env), capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
