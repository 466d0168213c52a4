"""What a frozen app holds, read from the app itself: a onedir folder (or its executable), a
onefile executable, or a published ``.tar.gz``/``.zip`` archive of either.

One reader for the release side: the SBOM (``freezekit.inspect.sbom``) lists it and
``freezekit diff`` compares two of them. Names are paths under the top directory, so a onedir
app and a onefile app of the same build have the same names.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path

from freezekit.archive.reader import Archive, open_archive, read_entry, read_pyz
from freezekit.errors import ArchiveFormatError, PublishError
from freezekit.toc import EntryKind

logger = logging.getLogger(__name__)

#: The onedir folder that holds everything but the executable (the top directory).
CONTENTS_DIR = "_internal"
_EXTENSION = re.compile(r"\.(cpython-[^.]+|abi3|cp\d+-[^.]+)\.(so|pyd)$|\.pyd$")
_LIBRARY = re.compile(r"\.(so(\.[0-9.]+)?|dll|dylib)$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Item:
    """One file under the top directory, or one module of the PYZ."""

    name: str
    kind: str  # module, extension, library, data, script
    size: int  # bytes as the app uses them (uncompressed)
    sha256: str


@dataclass(frozen=True, kw_only=True)
class Distribution:
    """A bundled distribution, from its ``.dist-info/METADATA``."""

    name: str
    version: str
    license: str | None  # an SPDX expression (License-Expression) or None when not declared
    license_text: str | None  # the free-text License field or classifiers, when no expression
    folder: str  # the .dist-info folder's name under the top directory


@dataclass(frozen=True, kw_only=True)
class Inventory:
    source: Path
    mode: str  # onedir or onefile
    python: str  # "3.12"
    libpython: str
    items: dict[str, Item] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Item]:
        return [item for name, item in sorted(self.items.items()) if item.kind == kind]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def classify(name: str) -> str:
    """extension, library or data, from a file name under the top directory."""
    base = name.rsplit("/", 1)[-1]
    if _EXTENSION.search(base):
        return "extension"
    if _LIBRARY.search(base):
        return "library"
    return "data"


def _kind_of(kind: EntryKind, name: str) -> str:
    if kind is EntryKind.EXTENSION:
        return "extension"
    if kind is EntryKind.BINARY:
        return "library" if classify(name) != "extension" else "extension"
    return "data"


def _archive_items(archive: Archive, *, files: bool) -> Iterator[Item]:
    """The PYZ modules and scripts of ``archive``; with ``files``, its file entries too."""
    for entry in archive.entries:
        if entry.kind is EntryKind.SCRIPT:
            data = read_entry(archive, entry)
            yield Item(name=entry.name, kind="script", size=len(data), sha256=_digest(data))
        elif files and entry.kind.is_file:
            data = read_entry(archive, entry)
            kind = _kind_of(entry.kind, entry.name)
            yield Item(name=entry.name, kind=kind, size=len(data), sha256=_digest(data))
    for name, (_, code) in read_pyz(archive).items():
        yield Item(name=name, kind="module", size=len(code), sha256=_digest(code))


def _folder_items(top: Path) -> Iterator[tuple[Item, Path]]:
    for root, dirs, names in os.walk(top):
        dirs.sort()
        for file_name in sorted(names):
            path = Path(root, file_name)
            if path.is_symlink() or not path.is_file():
                continue
            name = path.relative_to(top).as_posix()
            data = path.read_bytes()
            item = Item(name=name, kind=classify(name), size=len(data), sha256=_digest(data))
            yield item, path


def _parse_metadata(data: bytes, folder: str) -> Distribution:
    headers = BytesHeaderParser().parsebytes(data)
    expression = (headers.get("License-Expression") or "").strip() or None
    text: str | None = None
    if expression is None:
        declared = (headers.get("License") or "").strip()
        if declared and "\n" not in declared and len(declared) <= 100:
            text = declared
        else:
            classifiers = [
                value.split("::")[-1].strip()
                for value in headers.get_all("Classifier") or []
                if value.startswith("License ::") and value.count("::") >= 2
            ]
            text = ", ".join(classifiers) or None
    return Distribution(
        name=str(headers.get("Name") or folder.split("-")[0]),
        version=str(headers.get("Version") or ""),
        license=expression,
        license_text=text,
        folder=folder,
    )


def _metadata_name(name: str) -> str | None:
    parts = name.split("/")
    if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
        return parts[0]
    return None


def _read_app(path: Path, source: Path, *, strict: bool) -> Inventory:
    given = path
    if path.is_dir():
        exe = next((p for p in (path / path.name, path / f"{path.name}.exe") if p.is_file()), None)
        if exe is None:
            raise PublishError(
                f"{source}: no executable named {path.name} in the folder",
                hint="give a onedir folder as freezekit wrote it, or its executable",
            )
        path = exe
    top = path.parent / CONTENTS_DIR
    try:
        archive = open_archive(path)
    except ArchiveFormatError:
        if strict:
            raise
        logger.warning("%s holds no freezekit archive: listing its files only", path)
        return _files_only(given, source)
    onedir = top.is_dir() and not any(e.kind.is_file for e in archive.entries)
    inventory = Inventory(
        source=source,
        mode="onedir" if onedir else "onefile",
        python=f"{archive.trailer.py_major}.{archive.trailer.py_minor}",
        libpython=archive.trailer.libpython,
    )
    metadata: dict[str, bytes] = {}
    for item in _archive_items(archive, files=not onedir):
        inventory.items[item.name] = item
    if onedir:
        for item, file in _folder_items(top):
            inventory.items[item.name] = item
            if _metadata_name(item.name):
                metadata[item.name] = file.read_bytes()
    else:
        for entry in archive.entries:
            if entry.kind.is_file and _metadata_name(entry.name):
                metadata[entry.name] = read_entry(archive, entry)
    for name, data in sorted(metadata.items()):
        folder = name.split("/")[0]
        dist = _parse_metadata(data, folder)
        inventory.distributions[dist.name.lower()] = dist
    return inventory


def _files_only(path: Path, source: Path) -> Inventory:
    """What is on disk, for an output whose executable is no freezekit executable."""
    inventory = Inventory(
        source=source, mode="onedir" if path.is_dir() else "onefile", python="", libpython=""
    )
    if path.is_dir():
        for item, _ in _folder_items(path):
            inventory.items[item.name] = item
    else:
        data = path.read_bytes()
        inventory.items[path.name] = Item(
            name=path.name, kind="data", size=len(data), sha256=_digest(data)
        )
    return inventory


@contextmanager
def _unpacked(archive: Path) -> Iterator[Path]:
    """A published archive unpacked in a scratch folder; yields the app inside it."""
    scratch = Path(tempfile.mkdtemp(prefix="freezekit-inventory-"))
    try:
        if archive.name.endswith((".tar.gz", ".tgz", ".tar")):
            with tarfile.open(archive) as tar:
                if hasattr(tarfile, "tar_filter"):  # 3.10.12+: refuse members that climb out
                    tar.extractall(scratch, filter="tar")
                else:  # pragma: no cover - old 3.10 patch releases
                    tar.extractall(scratch)  # noqa: S202
        else:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(scratch)
                for info in zipped.infolist():  # zip keeps the mode in the external attributes
                    mode = (info.external_attr >> 16) & 0o777
                    if mode:
                        os.chmod(scratch / info.filename, mode)
        tops = [p for p in scratch.iterdir() if not p.name.startswith(".")]
        if len(tops) != 1:
            raise PublishError(
                f"{archive}: expected one app at the top of the archive, found {len(tops)}",
                hint="give an archive that freezekit published",
            )
        yield tops[0]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def read_inventory(path: Path, *, strict: bool = True) -> Inventory:
    """The inventory of a onedir folder or executable, a onefile executable, or an archive.

    Not ``strict``: a onedir folder whose executable holds no freezekit archive is listed by
    its files (publishing takes what a cell built as it is; its smoke probes judged it)."""
    if not (path.exists() or path.is_symlink()):
        raise PublishError(f"{path} does not exist", hint="give a frozen app or its archive")
    if path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar", ".zip")):
        try:
            with _unpacked(path) as app:
                return _read_app(app, path, strict=strict)
        except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
            raise PublishError(
                f"{path}: cannot unpack the archive: {exc}",
                hint="give an archive that freezekit published (.tar.gz or .zip)",
            ) from exc
    return _read_app(path, path, strict=strict)
