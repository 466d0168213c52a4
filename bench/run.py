"""freezekit vs PyInstaller vs cx_Freeze, side by side in one run.

`nox -s bench` runs this in `.nox/bench-env`; `-- --quick` measures the hello app only.
For each app in bench/apps/ it builds with every freezer, checks that each build prints what
`python app.py` prints, then measures clean build, no-change rebuild, size, start time and peak
memory. Timed runs alternate the variants (A B C A B C ...) and report the median of at least
RUNS runs after one warm-up. It prints a table and the goals, and writes build/bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
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


# ---------------------------------------------------------------- plain data and pure helpers


@dataclass(frozen=True, kw_only=True)
class App:
    name: str
    script: Path
    expected_stdout: str


@dataclass(frozen=True, kw_only=True)
class BuildJob:
    """One build of one app: where it works and where it writes."""

    app: App
    mode: str
    root: Path
    clean: bool = True
    cache_extract: bool = False  # freezekit's onefile_extract=cache

    @property
    def workpath(self) -> Path:
        return self.root / "work"

    @property
    def distpath(self) -> Path:
        return self.root / "dist"


@dataclass(frozen=True, kw_only=True)
class RunSample:
    """One timed process run: wall time, exit status and the process tree's ru_maxrss."""

    seconds: float
    returncode: int
    maxrss: int  # bytes


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """One row of results.json: one metric of one app in one mode, per freezer."""

    app: str
    mode: str
    metric: str
    unit: str
    values: Mapping[str, float | None]
    ratio_to: str = PYINSTALLER

    @property
    def ratio(self) -> float | None:
        return ratio(self.values.get(FREEZEKIT), self.values.get(self.ratio_to))

    def to_row(self) -> dict[str, object]:
        row: dict[str, object] = {"app": self.app, "mode": self.mode, "metric": self.metric}
        row.update({column: self.values.get(column) for column in COLUMNS})
        row["ratio"] = self.ratio
        row["unit"] = self.unit
        return row


@dataclass(frozen=True, kw_only=True)
class Ref:
    """A value in the results: column `column` of metric `metric` in mode `mode`."""

    metric: str
    mode: str
    column: str


@dataclass(frozen=True, kw_only=True)
class Goal:
    title: str
    numerator: Ref
    denominator: Ref
    limit: float


@dataclass(frozen=True, kw_only=True)
class GoalResult:
    app: str
    goal: Goal
    ratio: float | None

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return "n/a"
        return "PASS" if self.ratio <= self.goal.limit else "MISS"


def _fk(metric: str, mode: str) -> Ref:
    return Ref(metric=metric, mode=mode, column=FREEZEKIT)


def _pyi(metric: str, mode: str) -> Ref:
    return Ref(metric=metric, mode=mode, column=PYINSTALLER)


GOALS = (
    Goal(title="onedir start <= 1.3x plain python", numerator=_fk("onedir_start", ONEDIR),
         denominator=Ref(metric="onedir_start", mode=ONEDIR, column=PYTHON), limit=1.3),
    Goal(title="onefile cold start <= 0.3x PyInstaller", numerator=_fk("onefile_start", ONEFILE),
         denominator=_pyi("onefile_start", ONEFILE), limit=0.3),
    Goal(title="onefile warm start <= 1.1x our onedir",
         numerator=_fk("onefile_warm_start", ONEFILE),
         denominator=_fk("onedir_start", ONEDIR), limit=1.1),
    Goal(title="onefile size <= 0.5x PyInstaller", numerator=_fk("onefile_size", ONEFILE),
         denominator=_pyi("onefile_size", ONEFILE), limit=0.5),
    *(
        Goal(title=f"clean build ({mode}) <= 0.5x PyInstaller",
             numerator=_fk("build_time", mode), denominator=_pyi("build_time", mode), limit=0.5)
        for mode in (ONEDIR, ONEFILE)
    ),
    *(
        Goal(title=f"rebuild ({mode}) <= 0.1x PyInstaller",
             numerator=_fk("rebuild_time", mode), denominator=_pyi("rebuild_time", mode),
             limit=0.1)
        for mode in (ONEDIR, ONEFILE)
    ),
    *(
        Goal(title=f"peak memory ({mode}) <= 1.0x PyInstaller",
             numerator=_fk("peak_rss", mode), denominator=_pyi("peak_rss", mode), limit=1.0)
        for mode in (ONEDIR, ONEFILE)
    ),
)


def median(values: Iterable[float]) -> float | None:
    """Median of the values, or None when there are none (a broken or missing variant)."""
    collected = list(values)
    return statistics.median(collected) if collected else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def lookup(measurements: Iterable[Measurement], app: str, ref: Ref) -> float | None:
    for m in measurements:
        if (m.app, m.mode, m.metric) == (app, ref.mode, ref.metric):
            return m.values.get(ref.column)
    return None


