"""TOC entries: the plain data passed between the analysis, archive and assemble stages."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import PurePosixPath


class EntryKind(enum.Enum):
    """What one item of a PKG is. The one-byte codes live only in archive/format.py."""

    BOOTSTRAP = "bootstrap"  # marshalled code of freezekit/runtime/_bootstrap.py, run first
    SCRIPT = "script"  # marshalled code of a user script, run as __main__ in order
    RUNTIME_HOOK = "runtime_hook"  # marshalled code of a user runtime hook, run before scripts
    PYZ = "pyz"  # the module archive (its own index; entries compressed one by one)
    EXTENSION = "extension"  # a Python extension module (onefile: extracted)
    BINARY = "binary"  # a shared library (onefile: extracted)
    DATA = "data"  # any other file (onefile: extracted)
    SYMLINK = "symlink"  # a symbolic link; the data is the link target
    OPTION = "option"  # a run-time option; the name is the option, no data
    EXTERNAL = "external"  # MERGE: a file stored in a sibling app; data names the sibling
    LAZY = "lazy"  # onefile temp mode: files unpacked on first import (format.encode_lazy_table)

    @property
    def is_file(self) -> bool:
        """True for kinds that become a file in the top directory."""
        return self in (EntryKind.EXTENSION, EntryKind.BINARY, EntryKind.DATA)


class Compression(enum.Enum):
    NONE = "none"
    ZSTD = "zstd"


def check_relative_name(name: str) -> str:
    """Return ``name`` if it is a safe relative POSIX path, else raise ValueError.

    Absolute names and names that climb out of the top directory are refused at build time
    (and again by the bootloader at extraction).
    """
    if not name or "\x00" in name or "\\" in name:
        raise ValueError(f"invalid entry name {name!r}")
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.startswith("/"):
        raise ValueError(f"entry name {name!r} is absolute or climbs out of the top directory")
    if str(path) != name:
        raise ValueError(f"entry name {name!r} is not normalised (expected {str(path)!r})")
    return name


@dataclass(frozen=True, kw_only=True, order=True)
class TocEntry:
    """One item to place in the app: ``name`` is its path relative to the top directory.

    ``source`` is the file on the build machine (None for generated content such as code
    objects, options and symlinks). ``data`` holds generated content when there is no source.
    """

    name: str
    kind: EntryKind
    source: str | None = None
    data: bytes | None = None
    mode: int = 0o644

    def __post_init__(self) -> None:
        if self.kind not in (EntryKind.OPTION,):
            check_relative_name(self.name)

    @property
    def is_executable(self) -> bool:
        return bool(self.mode & 0o111)
