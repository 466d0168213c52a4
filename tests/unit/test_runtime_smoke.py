"""In-app smoke probes that can run without a frozen app: dispatch, output, the data probe."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from freezekit import smoke as host_smoke
from freezekit.runtime import smoke


def test_runtime_probes_match_the_host_list() -> None:
    assert smoke.PROBES == host_smoke.PROBES


def test_runtime_every_probe_has_a_function() -> None:
    for name in (*smoke.PROBES, "windowed-stdio-child", "restart-child"):
        assert callable(getattr(smoke, "probe_" + name.replace("-", "_")))


def test_runtime_unknown_probe_lists_the_probes(capsys: pytest.CaptureFixture[str]) -> None:
    assert smoke.run("nope") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "freezekit: unknown smoke probe 'nope'; the probes are: mp-spawn, mp-forkserver, "
        "mp-fork, windowed-stdio, env-reset, restart, data, imports\n"
    )


def test_runtime_disabled_probes(capsys: pytest.CaptureFixture[str]) -> None:
    assert smoke.run("data", enabled=False) == 2
    assert capsys.readouterr().err == (
        "freezekit: smoke probe 'data' not run: this app was built with smoke probes disabled\n"
    )


def test_runtime_data_probe_prints_one_json_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "base_library.zip").write_bytes(b"PK")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "data.txt").write_text("x")
    fake = types.SimpleNamespace(toc=lambda: [("pkg/data.txt", "data"), ("PYZ", "pyz")])
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setitem(sys.modules, "_freezekit", fake)
    monkeypatch.delenv("FREEZEKIT_SMOKE_RESULT", raising=False)
    assert smoke.run("data") == 0
    line = capsys.readouterr().out
    assert json.loads(line) == {
        "probe": "data",
        "ok": True,
        "detail": "top directory lists 2 entries; 1 extracted TOC files present",
    }
    assert line.count("\n") == 1


def test_runtime_data_probe_reports_missing_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "present").write_text("x")
    fake = types.SimpleNamespace(toc=lambda: [("lib/libgone.so.1", "binary")])
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setitem(sys.modules, "_freezekit", fake)
    assert smoke.run("data") == 1
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is False
    assert "1 TOC files missing" in result["detail"] and "lib/libgone.so.1" in result["detail"]


def test_runtime_probe_exceptions_become_failed_results(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom() -> str:
        raise RuntimeError("exploded")

    monkeypatch.setattr(smoke, "probe_data", boom)
    assert smoke.run("data") == 1
    assert json.loads(capsys.readouterr().out)["detail"] == "RuntimeError: exploded"


def test_runtime_probe_writes_the_result_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FREEZEKIT_SMOKE_RESULT", str(tmp_path / "result.json"))
    monkeypatch.setattr(smoke, "probe_data", lambda: "fine")
    assert smoke.run("data") == 0
    written = json.loads((tmp_path / "result.json").read_text())
    assert written == json.loads(capsys.readouterr().out)


def test_runtime_windowed_child_probe_checks_the_streams(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert smoke.run("windowed-stdio-child") == 1
    assert json.loads(capsys.readouterr().out)["detail"] == "sys.stdin is None"
