"""The core pipeline: freeze real apps into onedir folders and run the executables."""

from __future__ import annotations

import filecmp
import os
import time
from pathlib import Path

import pytest

from freezekit.archive.reader import open_archive, read_pyz

from .conftest import APPS, FrozenAppFactory, freeze, pyenv_pythons

PYTHONS = pyenv_pythons()
pytestmark = pytest.mark.slow

TRACEBACK = (
    'Traceback (most recent call last):\n  File "hello.py", line 6, in <module>\nValueError: boom\n'
)


@pytest.mark.parametrize("python", PYTHONS, ids=[p.parent.parent.name for p in PYTHONS])
def test_hello_runs_on_every_python(frozen_app: FrozenAppFactory, python: Path) -> None:
    app = frozen_app("hello", python=python)
    assert app.executable == app.result.output / "hello"
    assert (app.result.output / "_internal" / app.result.target.libpython_name).is_file()
    result = app.run("a b", "ünï")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "hello ['a b', 'ünï'] True\n",
        "",
    )
    result = app.run("exit3")
    assert (result.returncode, result.stdout) == (3, "")
    result = app.run("raise")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", TRACEBACK)


def test_hello_runs_without_python_on_path(frozen_app: FrozenAppFactory) -> None:
    app = frozen_app("hello")
    result = app.run("x", env={"PATH": "/nonexistent"})
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello ['x'] True\n", "")


def test_library_path_prepends_top_dir_and_keeps_original(frozen_app: FrozenAppFactory) -> None:
    app = frozen_app("envcheck")
    result = app.run(env={"PATH": "/nonexistent", "LD_LIBRARY_PATH": "/opt/x"})
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "LD_LIBRARY_PATH <top>:/opt/x\nLD_LIBRARY_PATH_ORIG /opt/x\n"
    result = app.run(env={"PATH": "/nonexistent"})
    assert result.stdout == "LD_LIBRARY_PATH <top>\nLD_LIBRARY_PATH_ORIG <unset>\n"


@pytest.mark.parametrize("python", PYTHONS, ids=[p.parent.parent.name for p in PYTHONS])
def test_stdlib_app(frozen_app: FrozenAppFactory, python: Path) -> None:
    app = frozen_app(
        "stdlib_app",
        python=python,
        datas=((str(APPS / "stdlib_app" / "mypkg" / "data.txt"), "mypkg"),),
    )
    result = app.run(env={"PATH": "/nonexistent"})
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        'json {"a": [1, 2]}',
        "sqlite 7",
        "ssl PROTOCOL_TLS_CLIENT",
        "decimal 3.30",
        "sha256 ba7816bf8f01cfea",
        "zlib True",
        "asyncio 42",
        "data data file ok",
        "pkg relative import ok",
    ]
    assert result.returncode == 0
    internal = app.result.output / "_internal"
    assert (internal / "mypkg" / "data.txt").read_text() == "data file ok\n"
    # _ssl's own libraries are bundled next to libpython, not taken from the system
    assert any(p.name.startswith("libssl") for p in internal.iterdir())


def _has_symbol_table(path: Path) -> bool:
    import lief

    binary = lief.ELF.parse(str(path))
    assert binary is not None, path
    return any(s.type == lief.ELF.Section.TYPE.SYMTAB for s in binary.sections)


def test_bundled_binaries_are_stripped_unless_no_strip(frozen_app: FrozenAppFactory) -> None:
    app = frozen_app("hello")
    target = app.result.target
    if not _has_symbol_table(target.libpython):
        pytest.skip(f"{target.libpython} has no symbol table to strip")
    internal = app.result.output / "_internal"
    extensions = sorted(internal.glob("lib-dynload/*.so"))
    assert extensions
    for path in [internal / target.libpython_name, *extensions]:
        assert not _has_symbol_table(path), path
    kept = frozen_app("hello", strip=False)
    assert _has_symbol_table(kept.result.output / "_internal" / target.libpython_name)
    assert kept.run("x").stdout == app.run("x").stdout == "hello ['x'] True\n"


def test_pyz_holds_the_app_modules(frozen_app: FrozenAppFactory) -> None:
    app = frozen_app(
        "stdlib_app", datas=((str(APPS / "stdlib_app" / "mypkg" / "data.txt"), "mypkg"),)
    )
    modules = read_pyz(open_archive(app.executable))
    assert modules["mypkg"][0] is True
    assert modules["mypkg.values"][0] is False
    assert "json.decoder" in modules
    assert "test.support" not in modules  # lean by default
    assert "tkinter" not in modules


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = freeze(tmp_path / "one", APPS / "hello" / "hello.py")
    second = freeze(tmp_path / "two", APPS / "hello" / "hello.py")
    comparison = filecmp.dircmp(first.result.output, second.result.output)
    assert _all_same(comparison), "two builds of the same input differ"
    assert first.executable.read_bytes() == second.executable.read_bytes()


def _all_same(comparison: filecmp.dircmp[str]) -> bool:
    if comparison.left_only or comparison.right_only or comparison.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(
        comparison.left, comparison.right, comparison.common_files, shallow=False
    )
    if mismatch or errors:
        return False
    return all(_all_same(sub) for sub in comparison.subdirs.values())


def test_failed_build_keeps_previous_output(tmp_path: Path) -> None:
    app = freeze(tmp_path, APPS / "hello" / "hello.py")
    before = app.executable.read_bytes()
    broken = tmp_path / "hello.py"
    broken.write_text("def oops(:\n")
    with pytest.raises(Exception, match=r"syntax error in .*hello.py:1"):
        freeze(tmp_path, broken)
    assert app.executable.read_bytes() == before
    assert not [p for p in (tmp_path / "dist").iterdir() if p.name.startswith(".")]


def test_unchanged_rebuild_is_skipped_and_a_change_is_not(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text("print('one')\n")
    os.utime(script, ns=(0, time.time_ns() - 10**10))  # not written as the build started
    first = freeze(tmp_path, script)
    stamp = first.executable.stat().st_mtime_ns
    again = freeze(tmp_path, script)
    assert again.executable.stat().st_mtime_ns == stamp  # nothing rewritten
    script.write_text("print('two')\n")
    changed = freeze(tmp_path, script)
    assert changed.run().stdout == "two\n"
