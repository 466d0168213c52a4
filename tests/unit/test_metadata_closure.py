"""--recursive-copy-metadata: a distribution and its requirements, as installed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from freezekit.analysis._worker import requirement_closure


def _dist(site: Path, name: str, *requires: str) -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


def test_requirements_are_followed_as_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dist(
        tmp_path,
        "app",
        "lib-a>=1",
        'lib-b; extra == "fast"',
        'lib-c; extra == "slow"',
        'lib-win; sys_platform == "nonesuch"',
        "lib-gone",
    )
    _dist(tmp_path, "lib-a", "lib_d (>=0.1)")
    _dist(tmp_path, "lib-b")
    _dist(tmp_path, "lib-win")
    _dist(tmp_path, "lib-d", "app")  # a cycle ends
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])  # packaging stays importable
    assert requirement_closure(["app"]) == ["app", "lib-a", "lib-b", "lib_d"]


def test_a_name_that_is_not_installed_is_kept_for_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert requirement_closure(["nope"]) == ["nope"]


def test_a_written_spec_and_a_pyproject_table_keep_it(tmp_path: Path) -> None:
    from freezekit.options import BuildOptions
    from freezekit.spec.makespec import write_spec
    from freezekit.spec.pyproject import options_from_table
    from freezekit.spec.run import run
    from tests.fixtures.specs.fakes import fake_context

    script = tmp_path / "app.py"
    script.write_text("")
    options = BuildOptions(
        scripts=(script,), name="app", specpath=tmp_path, recursive_copy_metadata=("jsonschema",)
    )
    spec = write_spec(options)
    context, analyzer = fake_context(tmp_path, spec)
    run(spec, context)
    (seen,) = analyzer.calls
    assert seen.recursive_copy_metadata == ("jsonschema",)
    table = {"scripts": ["app.py"], "recursive-copy-metadata": ["jsonschema"]}
    assert options_from_table(table, tmp_path).recursive_copy_metadata == ("jsonschema",)
