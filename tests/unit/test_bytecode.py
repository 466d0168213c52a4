"""Bytecode: compiled by the target Python at the build's optimisation level, cached per level."""

from __future__ import annotations

import marshal
from pathlib import Path

from freezekit.archive.bytecode import SourceUnit, compile_units
from freezekit.platforms import resolve_target

SOURCE = (
    '"""module doc"""\n\ndef f():\n    """function doc"""\n    assert False, "x"\n    return 1\n'
)


def test_each_optimisation_level_compiles_and_caches_its_own_code(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SOURCE)
    unit = SourceUnit(key="m", source=tmp_path / "m.py", filename="m.py")
    target = resolve_target(None)
    cache = tmp_path / "cache"
    results = {}
    for level in (0, 1, 2, 0):  # the second 0 comes from the cache
        namespace: dict[str, object] = {}
        code = compile_units([unit], target, cache_dir=cache, optimize=level)["m"]
        exec(marshal.loads(code), namespace)
        function = namespace["f"]
        try:
            function()  # type: ignore[operator]
            asserts = False
        except AssertionError:
            asserts = True
        results[level] = (namespace.get("__doc__"), function.__doc__, asserts)  # type: ignore[attr-defined]
    assert results == {
        0: ("module doc", "function doc", True),
        1: ("module doc", "function doc", False),
        2: (None, None, False),
    }
    assert len(list(cache.rglob("*.marshal"))) == 3


def test_worker_count_grows_with_the_jobs_up_to_the_processors() -> None:
    from freezekit.archive.bytecode import worker_count

    assert worker_count(10, 2) == 1  # a second process would not pay for itself
    assert worker_count(500, 2) == 2
    assert worker_count(500, None) == 1
    assert worker_count(0, 8) == 1


def test_many_modules_compile_in_parallel_each_to_its_own_code(tmp_path: Path) -> None:
    import os
    from unittest import mock

    units = []
    for i in range(120):
        (tmp_path / f"m{i}.py").write_text(f"VALUE = {i}\n")
        units.append(SourceUnit(key=f"m{i}", source=tmp_path / f"m{i}.py", filename=f"m{i}.py"))
    with mock.patch.object(os, "cpu_count", return_value=3):
        code = compile_units(units, resolve_target(None), cache_dir=tmp_path / "cache")
    for i in range(120):
        namespace: dict[str, object] = {}
        exec(marshal.loads(code[f"m{i}"]), namespace)
        assert namespace["VALUE"] == i


def test_the_first_syntax_error_in_job_order_is_reported(tmp_path: Path) -> None:
    import os
    from unittest import mock

    import pytest

    from freezekit.errors import AnalysisError

    units = []
    for i in range(100):
        text = "x = (\n" if i in (37, 38, 90) else "x = 1\n"
        (tmp_path / f"m{i}.py").write_text(text)
        units.append(SourceUnit(key=f"m{i}", source=tmp_path / f"m{i}.py", filename=f"m{i}.py"))
    with (
        mock.patch.object(os, "cpu_count", return_value=2),
        pytest.raises(AnalysisError, match=r"m37\.py"),
    ):
        compile_units(units, resolve_target(None), cache_dir=tmp_path / "cache")
