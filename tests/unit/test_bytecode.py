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


def test_processes_limits_the_compiler_processes(tmp_path: Path) -> None:
    """The PYZ dictionary's samples are compiled by one process beside the analysis worker."""
    import os
    import subprocess
    from unittest import mock

    units = []
    for i in range(120):
        (tmp_path / f"m{i}.py").write_text(f"VALUE = {i}\n")
        units.append(SourceUnit(key=f"m{i}", source=tmp_path / f"m{i}.py", filename=f"m{i}.py"))
    started = []
    real_run = subprocess.run

    def run(*args: object, **kwargs: object) -> object:
        started.append(args)
        return real_run(*args, **kwargs)  # type: ignore[call-overload]

    target = resolve_target(None)
    with (
        mock.patch.object(os, "cpu_count", return_value=3),
        mock.patch.object(subprocess, "run", run),
    ):
        one = compile_units(units, target, cache_dir=tmp_path / "one", processes=1)
        assert len(started) == 1
        three = compile_units(units, target, cache_dir=tmp_path / "three")
        assert len(started) == 1 + 3
    assert one == three


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


def _installed_module(tmp_path: Path, text: str, pyc_text: str, *, optimize: int = 0) -> Path:
    """``site-packages/m.py`` holding ``text``, with a ``__pycache__`` file compiled from
    ``pyc_text`` (the same length) whose header says it was made from ``text`` as it is now."""
    import importlib.util
    import py_compile

    assert len(text) == len(pyc_text)
    folder = tmp_path / "site-packages"
    folder.mkdir(parents=True)
    source = folder / "m.py"
    source.write_text(pyc_text)
    pyc = Path(importlib.util.cache_from_source(str(source), optimization=optimize or ""))
    py_compile.compile(str(source), cfile=str(pyc), optimize=optimize, doraise=True)
    stat = source.stat()
    source.write_text(text)
    import os

    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return source


def _value(code: bytes) -> object:
    namespace: dict[str, object] = {}
    exec(marshal.loads(code), namespace)
    return namespace["VALUE"]


def test_an_installed_module_is_read_from_its_valid_pycache_file(tmp_path: Path) -> None:
    # the compiled file says 2 where the source says 1: what comes out shows which was used
    source = _installed_module(tmp_path, "VALUE = 1\n", "VALUE = 2\n")
    unit = SourceUnit(key="m", source=source, filename="m.py")
    code = compile_units([unit], resolve_target(None), cache_dir=tmp_path / "cache")["m"]
    assert _value(code) == 2
    assert marshal.loads(code).co_filename == "m.py"  # the name tracebacks show, not the path


def test_a_pycache_file_importlib_would_not_take_is_not_used(tmp_path: Path) -> None:
    import os

    target = resolve_target(None)
    source = _installed_module(tmp_path, "VALUE = 1\n", "VALUE = 2\n")
    unit = SourceUnit(key="m", source=source, filename="m.py")
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))  # edited later
    assert _value(compile_units([unit], target, cache_dir=tmp_path / "c1")["m"]) == 1
    # another optimisation level's file is not this level's
    source = _installed_module(tmp_path / "other", "VALUE = 1\n", "VALUE = 2\n", optimize=1)
    unit = SourceUnit(key="m", source=source, filename="m.py")
    assert _value(compile_units([unit], target, cache_dir=tmp_path / "c2")["m"]) == 1
    assert _value(compile_units([unit], target, cache_dir=tmp_path / "c3", optimize=1)["m"]) == 2


def test_a_hash_based_pycache_file_is_checked_against_the_source(tmp_path: Path) -> None:
    import importlib.util
    import py_compile

    target = resolve_target(None)
    folder = tmp_path / "site-packages"
    folder.mkdir()
    source = folder / "m.py"
    source.write_text("VALUE = 2\n")
    pyc = importlib.util.cache_from_source(str(source))
    unchecked = py_compile.PycInvalidationMode.UNCHECKED_HASH
    py_compile.compile(str(source), cfile=pyc, invalidation_mode=unchecked, doraise=True)
    unit = SourceUnit(key="m", source=source, filename="m.py")
    assert _value(compile_units([unit], target, cache_dir=tmp_path / "c1")["m"]) == 2
    source.write_text("VALUE = 1\n")  # an unchecked file is still checked here
    assert _value(compile_units([unit], target, cache_dir=tmp_path / "c2")["m"]) == 1


def test_a_project_module_is_compiled_even_with_a_valid_pycache_file(tmp_path: Path) -> None:
    source = _installed_module(tmp_path, "VALUE = 1\n", "VALUE = 2\n")
    project = tmp_path / "project"
    source.parent.rename(project)
    unit = SourceUnit(key="m", source=project / "m.py", filename="m.py")
    code = compile_units([unit], resolve_target(None), cache_dir=tmp_path / "cache")["m"]
    assert _value(code) == 1


def test_stdlib_code_read_from_pycache_equals_freshly_compiled_code(tmp_path: Path) -> None:
    import importlib.util
    import shutil

    import pytest

    target = resolve_target(None)
    names = ["json/decoder.py", "argparse.py", "dataclasses.py", "asyncio/tasks.py"]
    installed = [SourceUnit(key=n, source=target.stdlib / n, filename=n) for n in names]
    if not all(Path(importlib.util.cache_from_source(str(u.source))).is_file() for u in installed):
        pytest.skip("this interpreter's standard library has no __pycache__ files")
    copies = []
    for unit in installed:  # the same sources outside any installed folder: compiled
        copy = tmp_path / "project" / unit.key
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(unit.source, copy)
        copies.append(SourceUnit(key=unit.key, source=copy, filename=unit.key))
    read = compile_units(installed, target, cache_dir=tmp_path / "c1")
    compiled = compile_units(copies, target, cache_dir=tmp_path / "c2")
    for name in names:
        assert marshal.loads(read[name]) == marshal.loads(compiled[name]), name
        assert marshal.loads(read[name]).co_filename == name
