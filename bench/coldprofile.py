"""A first build on an empty per-user cache, stage by stage: wall time and peak memory.

usage: coldprofile.py APP [--onefile] [--keep-cache DIR]

Builds bench/apps/APP with freezekit's Python API in this process, into a fresh work and dist
folder, with ``XDG_CACHE_HOME`` pointing at a new empty folder (or at DIR with --keep-cache,
to profile a warm build). A thread samples the memory of this process and of every process it
started (the analysis worker, the bytecode compilers, cmake) every 5 ms; a stage's peak is the
largest sum of their resident sizes seen during it, shown with the largest single process. CPU
time (this process and the children it waited for) is shown beside the wall time: on a shared
machine it is the steadier figure. Prints one line per stage and a JSON line.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as stream:
            return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as stream:
                    children = [int(c) for c in stream.read().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as stream:
            return stream.read().strip()
    except OSError:
        return "?"


class Sampler(threading.Thread):
    """The largest summed RSS of this process tree since the last ``take()``, and the largest
    single process (its RSS and name)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.single = (0, "")
        self.stopped = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.stopped.wait(0.005):
            sizes = [(_rss(pid), pid) for pid in (me, *_descendants(me))]
            self.peak = max(self.peak, sum(size for size, _ in sizes))
            size, pid = max(sizes)
            if size > self.single[0]:
                self.single = (size, "build" if pid == me else _name(pid))

    def take(self) -> tuple[int, tuple[int, str]]:
        peak, self.peak = self.peak, 0
        single, self.single = self.single, (0, "")
        return peak, single


def _cpu() -> float:
    """CPU seconds of this process and of its waited-for children."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class ProfileReporter:
    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.stages: list[tuple[str, float, float, int, tuple[int, str], str]] = []

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[object]:
        from freezekit.log import StageNotes

        notes = StageNotes()
        self.sampler.take()
        start, cpu = time.perf_counter(), _cpu()
        yield notes
        peak, single = self.sampler.take()
        seconds = time.perf_counter() - start
        self.stages.append((name, seconds, _cpu() - cpu, peak, single, notes.summary))


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    sampler = Sampler()
    sampler.start()
    args = list(argv)
    onefile = "--onefile" in args
    keep = None
    if "--keep-cache" in args:
        keep = args[args.index("--keep-cache") + 1]
        args.remove(keep)
    args = [a for a in args if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__.split("usage: ", 1)[1].split("\n\n", 1)[0])
    app = args[0]
    script = ROOT / "bench" / "apps" / app / f"{app}.py"
    work = Path(tempfile.mkdtemp(prefix="fk-cold-"))
    os.environ["XDG_CACHE_HOME"] = keep or str(work / "cache")

    from freezekit.build import build
    from freezekit.options import BuildOptions, Mode

    imported = time.perf_counter() - started
    reporter = ProfileReporter(sampler)
    options = BuildOptions(
        scripts=(script,),
        name=app,
        mode=Mode.ONEFILE if onefile else Mode.ONEDIR,
        distpath=work / "dist",
        workpath=work / "build",
        specpath=work / "build",
        noconfirm=True,
        clean=True,
    )
    build(options, reporter=reporter)
    total = time.perf_counter() - started
    sampler.stopped.set()
    mib = 1 << 20
    mode = "onefile" if onefile else "onedir"
    print(f"{app} {mode}: {total:.2f} s, {_cpu():.2f} s CPU (import {imported:.2f} s)")
    print("  stage       wall s   CPU s  tree MiB  largest process")
    for name, seconds, cpu, peak, (size, proc), summary in reporter.stages:
        print(
            f"  {name:10} {seconds:6.2f}  {cpu:6.2f}  {peak / mib:8.0f}  {size / mib:4.0f} {proc:8}"
            f"  {summary[:50]}"
        )
    record = {
        "app": app,
        "mode": mode,
        "total": total,
        "stages": [
            {"stage": s, "seconds": t, "cpu": c, "peak_rss": p, "largest": list(one)}
            for s, t, c, p, one, _ in reporter.stages
        ],
    }
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
