"""Package corpus: freezekit and PyInstaller on popular PyPI packages, side by side.

`nox -s corpus` runs this. Each app in corpus/apps/ is run by the corpus venv's python (the
expected stdout and exit status), then frozen with NO flags by freezekit and by PyInstaller
(onedir; onefile too for the apps listed in corpuskit/catalog.py), run, and compared. Results
go to build/corpus/<python>/results.json (merged: a re-run of a subset updates its rows) and
build/corpus/<python>/corpus.md; --write-docs writes docs/corpus.md too.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpuskit import envs  # noqa: E402
from corpuskit.catalog import (  # noqa: E402
    PYINSTALLER_REQUIREMENTS,
    REQUIREMENTS,
    SMOKE,
    CorpusApp,
    load_apps,
    requirement_lines,
    select,
)
from corpuskit.jobs import Job, reference_run, run_job  # noqa: E402
from corpuskit.report import load_results, markdown_page, update_results  # noqa: E402
from corpuskit.results import (  # noqa: E402
    FREEZEKIT,
    ONEDIR,
    ONEFILE,
    PYINSTALLER,
    Result,
    RunOutput,
    summary_lines,
)

DOCS = envs.ROOT / "docs" / "corpus.md"


def say(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated apps (or package names) to run")
    parser.add_argument("--no-pyinstaller", action="store_true", help="freezekit only")
    parser.add_argument(
        "--no-freezekit", action="store_true", help="PyInstaller only (its baseline)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="jobs at a time (default 2)")
    parser.add_argument("--python", default="3.12", help="3.12 (pyenv or PATH) or a path")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"{', '.join(SMOKE)} only, freezekit onedir, in a small venv of their own",
    )
    parser.add_argument("--write-docs", action="store_true", help="also write docs/corpus.md")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the markdown from results.json"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.no_pyinstaller and args.no_freezekit:
        parser.error("--no-pyinstaller and --no-freezekit leave nothing to run")
    return args


def choose_apps(args: argparse.Namespace) -> list[CorpusApp]:
    apps = load_apps()
    names = list(SMOKE) if args.smoke else []
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
    try:
        return select(apps, names) if names else apps
    except ValueError as exc:
        sys.exit(f"corpus: {exc}")


def make_envs(args: argparse.Namespace, base: Path, work: Path) -> tuple[Path, Path | None]:
    requirements = REQUIREMENTS.read_text(encoding="utf-8")
    if args.smoke:
        dists = {d for ds in SMOKE.values() for d in ds}
        requirements = "\n".join(requirement_lines(requirements, dists)) + "\n"
    fk = envs.ensure_venv(
        work / "freezekit",
        base,
        requirements=requirements,
        extra=envs.freezekit_install_args(),
        stamp_extra=envs.freezekit_stamp(),
        say=say,
    )
    if args.no_pyinstaller or args.smoke:
        return fk, None
    pyi = envs.ensure_venv(
        work / "pyinstaller",
        base,
        requirements=requirements + PYINSTALLER_REQUIREMENTS.read_text(encoding="utf-8"),
        say=say,
    )
    return fk, pyi


def plan_jobs(
    apps: Sequence[CorpusApp], fk: Path | None, pyi: Path | None, work: Path, *, smoke: bool
) -> list[Job]:
    """freezekit's jobs first (its failures are known early), the heavy apps first in each
    group (the long builds do not end the run alone)."""
    ordered = sorted(apps, key=lambda a: -a.build_timeout)
    jobs = []
    for freezer, python in ((FREEZEKIT, fk), (PYINSTALLER, pyi)):
        if python is None:
            continue
        for app in ordered:
            modes = [ONEDIR] if smoke else [ONEDIR, *([ONEFILE] if app.onefile else [])]
            jobs += [Job(app=app, freezer=freezer, mode=m, python=python, work=work) for m in modes]
    return jobs


def freezer_version(python: Path | None, dist: str) -> str:
    if python is None:
        return "not run"
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or "?"


def run_all(
    apps: Sequence[CorpusApp], jobs: Sequence[Job], fk: Path, work: Path, workers: int,
    on_result: Callable[[Result], None],
) -> list[Result]:  # fmt: skip
    with ThreadPoolExecutor(max_workers=workers) as pool:
        refs = dict(zip(apps, pool.map(lambda a: reference_run(a, fk, work), apps), strict=True))
    broken = {a.name for a, out in refs.items() if out.returncode != 0 or out.timed_out}
    for name in sorted(broken):
        app = next(a for a in apps if a.name == name)
        say(f"corpus app {name} fails unfrozen (left out): {refs[app].stderr.strip()[-300:]}")
    runnable = [j for j in jobs if j.app.name not in broken]
    expected: dict[str, RunOutput] = {a.name: out for a, out in refs.items()}
    results: list[Result] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_job, job, expected[job.app.name]) for job in runnable]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            on_result(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        base = envs.find_python(args.python)
    except ValueError as exc:
        sys.exit(f"corpus: {exc}")
    version = envs.python_version(base)
    minor = ".".join(version.split(".")[:2])
    work = envs.OUT_DIR / (f"smoke-{minor}" if args.smoke else minor)
    results_path = work / "results.json"
    all_apps = load_apps()
    if args.report_only:
        last_run, results = load_results(results_path)
        return finish(args, work, last_run, results, all_apps)
    apps = choose_apps(args)
    fk, pyi = make_envs(args, base, work)
    commit = envs.git_commit()
    jobs = plan_jobs(apps, None if args.no_freezekit else fk, pyi, work, smoke=args.smoke)
    say(f"corpus: {len(apps)} apps, {len(jobs)} jobs, {args.jobs} at a time, Python {version}, "
        f"freezekit {commit}")  # fmt: skip
    old_run, _ = load_results(results_path)
    done: list[Result] = []
    lock = threading.Lock()
    started = time.perf_counter()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    run: dict[str, object] = {"python": version, "jobs": args.jobs}
    if pyi is not None:
        run["pyinstaller"] = freezer_version(pyi, "pyinstaller")
        run["contrib"] = freezer_version(pyi, "pyinstaller-hooks-contrib")
    what = "+".join(
        f for f, off in ((FREEZEKIT, args.no_freezekit), (PYINSTALLER, pyi is None)) if not off
    )

    def on_result(result: Result) -> None:
        result = Result.from_json({**result.to_json(), "commit": commit})
        with lock:
            done.append(result)
            detail = f" ({result.detail})" if result.detail else ""
            say(f"[{len(done)}/{len(jobs)}] {result.app} {result.freezer} {result.mode}: "
                f"{result.status}{detail}, build {result.build_seconds} s")  # fmt: skip
            update_results(results_path, run, [result])

    run_all(apps, jobs, fk, work, args.jobs, on_result)
    this = {
        "started": stamp,
        "wall_seconds": round(time.perf_counter() - started),
        "ran": len(done),
        "what": what,
        "jobs": args.jobs,
        "commit": commit,
    }
    run, results = update_results(results_path, run, [], add_run=this)
    say(f"\nthis run: {len(done)} jobs in {this['wall_seconds']} s")
    say("\n".join(summary_lines(done)))
    finish(args, work, run, results, all_apps)
    if args.smoke:
        return 0 if done and all(r.ok for r in done) else 1
    return 0


def finish(
    args: argparse.Namespace,
    work: Path,
    run: dict[str, object],
    results: list[Result],
    apps: list[CorpusApp],
) -> int:
    page = markdown_page(run, results, apps)
    (work / "corpus.md").write_text(page, encoding="utf-8")
    say(f"wrote {(work / 'corpus.md').relative_to(envs.ROOT)}")
    if args.write_docs:
        DOCS.write_text(page, encoding="utf-8")
        say(f"wrote {DOCS.relative_to(envs.ROOT)}")
    say("all results:\n" + "\n".join(summary_lines(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