def evaluate_goals(
    measurements: Sequence[Measurement], goals: Sequence[Goal] = GOALS
) -> list[GoalResult]:
    apps = list(dict.fromkeys(m.app for m in measurements))
    return [
        GoalResult(
            app=app,
            goal=goal,
            ratio=ratio(lookup(measurements, app, goal.numerator),
                        lookup(measurements, app, goal.denominator)),
        )
        for goal in goals
        for app in apps
    ]


def results_json(measurements: Iterable[Measurement]) -> str:
    return json.dumps([m.to_row() for m in measurements], indent=2) + "\n"


def combine_rss(*, tree_maxrss: int, top_hwm: int, top_is_launcher: bool) -> int:
    """Peak memory of a run. ru_maxrss is the largest single process of the tree; when the
    top process is a onefile launcher (it never loads libpython) it lives next to its child for
    the whole run, so its own peak is added."""
    return tree_maxrss + top_hwm if top_is_launcher else tree_maxrss


# ---------------------------------------------------------------- freezers


class Freezer(Protocol):
    name: str
    modes: tuple[str, ...]

    def command(self, job: BuildJob) -> list[str]: ...

    def executable(self, job: BuildJob) -> Path: ...

    def output(self, job: BuildJob) -> Path: ...


class _DistLayout:
    """dist/<name>/<name> for onedir, dist/<name> for onefile (freezekit and PyInstaller)."""

    def output(self, job: BuildJob) -> Path:
        return job.distpath / job.app.name

    def executable(self, job: BuildJob) -> Path:
        out = self.output(job)
        return out / job.app.name if job.mode == ONEDIR else out


class FreezekitFreezer(_DistLayout):
    name = FREEZEKIT
    modes = (ONEDIR, ONEFILE)

    def command(self, job: BuildJob) -> list[str]:
        return [
            sys.executable, str(ROOT / "bench" / "freezekit_build.py"), str(job.app.script),
            "--distpath", str(job.distpath), "--workpath", str(job.workpath),
            *(["--onefile"] if job.mode == ONEFILE else []),
            *(["--extract", "cache"] if job.cache_extract else []),
            *(["--clean"] if job.clean else []),
        ]  # fmt: skip


class PyInstallerFreezer(_DistLayout):
    name = PYINSTALLER
    modes = (ONEDIR, ONEFILE)

    def command(self, job: BuildJob) -> list[str]:
        return [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--distpath", str(job.distpath), "--workpath", str(job.workpath),
            "--specpath", str(job.workpath),
            *(["--onefile"] if job.mode == ONEFILE else []),
            *(["--clean"] if job.clean else []),
            str(job.app.script),
        ]  # fmt: skip


class CxFreezeFreezer:
    """cx_Freeze has no onefile mode; its folder build is compared with onedir. It has no
    build cache either: a rebuild is the same command into the same target folder."""

    name = CX_FREEZE
    modes = (ONEDIR,)

    def command(self, job: BuildJob) -> list[str]:
        cxfreeze = Path(sys.executable).parent / "cxfreeze"
        return [str(cxfreeze), "--script", str(job.app.script),
                "--target-dir", str(self.output(job)), "build_exe", "--silent"]

    def output(self, job: BuildJob) -> Path:
        return job.distpath / job.app.name

    def executable(self, job: BuildJob) -> Path:
        return self.output(job) / job.app.name


FREEZERS: tuple[Freezer, ...] = (FreezekitFreezer(), PyInstallerFreezer(), CxFreezeFreezer())


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
    return RunSample(seconds=seconds, returncode=os.waitstatus_to_exitcode(status),
                     maxrss=usage.ru_maxrss * 1024)


