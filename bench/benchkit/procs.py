"""Starting programs: timed runs, peak-memory runs and captured runs."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchkit.config import OUT_DIR, RUN_TIMEOUT
from benchkit.results import tree_peak

GNU_TIME = Path("/usr/bin/time")  # Debian/Ubuntu package `time`


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


def _children(parent: int) -> list[int]:
    """The living children of `parent`, from the parent pids in /proc/*/stat."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _maps_libpython(pid: int) -> bool:
    try:
        return "libpython" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def memory_run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Peak memory of one run in bytes. GNU time reports the app's ru_maxrss, the largest single
    process of its tree (a child of the harness itself would inherit the harness's RSS as a
    floor: the kernel keeps the pre-exec high-water mark). A onefile launcher (a top process
    with a child that never maps libpython) lives next to its child, so every 2 ms the harness
    also sums the launcher's current RSS and its children's peak RSS; the run's peak is the
    largest of these. Workers a Python process starts are not added (they come and go too fast
    to sample reliably), so onedir and onefile count the same processes."""
    report = OUT_DIR / "tmp" / f"maxrss-{os.getpid()}.txt"
    timer = spawn([str(GNU_TIME), "-f", "%M", "-o", str(report), *argv], env)
    app, samples = None, []
    while True:
        done, status, _ = os.wait4(timer, os.WNOHANG)
        if done:
            break
        app = app or next(iter(_children(timer)), None)
        children = _children(app) if app is not None else []
        if app is not None and children and not _maps_libpython(app):
            samples.append(_memory(app)[0] + sum(_memory(child)[1] for child in children))
        time.sleep(0.002)
    maxrss = int(report.read_text().split()[-1]) * 1024
    return tree_peak(tree_maxrss=maxrss, samples=samples)


def _descendants(pid: int) -> list[int]:
    """Every living descendant of ``pid``, from /proc/<pid>/task/<tid>/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            found += [int(child) for child in children]
            todo += [int(child) for child in children]
    return found


def _rss(pid: int) -> int:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


class TreeSampler(threading.Thread):
    """The largest summed RSS of a process and all its descendants, sampled every 10 ms while
    it runs: a build's memory is that of its workers (analysis, compilers, cmake) too, which
    GNU time's ru_maxrss (the largest single process) does not add up."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[int] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.01):
            self.samples.append(sum(_rss(p) for p in (self.pid, *_descendants(self.pid))))

    def stop(self) -> int:
        """Stop sampling; the peak in bytes (0 when the process ended before a sample)."""
        self._done.set()
        self.join()
        return max(self.samples, default=0)


def capture_run(argv: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), env=dict(env), capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
