"""TOC lists in a spec file: ``TOC``, ``Tree`` and the ``datas=``/``binaries=`` pairs.

A TOC tuple is PyInstaller's ``(name, path, typecode)``; ``entry_tuple`` and the typecode
tables convert between it and freezekit's ``TocEntry``. ``resolve_pairs`` expands Analysis's
``(source, destination)`` pairs into TOC entries.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import posixpath
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar, SupportsIndex

from freezekit.errors import OptionsError
from freezekit.spec.keywords import strings
from freezekit.toc import EntryKind, TocEntry

TocTuple = tuple[str, "str | None", str]

KIND_OF_TYPECODE = {
    "BINARY": EntryKind.BINARY,
    "EXTENSION": EntryKind.EXTENSION,
    "DATA": EntryKind.DATA,
}
TYPECODE_OF_KIND = {kind: code for code, kind in KIND_OF_TYPECODE.items()}


def toc_tuple(entry: object) -> TocTuple:
    if (
        isinstance(entry, Sequence)
        and not isinstance(entry, str)
        and len(entry) == 3
        and isinstance(entry[0], str)
        and (entry[1] is None or isinstance(entry[1], str))
        and isinstance(entry[2], str)
    ):
        return (entry[0], entry[1], entry[2])
    raise OptionsError(
        f"TOC entry {entry!r} is not a (name, path, typecode) tuple",
        hint="e.g. ('data/readme.txt', 'src/readme.txt', 'DATA')",
    )


class TOC(list[TocTuple]):
    """A list of ``(name, path, typecode)`` tuples that keeps only the first entry per name.

    ``toc + other`` adds the entries whose names are new; ``toc - other`` removes the entries
    whose names appear in ``other``. Plain list operations (slicing, comprehensions) work and
    give plain lists, which every spec global accepts too.
    """

    def __init__(self, initlist: Iterable[object] | None = None) -> None:
        super().__init__()
        if initlist is not None:
            self.extend(initlist)

    def _names(self) -> set[str]:
        return {entry[0] for entry in self}

    def append(self, entry: object) -> None:
        item = toc_tuple(entry)
        if item[0] not in self._names():
            super().append(item)

    def insert(self, index: SupportsIndex, entry: object) -> None:
        item = toc_tuple(entry)
        if item[0] not in self._names():
            super().insert(index, item)

    def extend(self, entries: Iterable[object]) -> None:
        names = self._names()
        for entry in entries:
            item = toc_tuple(entry)
            if item[0] not in names:
                names.add(item[0])
                super().append(item)

    def __add__(self, other: Iterable[object]) -> TOC:  # type: ignore[override]
        result = TOC(self)
        result.extend(other)
        return result

    def __radd__(self, other: Iterable[object]) -> TOC:
        result = TOC(other)
        result.extend(self)
        return result

    def __iadd__(self, other: Iterable[object]) -> TOC:  # type: ignore[override]
        self.extend(other)
        return self

    def __sub__(self, other: Iterable[object]) -> TOC:
        drop = {toc_tuple(entry)[0] for entry in other}
        return TOC(entry for entry in self if entry[0] not in drop)

    def __isub__(self, other: Iterable[object]) -> TOC:
        drop = {toc_tuple(entry)[0] for entry in other}
        self[:] = [entry for entry in self if entry[0] not in drop]
        return self

    def copy(self) -> TOC:
        return TOC(self)


class Tree(TOC):
    """Every file under ``root`` as ``(prefix/relative path, absolute path, typecode)``.

    ``excludes`` are names or glob patterns matched against file and folder names; a matching
    folder is left out whole. A relative ``root`` is relative to the spec file's folder.
    """

    base: ClassVar[Path | None] = None  # set on the per-run subclass: the spec's folder

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        prefix: str | None = None,
        excludes: Sequence[str] | None = None,
        typecode: str = "DATA",
    ) -> None:
        super().__init__()
        if root is None:
            raise OptionsError(
                "Tree() needs a root folder", hint="e.g. Tree('assets', prefix='assets')"
            )
        base = self.base or Path.cwd()
        self.root = spec_path(base, str(root))
        self.prefix = (prefix or "").replace("\\", "/").strip("/")
        self.excludes = tuple(strings("Tree", "excludes", excludes))
        self.typecode = typecode
        if not self.root.is_dir():
            raise OptionsError(f"Tree root {self.root} is not a folder", hint="check the path")
        for path in sorted(_walk(self.root, self.excludes)):
            relative = path.relative_to(self.root).as_posix()
            name = posixpath.join(self.prefix, relative) if self.prefix else relative
            super().append((name, str(path), typecode))


def _walk(root: Path, excludes: Sequence[str]) -> Iterable[Path]:
    def excluded(name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in excludes)

    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not excluded(d))
        for name in files:
            if not excluded(name):
                yield Path(folder) / name


# -- datas= and binaries= of Analysis ----------------------------------------------------------


def spec_path(base: Path, value: str) -> Path:
    """``value`` (``/`` or ``\\`` separated, absolute or relative to ``base``), normalised."""
    return Path(os.path.normpath(base / value.replace("\\", "/")))


def _dest_dir(dest: str, source: str) -> str:
    value = posixpath.normpath(dest.replace("\\", "/")) if dest.strip() else "."
    if value.startswith("/") or value == ".." or value.startswith("../"):
        raise OptionsError(
            f"destination {dest!r} of {source!r} is absolute or climbs out of the top directory",
            hint="use a folder relative to the top directory, e.g. 'data' or '.'",
        )
    return "" if value == "." else value


def resolve_pairs(pairs: object, *, base: Path, kind: EntryKind, what: str) -> list[TocEntry]:
    """Expand ``(source, dest_dir)`` pairs (globs, whole folders) into TOC entries."""
    if pairs is None:
        return []
    if isinstance(pairs, str) or not isinstance(pairs, Iterable):
        raise OptionsError(f"{what}= must be a list of (source, destination) tuples, not {pairs!r}")
    entries: list[TocEntry] = []
    for pair in pairs:
        if not (
            isinstance(pair, Sequence)
            and not isinstance(pair, str)
            and len(pair) == 2
            and all(isinstance(p, str) for p in pair)
        ):
            raise OptionsError(
                f"{what}= entry {pair!r} is not a (source, destination) pair of strings",
                hint="e.g. ('src/README.txt', '.')",
            )
        source, dest = str(pair[0]), str(pair[1])
        dest_dir = _dest_dir(dest, source)
        pattern = spec_path(base, source)
        matches = (
            sorted(glob.glob(str(pattern)))
            if glob.has_magic(source)
            else ([str(pattern)] if pattern.exists() else [])
        )
        if not matches:
            raise OptionsError(
                f"{what} source {source!r} not found ({pattern})",
                hint="paths in a spec file are relative to the spec file's folder",
            )
        for match in matches:
            entries += _entries_for(Path(match), dest_dir, kind)
    return entries


def _entries_for(path: Path, dest_dir: str, kind: EntryKind) -> list[TocEntry]:
    if path.is_dir() and kind is EntryKind.DATA:  # symbolic links kept, as with --add-data
        from freezekit.analysis.collect import tree_with_links

        entries = []
        for rel, found, is_link in tree_with_links(path, "datas"):
            name = posixpath.join(dest_dir, rel.replace(os.sep, "/"))
            if is_link:
                entries.append(TocEntry(name=name, kind=EntryKind.SYMLINK, source=found))
            else:
                source = Path(found)
                entries.append(
                    TocEntry(
                        name=name, kind=kind, source=str(source.absolute()), mode=file_mode(source)
                    )
                )
        return entries
    if path.is_dir():
        files = sorted(p for p in _walk(path, ("__pycache__",)) if p.is_file())
        named = [(posixpath.join(dest_dir, p.relative_to(path).as_posix()), p) for p in files]
    else:
        named = [(posixpath.join(dest_dir, path.name), path)]
    return [
        TocEntry(name=name, kind=kind, source=str(source.absolute()), mode=file_mode(source))
        for name, source in named
    ]


def file_mode(path: Path) -> int:
    return 0o755 if os.access(path, os.X_OK) else 0o644


def entry_tuple(entry: TocEntry) -> TocTuple:
    return (entry.name, entry.source, TYPECODE_OF_KIND.get(entry.kind, entry.kind.name))