def _read_hwm(pid: int) -> tuple[int, bool]:
    """(VmHWM in bytes, whether libpython is mapped) of a running process; (0, False) if gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return 0, False
    hwm = next((int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmHWM:")), 0)
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
    return combine_rss(tree_maxrss=usage.ru_maxrss * 1024, top_hwm=top_hwm,
                       top_is_launcher=sampled and not saw_python)


def capture_run(argv: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), env=dict(env), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, check=False)


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

    @property
    def ok(self) -> bool:
        return self.problem is None


def build_variants() -> list[Variant]:
    variants = [Variant(column=f.name, mode=mode, freezer=f)
                for mode in (ONEDIR, ONEFILE) for f in FREEZERS if mode in f.modes]
    fk = FREEZERS[0]
    variants.append(Variant(column=FREEZEKIT, mode=ONEFILE, freezer=fk, cache_extract=True))
    return variants


def new_job(app: App, variant: Variant, name: str) -> BuildJob:
    root = OUT_DIR / app.name / variant.label / name
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    return BuildJob(app=app, mode=variant.mode, root=root, cache_extract=variant.cache_extract)


def run_build(freezer: Freezer, job: BuildJob) -> tuple[float, str | None]:
    """Build once; (seconds, problem or None). The freezer's output goes to build.log."""
    log = job.root / ("build.log" if job.clean else "rebuild.log")
    env = run_env(XDG_CACHE_HOME=str(OUT_DIR / "build-cache"))
    start = time.perf_counter()
    with log.open("w") as out:
        try:
            proc = subprocess.run(freezer.command(job), cwd=job.root, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return time.perf_counter() - start, f"build timed out after {BUILD_TIMEOUT:.0f} s"
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        return seconds, f"build failed (exit {proc.returncode}): {tail[0][:200]} [see {log}]"
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
    """Run `step` for every item, round by round (A B C A B C ...), skipping broken ones."""
    for i in range(rounds):
        for item in items:
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


def time_rebuilds(builds: Sequence[Built], runs: int, env: Mapping[str, str]) -> None:
    """One warm-up rebuild, then `runs` timed ones, into the reference build's folders."""

    def step(built: Built, i: int) -> None:
        assert built.variant.freezer is not None
        job = BuildJob(app=built.job.app, mode=built.job.mode, root=built.job.root, clean=False,
                       cache_extract=built.job.cache_extract)
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


# ---------------------------------------------------------------- start times and memory


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
    out = [Starter(variant=Variant(column=PYTHON, mode=ONEDIR),
                   argv=(sys.executable, str(app.script)), env=run_env())]
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
        for stat in stats:
            if stat.problem:
                continue
            sample = timed_run(stat.starter.argv, stat.starter.env)
            if sample.returncode != 0:
                stat.problem = f"start failed (exit {sample.returncode}) in run {i}"
            elif i > 0:
                stat.seconds.append(sample.seconds)


def measure_memory(stats: Sequence[StartStats], runs: int) -> None:
    for _ in range(runs):
        for stat in stats:
            if not stat.problem:
                stat.peaks.append(memory_run(stat.starter.argv, stat.starter.env))


# ---------------------------------------------------------------- one app, end to end


def load_app(name: str) -> App:
    script = APPS_DIR / name / f"{name}.py"
    proc = capture_run([sys.executable, str(script)], run_env())
    if proc.returncode != 0:
        raise SystemExit(f"bench app {name} fails under plain python:\n{proc.stderr}")
    return App(name=name, script=script, expected_stdout=proc.stdout)


def bench_app(name: str, runs: int, say: Callable[[str], None]) -> tuple[list[Measurement], list[Built]]:
    shutil.rmtree(OUT_DIR / name, ignore_errors=True)
    app = load_app(name)
    env = run_env()
    say(f"[{name}] reference builds (warm-up), checked against `python {app.script.name}`")
    builds = [reference_build(app, v, env) for v in build_variants()]
    for built in builds:
        say(f"[{name}]   {built.variant.label}: {built.problem or 'ok'}")
    timed = [b for b in builds if not b.variant.cache_extract]
    say(f"[{name}] {runs} clean builds per variant, alternating")
    time_clean_builds(timed, runs)
    say(f"[{name}] 1 + {runs} no-change rebuilds per variant, alternating")
    time_rebuilds(timed, runs, env)
    stats = [StartStats(starter=s) for s in starters(app, builds)]
    say(f"[{name}] 1 + {runs} starts per variant, alternating")
    time_starts(stats, runs)
    say(f"[{name}] {runs} peak-memory runs per variant")
    measure_memory(stats, runs)
    return collect_measurements(name, builds, stats), builds


def _by_column(
    items: Iterable[tuple[Variant, float | None]], mode: str, *, cache: bool = False
) -> dict[str, float | None]:
    values: dict[str, float | None] = dict.fromkeys(COLUMNS)
    for variant, value in items:
        if variant.mode == mode and variant.cache_extract == cache:
            values[variant.column] = value
    return values


def collect_measurements(
    app: str, builds: Sequence[Built], stats: Sequence[StartStats]
) -> list[Measurement]:
    def build_values(get: Callable[[Built], float | None], mode: str, cache: bool = False):
        return _by_column(((b.variant, get(b) if b.ok else None) for b in builds), mode,
                          cache=cache)

    def start_values(get: Callable[[StartStats], float | None], mode: str, cache: bool = False):
        values = _by_column(((s.starter.variant, None if s.problem else get(s)) for s in stats),
                            mode, cache=cache)
        python = next(s for s in stats if s.starter.variant.column == PYTHON)
        values[PYTHON] = get(python)
        return values

    def ms(s: StartStats) -> float | None:
        value = median(s.seconds)
        return None if value is None else value * 1000

    def peak(s: StartStats) -> float | None:
        return median(s.peaks)

    def row(metric: str, mode: str, unit: str, values: Mapping[str, float | None],
            ratio_to: str = PYINSTALLER) -> Measurement:
        return Measurement(app=app, mode=mode, metric=metric, unit=unit, values=values,
                           ratio_to=ratio_to)

    rows = []
    for mode in (ONEDIR, ONEFILE):
        rows.append(row("build_time", mode, "s", build_values(lambda b: median(b.build_times), mode)))
        rows.append(row("rebuild_time", mode, "s",
                        build_values(lambda b: median(b.rebuild_times), mode)))
    rows.append(row("onedir_size", ONEDIR, "bytes", build_values(lambda b: b.size, ONEDIR)))
    rows.append(row("onedir_files", ONEDIR, "files", build_values(lambda b: b.file_count, ONEDIR)))
    rows.append(row("onefile_size", ONEFILE, "bytes", build_values(lambda b: b.size, ONEFILE)))
    rows.append(row("onedir_start", ONEDIR, "ms", start_values(ms, ONEDIR)))
    rows.append(row("onefile_start", ONEFILE, "ms", start_values(ms, ONEFILE)))
    rows.append(row("onefile_warm_start", ONEFILE, "ms", start_values(ms, ONEFILE, cache=True)))
    rows.append(row("onedir_start_vs_python", ONEDIR, "ms", start_values(ms, ONEDIR),
                    ratio_to=PYTHON))
    for mode in (ONEDIR, ONEFILE):
        rows.append(row("peak_rss", mode, "bytes", start_values(peak, mode)))
    return rows


# ---------------------------------------------------------------- report


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "bytes":
        return f"{value / 1e6:.1f} MB"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:.0f}"


