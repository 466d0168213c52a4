"""Reference builds (checked to run right), timed clean builds and rebuilds."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchkit.config import BUILD_TIMEOUT, FREEZEKIT, ONEDIR, ONEFILE, OUT_DIR, RUN_TIMEOUT
from benchkit.freezers import FREEZERS, App, BuildJob, Freezer
from benchkit.procs import TreeSampler, capture_run, run_env
from benchkit.results import round_order, tree_peak

# ---------------------------------------------------------------- variants and builds


@dataclass(frozen=True, kw_only=True)
class Variant:
    """One thing to start: a freezer in a mode (optionally freezekit's cache extraction), or
    plain python."""

    column: str
    mode: str
    freezer: Freezer | None = None
    cache_extract: bool = False

    @property
    def label(self) -> str:
        return f"{self.column}-{self.mode}{'-cache' if self.cache_extract else ''}"


@dataclass(kw_only=True)
class Built:
    """A variant's reference build: the job, and why it is broken if it is."""

    variant: Variant
    job: BuildJob
    problem: str | None = None
    size: int = 0
    file_count: int = 0
    build_times: list[float] = field(default_factory=list)
    rebuild_times: list[float] = field(default_factory=list)
    first_build_times: list[float] = field(default_factory=list)
    build_peaks: list[int] = field(default_factory=list)  # bytes, of the first builds

    @property
    def ok(self) -> bool:
        return self.problem is None


def build_variants() -> list[Variant]:
    variants = [
        Variant(column=f.name, mode=mode, freezer=f)
        for mode in (ONEDIR, ONEFILE)
        for f in FREEZERS
        if mode in f.modes
    ]
    fk = FREEZERS[0]
    variants.append(Variant(column=FREEZEKIT, mode=ONEFILE, freezer=fk, cache_extract=True))
    return variants


def new_job(app: App, variant: Variant, name: str) -> BuildJob:
    root = OUT_DIR / app.name / variant.label / name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    return BuildJob(app=app, mode=variant.mode, root=root, cache_extract=variant.cache_extract)


def first_build_env(root: Path) -> dict[str, str]:
    """What makes a build a first build, besides fresh work and dist folders: empty per-user
    caches under ``root`` (freezekit's and PyInstaller's, which also reads its own variable)."""
    return {
        "XDG_CACHE_HOME": str(root / "empty-cache"),
        "PYINSTALLER_CONFIG_DIR": str(root / "empty-pyinstaller-config"),
    }


def run_build(
    freezer: Freezer,
    job: BuildJob,
    *,
    env_extra: Mapping[str, str] | None = None,
    peaks: list[int] | None = None,
) -> tuple[float, str | None]:
    """Build once; (seconds, problem or None). The freezer's output goes to build.log.
    ``env_extra`` replaces the shared warm cache; with ``peaks`` the peak memory of the build's
    process tree (sampled, and never less than its largest process) is appended to it.

    The wait blocks in waitpid, so the time ends when the build does: `subprocess.run` with a
    timeout polls instead, sleeping 1, 2, 4, ... 50 ms between looks, and a build was seen to
    end up to 50 ms late (every 45 ms rebuild came out as 64-65 ms). The timeout is a timer that
    kills the build.
    """
    log = job.root / ("build.log" if job.clean else "rebuild.log")
    env = run_env(**(env_extra or {"XDG_CACHE_HOME": str(OUT_DIR / "build-cache")}))
    timed_out = threading.Event()
    with log.open("w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            freezer.command(job), cwd=job.root, env=env, stdout=out, stderr=subprocess.STDOUT
        )

        def stop() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(BUILD_TIMEOUT, stop)
        timer.start()
        sampler = TreeSampler(proc.pid) if peaks is not None else None
        if sampler is not None:
            sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            returncode = proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            timer.cancel()
            peak = sampler.stop() if sampler is not None else 0
    if peaks is not None:
        peaks.append(tree_peak(tree_maxrss=usage.ru_maxrss * 1024, samples=[peak]))
    if timed_out.is_set():
        return seconds, f"build timed out after {BUILD_TIMEOUT:.0f} s"
    if returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        return seconds, f"build failed (exit {returncode}): {tail[0][:200]} [see {log}]"
    return seconds, None


def check_output(app: App, argv: Sequence[str], env: Mapping[str, str]) -> str | None:
    """None if the program prints what `python app.py` prints and exits 0, else what is wrong."""
    try:
        proc = capture_run(argv, env)
    except subprocess.TimeoutExpired:
        return f"run timed out after {RUN_TIMEOUT:.0f} s"
    if proc.returncode != 0 or proc.stdout != app.expected_stdout:
        err = (proc.stderr.strip().splitlines() or [""])[-1][:200]
        return f"wrong result (exit {proc.returncode}, stdout {proc.stdout[:80]!r}): {err}"
    return None


def measure_output(path: Path) -> tuple[int, int]:
    """Bytes and file count of a folder (links count as files) or of one file."""
    if path.is_file():
        return path.stat().st_size, 1
    size = count = 0
    for item in path.rglob("*"):
        if item.is_symlink() or item.is_file():
            count += 1
            size += item.lstat().st_size if item.is_symlink() else item.stat().st_size
    return size, count


def reference_build(app: App, variant: Variant, env: Mapping[str, str]) -> Built:
    """The warm-up build: kept for the rebuilds and the start times, checked to run right."""
    assert variant.freezer is not None
    job = new_job(app, variant, "ref")
    _, problem = run_build(variant.freezer, job)
    built = Built(variant=variant, job=job, problem=problem)
    if built.ok:
        built.problem = check_output(app, [str(variant.freezer.executable(job))], env)
    if built.ok:
        built.size, built.file_count = measure_output(variant.freezer.output(job))
    return built


def interleave(rounds: int, items: Sequence[Built], step: Callable[[Built, int], None]) -> None:
    """Run `step` for every item, round by round (A B C, B C A, ...), skipping broken ones."""
    for i in range(rounds):
        for item in round_order(items, i):
            if item.ok:
                step(item, i)


def time_clean_builds(builds: Sequence[Built], runs: int) -> None:
    def step(built: Built, i: int) -> None:
        assert built.variant.freezer is not None
        job = new_job(built.job.app, built.variant, f"clean-{i}")
        seconds, problem = run_build(built.variant.freezer, job)
        if problem:
            built.problem = f"clean build {i}: {problem}"
        else:
            built.build_times.append(seconds)
            shutil.rmtree(job.root)

    interleave(runs, builds, step)


def time_first_builds(builds: Sequence[Built], runs: int) -> None:
    """Builds as on a new machine or CI runner: fresh work and dist folders and empty per-user
    caches, alternating; their peak memory too."""

    def step(built: Built, i: int) -> None:
        assert built.variant.freezer is not None
        job = new_job(built.job.app, built.variant, f"first-{i}")
        peaks: list[int] = []
        seconds, problem = run_build(
            built.variant.freezer, job, env_extra=first_build_env(job.root), peaks=peaks
        )
        if problem:
            built.problem = f"first build {i}: {problem}"
        else:
            built.first_build_times.append(seconds)
            built.build_peaks += peaks
            shutil.rmtree(job.root)

    interleave(runs, builds, step)


def time_rebuilds(builds: Sequence[Built], runs: int, env: Mapping[str, str]) -> None:
    """One warm-up rebuild, then `runs` timed ones, into the reference build's folders."""

    def step(built: Built, i: int) -> None:
        assert built.variant.freezer is not None
        job = BuildJob(
            app=built.job.app,
            mode=built.job.mode,
            root=built.job.root,
            clean=False,
            cache_extract=built.job.cache_extract,
        )
        seconds, problem = run_build(built.variant.freezer, job)
        if problem:
            built.problem = f"rebuild {i}: {problem}"
        elif i > 0:
            built.rebuild_times.append(seconds)

    interleave(runs + 1, builds, step)
    for built in builds:
        if built.ok:
            assert built.variant.freezer is not None
            exe = built.variant.freezer.executable(built.job)
            problem = check_output(built.job.app, [str(exe)], env)
            built.problem = f"after rebuild: {problem}" if problem else None
