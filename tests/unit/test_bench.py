"""The bench harness's pure parts: medians, ratios, goals and the results.json schema."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH_DIR))  # bench/run.py runs as a script with bench/ on sys.path

from benchkit import results  # noqa: E402

METRICS = {
    "build_time", "rebuild_time", "onedir_size", "onedir_files", "onefile_size", "onedir_start",
    "onefile_start", "onefile_warm_start", "onedir_start_vs_python", "peak_rss",
    "first_build_time", "build_peak_rss",
}  # fmt: skip
ROW_KEYS = ["app", "mode", "metric", "freezekit", "pyinstaller", "cx_freeze", "python", "ratio",
            "unit"]  # fmt: skip


def _load_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", BENCH_DIR / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(metric: str, mode: str, **values: float | None) -> results.Measurement:
    return results.Measurement(app="hello", mode=mode, metric=metric, unit="ms", values=values)


def _synthetic() -> list[results.Measurement]:
    """A full set of rows for one app, with freezekit meeting some goals and missing others."""
    return [
        _row("build_time", "onedir", freezekit=2.0, pyinstaller=5.0, cx_freeze=1.5),
        _row("build_time", "onefile", freezekit=2.0, pyinstaller=15.0),
        _row("rebuild_time", "onedir", freezekit=0.2, pyinstaller=1.0, cx_freeze=2.0),
        _row("rebuild_time", "onefile", freezekit=0.05, pyinstaller=1.0),
        _row("onefile_size", "onefile", freezekit=8e6, pyinstaller=16e6),
        _row(
            "onedir_start", "onedir", freezekit=36.0, pyinstaller=57.0, cx_freeze=34.0, python=30.0
        ),
        _row("onefile_start", "onefile", freezekit=60.0, pyinstaller=300.0, python=30.0),
        _row("onefile_warm_start", "onefile", freezekit=38.0, python=30.0),
        _row("onedir_start_vs_python", "onedir", freezekit=36.0, python=30.0),
        _row("peak_rss", "onedir", freezekit=18e6, pyinstaller=18e6, python=18e6),
        _row("peak_rss", "onefile", freezekit=None, pyinstaller=20e6, python=18e6),
    ]


def test_median_of_odd_even_and_no_runs() -> None:
    assert results.median([3.0, 1.0, 2.0, 10.0, 0.5, 7.0, 4.0]) == 3.0
    assert results.median([1.0, 2.0, 3.0, 4.0]) == 2.5
    assert results.median([]) is None


def test_rounds_alternate_and_rotate() -> None:
    rounds = [results.round_order("ABC", i) for i in range(4)]
    assert rounds == [list("ABC"), list("BCA"), list("CAB"), list("ABC")]
    assert results.round_order([], 3) == []


def test_ratio_is_none_without_both_values() -> None:
    assert results.ratio(3.0, 2.0) == 1.5
    assert results.ratio(None, 2.0) is None
    assert results.ratio(3.0, None) is None
    assert results.ratio(3.0, 0.0) is None


def test_ratio_is_to_pyinstaller_or_to_python_for_vs_python() -> None:
    rows = {m.metric: m for m in _synthetic()}
    assert rows["onedir_start"].ratio == pytest.approx(36.0 / 57.0)
    assert rows["onedir_start_vs_python"].ratio == pytest.approx(36.0 / 30.0)
    assert rows["onefile_warm_start"].ratio is None  # PyInstaller has no cache mode


def test_goals_pass_miss_and_not_available() -> None:
    verdicts = {r.goal.title: (r.verdict, r.ratio) for r in results.evaluate_goals(_synthetic())}
    assert verdicts["onedir start <= 1.3x plain python"] == ("PASS", pytest.approx(1.2))
    assert verdicts["onefile cold start <= 0.3x PyInstaller"] == ("PASS", pytest.approx(0.2))
    assert verdicts["onefile warm start <= 1.1x our onedir"] == ("PASS", pytest.approx(38 / 36))
    assert verdicts["onefile size <= 0.5x PyInstaller"] == ("PASS", pytest.approx(0.5))
    assert verdicts["clean build (onedir) <= 0.5x PyInstaller"] == ("PASS", pytest.approx(0.4))
    assert verdicts["rebuild (onedir) <= 0.1x PyInstaller"] == ("MISS", pytest.approx(0.2))
    assert verdicts["rebuild (onefile) <= 0.1x PyInstaller"] == ("PASS", pytest.approx(0.05))
    assert verdicts["peak memory (onedir) <= 1.0x PyInstaller"] == ("PASS", pytest.approx(1.0))
    assert verdicts["peak memory (onefile) <= 1.0x PyInstaller"] == ("n/a", None)


def test_goals_are_evaluated_per_app() -> None:
    other = results.Measurement(
        app="numpy_app",
        mode="onedir",
        metric="onedir_start",
        unit="ms",
        values={"freezekit": 200.0, "python": 100.0},
    )
    verdicts = results.evaluate_goals([*_synthetic(), other])
    onedir = [r for r in verdicts if r.goal.title == "onedir start <= 1.3x plain python"]
    assert [(r.app, r.verdict) for r in onedir] == [("hello", "PASS"), ("numpy_app", "MISS")]


def test_results_json_schema() -> None:
    rows = json.loads(results.results_json(_synthetic()))
    assert isinstance(rows, list) and len(rows) == 11
    for row in rows:
        assert list(row) == ROW_KEYS
        assert row["metric"] in METRICS
        assert row["mode"] in ("onedir", "onefile")
        for column in ("freezekit", "pyinstaller", "cx_freeze", "python", "ratio"):
            assert row[column] is None or isinstance(row[column], (int, float))
    onefile = next(r for r in rows if r["metric"] == "onefile_size")
    assert (onefile["cx_freeze"], onefile["ratio"]) == (None, 0.5)


def test_peak_memory_is_the_largest_tree_sample_or_single_process() -> None:
    assert results.tree_peak(tree_maxrss=15, samples=[4, 4 + 13, 4 + 14]) == 18  # launcher + child
    assert results.tree_peak(tree_maxrss=18, samples=[5, 17]) == 18  # one process, sampled late
    assert results.tree_peak(tree_maxrss=18, samples=[]) == 18  # too short to sample


def test_quick_is_hello_only_and_runs_default_to_seven() -> None:
    assert _load_run().parse_args(["--quick"]).app_names == ("hello",)
    assert _load_run().parse_args([]).runs == 7
    reduced = _load_run().parse_args(["--apps", "hello,cli_app", "--runs", "3"])
    assert (reduced.app_names, reduced.runs) == (("hello", "cli_app"), 3)
    with pytest.raises(SystemExit):
        _load_run().parse_args(["--quick", "--runs", "0"])
    with pytest.raises(SystemExit):
        _load_run().parse_args(["--apps", "nope"])


def test_every_goal_names_known_metrics() -> None:
    for goal in results.GOALS:
        assert {goal.numerator.metric, goal.denominator.metric} <= METRICS


def test_first_build_goals_compare_with_pyinstaller_and_our_onedir() -> None:
    rows = [
        *_synthetic(),
        _row("first_build_time", "onedir", freezekit=4.0, pyinstaller=8.0, cx_freeze=3.0),
        _row("first_build_time", "onefile", freezekit=9.0, pyinstaller=14.0),
        _row("build_peak_rss", "onedir", freezekit=90e6, pyinstaller=85e6, cx_freeze=60e6),
        _row("build_peak_rss", "onefile", freezekit=80e6, pyinstaller=85e6),
    ]
    verdicts = {r.goal.title: (r.verdict, r.ratio) for r in results.evaluate_goals(rows)}
    assert verdicts["first build (onedir) <= 0.5x PyInstaller"] == ("PASS", pytest.approx(0.5))
    assert verdicts["first build (onefile) <= 0.5x PyInstaller"] == ("MISS", pytest.approx(9 / 14))
    assert verdicts["build peak memory (onedir) <= 1.0x PyInstaller"][0] == "MISS"
    assert verdicts["build peak memory (onefile) <= 1.0x PyInstaller"][0] == "PASS"
    # onefile cold start 60 ms against our own onedir's 36 ms
    assert verdicts["onefile cold start <= 1.5x our onedir"] == ("MISS", pytest.approx(60 / 36))


def test_a_first_build_has_its_own_empty_caches(tmp_path: Path) -> None:
    from benchkit.builds import first_build_env

    env = first_build_env(tmp_path / "first-0")
    assert set(env) == {"XDG_CACHE_HOME", "PYINSTALLER_CONFIG_DIR"}
    assert len(set(env.values())) == 2
    for folder in env.values():
        assert Path(folder).parent == tmp_path / "first-0" and not Path(folder).exists()
    assert first_build_env(tmp_path / "first-1") != env


def test_first_build_rows_are_medians_per_freezer_and_mode(tmp_path: Path) -> None:
    from benchkit.builds import Built, Variant, build_variants
    from benchkit.freezers import App, BuildJob
    from benchkit.starts import Starter, StartStats

    app = App(name="hello", script=tmp_path / "hello.py", expected_stdout="hello\n")
    builds = []
    for number, variant in enumerate(build_variants()):
        job = BuildJob(app=app, mode=variant.mode, root=tmp_path / variant.label)
        built = Built(variant=variant, job=job)
        built.first_build_times = [3.0 + number, 1.0 + number, 2.0 + number]
        built.build_peaks = [100 + number, 300 + number]
        builds.append(built)
    builds[0].problem = "broken"  # freezekit onedir: no figure rather than a wrong one
    python = StartStats(
        starter=Starter(variant=Variant(column="python", mode="onedir"), argv=(), env={})
    )
    rows = _load_run().collect_measurements("hello", builds, [python])
    by_key = {(m.metric, m.mode): m.values for m in rows}
    onedir, onefile = (
        by_key[("first_build_time", "onedir")],
        by_key[("first_build_time", "onefile")],
    )
    labels = [b.variant.label for b in builds]
    assert onedir["freezekit"] is None
    assert onedir["pyinstaller"] == 2.0 + labels.index("pyinstaller-onedir")
    assert onefile["freezekit"] == 2.0 + labels.index("freezekit-onefile")  # not the cache variant
    assert onefile["cx_freeze"] is None
    peaks = by_key[("build_peak_rss", "onefile")]
    assert peaks["pyinstaller"] == 200 + labels.index("pyinstaller-onefile")
