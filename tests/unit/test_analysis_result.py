"""Warnings file, summary, cache round trip and the whole analyze() on one fixture."""

from __future__ import annotations

import time
from pathlib import Path

from freezekit.analysis import AnalysisResult, MissingModule, PureModule, analyze, write_warnings
from freezekit.analysis.result import result_from_json, result_to_json
from freezekit.options import BuildOptions
from freezekit.platforms import host_target
from freezekit.toc import EntryKind, TocEntry

PROJECTS = Path(__file__).resolve().parents[1] / "fixtures" / "projects"


def sample() -> AnalysisResult:
    return AnalysisResult(
        scripts=(Path("/app/main.py"),),
        pure=(
            PureModule(name="pkg", source=Path("/app/pkg/__init__.py"), is_package=True),
            PureModule(name="ns", source=None, is_package=True),
        ),
        startup=(
            PureModule(name="encodings", source=Path("/py/encodings/__init__.py"), is_package=True),
        ),
        binaries=(
            TocEntry(
                name="libssl.so.3", kind=EntryKind.BINARY, source="/usr/lib/libssl.so.3", mode=0o755
            ),
        ),
        datas=(TocEntry(name="pkg/data.txt", kind=EntryKind.DATA, source="/app/pkg/data.txt"),),
        runtime_hooks=(),
        missing=(
            MissingModule(name="foo", importers=("bar", "baz")),
            MissingModule(name="nt", importers=("os",), optional=True),
        ),
        excluded_libraries=("libc.so.6",),
    )


def test_result_warnings_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "build" / "app" / "warn-app.txt"
    write_warnings(sample(), path)
    lines = path.read_text().splitlines()
    assert "missing module named foo - imported by bar, baz" in lines
    assert "missing module named nt - imported by os (optional)" in lines
    assert lines.index("missing module named foo - imported by bar, baz") < lines.index(
        "missing module named nt - imported by os (optional)"
    )


def test_result_summary_counts_only_problems() -> None:
    assert sample().summary() == "3 modules, 1 binaries, 1 data files, 2 missing (1 optional)"


def test_result_json_round_trip() -> None:
    assert result_from_json(result_to_json(sample())) == sample()  # type: ignore[arg-type]


def test_result_analyze_end_to_end_and_cache(tmp_path: Path) -> None:
    options = BuildOptions(
        scripts=(PROJECTS / "package-data" / "main.py",),
        name="package-data",
        collect_data=("datapkg",),
        paths=(PROJECTS / "package-data",),
    )
    target = host_target()
    first = analyze(options, target, cache_dir=tmp_path)
    names = {m.name for m in first.pure}
    assert "datapkg" in names and "freezekit.runtime" in names
    runtime = {m.name: m for m in first.pure}["freezekit.runtime"]
    assert runtime.source is not None and runtime.source.is_file()  # not a temporary link
    assert "encodings" in {m.name for m in first.startup} and "encodings" not in names
    assert {"datapkg/settings.json", "datapkg/res/greeting.txt"} <= {d.name for d in first.datas}
    binaries = {b.name: b for b in first.binaries}
    assert binaries[target.libpython.name].kind is EntryKind.BINARY
    assert all(
        b.kind is EntryKind.EXTENSION for n, b in binaries.items() if n.startswith("lib-dynload/")
    )
    start = time.perf_counter()
    second = analyze(options, target, cache_dir=tmp_path)
    assert time.perf_counter() - start < 1.0
    assert second == first
