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
from dataclasses import replace
from pathlib import Path

import pytest

from freezekit.archive import format as fmt
from freezekit.archive.reader import open_archive, read_entry
from freezekit.options import Mode
from freezekit.toc import EntryKind

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


def _run_once(exe: Path, tmp: Path, *wrapper: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    work = tmp / f"tmp-{exe.name}"
    work.mkdir()
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(work), "HOME": str(tmp / "home")}
    done = subprocess.run([*wrapper, str(exe)], capture_output=True, text=True, env=env, timeout=60)
    return done, work


def _refused(done: subprocess.CompletedProcess[str], exe: Path, work: Path) -> str:
    lines = done.stderr.splitlines()
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert len(lines) == 1 and lines[0].startswith(f"freezekit: cannot start {exe}: ")
    assert lines[0].endswith(DAMAGED) and list(work.iterdir()) == []
    return lines[0]


@pytest.mark.parametrize(
    ("field", "change", "fix_crc"),
    [
        ("prefix_xxh64", 1 << 33, True),
        ("prefix_xxh64", 1, False),
        ("prefix_length", +1, True),  # more bytes hashed than the writer's prefix
        ("prefix_length", -1, True),  # libpython's or another eager entry's end left out
        ("prefix_length", 1 << 40, True),  # into the TOC or beyond the file
        ("prefix_length", 1 << 3, False),
    ],
)
def test_damaged_prefix_fields_are_refused(
    frozen_app: FrozenAppFactory, tmp_path: Path, field: str, change: int, fix_crc: bool
) -> None:
    """The trailer's prefix length and digest (format.py, "Prefix"): a changed value is
    refused with the one line, nothing run and no folder left, whether the trailer's CRC was
    made to match it (then the prefix check or its bounds find it) or not."""
    app: FrozenApp = frozen_app("hardening_app", mode=Mode.ONEFILE)
    trailer = open_archive(app.executable).trailer
    assert 0 < trailer.prefix_length < trailer.toc_offset
    blob = app.executable.read_bytes()
    start = len(blob) - fmt.TRAILER_SIZE
    value = getattr(trailer, field)
    changed = value ^ change if field == "prefix_xxh64" else value + change
    body = bytearray(fmt.encode_trailer(replace(trailer, **{field: changed})))
    if not fix_crc:
        body[-4:] = blob[-4:]
    broken = tmp_path / "broken"
    broken.write_bytes(blob[:start] + bytes(body))
    broken.chmod(0o755)
    done, work = _run_once(broken, tmp_path)
    line = _refused(done, broken, work)
    assert "checksum mismatch" in line or "lies " in line, line


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_lazy_file_damage_is_found_after_python_started(
    frozen_app: FrozenAppFactory, tmp_path: Path
) -> None:
    """A byte changed in a lazy file lies outside the prefix: libpython loads and the
    interpreter initialises from the checked prefix while the rest is hashed, and the
    mismatch stops the start before the bootstrap (the one line, nothing of the app's run,
    the folder removed). strace shows that libpython was loaded first."""
    app: FrozenApp = frozen_app("hardening_app", mode=Mode.ONEFILE)
    archive = open_archive(app.executable)
    table = read_entry(archive, archive.of_kind(EntryKind.LAZY)[0]).decode()
    lazy = [archive.entry(f) for row in table.splitlines() for f in row.split("\t")[1:]]
    entry = max(lazy, key=lambda e: e.stored_size)
    assert entry.data_offset >= archive.trailer.prefix_length
    # the rest goes to a thread when it is at most 8 MiB (extract.c FK_DEFER_REST_MAX)
    assert archive.trailer.pkg_length - archive.trailer.prefix_length <= 8 << 20
    blob = bytearray(app.executable.read_bytes())
    blob[archive.trailer.pkg_offset + entry.data_offset + entry.stored_size // 2] ^= 0x10
    broken = tmp_path / "broken"
    broken.write_bytes(bytes(blob))
    broken.chmod(0o755)
    log = tmp_path / "strace.log"
    wrapper = ("strace", "-f", "-qq", "-e", "trace=openat", "-o", str(log))
    done, work = _run_once(broken, tmp_path, *wrapper)
    line = _refused(done, broken, work)
    assert f"payload checksum mismatch ({archive.trailer.pkg_length} bytes" in line, line
    opened = log.read_text()
    assert f'/{archive.trailer.libpython}", O_RDONLY' in opened  # dlopen'd
    assert '/base_library.zip", O_RDONLY' in opened  # Python initialised from it
