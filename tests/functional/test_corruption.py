"""Random damage to real executables: 500 byte flips and truncations (fixed seed) of the
archive part of a frozen app, onedir and onefile, each run once.

Every run must end in one of two ways: exit 0 with the app's own output, or exit 1 with the
one damage line `freezekit: cannot start <exe>: <what> \u2014 rebuild or recopy it` and
nothing else; never a traceback, a signal or a hang, and nothing left in TMPDIR. The flips
land in the archive (PKG and trailer); the bootloader's own machine code in front is not
damaged here (a flipped instruction can do anything before any check runs).
"""

from __future__ import annotations

import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from freezekit.archive.reader import open_archive
from freezekit.options import Mode

from .conftest import FrozenApp, FrozenAppFactory

pytestmark = pytest.mark.slow
CASES = 250  # per mode
SEED = 19
DAMAGED = " \u2014 rebuild or recopy it"


def _variants(exe: Path, folder: Path, rng: random.Random) -> list[tuple[Path, str]]:
    """CASES damaged copies of ``exe`` in ``folder``: what was done to each."""
    blob = exe.read_bytes()
    start = open_archive(exe).trailer.pkg_offset
    made = []
    for number in range(CASES):
        data = bytearray(blob)
        if rng.random() < 0.2:
            cut = rng.randrange(start, len(data))
            del data[cut:]
            what = f"truncated at {cut}"
        else:
            spots = [rng.randrange(start, len(data)) for _ in range(rng.randint(1, 4))]
            for spot in spots:
                data[spot] ^= rng.randrange(1, 256)
            what = f"bytes changed at {spots}"
        path = folder / f"v{number:03d}"
        path.write_bytes(bytes(data))
        path.chmod(0o755)
        made.append((path, what))
    return made


def _run(path: Path, tmp: Path) -> tuple[int, str, str, list[str]]:
    tmp.mkdir(parents=True)
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp), "HOME": str(tmp.parent / "home")}
    try:
        done = subprocess.run(
            [str(path)], capture_output=True, text=True, env=env, timeout=60, errors="replace"
        )
        result = (done.returncode, done.stdout, done.stderr)
    except subprocess.TimeoutExpired:
        result = (-999, "", "timed out")
    return (*result, [p.name for p in tmp.iterdir()])


def _check(app_output: str, cases: list[tuple[Path, str]], work: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda case: _run(case[0], work / "tmp" / case[0].name), cases))
    bad = []
    refused = 0
    for (path, what), (code, out, err, left) in zip(cases, results, strict=True):
        clean = code == 0 and out == app_output and err == ""
        lines = err.splitlines()
        one_line = (
            code == 1
            and out == ""
            and len(lines) == 1
            and lines[0].startswith(f"freezekit: cannot start {path}: ")
            and lines[0].endswith(DAMAGED)
        )
        refused += one_line
        if not (clean or one_line) or left or "Traceback" in err:
            bad.append(f"{path.name} ({what}): exit {code}, left {left}, stderr {err[:300]!r}")
    assert not bad, f"{len(bad)} of {len(cases)} runs misbehaved:\n" + "\n".join(bad[:20])
    assert refused > len(cases) // 2  # the damage was real: most runs were refused


def test_random_damage_to_onedir(frozen_app: FrozenAppFactory, tmp_path: Path) -> None:
    app: FrozenApp = frozen_app("hardening_app")
    folder = tmp_path / "app"
    shutil.copytree(app.executable.parent, folder, symlinks=True)
    cases = _variants(app.executable, folder, random.Random(SEED))
    _check("hardening ok\n", cases, tmp_path)


def test_random_damage_to_onefile(frozen_app: FrozenAppFactory, tmp_path: Path) -> None:
    app: FrozenApp = frozen_app("hardening_app", mode=Mode.ONEFILE)
    folder = tmp_path / "app"
    folder.mkdir()
    cases = _variants(app.executable, folder, random.Random(SEED + 1))
    _check("hardening ok\n", cases, tmp_path)
