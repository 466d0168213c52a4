"""MERGE: several apps that store each shared binary and data file once.

Each shared file stays in the first app (left to right) that needs it; a later app that needs
the same file at the same place carries an external reference (``ExternalItem``) naming the
app that stores it. Pure modules are not shared: each app keeps its own PYZ.

At run time the bootloader resolves a reference: onedir checks that ``<top>/<dest>`` exists,
which the symbolic link made by ``external_links`` (``../../foo/_internal/<dest>``) provides
when the apps sit side by side in one folder; onefile opens the sibling executable in the same
folder and extracts the entry from it.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from freezekit.assemble.plan import TOP_DIR_NAME, ExternalItem, LinkItem


@dataclass(frozen=True, kw_only=True)
class MergeApp:
    """One app of a MERGE: its executable name and its files as ``(dest, source)``."""

    name: str
    files: tuple[tuple[str, str], ...]


@dataclass(frozen=True, kw_only=True)
class MergeShare:
    """What MERGE decided for one app: the files it keeps and its references to siblings."""

    name: str
    keep: tuple[str, ...]  # dests stored in this app
    externals: tuple[ExternalItem, ...]  # dests stored in an earlier sibling


def file_digest(path: str) -> str:
    """Identity of a file's content (two copies of one library are the same file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plan_merge(
    apps: Sequence[MergeApp], *, digest: Callable[[str], str] = file_digest
) -> list[MergeShare]:
    """Decide, for each app in order, which of its files it stores and which it references.

    A file is shared when an earlier app has the same destination and the same content (the
    same real path, or the same digest).
    """
    owner: dict[tuple[str, str], str] = {}  # (dest, identity) → app storing it
    identities: dict[str, str] = {}
    shares: list[MergeShare] = []
    seen_names: set[str] = set()
    for app in apps:
        if app.name in seen_names:
            raise ValueError(f"MERGE names the executable {app.name!r} twice")
        seen_names.add(app.name)
        keep: list[str] = []
        externals: list[ExternalItem] = []
        for dest, source in app.files:
            real = os.path.realpath(source)
            if real not in identities:
                identities[real] = digest(real)
            key = (dest, identities[real])
            stored_in = owner.get(key)
            if stored_in is not None and stored_in != app.name:
                externals.append(ExternalItem(dest=dest, sibling=stored_in))
            else:
                owner.setdefault(key, app.name)
                keep.append(dest)
        externals.sort(key=lambda e: e.dest)
        shares.append(MergeShare(name=app.name, keep=tuple(keep), externals=tuple(externals)))
    return shares


def external_link(external: ExternalItem) -> LinkItem:
    """onedir: the link in this app's top directory to the file in the sibling's.

    From ``<parent>/<app>/_internal/<dir>/`` the target climbs to ``<parent>`` and goes down
    into ``<sibling>/_internal/<dest>``.
    """
    depth = external.dest.count("/") + 2
    target = posixpath.join(*([".."] * depth), external.sibling, TOP_DIR_NAME, external.dest)
    return LinkItem(dest=external.dest, target=target)


def external_links(externals: Sequence[ExternalItem]) -> tuple[LinkItem, ...]:
    return tuple(external_link(e) for e in sorted(externals, key=lambda e: e.dest))


def missing_siblings(output: Path, externals: Sequence[ExternalItem]) -> list[str]:
    """onedir: references whose target is not (yet) in place, as ``dest (in sibling)``."""
    top = output / TOP_DIR_NAME
    return [f"{e.dest} (in {e.sibling})" for e in externals if not (top / e.dest).exists()]
