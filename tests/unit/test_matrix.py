"""matrix/cells.toml expansion, errors, host checks and the workflow JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from freezekit.errors import OptionsError
from freezekit.platforms import Os
from freezekit.release import matrix
from freezekit.release.interpreters import HostPlatform, Interpreter
from freezekit.release.matrix import (
    PACKAGE_MATRIX,
    REPO_MATRIX,
    Cell,
    default_matrix_path,
    find_cell,
    format_matrix_table,
    github_matrix,
    host_cells,
    load_matrix,
    parse_matrix,
    select_cells,
)

SMALL = {
    "schema": 1,
    "python": ["3.11", "3.12"],
    "platform": [
        {
            "os": "linux",
            "arch": "x86_64",
            "bits": 64,
            "runner": "ubuntu-24.04",
            "cibw_platform": "manylinux_x86_64",
        },
        {
            "os": "windows",
            "arch": "i686",
            "bits": 32,
            "runner": "windows-2022",
            "cibw_platform": "win32",
        },
    ],
    "exclude": [{"os": "windows", "python": "3.11", "reason": "test"}],
}


def _python(version: str, bits: int, os_: Os = Os.LINUX) -> Interpreter:
    major, minor = (int(part) for part in version.split("."))
    arch = "x86_64" if bits == 64 else "i686"
    return Interpreter(
        path=Path(f"/py{version}"), version=(major, minor, 0), bits=bits, os=os_, arch=arch
    )


def _windows_python(version: str, bits: int) -> Interpreter:
    return _python(version, bits, Os.WINDOWS)


def test_matrix_checkout_reads_the_one_file_in_git() -> None:
    """A checkout (editable install) reads matrix/cells.toml; the package copy is only written
    by setup.py's build_py (tests/functional/test_install.py checks wheel and sdist)."""
    assert default_matrix_path() == REPO_MATRIX
    assert REPO_MATRIX.is_file()
    assert PACKAGE_MATRIX.parent == Path(matrix.__file__).resolve().parent


def test_matrix_declares_every_platform_and_python() -> None:
    cells = load_matrix()
    platforms = {(c.os.value, c.arch, c.bits, c.runner) for c in cells}
    assert platforms == {
        ("linux", "x86_64", 64, "ubuntu-24.04"),
        ("linux", "i686", 32, "ubuntu-24.04"),
        ("linux", "aarch64", 64, "ubuntu-24.04-arm"),
        ("macos", "arm64", 64, "macos-14"),
        ("macos", "x86_64", 64, "macos-13"),
        ("windows", "x86_64", 64, "windows-2022"),
        ("windows", "i686", 32, "windows-2022"),
    }
    assert {c.python for c in cells} == {"3.10", "3.11", "3.12", "3.13"}
    assert find_cell("linux-x86_64-3.12", cells).cibw_id == "cp312-manylinux_x86_64"
    assert find_cell("windows-x86_64-3.12", cells).cibw_id == "cp312-win_amd64"
    assert find_cell("windows-i686-3.12", cells).cibw_id == "cp312-win32"
    assert find_cell("macos-arm64-3.12", cells).cibw_id == "cp312-macosx_arm64"
    assert "macos-arm64-3.10" not in {c.name for c in cells}  # excluded declaratively


