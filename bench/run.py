"""freezekit vs PyInstaller vs cx_Freeze, side by side in one run.

`nox -s bench` runs this in `.nox/bench-env`; `-- --quick` measures the hello app only.
For each app in bench/apps/ it builds with every freezer, checks that each build prints what
`python app.py` prints, then measures first build (empty caches), clean build, no-change
rebuild, size, start time and peak memory. Timed runs alternate the variants (A B C A B C ...)
and report the median of 7 runs (`--runs`) after one warm-up (21 for start times). It prints a
table and the goals, and writes build/bench/results.json.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from benchkit.builds import (
    Built,
    Variant,
    build_variants,
    reference_build,
    time_clean_builds,
    time_first_builds,
    time_rebuilds,
)
from benchkit.config import (
    ALL_APPS,
    APPS_DIR,
    COLUMNS,
    DEFAULT_RUNS,
    MIN_RUNS,
    ONEDIR,
    ONEFILE,
    OUT_DIR,
    PYTHON,
    QUICK_APPS,
    ROOT,
    START_RUNS_FACTOR,
)
from benchkit.freezers import App
from benchkit.procs import GNU_TIME, capture_run, run_env
from benchkit.report import format_goals, format_problems, format_table, write_results
from benchkit.results import Measurement, evaluate_goals, median
from benchkit.starts import StartStats, measure_memory, starters, time_starts

# ---------------------------------------------------------------- one app, end to end


def load_app(name: str) -> App:
    script = APPS_DIR / name / f"{name}.py"
    proc = capture_run([sys.executable, str(script)], run_env())
    if proc.returncode != 0:
        raise SystemExit(f"bench app {name} fails under plain python:\n{proc.stderr}")
    return App(name=name, script=script, expected_stdout=proc.stdout)


def bench_app(
    name: str, runs: int, say: Callable[[str], None]
) -> tuple[list[Measurement], list[Built]]:
    shutil.rmtree(OUT_DIR / name, ignore_errors=True)
    app = load_app(name)
    env = run_env()
    say(f"[{name}] reference builds (warm-up), checked against `python {app.script.name}`")
    builds = [reference_build(app, v, env) for v in build_variants()]
    for built in builds:
        say(f"[{name}]   {built.variant.label}: {built.problem or 'ok'}")
    timed = [b for b in builds if not b.variant.cache_extract]
    say(f"[{name}] {runs} first builds per variant (empty caches, fresh folders), alternating")
    time_first_builds(timed, runs)
    say(f"[{name}] {runs} clean builds per variant, alternating")
    time_clean_builds(timed, runs)
    say(f"[{name}] 1 + {runs} no-change rebuilds per variant, alternating")
    time_rebuilds(timed, runs, env)
    stats = [StartStats(starter=s) for s in starters(app, builds)]
    starts = runs * START_RUNS_FACTOR
    say(f"[{name}] 1 + {starts} starts per variant, alternating")
    time_starts(stats, starts)
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
    def build_values(
        get: Callable[[Built], float | None], mode: str, cache: bool = False
    ) -> dict[str, float | None]:
        return _by_column(
            ((b.variant, get(b) if b.ok else None) for b in builds), mode, cache=cache
        )

    def start_values(
        get: Callable[[StartStats], float | None], mode: str, cache: bool = False
    ) -> dict[str, float | None]:
        values = _by_column(
            ((s.starter.variant, None if s.problem else get(s)) for s in stats), mode, cache=cache
        )
        python = next(s for s in stats if s.starter.variant.column == PYTHON)
        values[PYTHON] = get(python)
        return values

    def ms(s: StartStats) -> float | None:
        value = median(s.seconds)
        return None if value is None else value * 1000

    def peak(s: StartStats) -> float | None:
        return median(s.peaks)

    def row(metric: str, mode: str, unit: str, values: Mapping[str, float | None]) -> Measurement:
        return Measurement(app=app, mode=mode, metric=metric, unit=unit, values=values)

    rows = []
    for mode in (ONEDIR, ONEFILE):
        rows.append(
            row(
                "first_build_time",
                mode,
                "s",
                build_values(lambda b: median(b.first_build_times), mode),
            )
        )
        rows.append(
            row("build_time", mode, "s", build_values(lambda b: median(b.build_times), mode))
        )
        rows.append(
            row("rebuild_time", mode, "s", build_values(lambda b: median(b.rebuild_times), mode))
        )
    rows.append(row("onedir_size", ONEDIR, "bytes", build_values(lambda b: b.size, ONEDIR)))
    rows.append(row("onedir_files", ONEDIR, "files", build_values(lambda b: b.file_count, ONEDIR)))
    rows.append(row("onefile_size", ONEFILE, "bytes", build_values(lambda b: b.size, ONEFILE)))
    rows.append(row("onedir_start", ONEDIR, "ms", start_values(ms, ONEDIR)))
    rows.append(row("onefile_start", ONEFILE, "ms", start_values(ms, ONEFILE)))
    rows.append(row("onefile_warm_start", ONEFILE, "ms", start_values(ms, ONEFILE, cache=True)))
    rows.append(row("onedir_start_vs_python", ONEDIR, "ms", start_values(ms, ONEDIR)))
    for mode in (ONEDIR, ONEFILE):
        rows.append(row("peak_rss", mode, "bytes", start_values(peak, mode)))
    for mode in (ONEDIR, ONEFILE):
        rows.append(
            row(
                "build_peak_rss", mode, "bytes", build_values(lambda b: median(b.build_peaks), mode)
            )
        )
    return rows


# ---------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the hello app only")
    parser.add_argument("--apps", help=f"comma-separated subset of {','.join(ALL_APPS)}")
    parser.add_argument(
        "--runs",
        type=int,
        default=DEFAULT_RUNS,
        help=f"timed runs after the warm-up (default {DEFAULT_RUNS}; fewer make a reduced, "
        "noisier run)",
    )
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
    if not GNU_TIME.exists():
        raise SystemExit(f"bench: peak memory needs GNU time at {GNU_TIME} (apt-get install time)")
    (OUT_DIR / "tmp").mkdir(parents=True, exist_ok=True)
    measurements: list[Measurement] = []
    builds: list[Built] = []
    started = time.perf_counter()
    for name in args.app_names:
        app_measurements, app_builds = bench_app(name, args.runs, say)
        measurements += app_measurements
        builds += app_builds
        write_results(measurements, builds, evaluate_goals(measurements))  # partial results
        say(format_table(app_measurements) + "\n")
    goals = evaluate_goals(measurements)
    path = write_results(measurements, builds, goals)
    reduced = f" (a reduced run: fewer than {DEFAULT_RUNS})" if args.runs < DEFAULT_RUNS else ""
    say(
        f"\nmedian of {args.runs} runs after a warm-up ({args.runs * START_RUNS_FACTOR} for "
        f"start times){reduced}; "
        f"{time.perf_counter() - started:.0f} s in all\n"
    )
    say(format_table(measurements))
    problems = format_problems(builds)
    if problems:
        say("\n" + problems)
    say("\ngoals (freezekit):\n" + format_goals(goals))
    say(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
