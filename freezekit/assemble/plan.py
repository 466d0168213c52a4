"""The collect plan: what goes where, decided without touching the disk."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from freezekit.archive import format as fmt
from freezekit.archive.pkg import PkgHeader, PkgItem
from freezekit.options import BuildOptions, Extract, Mode
from freezekit.toc import EntryKind

TOP_DIR_NAME = "_internal"


@dataclass(frozen=True, kw_only=True)
class FileItem:
    """A file of the top directory: ``dest`` is relative to it."""

    dest: str
    source: Path
    kind: EntryKind
    mode: int


@dataclass(frozen=True, kw_only=True)
class LinkItem:
    """A symbolic link of the top directory, pointing at ``target`` (relative)."""

    dest: str
    target: str


@dataclass(frozen=True, kw_only=True)
class ExternalItem:
    """MERGE: ``dest`` lives in the sibling app ``sibling`` (its executable's name)."""

    dest: str
    sibling: str


@dataclass(frozen=True, kw_only=True)
class CollectPlan:
    name: str
    mode: Mode
    code_items: tuple[PkgItem, ...]  # options, bootstrap, hooks, scripts, PYZ
    files: tuple[FileItem, ...]
    links: tuple[LinkItem, ...]
    externals: tuple[ExternalItem, ...]
    header: PkgHeader
    level: int
    # onefile temp mode: {extension module: files unpacked on its first import}; see lazy.py
    lazy: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # the lazy modules the app imports as it starts, in that order (lazy.start_modules)
    lazy_start: tuple[str, ...] = ()

    def pkg_items(self) -> list[PkgItem]:
        """Every PKG entry of the executable for this plan's mode."""
        items = list(self.code_items)
        # onedir keeps files on disk; MERGE references are checked at start in both modes.
        items += [
            PkgItem(name=ext.dest, kind=EntryKind.EXTERNAL, data=ext.sibling.encode("utf-8"))
            for ext in self.externals
        ]
        if self.mode is Mode.ONEFILE:
            items += [
                PkgItem(name=f.dest, kind=f.kind, source=f.source, mode=f.mode, compress=True)
                for f in self.files
            ]
            items += [
                PkgItem(name=link.dest, kind=EntryKind.SYMLINK, data=link.target.encode("utf-8"))
                for link in self.links
            ]
            if self.lazy:
                items.append(
                    PkgItem(
                        name=fmt.LAZY_TABLE_NAME,
                        kind=EntryKind.LAZY,
                        data=fmt.encode_lazy_table(self.lazy, self.lazy_start),
                        compress=True,
                    )
                )
        return items


def trailer_flags(options: BuildOptions) -> int:
    flags = 0
    if options.mode is Mode.ONEFILE:
        flags |= fmt.FLAG_ONEFILE
        if options.onefile_extract is Extract.CACHE:
            flags |= fmt.FLAG_EXTRACT_CACHE
    if options.windowed:
        flags |= fmt.FLAG_WINDOWED
    return flags


def option_items(options: BuildOptions) -> list[PkgItem]:
    """Run-time options in the order the bootloader and runtime read them."""
    names = [*options.run_time_options, f"{fmt.OPTION_NAME}{options.name}"]
    if options.runtime_tmpdir:
        names.append(f"{fmt.OPTION_RUNTIME_TMPDIR}{options.runtime_tmpdir}")
    if options.windowed:
        names.append("freezekit:windowed")
    if not options.smoke_probes:
        names.append("freezekit:no-smoke")
    if options.reset_subprocess_env:
        names.append("freezekit:reset-subprocess-env")
    return [PkgItem(name=name, kind=EntryKind.OPTION) for name in names]


def dedupe_files(files: Sequence[FileItem]) -> tuple[list[FileItem], list[LinkItem]]:
    """Keep one copy of files that come from the same source; the others become links.

    The copy kept is the one closest to the top directory (then by name), so links point
    down into it or across, never from the top level into a package folder.
    """
    by_source: dict[str, list[FileItem]] = {}
    for item in files:
        by_source.setdefault(os.path.realpath(item.source), []).append(item)
    kept: list[FileItem] = []
    links: list[LinkItem] = []
    for group in by_source.values():
        group.sort(key=lambda i: (i.dest.count("/"), i.dest))
        first, *others = group
        kept.append(first)
        for other in others:
            if other.dest == first.dest:
                continue
            start = posixpath.dirname(other.dest) or "."
            links.append(LinkItem(dest=other.dest, target=posixpath.relpath(first.dest, start)))
    kept.sort(key=lambda i: i.dest)
    links.sort(key=lambda i: i.dest)
    return kept, links
