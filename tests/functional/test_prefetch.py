"""onefile temp mode: the start-up set (the lazy files of the extension modules the app imports
at module level) is unpacked on a background thread of the process that runs Python, and the
on-demand unpack of an import waits for it or takes over."""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from freezekit.archive import format as fmt
from freezekit.archive.reader import open_archive, read_entry
from freezekit.options import Mode
from freezekit.toc import EntryKind

from .conftest import FrozenApp, FrozenAppFactory, pyenv_pythons
from .test_hardening import Items, repack

pytestmark = pytest.mark.slow
DAMAGED = " \u2014 rebuild or recopy it"


def _env(tmp: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp), "HOME": str(tmp / "home")}


@pytest.fixture()
def app(frozen_app: FrozenAppFactory) -> FrozenApp:
    return frozen_app("prefetch_app", mode=Mode.ONEFILE)


def _lazy_rows(exe: Path) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    archive = open_archive(exe)
    data = read_entry(archive, archive.of_kind(EntryKind.LAZY)[0])
    return fmt.decode_lazy_start(data), fmt.decode_lazy_table(data)


def test_module_level_imports_are_unpacked_by_the_thread(app: FrozenApp, tmp_path: Path) -> None:
    start, table = _lazy_rows(app.executable)
    assert {"_csv", "_bz2"} <= set(start) and "_lzma" in table and "_lzma" not in start
    # in the order the app imports them: its first line's _csv first, its last one's _bz2 last;
    # then the small parts multiprocessing's functions import (Pool: _queue), not _ctypes
    # (sharedctypes: 130 KB with libffi)
    assert (start[0], start[start.index("_bz2") + 1 :].count("_queue")) == ("_csv", 1)
    assert "_ctypes" in table and "_ctypes" not in start
    result = app.run(env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("_csv 1 ")  # imported at once: by the thread, or with its help
    assert lines[0].split()[2] in ("thread", "caller", "shared")
    # never imported: only the background thread can have unpacked it
    assert lines[1] == "_bz2 thread True"
    # imported inside a function: not in the set, unpacked on its first import
    assert lines[2] == "_lzma absent False _lzma True"
    # multiprocessing.pool's, at the end of the set: unpacked by the thread, never imported here
    assert lines[3] == "_queue thread False"
    assert (result.stderr, list(tmp_path.iterdir())) == ("", [])  # the folder is removed


def test_sys_exit_stops_the_thread_and_removes_the_folder(app: FrozenApp, tmp_path: Path) -> None:
    result = app.run("exit", env=_env(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == (3, "", "")
    assert list(tmp_path.iterdir()) == []


def test_a_forked_child_unpacks_by_itself(app: FrozenApp, tmp_path: Path) -> None:
    result = app.run("fork", env=_env(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "child _lzma True\nparent 0 True\n"
    assert list(tmp_path.iterdir()) == []


NEWER = [p for p in pyenv_pythons() if p.parent.parent.name.startswith(("3.12", "3.13"))][-1:]


@pytest.mark.parametrize("python", NEWER, ids=lambda p: p.parent.parent.name)
def test_the_thread_is_gone_once_the_set_is_unpacked(
    frozen_app: FrozenAppFactory, tmp_path: Path, python: Path
) -> None:
    """Python 3.12+ warns when a process with threads other than its own forks."""
    app = frozen_app("prefetch_app", mode=Mode.ONEFILE, python=python)
    result = app.run("fork", env=_env(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "child _lzma True\nparent 0 True\n"


def test_threads_importing_lazy_modules_at_once(app: FrozenApp, tmp_path: Path) -> None:
    result = app.run("threads", env=_env(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split() == sorted(
        ["_ssl", "_hashlib", "_decimal", "_codecs_jp", "_codecs_kr", "pyexpat", "_sqlite3"]
    )
    assert list(tmp_path.iterdir()) == []


def test_spawn_workers_reuse_the_folder(app: FrozenApp, tmp_path: Path) -> None:
    result = app.run("spawn", env=_env(tmp_path), timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, "workers [9, 14]\n", "")
    # a worker still ending holds the folder: the watchdog removes it after it
    deadline = time.monotonic() + 10
    while list(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp_path.iterdir()) == []


def _truncate(exe: Path, out: Path, module: str) -> Path:
    """``exe`` with the stored bytes of ``module``'s own lazy file cut in half (under a
    consistent payload digest): its decoding fails wherever it is done."""
    name = _lazy_rows(exe)[1][module][0]

    def edit(items: Items) -> Items:
        done = []
        for entry, stored in items:
            if entry.name == name:
                stored = stored[: len(stored) // 2]
                entry = replace(entry, crc32=fmt.crc32(stored))
            done.append((entry, stored))
        return done

    return repack(exe, out, edit)


def test_a_damaged_file_the_app_imports_is_one_line(app: FrozenApp, tmp_path: Path) -> None:
    crafted = _truncate(app.executable, tmp_path / "crafted", "_csv")
    work = tmp_path / "tmp"
    work.mkdir()
    result = subprocess.run(
        [str(crafted)], env=_env(work), capture_output=True, text=True, timeout=60
    )
    lines = result.stderr.splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"freezekit: cannot start {crafted}: ") and lines[0].endswith(
        DAMAGED
    )
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert list(work.iterdir()) == []


def test_a_damaged_file_the_app_never_imports_is_never_used(app: FrozenApp, tmp_path: Path) -> None:
    crafted = _truncate(app.executable, tmp_path / "crafted", "_bz2")
    work = tmp_path / "tmp"
    work.mkdir()
    result = subprocess.run(
        [str(crafted)], env=_env(work), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "_bz2 failed False"  # no partial file either
    assert list(work.iterdir()) == []
