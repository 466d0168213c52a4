"""Per-cell archives: names, determinism, symlinks, manifest, SHA256SUMS, release gathering."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from freezekit.errors import PublishError, SmokeError
from freezekit.release.matrix import find_cell, load_matrix
from freezekit.release.publish import (
    DEFAULT_EPOCH,
    artifact_name,
    gather_release,
    publish_cell,
    read_manifest,
    source_date_epoch,
)

LINUX = find_cell("linux-x86_64-3.12", load_matrix())
WINDOWS = find_cell("windows-i686-3.11", load_matrix())
BINARIES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"
# a real executable of each cell's OS and machine (tests/fixtures/binaries/make_binaries.sh)
PROGRAM = {LINUX.name: BINARIES / "libfkelf.so", WINDOWS.name: BINARIES / "fkmain32.exe"}


@dataclass(frozen=True)
class Probe:
    probe: str
    ok: bool
    detail: str


OK = [Probe("hello", True, "exit 0"), Probe("symlinks", True, "2 links")]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "src" / "hello"
    (root / "_internal" / "pkg").mkdir(parents=True)
    (root / "hello").write_bytes(b"\x7fELF bootloader")
    (root / "hello").chmod(0o755)
    (root / "_internal" / "libpython3.12.so.1.0").write_bytes(b"lib" * 100)
    os.symlink("libpython3.12.so.1.0", root / "_internal" / "libpython3.12.so")
    os.symlink("../libpython3.12.so", root / "_internal" / "pkg" / "link")
    return root


def _publish(app: Path, out: Path, cell=LINUX, smoke=OK, env=None):  # type: ignore[no-untyped-def]
    exe = app if not app.is_dir() else app / "hello"
    exe.write_bytes(PROGRAM[cell.name].read_bytes())  # the program the cell built
    return publish_cell(
        app,
        executable=exe,
        app="hello",
        version="1.2.3",
        cell=cell,
        python_version="3.12.1",
        smoke=smoke,
        out_dir=out,
        commit="0" * 40,
        env=env or {},
    )


def test_publish_artifact_names() -> None:
    assert artifact_name("hello", "1.2.3", LINUX) == "hello-1.2.3-linux-x86_64-py312.tar.gz"
    assert artifact_name("hello", "1.2.3", WINDOWS) == "hello-1.2.3-windows-i686-py311.zip"
    with pytest.raises(PublishError, match="cannot be part of a file name"):
        artifact_name("hello", "1/2", LINUX)


def test_publish_source_date_epoch() -> None:
    assert source_date_epoch({}) == DEFAULT_EPOCH
    assert source_date_epoch({"SOURCE_DATE_EPOCH": "1700000000"}) == 1700000000
    assert source_date_epoch({"SOURCE_DATE_EPOCH": "5"}) == DEFAULT_EPOCH  # zip cannot go earlier
    with pytest.raises(PublishError, match="SOURCE_DATE_EPOCH is 'soon'"):
        source_date_epoch({"SOURCE_DATE_EPOCH": "soon"})


@pytest.mark.parametrize("cell", [LINUX, WINDOWS], ids=["tar", "zip"])
def test_publish_is_deterministic(app: Path, tmp_path: Path, cell) -> None:  # type: ignore[no-untyped-def]
    first = _publish(app, tmp_path / "one", cell)
    os.utime(app / "hello", (2_000_000_000, 2_000_000_000))  # the clock must not matter
    second = _publish(app, tmp_path / "two", cell)
    assert first.archive.read_bytes() == second.archive.read_bytes()
    assert first.manifest.read_bytes() == second.manifest.read_bytes()


def test_publish_tar_keeps_symlinks_and_hides_owners(app: Path, tmp_path: Path) -> None:
    result = _publish(app, tmp_path / "out", env={"SOURCE_DATE_EPOCH": "1700000000"})
    with tarfile.open(result.archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert list(members) == sorted(members)
    assert list(members) == [
        "hello",
        "hello/_internal",
        "hello/_internal/libpython3.12.so",
        "hello/_internal/libpython3.12.so.1.0",
        "hello/_internal/pkg",
        "hello/_internal/pkg/link",
        "hello/hello",
    ]
    link = members["hello/_internal/libpython3.12.so"]
    assert link.issym() and link.linkname == "libpython3.12.so.1.0"
    assert members["hello/_internal/pkg/link"].linkname == "../libpython3.12.so"
    assert members["hello/hello"].mode == 0o755
    assert all(
        (m.uid, m.gid, m.uname, m.gname, m.mtime) == (0, 0, "", "", 1700000000)
        for m in members.values()
    )
    assert result.archive.read_bytes()[4:8] == b"\0\0\0\0"  # gzip header mtime


def test_publish_zip_stores_symlinks_as_links(app: Path, tmp_path: Path) -> None:
    result = _publish(app, tmp_path / "out", cell=WINDOWS)
    with zipfile.ZipFile(result.archive) as archive:
        infos = {i.filename: i for i in archive.infolist()}
        link = infos["hello/_internal/libpython3.12.so"]
        assert stat.S_ISLNK(link.external_attr >> 16)
        assert archive.read(link) == b"libpython3.12.so.1.0"
        assert stat.S_IMODE(infos["hello/hello"].external_attr >> 16) == 0o755
        assert infos["hello/_internal/"].is_dir()
        assert {i.date_time for i in infos.values()} == {(1980, 1, 1, 0, 0, 0)}


def test_publish_refuses_links_out_of_the_app(app: Path, tmp_path: Path) -> None:
    os.symlink("../../outside", app / "_internal" / "escape")
    with pytest.raises(PublishError, match="points outside"):
        _publish(app, tmp_path / "out")


def test_publish_onefile_is_one_entry(tmp_path: Path) -> None:
    exe = tmp_path / "hello"
    exe.write_bytes(b"onefile")
    result = _publish(exe, tmp_path / "out")
    with tarfile.open(result.archive) as tar:
        assert tar.getnames() == ["hello"]


def test_publish_manifest_schema(app: Path, tmp_path: Path) -> None:
    result = _publish(app, tmp_path / "out")
    data = json.loads(result.manifest.read_text())
    assert set(data) == {
        "binary",
        "schema",
        "app",
        "version",
        "cell",
        "python",
        "freezekit",
        "commit",
        "source_date_epoch",
        "artifact",
        "content",
        "smoke",
        "checks",
        "sbom",
    }
    assert data["cell"]["name"] == "linux-x86_64-3.12" and data["python"] == "3.12.1"
    assert data["artifact"] == {
        "name": result.archive.name,
        "size": result.size,
        "sha256": result.sha256,
    }
    assert data["content"]["files"] == 4
    assert data["binary"] == {
        "member": "hello/hello",
        "format": "ELF",
        "machines": ["x86_64"],
        "bits": 64,
    }
    # passing probes carry no detail: timings and build paths would make manifests differ
    assert data["smoke"][0] == {"probe": "hello", "ok": True, "status": "ok"}
    assert read_manifest(result.manifest) == data


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="sha256sum (coreutils) not installed")
def test_publish_sha256sums_verified_by_sha256sum(app: Path, tmp_path: Path) -> None:
    result = _publish(app, tmp_path / "out")
    proc = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=result.sums.parent, capture_output=True, text=True
    )
    assert result.sbom is not None
    assert (proc.returncode, proc.stdout) == (
        0,
        f"{result.sbom.name}: OK\n{result.archive.name}: OK\nmanifest.json: OK\n",
    )


def test_publish_smoke_failure_publishes_nothing(app: Path, tmp_path: Path) -> None:
    with pytest.raises(SmokeError, match="smoke probe symlinks failed: copied"):
        _publish(app, tmp_path / "out", smoke=[Probe("symlinks", False, "copied")])
    assert not (tmp_path / "out").exists()


def test_publish_release_gathers_and_refuses_missing(app: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _publish(app, dist / "freeze-linux-x86_64-3.12")
    _publish(app, dist / "freeze-windows-i686-3.11", cell=WINDOWS)
    cells = [LINUX, WINDOWS, find_cell("linux-x86_64-3.13", load_matrix())]
    with pytest.raises(PublishError, match=r"incomplete \(missing: linux-x86_64-3.13\)"):
        gather_release(dist, dist / "release", version="1.2.3", cells=cells)
    result = gather_release(
        dist, dist / "release", version="1.2.3", cells=cells, allow_missing=True
    )
    assert [p.name for p in result.archives] == [
        "hello-1.2.3-linux-x86_64-py312.tar.gz",
        "hello-1.2.3-windows-i686-py311.zip",
    ]
    assert result.missing == ("linux-x86_64-3.13",)
    assert "linux-x86_64-3.13: no artifact" in result.notes.read_text()
    sums = result.sums.read_text().splitlines()
    assert [line.split("  ")[1] for line in sums] == [
        "hello-1.2.3-linux-x86_64-py312.cdx.json",
        "hello-1.2.3-linux-x86_64-py312.tar.gz",
        "hello-1.2.3-windows-i686-py311.cdx.json",
        "hello-1.2.3-windows-i686-py311.zip",
        "manifest.json",
    ]
    assert [p.name for p in result.sboms] == [
        "hello-1.2.3-linux-x86_64-py312.cdx.json",
        "hello-1.2.3-windows-i686-py311.cdx.json",
    ]
    again = gather_release(dist, dist / "release", version="1.2.3", cells=cells, allow_missing=True)
    assert again.sums.read_bytes() == result.sums.read_bytes()


def test_publish_release_rejects_damaged_artifact(app: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    published = _publish(app, dist / "freeze-linux-x86_64-3.12")
    published.archive.write_bytes(b"damaged")
    with pytest.raises(PublishError, match="does not match the sha256"):
        gather_release(dist, dist / "release", version="1.2.3", cells=[LINUX])
    with pytest.raises(PublishError, match="is for version 1.2.3, not 9.9"):
        gather_release(dist, dist / "release", version="9.9", cells=[LINUX])


def test_publish_release_refuses_failed_smoke(app: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    published = _publish(app, dist / "freeze-linux-x86_64-3.12")
    data = json.loads(published.manifest.read_text())
    data["smoke"][0]["ok"] = False
    published.manifest.write_text(json.dumps(data))
    with pytest.raises(PublishError, match="smoke failed: linux-x86_64-3.12"):
        gather_release(dist, dist / "release", version="1.2.3", cells=[LINUX])
    result = gather_release(
        dist, dist / "release", version="1.2.3", cells=[LINUX], allow_missing=True
    )
    assert result.archives == () and result.failed == ("linux-x86_64-3.12",)


def test_publish_tar_round_trips_in_memory(app: Path, tmp_path: Path) -> None:
    result = _publish(app, tmp_path / "out")
    with tarfile.open(fileobj=io.BytesIO(result.archive.read_bytes())) as tar:
        data = tar.extractfile("hello/_internal/libpython3.12.so.1.0")
        assert data is not None and data.read() == b"lib" * 100


def test_publish_onefile_records_itself_as_the_executable(tmp_path: Path) -> None:
    exe = tmp_path / "hello.exe"
    result = _publish(exe, tmp_path / "out", cell=WINDOWS)
    binary = json.loads(result.manifest.read_text())["binary"]
    assert binary == {"member": "hello.exe", "format": "PE", "machines": ["i686"], "bits": 32}


def test_publish_upload_command_checks_the_gathered_bytes(app: Path, tmp_path: Path) -> None:
    from freezekit.release.publish import upload_command

    dist = tmp_path / "dist"
    _publish(app, dist / "freeze-linux-x86_64-3.12")
    result = gather_release(dist, dist / "release", version="1.2.3", cells=[LINUX])
    command = upload_command(result.out_dir, tag="v1.2.3", version="1.2.3")
    assert command[:4] == ["gh", "release", "create", "v1.2.3"]
    uploaded = {Path(arg).name for arg in command if arg.startswith(str(result.out_dir))}
    assert uploaded == {
        "hello-1.2.3-linux-x86_64-py312.tar.gz",
        "hello-1.2.3-linux-x86_64-py312.cdx.json",
        "manifest.json",
        "SHA256SUMS",
        "RELEASE_NOTES.md",
    }
    assert "--verify-tag" in command
    with pytest.raises(PublishError, match="is release 1.2.3, not 2.0.0"):
        upload_command(result.out_dir, tag="v2.0.0", version="2.0.0")
    result.archives[0].write_bytes(b"swapped")
    with pytest.raises(PublishError, match="does not match"):
        upload_command(result.out_dir, tag="v1.2.3", version="1.2.3")