def format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def format_table(measurements: Sequence[Measurement]) -> str:
    header = ("app", "mode", "metric", *COLUMNS, "fk/pyi", "fk/cx", "fk/py")
    lines = [header]
    for m in measurements:
        fk = m.values.get(FREEZEKIT)
        lines.append((
            m.app, m.mode, m.metric, *(format_value(m.values.get(c), m.unit) for c in COLUMNS),
            format_ratio(ratio(fk, m.values.get(PYINSTALLER))),
            format_ratio(ratio(fk, m.values.get(CX_FREEZE))),
            format_ratio(ratio(fk, m.values.get(PYTHON))),
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
                     for line in lines)


def format_goals(results: Sequence[GoalResult]) -> str:
    return "\n".join(
        f"{r.verdict:4}  {r.app:11} {r.goal.title:42} {format_ratio(r.ratio)}" for r in results
    )


def format_problems(builds: Sequence[Built]) -> str:
    return "\n".join(f"BROKEN {b.job.app.name} {b.variant.label}: {b.problem}"
                     for b in builds if not b.ok)


def write_results(measurements: Sequence[Measurement], builds: Sequence[Built],
                  goals: Sequence[GoalResult]) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / "results.json"
    path.write_text(results_json(measurements))
    status = [{"app": b.job.app.name, "variant": b.variant.label, "problem": b.problem}
              for b in builds]
    (OUT_DIR / "builds.json").write_text(json.dumps(status, indent=2) + "\n")
    verdicts = [{"app": r.app, "goal": r.goal.title, "ratio": r.ratio, "limit": r.goal.limit,
                 "verdict": r.verdict} for r in goals]
    (OUT_DIR / "goals.json").write_text(json.dumps(verdicts, indent=2) + "\n")
    return path


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the hello app only")
    parser.add_argument("--apps", help=f"comma-separated subset of {','.join(ALL_APPS)}")
    parser.add_argument("--runs", type=int, default=MIN_RUNS,
                        help=f"timed runs after the warm-up (at least {MIN_RUNS})")
    args = parser.parse_args(argv)
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}")
    apps = QUICK_APPS if args.quick else ALL_APPS
    if args.apps:
        apps = tuple(args.apps.split(","))
        unknown = sorted(set(apps) - set(ALL_APPS))
        if unknown:
            parser.error(f"unknown app(s) {', '.join(unknown)}; choose from {', '.join(ALL_APPS)}")
    args.app_names = apps
    return args


def say(message: str) -> None:
    print(message, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    (OUT_DIR / "tmp").mkdir(parents=True, exist_ok=True)
    measurements: list[Measurement] = []
    builds: list[Built] = []
    started = time.perf_counter()
    for name in args.app_names:
        app_measurements, app_builds = bench_app(name, args.runs, say)
        measurements += app_measurements
        builds += app_builds
    goals = evaluate_goals(measurements)
    path = write_results(measurements, builds, goals)
    say(f"\nmedian of {args.runs} runs after a warm-up; "
        f"{time.perf_counter() - started:.0f} s in all\n")
    say(format_table(measurements))
    problems = format_problems(builds)
    if problems:
        say("\n" + problems)
    say("\ngoals (freezekit):\n" + format_goals(goals))
    say(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
