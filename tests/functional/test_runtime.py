"""The runtime inside real frozen apps: smoke probes, multiprocessing, resources, hooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from freezekit.options import Mode
from freezekit.smoke import PROBES, format_table, run_probe, run_smoke

from .conftest import FrozenApp, freeze

pytestmark = pytest.mark.slow

APP = """\
import importlib.resources
import json
import multiprocessing
import pkgutil
import sys

import rtpkg


def square(n):
    return n * n


if __name__ == "__main__":
    if sys.argv[1:2] == ["mp"]:
        with multiprocessing.get_context(sys.argv[2]).Pool(2) as pool:
            print(sys.argv[2], pool.map(square, range(5)))
    else:
        files = importlib.resources.files("rtpkg")
        print(json.dumps({
            "frozen": sys.frozen,
            "resource": files.joinpath("data.txt").read_text(encoding="utf-8"),
            "get_data": pkgutil.get_data("rtpkg", "data.txt").decode(),
            "submodules": sorted(m.name for m in pkgutil.iter_modules(rtpkg.__path__)),
            "hooks": getattr(sys, "rthook_calls", []),
            "file": rtpkg.__file__.startswith(sys._MEIPASS),
        }))
"""
HOOK = "import sys\nsys.rthook_calls = [*getattr(sys, 'rthook_calls', []), __name__]\n"


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Mode, FrozenApp]]:
    source = tmp_path_factory.mktemp("rtapp-src")
    (source / "rtapp.py").write_text(APP, encoding="utf-8")
    (source / "rtpkg").mkdir()
    (source / "rtpkg" / "__init__.py").write_text("from . import alpha\n")
    (source / "rtpkg" / "alpha.py").write_text("A = 1\n")
    (source / "rtpkg" / "beta.py").write_text("B = 2\n")
    (source / "rtpkg" / "data.txt").write_text("payload")
    (source / "hook_one.py").write_text(HOOK)
    built = {}
    for mode in (Mode.ONEDIR, Mode.ONEFILE):
        built[mode] = freeze(
            tmp_path_factory.mktemp(f"rtapp-{mode.value}"),
            source / "rtapp.py",
            mode=mode,
            hidden_imports=("rtpkg.beta",),
            datas=((str(source / "rtpkg" / "data.txt"), "rtpkg"),),
            runtime_hooks=(source / "hook_one.py",),
        )
    yield built


MODES = [Mode.ONEDIR, Mode.ONEFILE]
IDS = [m.value for m in MODES]


@pytest.mark.parametrize("mode", MODES, ids=IDS)
def test_runtime_every_probe_passes(apps: dict[Mode, FrozenApp], mode: Mode) -> None:
    results = run_smoke(apps[mode].executable, timeout=120)
    assert [r.probe for r in results] == list(PROBES)
    assert all(r.ok for r in results), format_table(results)


@pytest.mark.parametrize("mode", MODES, ids=IDS)
def test_runtime_resources_pkgutil_and_hooks(apps: dict[Mode, FrozenApp], mode: Mode) -> None:
    result = apps[mode].run()
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "frozen": True,
        "resource": "payload",
        "get_data": "payload",
        "submodules": ["alpha", "beta"],
        "hooks": ["rthook-00-hook_one"],
        "file": True,
    }


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
@pytest.mark.parametrize("mode", MODES, ids=IDS)
def test_runtime_multiprocessing_without_freeze_support(
    apps: dict[Mode, FrozenApp], mode: Mode, method: str
) -> None:
    result = apps[mode].run("mp", method, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"{method} [0, 1, 4, 9, 16]\n",
        "",
    )


def test_runtime_smoke_probes_can_be_disabled(tmp_path: Path) -> None:
    script = tmp_path / "quiet.py"
    script.write_text("print('app ran')\n")
    app = freeze(tmp_path, script, smoke_probes=False)
    result = app.run(env={**os.environ, "FREEZEKIT_SMOKE": "data"})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "freezekit: smoke probe 'data' not run: this app was built with smoke probes disabled\n"
    )
    assert app.run().stdout == "app ran\n"


@pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")
def test_smoke_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    loop = tmp_path / "spawn-loop"
    loop.write_text(
        f"#!/bin/sh\nsleep 300 &\necho $! >> {pids}\nsleep 300 &\necho $! >> {pids}\nwait\n"
    )
    loop.chmod(0o755)
    result = run_probe(loop, "data", timeout=1.0)
    assert not result.ok
    assert result.detail.startswith("timed out after 1 s (a spawn loop or a hang)")
    deadline = time.monotonic() + 5
    children = [int(pid) for pid in pids.read_text().split()]
    while any(map(_alive, children)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, children))


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def test_smoke_unknown_probe_in_the_app(apps: dict[Mode, FrozenApp]) -> None:
    env = {**os.environ, "FREEZEKIT_SMOKE": "nope"}
    result = subprocess.run(
        [str(apps[Mode.ONEDIR].executable)], env=env, capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("freezekit: unknown smoke probe 'nope'; the probes are: ")
