"""Hardening of the real launcher against crafted and damaged executables (issue 19).

Crafted executables are made from a real onefile build by rewriting its PKG with
``repack``: entries are added or changed and every checksum (entry CRCs are given,
TOC CRC, payload digest, trailer CRC) is made consistent again, so that the fault under test
is the only one and the launcher's own rules are what stops it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import xxhash

from freezekit.archive import format as fmt
from freezekit.archive.reader import open_archive, read_entry
from freezekit.options import Extract, Mode
from freezekit.toc import Compression, EntryKind

from .conftest import FrozenApp, FrozenAppFactory

pytestmark = pytest.mark.slow
DAMAGED = " \u2014 rebuild or recopy it"
Items = list[tuple[fmt.RawTocEntry, bytes]]


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp), "HOME": str(tmp / "home"), **extra}


@pytest.fixture()
def app(frozen_app: FrozenAppFactory) -> FrozenApp:
    return frozen_app("hardening_app", mode=Mode.ONEFILE)


@pytest.fixture()
def cached(frozen_app: FrozenAppFactory) -> FrozenApp:
    return frozen_app("hardening_app", mode=Mode.ONEFILE, onefile_extract=Extract.CACHE)


def repack(exe: Path, out: Path, edit: Callable[[Items], Items]) -> Path:
    """``exe`` with its entries (each with its stored bytes) passed through ``edit``, the
    PKG rewritten in TOC order (no prefix: format.py) and every checksum but the entries'
    own CRCs recomputed."""
    archive = open_archive(exe)
    blob = exe.read_bytes()
    base = archive.trailer.pkg_offset
    items = [
        (entry, blob[base + entry.data_offset : base + entry.data_offset + entry.stored_size])
        for entry in archive.entries
    ]
    data = bytearray()
    entries = []
    for entry, stored in edit(items):
        entries.append(replace(entry, data_offset=len(data), stored_size=len(stored)))
        data += stored
    toc = b"".join(fmt.encode_toc_entry(entry) for entry in entries)
    pkg = bytes(data) + toc
    trailer = replace(
        archive.trailer,
        pkg_length=len(pkg),
        toc_offset=len(data),
        toc_length=len(toc),
        toc_count=len(entries),
        toc_crc32=fmt.crc32(toc),
        payload_xxh64=xxhash.xxh64_intdigest(pkg),
        prefix_length=0,
        prefix_xxh64=xxhash.xxh64_intdigest(toc),
    )
    out.write_bytes(blob[:base] + pkg + fmt.encode_trailer(trailer))
    out.chmod(0o755)
    return out


def _stored(
    name: str, kind: EntryKind, raw: bytes, mode: int = 0o644
) -> tuple[fmt.RawTocEntry, bytes]:
    entry = fmt.RawTocEntry(
        name=name,
        kind=kind,
        compression=Compression.NONE,
        mode=mode,
        crc32=fmt.crc32(raw),
        data_offset=0,
        stored_size=len(raw),
        raw_size=len(raw),
    )
    return entry, raw


def _with_lazy_row(exe: Path, row: str) -> Callable[[Items], Items]:
    """An edit that adds ``row`` to the lazy table (making one if there is none)."""
    archive = open_archive(exe)
    lazy = archive.of_kind(EntryKind.LAZY)
    table = read_entry(archive, lazy[0]) if lazy else b""

    def edit(items: Items) -> Items:
        kept = [item for item in items if item[0].kind is not EntryKind.LAZY]
        return [*kept, _stored(fmt.LAZY_TABLE_NAME, EntryKind.LAZY, table + row.encode())]

    return edit


def _one_damage_line(result: subprocess.CompletedProcess[str], exe: Path) -> str:
    lines = result.stderr.splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"freezekit: cannot start {exe}: ") and lines[0].endswith(DAMAGED)
    return lines[0]


def test_link_chain_cannot_write_outside(app: FrozenApp, tmp_path: Path) -> None:
    """d/l -> "..", m -> "d/l/../../outside", m/pwned.txt unpacked lazily: refused."""
    lazy = _with_lazy_row(app.executable, "pwnmod\tm/pwned.txt\n")

    def edit(items: Items) -> Items:
        return [
            *lazy(items),
            _stored("d/l", EntryKind.SYMLINK, b".."),
            _stored("m", EntryKind.SYMLINK, b"d/l/../../outside"),
            _stored("m/pwned.txt", EntryKind.DATA, b"pwned\n"),
        ]

    crafted = repack(app.executable, tmp_path / "crafted", edit)
    work = tmp_path / "run" / "tmp"
    work.mkdir(parents=True)
    outside = tmp_path / "run" / "outside"
    outside.mkdir()
    result = subprocess.run(
        [str(crafted), "lazy"], env=_env(work), capture_output=True, text=True, timeout=60
    )
    line = _one_damage_line(result, crafted)
    assert "symbolic link m points outside the top directory, through another link" in line
    assert result.stdout == ""  # refused before the app ran
    assert list(outside.iterdir()) == [] and list(work.iterdir()) == []


def test_file_below_a_link_is_never_written_through_it(app: FrozenApp, tmp_path: Path) -> None:
    """m -> d is a fine link, but m/pwned.txt would be written through it: refused."""
    lazy = _with_lazy_row(app.executable, "pwnmod\tm/pwned.txt\n")

    def edit(items: Items) -> Items:
        return [
            *lazy(items),
            _stored("d/keep.txt", EntryKind.DATA, b"keep\n"),
            _stored("m", EntryKind.SYMLINK, b"d"),
            _stored("m/pwned.txt", EntryKind.DATA, b"pwned\n"),
        ]

    crafted = repack(app.executable, tmp_path / "crafted", edit)
    result = subprocess.run(
        [str(crafted), "lazy"], env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    line = _one_damage_line(result, crafted)
    assert "entry m/pwned.txt" in line and "passes through a symbolic link" in line
    assert [p.name for p in tmp_path.iterdir()] == ["crafted"]


def test_huge_declared_size_is_refused_before_allocating(app: FrozenApp, tmp_path: Path) -> None:
    """An entry claiming 8 GiB from a few KB of zstd: refused under a 1 GiB address limit."""
    import resource

    def edit(items: Items) -> Items:
        done = []
        for entry, stored in items:
            if entry.kind is EntryKind.SCRIPT:
                entry = replace(entry, compression=Compression.ZSTD, raw_size=8 << 30)
            done.append((entry, stored))
        return done

    crafted = repack(app.executable, tmp_path / "crafted", edit)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    result = subprocess.run(
        [str(crafted)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
    )
    line = _one_damage_line(result, crafted)
    assert "cannot come from" in line
    assert [p.name for p in tmp_path.iterdir()] == ["crafted"]


def test_file_size_limit_gives_one_line_and_no_leftovers(app: FrozenApp, tmp_path: Path) -> None:
    """`ulimit -f` (SIGXFSZ by default) while unpacking: one line, nothing left behind."""
    result = subprocess.run(
        ["/bin/sh", "-c", f"ulimit -f 512; exec '{app.executable}'"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr.startswith(f"freezekit: cannot start {app.executable}: cannot write ")
    assert "File too large" in result.stderr and "free some disk space" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", [0.0, 0.5, 0.999])
def test_zeroed_block_is_refused_before_the_app_runs(
    app: FrozenApp, tmp_path: Path, where: float
) -> None:
    trailer = open_archive(app.executable).trailer
    blob = bytearray(app.executable.read_bytes())
    start = trailer.pkg_offset + int(where * (trailer.pkg_length - 4096))
    blob[start : start + 4096] = bytes(4096)
    broken = tmp_path / "broken"
    broken.write_bytes(bytes(blob))
    broken.chmod(0o755)
    work = tmp_path / "tmp"
    work.mkdir()
    result = subprocess.run(
        [str(broken)], env=_env(work), capture_output=True, text=True, timeout=60
    )
    line = _one_damage_line(result, broken)
    assert result.stdout == "" and list(work.iterdir()) == []
    assert "checksum mismatch" in line


@pytest.mark.parametrize("target", ["libpython", "lazy"])
def test_file_damaged_while_the_digest_runs_is_never_used(
    app: FrozenApp, tmp_path: Path, target: str
) -> None:
    # temp mode checks the payload digest on the extraction workers while the files decode
    # (their frame checksums skipped): one byte changed inside a frame unpacked at start
    # (libpython) or in one never unpacked at start (a lazy file) is refused by the digest,
    # as its own line, before the app runs, and the private folder is gone
    archive = open_archive(app.executable)
    lazy = read_entry(archive, archive.of_kind(EntryKind.LAZY)[0]).decode()
    names = {
        "libpython": archive.trailer.libpython,
        "lazy": next(row.split("\t")[1] for row in lazy.splitlines() if "\t" in row),
    }
    entry = archive.entry(names[target])
    assert entry.compression is Compression.ZSTD and entry.stored_size > 4096
    blob = bytearray(app.executable.read_bytes())
    blob[archive.trailer.pkg_offset + entry.data_offset + entry.stored_size * 3 // 4] ^= 0x40
    broken = tmp_path / "broken"
    broken.write_bytes(bytes(blob))
    broken.chmod(0o755)
    work = tmp_path / "tmp"
    work.mkdir()
    result = subprocess.run(
        [str(broken)], env=_env(work), capture_output=True, text=True, timeout=60
    )
    line = _one_damage_line(result, broken)
    assert "payload checksum mismatch" in line
    assert result.stdout == "" and list(work.iterdir()) == []


def test_damage_found_by_the_python_part_is_one_line(app: FrozenApp, tmp_path: Path) -> None:
    """A damaged PYZ index under a consistent payload digest: the bootstrap's error is the
    same one line, without a traceback."""

    def edit(items: Items) -> Items:
        done = []
        for entry, stored in items:
            if entry.kind is EntryKind.PYZ:
                header = fmt.PYZ_HEADER_STRUCT.unpack_from(stored)
                index_offset = header[3]
                damaged = bytearray(stored)
                damaged[index_offset + 40 : index_offset + 48] = b"\xff" * 8
                stored = bytes(damaged)
                entry = replace(entry, crc32=fmt.crc32(stored), raw_size=len(stored))
            done.append((entry, stored))
        return done

    crafted = repack(app.executable, tmp_path / "crafted", edit)
    work = tmp_path / "tmp"
    work.mkdir()
    result = subprocess.run(
        [str(crafted)], env=_env(work), capture_output=True, text=True, timeout=60
    )
    line = _one_damage_line(result, crafted)
    assert "PYZ index checksum mismatch" in line
    assert result.stdout == "" and list(work.iterdir()) == []


def _cache_folder(tmp_path: Path) -> Path:
    (folder,) = (tmp_path / "cache" / "freezekit").iterdir()
    return folder


@pytest.mark.parametrize("damage", ["delete", "truncate", "resize", "marker"])
def test_cache_folder_repairs_itself(cached: FrozenApp, tmp_path: Path, damage: str) -> None:
    env = _env(tmp_path, XDG_CACHE_HOME=str(tmp_path / "cache"))
    first = cached.run(env=env)
    assert (first.returncode, first.stdout) == (0, "hardening ok\n"), first.stderr
    folder = _cache_folder(tmp_path)
    assert (folder / ".freezekit-complete").is_file()
    victim = next(p for p in sorted(folder.rglob("*.so*")) if p.is_file() and not p.is_symlink())
    size = victim.stat().st_size
    if damage == "delete":
        victim.unlink()
    elif damage == "truncate":
        os.truncate(victim, size // 2)
    elif damage == "resize":  # same size, other bytes: caught by the change time
        victim.chmod(0o644)
        victim.write_bytes(b"\0" * size)
    else:
        (folder / ".freezekit-complete").unlink()
    again = cached.run(env=env)
    assert (again.returncode, again.stdout, again.stderr) == (0, "hardening ok\n", "")
    assert _cache_folder(tmp_path) == folder  # same name, repaired in place; the old one swept
    assert victim.stat().st_size == size
    if damage == "resize":
        assert victim.read_bytes() != b"\0" * size


def test_cache_folder_that_cannot_be_replaced_is_named(cached: FrozenApp, tmp_path: Path) -> None:
    env = _env(tmp_path, XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert cached.run(env=env).returncode == 0
    folder = _cache_folder(tmp_path)
    (folder / ".freezekit-complete").unlink()
    root = folder.parent
    root.chmod(0o500)  # the folder cannot be moved aside nor a new one made
    try:
        if os.geteuid() == 0:
            pytest.skip("root ignores folder permissions")
        result = cached.run(env=env)
    finally:
        root.chmod(0o700)
    assert result.returncode == 1
    assert f"delete the folder {folder}" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_warm_cache_start_checks_a_changed_executable_again(
    cached: FrozenApp, tmp_path: Path
) -> None:
    """A warm cache-mode start skips the payload digest only for the very executable that
    passed it (the stamp in the folder names its path, size, change time and digest): a
    damaged copy, and the same file damaged in place, are checked again and refused in one
    line before the app runs, while the intact one keeps starting."""
    env = _env(tmp_path, XDG_CACHE_HOME=str(tmp_path / "cache"))
    exe = tmp_path / "app" / "hardening_app"
    exe.parent.mkdir()
    exe.write_bytes(cached.executable.read_bytes())
    exe.chmod(0o755)

    def start(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(path)], env=env, capture_output=True, text=True, timeout=60)

    assert (start(exe).returncode, start(exe).stdout) == (0, "hardening ok\n")
    folder = _cache_folder(tmp_path)
    (stamp,) = folder.glob(".freezekit-verified-*")
    assert start(exe).stdout == "hardening ok\n" and list(folder.glob(".freezekit-v*")) == [stamp]

    archive = open_archive(exe)
    pyz = archive.entry("PYZ", EntryKind.PYZ)
    spot = archive.trailer.pkg_offset + pyz.data_offset + pyz.stored_size // 2
    damaged = bytearray(exe.read_bytes())
    damaged[spot] ^= 0x55
    copy = tmp_path / "copy"
    copy.write_bytes(bytes(damaged))
    copy.chmod(0o755)
    result = start(copy)
    assert "payload checksum mismatch" in _one_damage_line(result, copy) and result.stdout == ""

    with open(exe, "r+b") as stream:  # in place: same path and size, a new change time
        stream.seek(spot)
        stream.write(bytes([damaged[spot]]))
    result = start(exe)
    assert "payload checksum mismatch" in _one_damage_line(result, exe) and result.stdout == ""
    assert list(folder.glob(".freezekit-v*")) == [stamp]


def test_kill_9_of_a_onefile_app_leaves_no_process_and_no_folder(
    app: FrozenApp, tmp_path: Path
) -> None:
    with subprocess.Popen(
        [str(app.executable), "sleep"], stdout=subprocess.PIPE, text=True, env=_env(tmp_path)
    ) as proc:
        assert proc.stdout is not None
        top, pid = proc.stdout.readline().split()
        assert int(pid) == proc.pid  # Linux, macOS: the app runs in the launcher's process
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    for _ in range(200):  # the watchdog removes the folder once the process is gone
        if not Path(top).exists():
            break
        time.sleep(0.05)
    assert list(tmp_path.iterdir()) == []
