"""Host side of the smoke probes: executable check, output parsing, table and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freezekit.archive import format as fmt
from freezekit.errors import SmokeError
from freezekit.smoke import (
    MARKER_LIBRARY_PATH,
    PROBES,
    ProbeResult,
    check_is_freezekit_executable,
    check_probe_names,
    format_table,
    parse_probe_output,
    probe_environment,
    results_json,
    run_smoke,
)


def _trailer() -> bytes:
    return fmt.encode_trailer(
        fmt.Trailer(
            flags=fmt.FLAG_ONEFILE,
            pkg_offset=4,
            pkg_length=0,
            toc_offset=0,
            toc_length=0,
            toc_count=0,
            toc_crc32=0,
            py_major=3,
            py_minor=12,
            content_id=b"\x01" * 16,
            payload_xxh64=0,
            libpython="libpython3.12.so.1.0",
        )
    )


def test_smoke_accepts_a_file_ending_in_a_trailer(tmp_path: Path) -> None:
    exe = tmp_path / "app"
    exe.write_bytes(b"\x7fELF" + _trailer())
    exe.chmod(0o755)
    trailer = check_is_freezekit_executable(exe)
    assert (trailer.py_major, trailer.py_minor, trailer.libpython) == (
        3,
        12,
        "libpython3.12.so.1.0",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not a freezekit executable (0 bytes, no trailer)"),
        (b"#!/bin/sh\n" * 40, "is not a freezekit executable: no freezekit archive found"),
        (b"x" + _trailer()[:-1] + b"\x00", "is not a freezekit executable: trailer checksum"),
    ],
)
def test_smoke_refuses_files_without_a_trailer(
    tmp_path: Path, content: bytes, message: str
) -> None:
    exe = tmp_path / "app"
    exe.write_bytes(content)
    exe.chmod(0o755)
    with pytest.raises(SmokeError, match="^" + str(exe).replace(".", r"\.") + " " + message[:30]):
        check_is_freezekit_executable(exe)


def test_smoke_refuses_folders_missing_and_non_executable_files(tmp_path: Path) -> None:
    with pytest.raises(SmokeError, match="is a folder") as caught:
        check_is_freezekit_executable(tmp_path)
    assert caught.value.hint == f"pass the executable inside it, e.g. {tmp_path / tmp_path.name}"
    with pytest.raises(SmokeError, match="cannot read .*missing: No such file"):
        check_is_freezekit_executable(tmp_path / "missing")
    exe = tmp_path / "app"
    exe.write_bytes(_trailer())
    exe.chmod(0o644)
    with pytest.raises(SmokeError, match="is not executable"):
        check_is_freezekit_executable(exe)


def test_smoke_unknown_probe_names_list_the_probes(tmp_path: Path) -> None:
    with pytest.raises(SmokeError) as caught:
        run_smoke(tmp_path / "app", probes=["data", "bogus"])
    assert str(caught.value) == (
        "unknown smoke probe 'bogus'; the probes are: mp-spawn, mp-forkserver, mp-fork, "
        "windowed-stdio, env-reset, restart, data, imports"
    )
    assert check_probe_names(["data"]) == ("data",)


def test_smoke_probe_environment() -> None:
    base = {"PATH": "/usr/bin", "LD_LIBRARY_PATH_ORIG": "x", "_FREEZEKIT_TOP_DIR": "y"}
    assert probe_environment("data", base) == {"PATH": "/usr/bin", "FREEZEKIT_SMOKE": "data"}
    env = probe_environment("env-reset", base)
    assert env["LD_LIBRARY_PATH"] == MARKER_LIBRARY_PATH


def test_smoke_parses_the_result_line() -> None:
    stdout = 'app noise\n{"probe": "data", "ok": true, "detail": "fine"}\n'
    assert parse_probe_output("data", 0, stdout, "", seconds=0.5) == ProbeResult(
        probe="data", ok=True, detail="fine", seconds=0.5
    )


def test_smoke_a_result_line_with_a_failing_exit_status_fails() -> None:
    stdout = '{"probe": "data", "ok": true, "detail": "fine"}\n'
    result = parse_probe_output("data", 3, stdout, "Traceback\nboom\n", seconds=1.0)
    assert not result.ok
    assert result.detail == "fine (but exit status 3; stderr: Traceback | boom)"


def test_smoke_no_result_line_fails_with_stderr() -> None:
    result = parse_probe_output(
        "data", 2, '{"probe": "other", "ok": true}\n', "freezekit: probes disabled\n", seconds=0
    )
    assert result == ProbeResult(
        probe="data",
        ok=False,
        detail="exit status 2 and no result line; stderr: freezekit: probes disabled",
        seconds=0,
    )


RESULTS = [
    ProbeResult(probe="data", ok=True, detail="12 entries", seconds=0.25),
    ProbeResult(probe="mp-spawn", ok=False, detail="timed out", seconds=60.0),
    ProbeResult(probe="ssl", ok=True, detail="skipped: the app does not bundle ssl", seconds=0.1),
]


def test_smoke_format_table_tells_ok_skipped_and_failed_apart() -> None:
    assert format_table(RESULTS) == (
        "probe     result   seconds  detail\n"
        "data      ok           0.2  12 entries\n"
        "mp-spawn  FAILED      60.0  timed out\n"
        "ssl       skipped      0.1  the app does not bundle ssl\n"
        "3 probes: 1 ok, 1 skipped, 1 failed"
    )


def test_smoke_results_json() -> None:
    assert json.loads(results_json(RESULTS)) == {
        "ok": False,
        "passed": 1,
        "skipped": 1,
        "failed": 1,
        "results": [
            {"probe": "data", "ok": True, "status": "ok", "detail": "12 entries", "seconds": 0.25},
            {
                "probe": "mp-spawn",
                "ok": False,
                "status": "failed",
                "detail": "timed out",
                "seconds": 60.0,
            },
            {
                "probe": "ssl",
                "ok": True,
                "status": "skipped",
                "detail": "skipped: the app does not bundle ssl",
                "seconds": 0.1,
            },
        ],
    }
    assert json.loads(results_json(RESULTS[:1]))["ok"] is True


def test_smoke_a_status_key_marks_a_skip() -> None:
    stdout = '{"probe": "tls", "ok": true, "status": "skipped", "detail": "no ssl here"}\n'
    result = parse_probe_output("tls", 0, stdout, "", seconds=0.1)
    assert (result.status, result.detail) == ("skipped", "skipped: no ssl here")


def test_smoke_probes_are_unique() -> None:
    assert len(set(PROBES)) == len(PROBES)
