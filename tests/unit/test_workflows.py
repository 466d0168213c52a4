"""The GitHub workflows: valid, minimal permissions, pinned actions, nox-only shell steps, and
a matrix that comes from matrix/ (one source of truth)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.release.matrix import load_matrix

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
NAMES = {path.name for path in WORKFLOWS}
PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(\.\d+)*$")


def _tool(name: str) -> str | None:
    """On PATH, or next to the running interpreter (a venv that is not activated)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    return found


def _lines(name: str) -> list[str]:
    return (ROOT / ".github" / "workflows" / name).read_text().splitlines()


def test_workflows_exist() -> None:
    assert {"ci.yml", "freeze.yml", "wheels.yml", "release.yml"} <= NAMES


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_pin_actions_by_commit(path: Path) -> None:
    for line in path.read_text().splitlines():
        if "uses:" in line and "./.github/workflows/" not in line:
            assert PINNED.match(line), f"{path.name}: not pinned by commit with a version: {line}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_default_to_no_permissions(path: Path) -> None:
    assert "permissions: {}" in path.read_text().splitlines()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_shell_steps_only_call_nox(path: Path) -> None:
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*(?:- )?run: (.*)$", line)
        if match:
            command = match[1]
            assert command.startswith("nox -s ") or command.startswith("python -m pip install"), (
                f"{path.name}: shell step must call a nox session: {command}"
            )
        assert not re.match(r"^\s*(?:- )?run: [|>]", line), f"{path.name}: multi-line script"


@pytest.mark.parametrize(("name", "session"), [("freeze.yml", "freeze"), ("wheels.yml", "wheels")])
def test_workflows_matrix_comes_from_matrix_folder(name: str, session: str) -> None:
    text = "\n".join(_lines(name))
    assert "run: nox -s matrix -- --format github" in text  # reads matrix/cells.toml
    assert "matrix: ${{ fromJSON(needs.matrix.outputs.matrix) }}" in text
    assert f"run: nox -s {session}-${{{{ matrix.name }}}}" in text
    assert "runs-on: ${{ matrix.runner }}" in text
    for cell in load_matrix():  # no cell is spelled out by hand
        assert cell.name not in text and cell.cibw_id not in text


def test_workflows_freeze_uploads_uniquely_named_artifacts() -> None:
    text = "\n".join(_lines("freeze.yml"))
    assert "name: freeze-${{ matrix.name }}" in text
    assert "path: dist/${{ matrix.name }}/" in text


def test_workflows_release_publishes_with_trusted_publishing() -> None:
    text = "\n".join(_lines("release.yml"))
    assert 'tags: ["v*"]' in text
    assert "id-token: write" in text and "password:" not in text
    assert "run: nox -s release -- ${{ github.ref_name }} --from dist" in text


def test_workflows_ci_compiles_bootloader_on_macos() -> None:
    text = "\n".join(_lines("ci.yml"))
    assert "if: runner.os == 'macOS'\n        run: nox -s bootloader" in text


@pytest.mark.skipif(_tool("actionlint") is None, reason="actionlint not installed")
def test_workflows_pass_actionlint() -> None:
    proc = subprocess.run(
        [str(_tool("actionlint")), *map(str, WORKFLOWS)], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(_tool("check-jsonschema") is None, reason="check-jsonschema not installed")
def test_workflows_match_the_github_workflow_schema() -> None:
    proc = subprocess.run(
        [
            str(_tool("check-jsonschema")),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(_tool("cibuildwheel") is None, reason="cibuildwheel not installed")
@pytest.mark.parametrize("platform", ["linux", "macos", "windows"])
def test_workflows_cibuildwheel_knows_every_cell(platform: str) -> None:
    proc = subprocess.run(
        [
            str(_tool("cibuildwheel")),
            "--print-build-identifiers",
            "--platform",
            platform,
            "--archs",
            "all",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    known = set(proc.stdout.split())
    wanted = {cell.cibw_id for cell in load_matrix() if cell.os.value == platform}
    assert wanted and wanted <= known, sorted(wanted - known)


def test_workflows_freeze_caches_the_per_user_cache_per_cell_python_and_version() -> None:
    text = "\n".join(_lines("freeze.yml"))
    step = text[
        text.index("uses: actions/cache@") : text.index(
            "- name: Install nox", text.index("uses: actions/cache@")
        )
    ]
    assert "~/.cache/freezekit\n" in step
    key = next(line for line in step.splitlines() if line.strip().startswith("key:"))
    for part in ("matrix.name", "runner.os", "matrix.python", "hashFiles('pyproject.toml')"):
        assert part in key  # the version is in pyproject.toml
    assert "restore-keys:" in step
    assert text.index("uses: actions/cache@") < text.index("run: nox -s freeze-")
