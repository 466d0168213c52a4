"""The size report printed at the end of a build: where the bytes of the app come from.

Sizes are what the output holds (*stored*): a onedir file's size on disk (after stripping), a
onefile entry's compressed size in the executable, a module's compressed size in the PYZ. For
onefile each package also has its *unpacked* size: what a start writes to disk. ``stored_items``
reads them from the output; ``size_report`` adds them up by *package* (the top-level import name;
a wheel's vendored ``<name>.libs`` folder counts for ``<name>``) and lists the largest binaries.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from freezekit.toc import EntryKind, TocEntry

#: Groups for files that belong to no package.
SHARED_LIBRARIES = "(shared libraries)"
STDLIB_EXTENSIONS = "(stdlib extensions)"
STDLIB = "(python stdlib)"
METADATA = "(metadata)"
SCRIPTS = "(scripts)"
FREEZEKIT = "(bootloader and run time)"  # the launcher, the bootstrap, tables and options
REPORT_VERSION = 2
BASE_LIBRARY = "base_library.zip"  # the start-up modules of the stdlib, as a zip


class _Module(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> Path | None: ...


class _Analysis(Protocol):
    @property
    def pure(self) -> tuple[_Module, ...]: ...
    @property
    def binaries(self) -> tuple[TocEntry, ...]: ...
    @property
    def datas(self) -> tuple[TocEntry, ...]: ...


@dataclass(frozen=True, kw_only=True)
class Stored:
    """One item of the output: a file under the top directory, a PYZ module, or a part of
    the executable (``kind``)."""

    name: str
    kind: EntryKind | None  # None: the executable's own code (the bootloader)
    stored: int  # bytes in the output
    unpacked: int  # bytes once unpacked (onefile); ``stored`` for a file on disk


@dataclass(frozen=True, kw_only=True)
class SizeItem:
    name: str
    bytes: int  # stored: what the output holds
    unpacked: int  # what a onefile start writes (equal to ``bytes`` for onedir)


@dataclass(frozen=True, kw_only=True)
class SizeReport:
    output: str
    output_bytes: int  # what was written (the onedir folder, or the onefile executable)
    onefile: bool
    packages: tuple[SizeItem, ...]  # largest first
    binaries: tuple[SizeItem, ...]  # largest first

    def summary(self, top: int = 5) -> list[str]:
        """A few lines for the end of a build."""
        lines = [f"size: {_mb(self.output_bytes)} in {self.output}"]
        lines.append("  largest packages: " + ", ".join(self._item(i) for i in self.packages[:top]))
        lines.append("  largest binaries: " + ", ".join(self._item(i) for i in self.binaries[:top]))
        return lines

    def _item(self, item: SizeItem) -> str:
        if self.onefile:
            return f"{item.name} {_mb(item.bytes)} ({_mb(item.unpacked)} unpacked)"
        return f"{item.name} {_mb(item.bytes)}"

    def to_json(self) -> dict[str, object]:
        def items(values: Sequence[SizeItem]) -> list[dict[str, object]]:
            return [
                {"name": i.name, "bytes": i.bytes, "unpacked_bytes": i.unpacked} for i in values
            ]

        return {
            "version": REPORT_VERSION,
            "output": self.output,
            "output_bytes": self.output_bytes,
            "mode": "onefile" if self.onefile else "onedir",
            "packages": items(self.packages),
            "binaries": items(self.binaries),
        }


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def stored_items(output: Path, executable: Path) -> list[Stored]:
    """What ``output`` holds: the entries of the executable's archive (the PYZ as its modules,
    with their compressed sizes) and, for onedir, the files of the folder."""
    from freezekit.archive import format as fmt
    from freezekit.archive.reader import open_archive, read_entry

    archive = open_archive(executable)
    items: list[Stored] = []
    for entry in archive.entries:
        # the PYZ counts as its modules; any other entry as itself
        parts = (
            fmt.decode_pyz(read_entry(archive, entry)) if entry.kind is EntryKind.PYZ else [entry]
        )
        items += (
            Stored(name=part.name, kind=entry.kind, stored=part.stored_size, unpacked=part.raw_size)
            for part in parts
        )
    archived = sum(entry.stored_size for entry in archive.entries)
    launcher = max(0, executable.stat().st_size - archived)
    items.append(Stored(name=executable.name, kind=None, stored=launcher, unpacked=launcher))
    if output.is_dir():
        items += _folder_files(output, executable)
    return items


def _folder_files(output: Path, executable: Path) -> Iterable[Stored]:
    """The files of a onedir folder besides the executable, named under the top directory."""
    top = output / "_internal"
    for path in sorted(output.rglob("*")):
        if path == executable or path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(top if path.is_relative_to(top) else output)
        size = path.stat().st_size
        yield Stored(name=relative.as_posix(), kind=EntryKind.DATA, stored=size, unpacked=size)


def size_report(
    output: Path,
    analysis: _Analysis,
    *,
    executable: Path | None = None,
    items: Sequence[Stored] | None = None,
    top: int = 20,
) -> SizeReport:
    """Top packages and top binaries by stored bytes, for a build's output and its analysis
    (``items``: what the output holds, read from it when not given)."""
    onefile = output.is_file()
    if items is None:
        found = executable if executable is not None and executable.is_file() else None
        items = stored_items(output, found or _executable(output))
    sources = {module.name: module.source for module in analysis.pure}
    binary_names = {entry.name for entry in analysis.binaries}
    stored: Counter[str] = Counter()
    unpacked: Counter[str] = Counter()
    binaries: dict[str, SizeItem] = {}
    for item in items:
        group = _group(item, sources)
        stored[group] += item.stored
        unpacked[group] += item.unpacked
        if item.name in binary_names or item.kind in (EntryKind.BINARY, EntryKind.EXTENSION):
            binaries[item.name] = SizeItem(
                name=item.name, bytes=item.stored, unpacked=item.unpacked
            )
    packages = [SizeItem(name=g, bytes=stored[g], unpacked=unpacked[g]) for g in stored]
    return SizeReport(
        output=str(output),
        output_bytes=_tree_size(output),
        onefile=onefile,
        packages=_largest(packages, top),
        binaries=_largest(binaries.values(), top),
    )


def _executable(output: Path) -> Path:
    """A onefile output, or the onedir folder's executable (named as the folder, else the one
    top-level file that is a freezekit executable)."""
    if output.is_file():
        return output
    named = output / output.name
    if named.is_file():
        return named
    for path in sorted(output.iterdir()):
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return named


def _group(item: Stored, sources: dict[str, Path | None]) -> str:
    if item.kind is None or item.kind in (EntryKind.BOOTSTRAP, EntryKind.OPTION, EntryKind.LAZY):
        return FREEZEKIT
    if item.kind in (EntryKind.SCRIPT, EntryKind.RUNTIME_HOOK):
        return SCRIPTS
    if item.kind is EntryKind.PYZ:
        source = sources.get(item.name)
        if source is None:
            return item.name.split(".")[0]
        return _module_group(item.name, source)
    if item.name == BASE_LIBRARY:
        return STDLIB
    return package_of(item.name)


def package_of(name: str) -> str:
    """The group of a file placed at ``name`` under the top directory."""
    parts = PurePosixPath(name).parts
    if len(parts) == 1:
        return (
            SHARED_LIBRARIES
            if ".so" in parts[0] or parts[0].endswith((".dll", ".dylib", ".pyd"))
            else parts[0]
        )
    first = parts[0]
    if first == "lib-dynload":
        return STDLIB_EXTENSIONS
    if first.endswith((".dist-info", ".egg-info")):
        return METADATA
    if first.endswith(".libs"):  # auditwheel's vendored libraries: numpy.libs -> numpy
        return first[: -len(".libs")]
    return first


def _module_group(name: str, source: Path) -> str:
    if {"site-packages", "dist-packages"} & set(source.parts):
        return name.split(".")[0]
    return STDLIB if "lib" in source.parts else name.split(".")[0]


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _largest(items: Iterable[SizeItem], top: int) -> tuple[SizeItem, ...]:
    return tuple(sorted(items, key=lambda i: (-i.bytes, i.name))[:top])


def write_report_json(report: SizeReport, path: Path) -> None:
    """Write ``report-<name>.json`` (atomically: a partial file is never left)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
