"""Publish a frozen app per cell: a deterministic archive, SHA256SUMS and manifest.json.

``<name>-<version>-<os>-<arch>-py<XY>.tar.gz`` (``.zip`` for Windows cells). Archives keep
symbolic links as links, sort their entries, and carry no user names, owners or clock times:
every time is SOURCE_DATE_EPOCH (or 1980-01-01), so two runs give the same bytes.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import re
import stat
import subprocess
import tarfile
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from freezekit import __version__
from freezekit.errors import PublishError, SmokeError
from freezekit.platforms import Os
from freezekit.platforms.executables import BinaryKind, identify, identify_file, mismatch
from freezekit.release.matrix import Cell

logger = logging.getLogger(__name__)

DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can hold
MANIFEST_SCHEMA = 1
MANIFEST = "manifest.json"
SHA256SUMS = "SHA256SUMS"
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")


class ProbeOutcome(Protocol):
    """What a smoke probe reports (freezekit.smoke's ProbeResult has these attributes)."""

    @property
    def probe(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def detail(self) -> str: ...


@dataclass(frozen=True, kw_only=True)
class PublishedCell:
    archive: Path
    sums: Path
    manifest: Path
    sha256: str
    size: int
    sbom: Path | None = None


def artifact_name(app: str, version: str, cell: Cell) -> str:
    """``hello-1.0.0-linux-x86_64-py312.tar.gz``; ``.zip`` for Windows cells."""
    if not _VERSION.match(version):
        raise PublishError(
            f"version {version!r} cannot be part of a file name", hint="use e.g. 1.2.3"
        )
    suffix = ".zip" if cell.os is Os.WINDOWS else ".tar.gz"
    return f"{app}-{version}-{cell.os.value}-{cell.arch}-{cell.python_tag}{suffix}"


def source_date_epoch(env: Mapping[str, str] | None = None) -> int:
    """SOURCE_DATE_EPOCH when set, else 1980-01-01; never earlier than 1980 (zip's limit)."""
    env = os.environ if env is None else env
    value = env.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return DEFAULT_EPOCH
    try:
        return max(int(value), DEFAULT_EPOCH)
    except ValueError:
        raise PublishError(
            f"SOURCE_DATE_EPOCH is {value!r}",
            hint="set it to whole seconds since 1970, or unset it",
        ) from None


def _walk(root: Path) -> Iterator[Path]:
    """root, then everything below it, sorted by name; symbolic links are not followed."""
    yield root
    if root.is_dir() and not root.is_symlink():
        for child in sorted(root.iterdir(), key=lambda p: p.name):
            yield from _walk(child)


def _mode(path: Path) -> int:
    """0755 for folders and executables, 0644 for the rest: no umask differences."""
    st = path.lstat()
    if stat.S_ISDIR(st.st_mode) or st.st_mode & 0o111:
        return 0o755
    return 0o644


def _entries(source: Path, arcname: str) -> Iterator[tuple[str, Path]]:
    for path in _walk(source):
        rel = path.relative_to(source).as_posix()
        if path.is_symlink():
            _check_link(path, source)
        yield (arcname if rel == "." else f"{arcname}/{rel}"), path


def _check_link(link: Path, source: Path) -> None:
    """A link must be relative and stay inside the published tree."""
    target = os.readlink(link)
    inside = os.path.normpath(os.path.join(os.path.dirname(link), target))
    root = os.path.normpath(source if source.is_dir() else source.parent)
    if os.path.isabs(target) or os.path.commonpath([root, inside]) != root:
        raise PublishError(
            f"symbolic link {link} -> {target} points outside {source}",
            hint="bundle the file itself, or make the link relative inside the app",
        )


@contextlib.contextmanager
def _partial(dest: Path) -> Iterator[Path]:
    """Write to ``dest.partial``; rename on success, delete on failure."""
    partial = dest.with_name(dest.name + ".partial")
    try:
        yield partial
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)


def _tar_add(tar: tarfile.TarFile, name: str, path: Path, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
    if path.is_symlink():
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, os.readlink(path), 0o777
        tar.addfile(info)
    elif path.is_dir():
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
    else:
        info.size, info.mode = path.stat().st_size, _mode(path)
        with path.open("rb") as data:
            tar.addfile(info, data)


def write_tar_gz(source: Path, dest: Path, *, arcname: str, mtime: int) -> None:
    """A deterministic .tar.gz of ``source`` (a folder or one file) under ``arcname``."""
    with (
        _partial(dest) as partial,
        partial.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, path in _entries(source, arcname):
            _tar_add(tar, name, path, mtime)


def write_zip(source: Path, dest: Path, *, arcname: str, mtime: int) -> None:
    """A deterministic .zip; symbolic links are stored as links (S_IFLNK in external_attr)."""
    date_time = time.gmtime(max(mtime, DEFAULT_EPOCH))[:6]
    with _partial(dest) as partial, zipfile.ZipFile(partial, "w") as archive:
        for name, path in _entries(source, arcname):
            if path.is_symlink():
                info = zipfile.ZipInfo(name, date_time)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                data = os.readlink(path).encode("utf-8")
            elif path.is_dir():
                info = zipfile.ZipInfo(name + "/", date_time)
                info.external_attr = ((stat.S_IFDIR | 0o755) << 16) | 0x10  # MS-DOS directory bit
                data = b""
            else:
                info = zipfile.ZipInfo(name, date_time)
                info.external_attr = (stat.S_IFREG | _mode(path)) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                data = path.read_bytes()
            info.create_system = 3  # unix: unzip and Python honour the mode bits
            archive.writestr(info, data, compresslevel=9 if data else None)


def write_archive(source: Path, dest: Path, *, arcname: str, mtime: int) -> None:
    if dest.name.endswith(".zip"):
        write_zip(source, dest, arcname=arcname, mtime=mtime)
    elif dest.name.endswith(".tar.gz"):
        write_tar_gz(source, dest, arcname=arcname, mtime=mtime)
    else:
        raise PublishError(f"unknown archive type for {dest.name}", hint="use .zip or .tar.gz")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_sha256sums(files: Sequence[Path], dest: Path) -> Path:
    """``<hex>  <name>`` lines, sorted by name, names relative to dest's folder (sha256sum -c)."""
    lines = []
    for path in sorted(files, key=lambda p: p.name):
        if path.parent.resolve() != dest.parent.resolve():
            raise PublishError(
                f"{path} is not next to {dest}", hint="gather the files in one folder"
            )
        lines.append(f"{sha256_file(path)}  {path.name}\n")
    with _partial(dest) as partial:
        partial.write_text("".join(lines), encoding="utf-8", newline="\n")
    return dest


def git_commit(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> str | None:
    """GITHUB_SHA in Actions, else ``git rev-parse HEAD``; None outside a checkout."""
    env = os.environ if env is None else env
    if env.get("GITHUB_SHA"):
        return env["GITHUB_SHA"]
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return proc.stdout.strip() or None


def content_size(source: Path) -> tuple[int, int]:
    """(bytes, files) of a folder or one file; links count as their target text."""
    total = count = 0
    for path in _walk(source):
        if path.is_symlink():
            total, count = total + len(os.readlink(path)), count + 1
        elif path.is_file():
            total, count = total + path.stat().st_size, count + 1
    return total, count


def build_manifest(
    *,
    app: str,
    version: str,
    cell: Cell,
    python_version: str,
    archive: Path,
    sha256: str,
    content: tuple[int, int],
    smoke: Sequence[ProbeOutcome],
    commit: str | None,
    epoch: int,
    binary: Mapping[str, object] | None = None,
    checks: Sequence[ProbeOutcome] = (),
    sbom: Path | None = None,
) -> dict[str, object]:
    return {
        "binary": dict(binary or {}),
        "schema": MANIFEST_SCHEMA,
        "app": app,
        "version": version,
        "cell": cell.to_dict(),
        "python": python_version,
        "freezekit": __version__,
        "commit": commit,
        "source_date_epoch": epoch,
        "artifact": {"name": archive.name, "size": archive.stat().st_size, "sha256": sha256},
        "content": {"size": content[0], "files": content[1]},
        "smoke": [_outcome("probe", r) for r in smoke],
        "checks": [_outcome("check", r) for r in checks],
        "sbom": None if sbom is None else {"name": sbom.name, "sha256": sha256_file(sbom)},
    }


def _outcome(key: str, result: ProbeOutcome) -> dict[str, object]:
    """A probe's or check's result for the manifest. Details of passing ones (timings, the
    build folder's path) stay in the log: the manifest is the same in every clean run."""
    status = str(getattr(result, "status", "ok" if result.ok else "failed"))
    entry: dict[str, object] = {key: result.probe, "ok": bool(result.ok), "status": status}
    if status != "ok":
        entry["detail"] = result.detail
    return entry


def dump_json(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def executable_member(output: Path, executable: Path) -> str:
    """The executable's name inside the published archive (whose top entry is output.name)."""
    if executable == output:
        return output.name
    try:
        rel = executable.relative_to(output)
    except ValueError:
        raise PublishError(f"the executable {executable} is not inside {output}") from None
    return f"{output.name}/{rel.as_posix()}"


def check_cell_binary(kind: BinaryKind | None, cell: Cell, where: str) -> BinaryKind:
    """``kind`` must be the cell's OS, machine and bitness; else one line naming ``where``."""
    wrong = mismatch(kind, os_=cell.os, arch=cell.arch, bits=cell.bits)
    if wrong is not None or kind is None:
        raise PublishError(
            f"cell {cell.name}: {where} is {wrong}, not a {cell.os.value} {cell.arch} "
            f"({cell.bits}-bit) one",
            hint="nothing was published; freeze this cell with the cell's own interpreter "
            "(or its cross path)",
        )
    return kind


def publish_cell(
    output: Path,
    *,
    executable: Path,
    app: str,
    version: str,
    cell: Cell,
    python_version: str,
    smoke: Sequence[ProbeOutcome],
    out_dir: Path,
    commit: str | None = None,
    env: Mapping[str, str] | None = None,
    checks: Sequence[ProbeOutcome] = (),
    library_sources: Mapping[str, str] | None = None,
) -> PublishedCell:
    """Archive ``output`` (dist/app or the onefile) into out_dir with its SBOM, SHA256SUMS and
    manifest.json.

    A failed smoke probe or app check publishes nothing, nor does an ``executable`` (inside
    ``output``) that is not built for the cell's OS, machine and bitness; its kind, the probes'
    and the checks' results go in the manifest.
    """
    failed = [r for r in smoke if not r.ok]
    if failed:
        raise SmokeError(
            f"cell {cell.name}: smoke probe {failed[0].probe} failed: {failed[0].detail}",
            hint="nothing was published for this cell; fix the app or the probe and freeze again",
        )
    failed = [r for r in checks if not r.ok]
    if failed:
        raise SmokeError(
            f"cell {cell.name}: {failed[0].probe} failed: {failed[0].detail}",
            hint="nothing was published for this cell; the app's own check failed on the "
            "frozen executable: fix the app (or the check) and freeze again",
        )
    if not (output.exists() or output.is_symlink()):
        raise PublishError(f"frozen output {output} does not exist", hint="freeze the app first")
    member = executable_member(output, executable)
    kind = check_cell_binary(identify_file(executable), cell, str(executable))
    out_dir.mkdir(parents=True, exist_ok=True)
    epoch = source_date_epoch(env)
    archive = out_dir / artifact_name(app, version, cell)
    write_archive(output, archive, arcname=output.name, mtime=epoch)
    sha256 = sha256_file(archive)
    sbom = write_cell_sbom(
        output,
        archive,
        app=app,
        version=version,
        python_version=python_version,
        sha256=sha256,
        epoch=epoch,
        library_sources=library_sources,
    )
    manifest = build_manifest(
        app=app,
        version=version,
        cell=cell,
        python_version=python_version,
        archive=archive,
        sha256=sha256,
        content=content_size(output),
        smoke=smoke,
        commit=commit,
        epoch=epoch,
        binary={"member": member, **kind.to_dict()},
        checks=checks,
        sbom=sbom,
    )
    manifest_path = out_dir / MANIFEST
    with _partial(manifest_path) as partial:
        partial.write_text(dump_json(manifest), encoding="utf-8", newline="\n")
    sums = write_sha256sums([archive, sbom, manifest_path], out_dir / SHA256SUMS)
    logger.info("published %s (%d bytes, sha256 %s)", archive.name, archive.stat().st_size, sha256)
    return PublishedCell(
        archive=archive,
        sums=sums,
        manifest=manifest_path,
        sha256=sha256,
        size=archive.stat().st_size,
        sbom=sbom,
    )


def write_cell_sbom(
    output: Path,
    archive: Path,
    *,
    app: str,
    version: str,
    python_version: str,
    sha256: str,
    epoch: int,
    library_sources: Mapping[str, str] | None,
) -> Path:
    """The CycloneDX SBOM beside ``archive``, read from the frozen ``output``; when it cannot be
    written the archive is removed too (nothing half-published)."""
    from freezekit.inspect.inventory import read_inventory
    from freezekit.inspect.sbom import build_sbom, sbom_path

    dest = sbom_path(archive)
    try:
        text = build_sbom(
            read_inventory(output, strict=False),
            app=app,
            version=version,
            python_version=python_version,
            archive_sha256=sha256,
            epoch=epoch,
            library_sources=library_sources,
        )
        with _partial(dest) as partial:
            partial.write_text(text, encoding="utf-8", newline="\n")
    except BaseException:
        archive.unlink(missing_ok=True)
        raise
    return dest


def read_manifest(path: Path) -> dict[str, object]:
    """Parse and check a cell manifest; errors name the file and the key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PublishError(f"cannot read manifest {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != MANIFEST_SCHEMA:
        raise PublishError(f"{path}: not a freezekit manifest (schema {MANIFEST_SCHEMA})")
    for key, kind in (
        ("app", str),
        ("version", str),
        ("cell", dict),
        ("artifact", dict),
        ("smoke", list),
    ):
        if not isinstance(data.get(key), kind):
            raise PublishError(f"{path}: key {key!r} missing or not a {kind.__name__}")
    cell, artifact = data["cell"], data["artifact"]
    assert isinstance(cell, dict) and isinstance(artifact, dict)
    if not isinstance(cell.get("name"), str):
        raise PublishError(f"{path}: key 'cell.name' missing")
    for key in ("name", "sha256"):
        if not isinstance(artifact.get(key), str):
            raise PublishError(f"{path}: key 'artifact.{key}' missing")
    return data


@dataclass(frozen=True, kw_only=True)
class Release:
    out_dir: Path
    archives: tuple[Path, ...]
    sums: Path
    manifest: Path
    notes: Path
    sboms: tuple[Path, ...] = ()
    missing: tuple[str, ...]  # declared cells with no artifact
    failed: tuple[str, ...]  # cells whose smoke probes failed (left out)


def _collect_manifests(
    source: Path, version: str, out_dir: Path
) -> dict[str, tuple[Path, dict[str, object]]]:
    found: dict[str, tuple[Path, dict[str, object]]] = {}
    for path in sorted(source.rglob(MANIFEST)):
        if path.resolve().is_relative_to(out_dir.resolve()):
            continue  # the release folder itself, from an earlier run
        data = read_manifest(path)
        if data["version"] != version:
            raise PublishError(
                f"{path} is for version {data['version']}, not {version}",
                hint="remove stale artifacts from the folder",
            )
        cell = data["cell"]
        assert isinstance(cell, dict)
        name = str(cell["name"])
        if name in found:
            raise PublishError(f"cell {name} has two artifacts: {found[name][0]} and {path}")
        found[name] = (path, data)
    return found


def _checked_archive(manifest_path: Path, data: Mapping[str, object]) -> Path:
    artifact = data["artifact"]
    assert isinstance(artifact, dict)
    archive = manifest_path.parent / str(artifact["name"])
    if not archive.is_file():
        raise PublishError(f"{manifest_path} names {archive.name}, which is not next to it")
    if sha256_file(archive) != artifact["sha256"]:
        raise PublishError(
            f"{archive} does not match the sha256 in {manifest_path}",
            hint="the download is damaged or mixed up; fetch the artifacts again",
        )
    return archive


def _archive_head(archive: Path, member: str) -> bytes | None:
    """The first bytes of ``member`` of a published .zip or .tar.gz; None when it is missing."""
    size = 4096
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zipped, zipped.open(member) as handle:
                return handle.read(size)
        with tarfile.open(archive, "r:gz") as tar:
            stream = tar.extractfile(member)
            return None if stream is None else stream.read(size)
    except (KeyError, OSError, zipfile.BadZipFile, tarfile.TarError):
        return None


def check_archived_binary(archive: Path, data: Mapping[str, object], cell: Cell) -> None:
    """The executable a manifest names, read from the archive, is built for ``cell``."""
    recorded = data.get("cell")
    if not isinstance(recorded, dict) or (
        recorded.get("os"),
        recorded.get("arch"),
        recorded.get("bits"),
    ) != (cell.os.value, cell.arch, cell.bits):
        raise PublishError(f"{archive.name}: its manifest does not describe cell {cell.name}")
    binary = data.get("binary")
    member = binary.get("member") if isinstance(binary, dict) else None
    if not isinstance(member, str) or not member:
        raise PublishError(
            f"{archive.name}: its manifest names no executable, so its platform cannot be checked",
            hint="publish the cell again with this freezekit",
        )
    head = _archive_head(archive, member)
    if head is None:
        raise PublishError(
            f"{archive.name}: the executable {member} named by its manifest is not in it"
        )
    check_cell_binary(identify(head), cell, f"{member} in {archive.name}")


def _smoke_ok(data: Mapping[str, object]) -> bool:
    smoke = data["smoke"]
    checks = data.get("checks") or []
    assert isinstance(smoke, list) and isinstance(checks, list)
    return bool(smoke) and all(
        isinstance(r, dict) and r.get("ok") is True for r in [*smoke, *checks]
    )


def _checked_sbom(manifest_path: Path, data: Mapping[str, object]) -> Path | None:
    """The SBOM a manifest names (None for manifests written before SBOMs), checked."""
    sbom = data.get("sbom")
    if not isinstance(sbom, dict):
        return None
    path = manifest_path.parent / str(sbom["name"])
    if not path.is_file() or sha256_file(path) != sbom.get("sha256"):
        raise PublishError(
            f"{path} is missing or does not match the sha256 in {manifest_path}",
            hint="the download is damaged or mixed up; fetch the artifacts again",
        )
    return path


def _copy(path: Path, out_dir: Path) -> Path:
    copy = out_dir / path.name
    with _partial(copy) as partial:
        partial.write_bytes(path.read_bytes())
    return copy


def gather_release(
    source: Path,
    out_dir: Path,
    *,
    version: str,
    cells: Sequence[Cell],
    allow_missing: bool = False,
    commit: str | None = None,
) -> Release:
    """Collect every cell's artifact from ``source`` into ``out_dir`` with SHA256SUMS and notes.

    Refuses when a declared cell has no artifact or failed its smoke probes, unless
    ``allow_missing`` (then those cells are left out and named in the notes).
    """
    found = _collect_manifests(source, version, out_dir)
    declared = {cell.name for cell in cells}
    unknown = sorted(set(found) - declared)
    if unknown:
        raise PublishError(
            f"artifact for undeclared cell {unknown[0]} in {source}",
            hint="declare it in matrix/cells.toml or remove it",
        )
    missing = tuple(cell.name for cell in cells if cell.name not in found)
    failed = tuple(name for name in sorted(found) if not _smoke_ok(found[name][1]))
    if (missing or failed) and not allow_missing:
        what = [f"missing: {', '.join(missing)}"] if missing else []
        what += [f"smoke failed: {', '.join(failed)}"] if failed else []
        raise PublishError(
            f"release {version} is incomplete ({'; '.join(what)})",
            hint="rerun those cells, or pass --allow-missing to release without them",
        )
    checked: list[tuple[Path, dict[str, object]]] = []
    sboms: list[Path] = []
    for cell in cells:  # every artifact is checked before anything is written
        if cell.name not in found or cell.name in failed:
            continue
        manifest_path, data = found[cell.name]
        archive = _checked_archive(manifest_path, data)
        check_archived_binary(archive, data, cell)
        checked.append((archive, data))
        sbom = _checked_sbom(manifest_path, data)
        if sbom is not None:
            sboms.append(sbom)
    out_dir.mkdir(parents=True, exist_ok=True)
    archives: list[Path] = []
    entries: list[dict[str, object]] = []
    for archive, data in checked:
        archives.append(_copy(archive, out_dir))
        entries.append(data)
    sbom_copies = [_copy(sbom, out_dir) for sbom in sboms]
    manifest = out_dir / MANIFEST
    release = {
        "schema": MANIFEST_SCHEMA,
        "version": version,
        "commit": commit,
        "freezekit": __version__,
        "cells": entries,
        "missing": list(missing),
        "failed": list(failed),
    }
    with _partial(manifest) as partial:
        partial.write_text(dump_json(release), encoding="utf-8", newline="\n")
    sums = write_sha256sums([*archives, *sbom_copies, manifest], out_dir / SHA256SUMS)
    notes = out_dir / "RELEASE_NOTES.md"
    with _partial(notes) as partial:
        partial.write_text(
            render_release_notes(version, entries, missing, failed), encoding="utf-8"
        )
    return Release(
        out_dir=out_dir,
        archives=tuple(archives),
        sboms=tuple(sbom_copies),
        sums=sums,
        manifest=manifest,
        notes=notes,
        missing=missing,
        failed=failed,
    )


def upload_command(release_dir: Path, *, tag: str, version: str) -> list[str]:
    """``gh release create`` for a gathered release, after checking it is the one for ``version``
    and that every file still matches SHA256SUMS (nothing is gathered again here)."""
    manifest = release_dir / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PublishError(
            f"no gathered release in {release_dir} ({exc})",
            hint="run `nox -s release -- VERSION --from DIR` first",
        ) from exc
    if data.get("version") != version:
        raise PublishError(
            f"{manifest} is release {data.get('version')}, not {version}",
            hint="gather this version first",
        )
    files = []
    for line in (release_dir / SHA256SUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = release_dir / name
        if not path.is_file() or sha256_file(path) != digest:
            raise PublishError(
                f"{path} is missing or does not match {release_dir / SHA256SUMS}",
                hint="gather the release again; nothing was uploaded",
            )
        files.append(str(path))
    files.append(str(release_dir / SHA256SUMS))
    notes = release_dir / "RELEASE_NOTES.md"
    return [
        "gh",
        "release",
        "create",
        tag,
        *files,
        "--verify-tag",
        "--title",
        f"{tag}",
        "--notes-file",
        str(notes),
    ]


def render_release_notes(
    version: str,
    entries: Sequence[Mapping[str, object]],
    missing: Sequence[str],
    failed: Sequence[str],
) -> str:
    lines = [
        f"## Downloads for {version}",
        "",
        "| platform | Python | file | size | sha256 |",
        "|---|---|---|---|---|",
    ]
    for data in entries:
        cell, artifact = data["cell"], data["artifact"]
        assert isinstance(cell, dict) and isinstance(artifact, dict)
        lines.append(
            f"| {cell['os']} {cell['arch']} | {data.get('python', cell['python'])} | "
            f"`{artifact['name']}` | {int(artifact['size']) / 1e6:.1f} MB | "
            f"`{str(artifact['sha256'])[:16]}...` |"
        )
    lines += ["", "Verify a download with `sha256sum -c SHA256SUMS --ignore-missing`."]
    if missing or failed:
        lines += ["", "Not in this release:"]
        lines += [f"- {name}: no artifact" for name in missing]
        lines += [f"- {name}: smoke probes failed" for name in failed]
    return "\n".join(lines) + "\n"
