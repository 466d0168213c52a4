"""Running things for the corpus: a process with a time limit (its whole process group is
killed when the limit passes), a freezer's command line, and one (app, freezer, mode) job:
build into a fresh folder, run the executable, compare with the unfrozen run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpuskit.catalog import CorpusApp
from corpuskit.envs import OUT_DIR, ROOT
from corpuskit.results import (
    BUILD_ERROR,
    BUILD_TIMEOUT,
    FREEZEKIT,
    ONEFILE,
    PYINSTALLER,
    Result,
    RunOutput,
    compare,
    error_line,
)


def run_env(work: Path) -> dict[str, str]:
    """The caller's environment without PYTHON* variables, a fixed locale, a private temp
    folder and private freezer caches (the same for the unfrozen and the frozen runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    tmp = work / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(LC_ALL="C.UTF-8", TMPDIR=str(tmp), XDG_CACHE_HOME=str(work / "cache"))
    return env


def run_limited(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float
) -> tuple[RunOutput, float]:
    """Run to the end or to `timeout` seconds (then the process group is killed)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        timed_out = True
    seconds = time.perf_counter() - start
    output = RunOutput(
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        returncode=proc.returncode,
        timed_out=timed_out,
    )
    return output, seconds


@dataclass(frozen=True, kw_only=True)
class Job:
    app: CorpusApp
    freezer: str
    mode: str
    python: Path  # the venv python that runs the freezer
    work: Path  # build/corpus/<version>

    @property
    def root(self) -> Path:
        return self.work / "jobs" / self.app.name / f"{self.freezer}-{self.mode}"

    @property
    def name(self) -> str:
        return f"{self.app.name}_app"

    def command(self) -> list[str]:
        dist, build = self.root / "dist", self.root / "build"
        onefile = ["--onefile"] if self.mode == ONEFILE else []
        script = str(self.app.script)
        if self.freezer == FREEZEKIT:
            return [str(self.python), "-m", "freezekit", "build", *onefile, "-y",
                    "--distpath", str(dist), "--workpath", str(build), script]  # fmt: skip
        if self.freezer == PYINSTALLER:
            return [str(self.python), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    *onefile, "--distpath", str(dist), "--workpath", str(build),
                    "--specpath", str(build), script]  # fmt: skip
        raise ValueError(f"unknown freezer {self.freezer}")

    def executable(self) -> Path:
        dist = self.root / "dist"
        return dist / self.name if self.mode == ONEFILE else dist / self.name / self.name


def run_job(job: Job, expected: RunOutput) -> Result:
    """Build with no flags but the output folders, run, compare; the build log is kept."""
    shutil.rmtree(job.root, ignore_errors=True)
    job.root.mkdir(parents=True)
    env = run_env(job.work)
    built, build_seconds = run_limited(
        job.command(), cwd=job.root, env=env, timeout=job.app.build_timeout
    )
    log = job.root / "build.log"
    log.write_text(
        f"$ {' '.join(job.command())}\nexit {built.returncode}\n{built.stdout}\n{built.stderr}",
        encoding="utf-8",
    )

    def result(status: str, detail: str, run_seconds: float | None = None) -> Result:
        return Result(
            app=job.app.name, package=job.app.package, freezer=job.freezer, mode=job.mode,
            status=status, detail=detail, build_seconds=round(build_seconds, 2),
            run_seconds=None if run_seconds is None else round(run_seconds, 2),
            log=str(log.relative_to(ROOT)),
        )  # fmt: skip

    if built.timed_out:
        return result(BUILD_TIMEOUT, f"no build after {job.app.build_timeout:.0f} s")
    exe = job.executable()
    if built.returncode != 0 or not exe.exists():
        line = error_line(built.stderr) or error_line(built.stdout)
        return result(BUILD_ERROR, f"exit {built.returncode}: {line}")
    run_dir = job.root / "run"
    run_dir.mkdir()
    ran, run_seconds = run_limited([str(exe)], cwd=run_dir, env=env, timeout=job.app.run_timeout)
    (job.root / "run.log").write_text(
        f"exit {ran.returncode}\n--- stdout\n{ran.stdout}\n--- stderr\n{ran.stderr}",
        encoding="utf-8",
    )
    verdict = compare(expected, ran)
    return result(verdict.status, verdict.detail, run_seconds)


def reference_run(app: CorpusApp, python: Path, work: Path) -> RunOutput:
    """`python app.py` in the corpus venv: the output every frozen run must reproduce."""
    run_dir = work / "jobs" / app.name / "python"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    out, _ = run_limited(
        [str(python), str(app.script)], cwd=run_dir, env=run_env(work), timeout=app.run_timeout
    )
    return out


__all__ = ["OUT_DIR", "PYINSTALLER", "Job", "reference_run", "run_job", "run_env"]
