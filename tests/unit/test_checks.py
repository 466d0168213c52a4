"""The app's own checks: every key is checked when the table is read, one line per error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from freezekit.errors import OptionsError
from freezekit.release.cell import AppSpec, app_checks
from freezekit.smoke.checks import parse_checks, run_check


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"argz": []}, r"check 1: unknown key 'argz'"),
        ({"args": "x"}, r"args must be a list of strings"),
        ({"env": {"A": 1}}, r"env must be a table of strings"),
        ({"creates": ["../out"]}, r"creates must be a list of relative paths"),
        ({"timeout": 0}, r"timeout must be a positive number"),
        ({"exit-code": "0"}, r"exit-code must be an integer"),
        ({"stdout-regex": "("}, r"stdout-regex does not compile"),
        ({"stdin": 3}, r"stdin must be a string"),
    ],
)
def test_checks_refuse_bad_tables(table: dict[str, object], message: str) -> None:
    with pytest.raises(OptionsError, match=message):
        parse_checks([table], where="pyproject.toml [tool.freezekit]")


def test_checks_must_be_a_list_of_tables() -> None:
    with pytest.raises(OptionsError, match="checks must be a list of tables"):
        parse_checks({"args": []}, where="x")


def test_checks_default_name_and_values() -> None:
    (check,) = parse_checks([{"args": ["a", "b"]}], where="x")
    assert (check.name, check.exit_code, check.timeout) == ("check 1 (a b)", 0, 60.0)


def test_checks_come_from_appspec_and_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.freezekit]\nscripts = ["app.py"]\n\n'
        '[[tool.freezekit.checks]]\nname = "from pyproject"\nargs = ["--version"]\n'
    )
    app = AppSpec(
        name="app", pyproject=tmp_path / "pyproject.toml", checks=({"name": "from AppSpec"},)
    )
    assert [c.name for c in app_checks(app)] == ["from AppSpec", "from pyproject"]
    assert AppSpec.from_json(app.to_json()).checks == app.checks


def test_checks_run_a_real_program(tmp_path: Path) -> None:
    program = tmp_path / "prog"
    program.write_text(f"#!{sys.executable}\nimport sys\nprint('hi', *sys.argv[1:])\nsys.exit(3)\n")
    program.chmod(0o755)
    (ok,) = parse_checks([{"args": ["x"], "exit-code": 3, "stdout-contains": "hi x"}], where="t")
    assert run_check(program, ok).ok
    (bad,) = parse_checks([{"stdout-regex": "^bye"}], where="t")
    result = run_check(program, bad)
    assert not result.ok
    assert result.detail.startswith("exit code 3, expected 0; stdout does not match '^bye'")
    assert "output tail: hi" in result.detail
