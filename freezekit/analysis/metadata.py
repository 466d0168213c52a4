"""Distribution metadata: the dist-info (or egg-info) of every bundled distribution.

Collected as DATA entries under the top directory (which is on ``sys.path`` in the app), so
``importlib.metadata.version()`` and ``entry_points()`` work frozen. The worker finds which
distributions provide the bundled top-level packages (``importlib.metadata`` under the target
interpreter); ``--copy-metadata NAME`` forces more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from freezekit.toc import EntryKind, TocEntry

logger = logging.getLogger(__name__)

#: Files of a dist-info folder that are never needed at run time.
SKIPPED_FILES: frozenset[str] = frozenset({"RECORD", "REQUESTED", "direct_url.json", "WHEEL"})


def metadata_entries(paths: Iterable[str]) -> list[TocEntry]:
    """DATA entries for the given .dist-info/.egg-info folders (or egg-info files)."""
    entries: dict[str, TocEntry] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file():  # a single-file .egg-info (PKG-INFO format)
            entries[path.name] = TocEntry(name=path.name, kind=EntryKind.DATA, source=str(path))
            continue
        if not path.is_dir():
            logger.debug("metadata folder %s vanished", path)
            continue
        for file in sorted(path.rglob("*")):
            if not file.is_file() or file.name in SKIPPED_FILES or "__pycache__" in file.parts:
                continue
            name = f"{path.name}/{file.relative_to(path).as_posix()}"
            entries[name] = TocEntry(name=name, kind=EntryKind.DATA, source=str(file))
    return [entries[k] for k in sorted(entries)]
