"""The nox task library with a fake session: which cells run, skip or fail, and the job JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from freezekit.errors import OptionsError
from freezekit.nox import FreezeConfig, _app_of, app_from_pyproject, freeze_all
from freezekit.options import Mode
from freezekit.platforms import Os
from freezekit.release.cell import AppSpec, CellJob, script_options
from freezekit.release.interpreters import Interpreter
from freezekit.release.matrix import Cell, load_matrix, select_cells
from tests.fixtures.nox_session import FakeSession, Stop

HELLO = AppSpec(name="hello", version="1.0", script=Path("hello.py"))
CONFIG = FreezeConfig(app=HELLO)


def _python(version: str, bits: int) -> Interpreter | None:
    if bits == 32:
        return None
    return Interpreter(
        path=Path(f"/py{version}"),
        version=(3, int(version[2:]), 0),
        bits=bits,
        os=Os.LINUX,
        arch="x86_64",
    )


def _linux_cells() -> list[Cell]:
    return select_cells(load_matrix(), ["linux-x86_64-3.1[23]", "linux-i686-3.12", "macos-*-3.12"])


def test_nox_freeze_all_runs_host_cells_and_lists_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr("freezekit.release.interpreters.host_platform", _linux_host)
    ran: list[str] = []
    session = FakeSession()
    done = freeze_all(
        session,
        _linux_cells(),
        CONFIG,
        find=_python,
        run_cell=lambda s, cell, cfg: ran.append(cell.name),
    )
    assert ran == done == ["linux-x86_64-3.12", "linux-x86_64-3.13"]
    assert (
        "skipped linux-i686-3.12: no Python 3.12 (32-bit) found in pyenv versions, "
        "python3.12 on PATH" in session.lines
    )
    assert "skipped macos-arm64-3.12: needs a macos host (CI runner macos-14)" in session.lines


def test_nox_freeze_all_missing_interpreter_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr("freezekit.release.interpreters.host_platform", _linux_host)

    def no_313(version: str, bits: int) -> Interpreter | None:
        return None if version == "3.13" else _python(version, bits)

    with pytest.raises(Stop, match="error: no interpreter for linux-x86_64-3.13 \\(CI is set\\)"):
        freeze_all(
            FakeSession(), _linux_cells(), CONFIG, find=no_313, run_cell=lambda s, cell, cfg: None
        )


def test_nox_freeze_all_secondary_arch_without_python_is_only_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr("freezekit.release.interpreters.host_platform", _linux_host)
    session = FakeSession()
    done = freeze_all(
        session, _linux_cells(), CONFIG, find=_python, run_cell=lambda s, c, cfg: None
    )
    assert done == ["linux-x86_64-3.12", "linux-x86_64-3.13"]
    assert any(
        line.startswith("skipped linux-i686-3.12: no Python 3.12 (32-bit)")
        for line in session.lines
    )


def test_nox_freeze_all_goes_on_after_a_failed_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr("freezekit.release.interpreters.host_platform", _linux_host)
    ran: list[str] = []

    def run(session: object, cell: Cell, config: FreezeConfig) -> None:
        ran.append(cell.name)
        if cell.python == "3.12":
            raise OptionsError("broken")

    with pytest.raises(Stop, match="error: cells failed: linux-x86_64-3.12"):
        freeze_all(FakeSession(), _linux_cells(), CONFIG, find=_python, run_cell=run)
    assert ran == ["linux-x86_64-3.12", "linux-x86_64-3.13"]


def _linux_host():  # type: ignore[no-untyped-def]
    from freezekit.platforms import Os
    from freezekit.release.interpreters import HostPlatform

    return HostPlatform(os=Os.LINUX, arch="x86_64")


def test_nox_cell_job_round_trips_through_json(tmp_path: Path) -> None:
    app = AppSpec(
        name="hello",
        version="1.0",
        script=Path("hello.py"),
        install=(".",),
        options={"mode": "onefile", "hidden_imports": ["x"], "datas": [["a", "b"]]},
    )
    job = CellJob(
        cell="linux-x86_64-3.12", app=app, work_dir=tmp_path / "w", publish_dir=tmp_path / "d"
    )
    assert CellJob.from_json(job.to_json()) == job
    with pytest.raises(OptionsError, match="not a freezekit cell job"):
        CellJob.from_json("{}", source="job.json")


def test_nox_script_options_convert_to_build_options(tmp_path: Path) -> None:
    app = AppSpec(
        name="hello",
        script=Path("hello.py"),
        options={"mode": "onefile", "hidden_imports": ["x"], "datas": [["a", "b"]]},
    )
    options = script_options(app, distpath=tmp_path / "dist", workpath=tmp_path / "work")
    assert options.mode is Mode.ONEFILE and options.hidden_imports == ("x",)
    assert options.datas == (("a", "b"),) and options.noconfirm
    with pytest.raises(OptionsError, match="unknown option 'hiddenimports'"):
        script_options(
            AppSpec(name="h", script=Path("h.py"), options={"hiddenimports": []}),
            distpath=tmp_path,
            workpath=tmp_path,
        )


def test_nox_app_spec_needs_exactly_one_source() -> None:
    with pytest.raises(OptionsError, match="exactly one of script, spec or pyproject"):
        AppSpec(name="hello")
    with pytest.raises(OptionsError, match="exactly one"):
        AppSpec(name="hello", script=Path("a.py"), spec=Path("a.spec"))


def test_nox_app_from_paths(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "cliapp"\nversion = "2.0"\n'
        '[build-system]\nrequires = []\n[tool.freezekit]\nname = "cli"\n'
    )
    app = app_from_pyproject(pyproject)
    assert (app.name, app.version, app.pyproject, app.install) == (
        "cli",
        "2.0",
        pyproject,
        (str(tmp_path),),
    )
    assert _app_of("app.spec") == AppSpec(name="app", spec=Path("app.spec"))
    assert _app_of(Path("hello.py")) == AppSpec(name="hello", script=Path("hello.py"))
    with pytest.raises(OptionsError, match="cannot freeze notes.txt"):
        _app_of("notes.txt")


def test_nox_declares_sessions_per_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    nox = pytest.importorskip("nox")
    from nox import registry

    from freezekit.nox import declare_freeze_sessions

    saved = dict(registry._REGISTRY)
    try:
        monkeypatch.setenv("FREEZEKIT_RELEASE_VERSION", "v3.0.0")
        names = declare_freeze_sessions(HELLO, cells=["linux-x86_64-*"])
        assert names == [
            "freeze-linux-x86_64-3.10",
            "freeze-linux-x86_64-3.11",
            "freeze-linux-x86_64-3.12",
            "freeze-linux-x86_64-3.13",
            "freeze",
            "matrix",
            "release",
            "reproducible",
        ]
        func = registry.get()["freeze-linux-x86_64-3.12"]
        assert func.tags == ["freeze", "smoke"] and func.venv_backend == "none"
        assert "linux-x86_64-3.12" in (func.__doc__ or "")
    finally:
        registry._REGISTRY.clear()
        registry._REGISTRY.update(saved)
    assert nox is not None
