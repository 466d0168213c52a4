"""The corpus runner's logic: comparing a frozen run with the unfrozen one, counting, merging
re-runs, the markdown table, the app catalog and the smoke's requirement filter."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"
sys.path.insert(0, str(CORPUS_DIR))  # corpus/run.py runs as a script with corpus/ on sys.path

from corpuskit import catalog  # noqa: E402
from corpuskit.results import (  # noqa: E402
    BUILD_ERROR,
    CRASH,
    EXIT,
    FREEZEKIT,
    ONEDIR,
    ONEFILE,
    OUTPUT,
    PASS,
    PYINSTALLER,
    TIMEOUT,
    Result,
    RunOutput,
    compare,
    count,
    error_line,
    first_difference,
    markdown_table,
    merge,
    packages_passed,
)

EXPECTED = RunOutput(stdout="a\nb\n", stderr="", returncode=0)


def _result(app: str, freezer: str, mode: str, status: str = PASS, detail: str = "") -> Result:
    return Result(
        app=app, package=app, freezer=freezer, mode=mode, status=status, detail=detail,
        build_seconds=1.0, run_seconds=0.1, log="build.log",
    )  # fmt: skip


def test_compare_same_output_and_status_passes_whatever_stderr() -> None:
    verdict = compare(EXPECTED, RunOutput(stdout="a\nb\n", stderr="warning\n", returncode=0))
    assert verdict.ok and verdict.status == PASS


def test_compare_names_the_first_differing_line() -> None:
    verdict = compare(EXPECTED, RunOutput(stdout="a\nc\n", stderr="", returncode=0))
    assert verdict.status == OUTPUT
    assert verdict.detail == "line 2: expected 'b', got 'c'"


def test_compare_missing_and_extra_lines() -> None:
    assert first_difference("a\nb\n", "a\n") == "line 2: expected 'b', got end of output"
    assert first_difference("a\n", "a\nz\n") == "line 2: expected end of output, got 'z'"
    assert "final newline" in first_difference("a\n", "a")


def test_compare_exit_status_gives_the_traceback_last_line() -> None:
    stderr = (
        "Traceback (most recent call last):\n  File x\nModuleNotFoundError: No module named 'q'\n"
    )
    verdict = compare(EXPECTED, RunOutput(stdout="", stderr=stderr, returncode=1))
    assert verdict.status == EXIT
    assert verdict.detail == "exit 1: ModuleNotFoundError: No module named 'q'"


def test_compare_signal_is_a_crash_with_its_name() -> None:
    verdict = compare(EXPECTED, RunOutput(stdout="", stderr="", returncode=-11))
    assert (verdict.status, verdict.detail) == (CRASH, "SIGSEGV")


def test_compare_timeout_wins_over_the_rest() -> None:
    verdict = compare(
        EXPECTED, RunOutput(stdout="a\nb\n", stderr="", returncode=-9, timed_out=True)
    )
    assert verdict.status == TIMEOUT


def test_error_line_is_last_non_blank_line() -> None:
    assert error_line("one\n\n  two  \n\n") == "two"
    assert error_line("") == ""
    pyi = "ImportError: x\n[PYI-20106:ERROR] Failed to execute script 'a' due to unhandled x!\n"
    assert error_line(pyi) == "ImportError: x"


def test_counts_per_mode_and_per_package() -> None:
    results = [
        _result("a", FREEZEKIT, ONEDIR),
        _result("a", FREEZEKIT, ONEFILE, OUTPUT),
        _result("b", FREEZEKIT, ONEDIR),
        _result("a", PYINSTALLER, ONEDIR, BUILD_ERROR),
    ]
    assert str(count(results, FREEZEKIT, ONEDIR)) == "2/2"
    assert str(count(results, FREEZEKIT, ONEFILE)) == "0/1"
    assert str(count(results, PYINSTALLER, ONEDIR)) == "0/1"
    assert str(packages_passed(results, FREEZEKIT)) == "1/2"  # a fails onefile


def test_merge_replaces_rerun_rows_and_keeps_the_rest() -> None:
    old = [_result("a", FREEZEKIT, ONEDIR, OUTPUT), _result("b", FREEZEKIT, ONEDIR, EXIT)]
    new = [_result("a", FREEZEKIT, ONEDIR)]
    merged = merge(old, new)
    assert [(r.app, r.status) for r in merged] == [("a", PASS), ("b", EXIT)]


def test_result_json_round_trip_ignores_unknown_keys() -> None:
    result = _result("a", FREEZEKIT, ONEDIR, EXIT, "exit 1: boom")
    assert Result.from_json({**result.to_json(), "extra": 1}) == result


def test_table_cells_and_reasons() -> None:
    results = [
        _result("a", FREEZEKIT, ONEDIR, EXIT, "exit 1: x|y"),
        _result("d", FREEZEKIT, ONEDIR, EXIT, "exit 1: x|y"),
        _result("a", PYINSTALLER, ONEDIR),
        _result("b", FREEZEKIT, ONEDIR),
        _result("b", FREEZEKIT, ONEFILE, OUTPUT, "line 1"),
        _result("c", FREEZEKIT, ONEDIR, CRASH, "SIGSEGV"),
    ]
    table = markdown_table(results, {"a": "data_files"}, {"a": "a written reason"})
    rows = {line.split(" | ")[0].lstrip("| "): line for line in table.splitlines()[2:]}
    assert rows["a"] == "| a | a | data\\_files | **exit** | – | pass | – | a written reason |"
    assert "| pass | **output** | – | – |" in rows["b"]
    assert rows["b"].endswith("undiagnosed: onefile output line 1 |")
    assert "undiagnosed: onedir crash SIGSEGV" in rows["c"]
    assert rows["d"].endswith("undiagnosed: onedir exit exit 1: x\\|y |")


def test_catalog_every_app_describes_itself_and_runs_alone() -> None:
    apps = catalog.load_apps()
    assert len(apps) >= 60
    for app in apps:
        assert app.package and app.tests, app.name
    onefile = [a for a in apps if a.onefile]
    assert len(apps) / 4 <= len(onefile) <= len(apps) / 2  # about a third
    assert {a.name for a in apps} >= catalog.ONEFILE
    assert {a.name for a in apps} >= catalog.HEAVY
    assert set(catalog.SMOKE) <= {a.name for a in apps}


def test_catalog_select_by_app_or_package_name() -> None:
    apps = catalog.load_apps()
    assert [a.name for a in catalog.select(apps, ["pytz", "scikit-learn"])] == ["pytz", "sklearn"]
    with pytest.raises(ValueError, match="unknown corpus app.*nosuch"):
        catalog.select(apps, ["nosuch"])


def test_catalog_rejects_an_app_without_a_description(tmp_path: Path) -> None:
    (tmp_path / "x_app.py").write_text('"""no colon here"""\n')
    with pytest.raises(ValueError, match="package: what it tests"):
        catalog.load_apps(tmp_path)


def test_every_app_package_is_pinned() -> None:
    text = catalog.REQUIREMENTS.read_text(encoding="utf-8")
    pinned = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert all("==" in line for line in pinned)
    for dists in catalog.SMOKE.values():
        assert len(catalog.requirement_lines(text, set(dists))) == len(dists)


def test_requirement_lines_match_any_spelling() -> None:
    text = "# c\nPyYAML==6.0.3\nruamel.yaml==0.18  # x\nargon2-cffi==25.1.0\n"
    assert catalog.requirement_lines(text, {"pyyaml", "ruamel_yaml"}) == [
        "PyYAML==6.0.3",
        "ruamel.yaml==0.18",
    ]