def test_matrix_expands_platforms_times_pythons_minus_excludes() -> None:
    cells = parse_matrix(SMALL)
    assert [c.name for c in cells] == [
        "linux-x86_64-3.11",
        "linux-x86_64-3.12",
        "windows-i686-3.12",
    ]
    assert cells[2] == Cell(
        name="windows-i686-3.12",
        os=Os.WINDOWS,
        arch="i686",
        bits=32,
        python="3.12",
        runner="windows-2022",
        cibw_id="cp312-win32",
    )
    assert cells[2].python_tag == "py312"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": 2}, "key 'schema' must be 1"),
        ({"python": ["3"]}, "key 'python' has '3'"),
        ({"platform": [{"os": "linux"}]}, "platform[0]: missing key 'arch'"),
        (
            {"platform": [{**SMALL["platform"][0], "bits": "64"}]},  # type: ignore[index]
            "platform[0]: key 'bits' must be a int",
        ),
        (
            {"platform": [{**SMALL["platform"][0], "os": "beos"}]},  # type: ignore[index]
            "platform[0]: key 'os' is 'beos'",
        ),
        (
            {"platform": [{**SMALL["platform"][0], "colour": 1}]},  # type: ignore[index]
            "platform[0]: unknown key 'colour'",
        ),
        ({"exclude": [{"os": "linux"}]}, "exclude[0]: missing key 'reason'"),
    ],
)
def test_matrix_rejects_malformed_input_naming_file_and_key(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(OptionsError, match=message.replace("[", r"\[").replace("]", r"\]")) as info:
        parse_matrix({**SMALL, **change}, source="bad.toml")
    assert info.value.message.startswith("bad.toml")


def test_matrix_load_reports_bad_toml_with_path(tmp_path: Path) -> None:
    bad = tmp_path / "cells.toml"
    bad.write_text("schema = = 1\n")
    with pytest.raises(OptionsError, match="is not valid TOML") as info:
        load_matrix(bad)
    assert str(bad) in info.value.message
    with pytest.raises(OptionsError, match="cannot read matrix file"):
        load_matrix(tmp_path / "missing.toml")


def test_matrix_find_cell_lists_cells_for_unknown_name() -> None:
    cells = parse_matrix(SMALL)
    with pytest.raises(OptionsError, match="unknown matrix cell 'linux-3.12'") as info:
        find_cell("linux-3.12", cells)
    assert info.value.hint is not None and "linux-x86_64-3.11" in info.value.hint


def test_matrix_select_cells_by_glob() -> None:
    cells = parse_matrix(SMALL)
    assert [c.name for c in select_cells(cells, ["*-3.12"])] == [
        "linux-x86_64-3.12",
        "windows-i686-3.12",
    ]
    with pytest.raises(OptionsError, match="no matrix cell matches"):
        select_cells(cells, ["macos-*"])


def test_matrix_host_cells_gives_reasons() -> None:
    cells = parse_matrix({**SMALL, "exclude": []})
    host = HostPlatform(os=Os.LINUX, arch="x86_64")
    found = host_cells(cells, host=host, find=lambda v, b: _python(v, b) if v == "3.12" else None)
    reasons = {cell.name: reason for cell, reason in found}
    assert reasons["linux-x86_64-3.12"] is None
    assert reasons["linux-x86_64-3.11"] == (
        "no Python 3.11 (64-bit) found in pyenv versions, python3.11 on PATH"
    )
    assert reasons["windows-i686-3.12"] == "needs a windows host (CI runner windows-2022)"


def test_matrix_host_cells_windows_runs_32_bit_and_arm_needs_arm() -> None:
    cells = load_matrix()
    host = HostPlatform(os=Os.WINDOWS, arch="x86_64")
    reasons = dict((c.name, r) for c, r in host_cells(cells, host=host, find=_windows_python))
    assert reasons["windows-i686-3.13"] is None
    assert reasons["windows-x86_64-3.13"] is None
    linux = HostPlatform(os=Os.LINUX, arch="x86_64")
    reasons = dict((c.name, r) for c, r in host_cells(cells, host=linux, find=_python))
    assert reasons["linux-aarch64-3.12"] == (
        "needs a linux/aarch64 host (CI runner ubuntu-24.04-arm)"
    )


def test_matrix_github_json_has_one_include_per_cell() -> None:
    cells = load_matrix()
    data = github_matrix(cells)
    assert list(data) == ["include"]
    assert [row["name"] for row in data["include"]] == [c.name for c in cells]
    row = next(r for r in data["include"] if r["name"] == "windows-i686-3.11")
    assert row == {
        "name": "windows-i686-3.11",
        "os": "windows",
        "arch": "i686",
        "bits": 32,
        "python": "3.11",
        "runner": "windows-2022",
        "cibw_id": "cp311-win32",
        "setup_python_arch": "x86",
    }


def test_matrix_table_lists_cells_and_reasons() -> None:
    cells = parse_matrix(SMALL)
    table = format_matrix_table(cells, {"linux-x86_64-3.11": None, "linux-x86_64-3.12": "why"})
    lines = table.splitlines()
    assert lines[0].split() == [
        "cell",
        "os",
        "arch",
        "bits",
        "python",
        "runner",
        "cibuildwheel",
        "here",
    ]
    assert lines[1].split()[-1] == "yes"
    assert lines[2].endswith("no: why")
    assert len(lines) == 4
