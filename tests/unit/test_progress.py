"""Progress while a stage runs: one updating line on a terminal, plain lines in a CI log."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from freezekit.log import ProgressReporter, StageNotes


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _reporter(interactive: bool) -> tuple[ProgressReporter, io.StringIO, Clock]:
    stream, clock = io.StringIO(), Clock()
    reporter = ProgressReporter(stream, interactive=interactive, clock=clock, tick=3600)
    return reporter, stream, clock


def test_a_terminal_gets_one_updating_line_after_a_second() -> None:
    reporter, stream, clock = _reporter(interactive=True)
    with reporter.stage("archive") as notes:
        notes.progress(3, 44, "binaries prepared")
        clock.now += 0.5
        reporter.show()
        assert stream.getvalue() == ""  # under a second: nothing
        clock.now += 1.0
        reporter.show()
        notes.progress(12, 44)
        clock.now += 1.0
        reporter.show()
        notes.summary = "45 files"
    reporter.close()
    assert stream.getvalue() == (
        "\r\x1b[Karchive: 3/44 binaries prepared, 2 s..."
        "\r\x1b[Karchive: 12/44 binaries prepared, 2 s..."
        "\r\x1b[K"
        "archive: 45 files (2.5 s)\n"
    )


def test_a_log_gets_a_plain_line_every_ten_seconds() -> None:
    reporter, stream, clock = _reporter(interactive=False)
    with reporter.stage("analysis"):
        for _ in range(25):
            clock.now += 1.0
            reporter.show()
    reporter.close()
    assert stream.getvalue().splitlines() == [
        "analysis: still running (10 s)",
        "analysis: still running (20 s)",
        "analysis: (25.0 s)",
    ]
    assert "\r" not in stream.getvalue()


def test_watched_output_is_shown_as_files_and_megabytes(tmp_path: Path) -> None:
    notes = StageNotes()
    notes.watch(tmp_path / "partial")
    assert notes.describe() == ""  # not there yet
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "a").write_bytes(b"x" * 1_500_000)
    (tmp_path / "partial" / "b").write_bytes(b"x" * 1_000_000)
    assert notes.describe() == "2 files, 2.5 MB written"


def test_the_total_names_the_longest_stages() -> None:
    reporter, stream, clock = _reporter(interactive=False)
    for name, seconds in (("analysis", 2.0), ("bytecode", 0.1), ("assemble", 3.0)):
        with reporter.stage(name):
            clock.now += seconds
    reporter.close()
    assert reporter.total() == "total: 5.1 s (assemble 3.0 s, analysis 2.0 s)"


def test_the_analysis_worker_counts_modules_into_a_file_the_line_reads(tmp_path: Path) -> None:
    from freezekit.analysis._worker import _Progress

    path = tmp_path / "analysis-progress.txt"
    progress = _Progress(str(path))
    for _ in range(3):
        progress.tick()  # the first writes at once, the next two within 0.2 s do not
    notes = StageNotes()
    notes.poll(lambda: f"{int(path.read_text())} modules scanned")
    assert notes.describe() == "1 modules scanned"
    path.unlink()
    assert notes.describe() == ""  # gone (the analysis ended): nothing, no error


def test_a_log_line_first_takes_the_progress_line_off_the_terminal() -> None:
    reporter, stream, clock = _reporter(interactive=True)
    with reporter.stage("analysis"):
        clock.now += 2
        reporter.show()
        assert reporter.clear_line() is True  # usable as a logging filter
        assert stream.getvalue() == "\r\x1b[Kanalysis: 2 s...\r\x1b[K"
    reporter.close()


def test_compression_reports_the_bytes_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from freezekit.archive.pyz import precompress_files

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("FREEZEKIT_NO_CACHE", raising=False)
    files = []
    for name, size in (("a.so", 300_000), ("b.so", 70_000), ("c.so", 5_000)):
        path = tmp_path / name
        path.write_bytes(os.urandom(size // 2) + bytes(size - size // 2))
        files.append(path)
    seen: list[tuple[int, int]] = []
    precompress_files(files, level=3, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (375_000, 375_000)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
