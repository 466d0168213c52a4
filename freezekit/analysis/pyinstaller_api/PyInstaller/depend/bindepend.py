"""``PyInstaller.depend.bindepend``: the shared libraries an ELF file needs, and where they are.

ELF only (freezekit builds Linux apps from Linux); on other files ``get_imports`` returns an
empty list. The search order is the loader's: RPATH (when there is no RUNPATH), RUNPATH,
``ld.so.conf`` folders, the default folders, then the interpreter's own ``lib`` folder.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Sequence

_MULTIARCH = {
    "x86_64": "x86_64-linux-gnu",
    "aarch64": "aarch64-linux-gnu",
    "i686": "i386-linux-gnu",
    "i386": "i386-linux-gnu",
    "armv7l": "arm-linux-gnueabihf",
}


def _ld_so_conf(path: str = "/etc/ld.so.conf", depth: int = 0) -> list[str]:
    folders: list[str] = []
    if depth > 8:
        return folders
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            lines = stream.read().splitlines()
    except OSError:
        return folders
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if line.startswith("include"):
            pattern = line[len("include") :].strip()
            if not os.path.isabs(pattern):
                pattern = os.path.join(os.path.dirname(path), pattern)
            for found in sorted(glob.glob(pattern)):
                folders += _ld_so_conf(found, depth + 1)
        elif line.startswith("/"):
            folders.append(line)
    return folders


def _system_dirs() -> list[str]:
    folders = _ld_so_conf()
    triple = _MULTIARCH.get(os.uname().machine if hasattr(os, "uname") else "")
    if triple:
        folders += [f"/lib/{triple}", f"/usr/lib/{triple}"]
    folders += ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    folders.append(os.path.join(sys.base_prefix, "lib"))
    return folders


def _expand(entries: Sequence[str], origin: str) -> list[str]:
    out = []
    for entry in entries:
        for part in entry.split(":"):
            part = part.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
            if part and "$" not in part:
                out.append(part)
    return out


def resolve_library_path(name: str, search_paths: Sequence[str] | None = None) -> str | None:
    """Full path of library ``name`` (a file name such as ``libz.so.1``), or None."""
    if os.path.isabs(name):
        return name if os.path.isfile(name) else None
    env = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p]
    for folder in [*(search_paths or ()), *env, *_system_dirs()]:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def get_imports(
    filename: str, search_paths: Sequence[str] | None = None
) -> list[tuple[str, str | None]]:
    """``(library name, full path or None)`` for every library ``filename`` needs."""
    from freezekit.analysis import elfread

    info = elfread.read_dynamic(filename)
    if info is None:
        return []
    origin = os.path.dirname(os.path.abspath(filename))
    own = _expand(info.runpath, origin) if info.runpath else _expand(info.rpath, origin)
    folders = [*(search_paths or ()), *own]
    return [(name, resolve_library_path(name, folders)) for name in info.needed]


def getImports(filename: str) -> list[str]:  # noqa: N802  # the older PyInstaller name
    return [name for name, _path in get_imports(filename)]


def getfullnameof(name: str, search_paths: Sequence[str] | None = None) -> str:  # noqa: N802
    return resolve_library_path(name, search_paths) or ""
