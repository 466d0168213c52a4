"""``PyInstaller.depend.utils``: find the shared libraries ctypes would load by name."""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Iterable

__all__ = ["_resolveCtypesImports"]


def _find(name: str) -> str | None:
    if os.path.isabs(name):
        return name if os.path.isfile(name) else None
    folders = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
    folders += [os.path.join(sys.prefix, "lib"), os.path.join(sys.base_prefix, "lib")]
    for folder in folders:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    from .bindepend import resolve_library_path

    found = resolve_library_path(name)
    if found is not None:
        return found
    stem = name[3:] if name.startswith("lib") else name
    stem = stem.split(".so")[0].split(".dylib")[0].split(".dll")[0]
    short = ctypes.util.find_library(stem)
    if short is None:
        return None
    return resolve_library_path(short) or (short if os.path.isabs(short) else None)


def _resolveCtypesImports(cbinaries: Iterable[str]) -> list[tuple[str, str, str]]:  # noqa: N802
    """``(name, full path, "BINARY")`` for each library name that can be found; the names
    that cannot are left out (as in PyInstaller)."""
    found = []
    for name in cbinaries:
        path = _find(name)
        if path is not None:
            found.append((os.path.basename(name), path, "BINARY"))
    return found
