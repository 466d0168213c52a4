"""Mach-O (macOS) libraries: the dependency walk and the install names a bundle needs.

dyld finds a library by its *install name* as the loading file records it:

* an absolute path (``/opt/homebrew/lib/libzstd.1.dylib``; ``/usr/lib`` and ``/System`` are the
  system's and stay out of the app);
* ``@loader_path/x``: relative to the folder of the file that loads it;
* ``@executable_path/x``: relative to the folder of the main executable;
* ``@rpath/x``: tried under each LC_RPATH of the loading file and then of the files that loaded
  it, up to the executable (each of which may itself start with ``@loader_path`` or
  ``@executable_path``).

``scan_macho`` resolves these from the extension modules and libpython up, with the macOS
library policy, and places each library as the Linux walk does (inside its package when a
wheel vendors it, so ``@loader_path`` references keep working; by name at the top otherwise).
``relink_macho`` rewrites a bundled copy so that it finds everything inside the app: absolute
non-system install names become ``@rpath/<name>`` with an ``LC_RPATH`` of
``@loader_path/<path to the top directory>``, build-machine rpaths are dropped, a dylib's own id
becomes ``@rpath/<name>``, and the (now stale) code signature is removed. An edited arm64 file
must be signed again before it runs: ``codesign --force --sign -`` (``sign_adhoc``), which
only a macOS host can run; a build elsewhere says so.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from freezekit.toc import EntryKind, TocEntry

logger = logging.getLogger(__name__)

SYSTEM_PREFIXES = ("/usr/lib/", "/System/Library/")


@dataclass(kw_only=True)
class MachO:
    path: Path
    install_name: str | None  # LC_ID_DYLIB, for a dylib
    dependencies: list[str]  # LC_LOAD_DYLIB (and weak/reexport) install names
    rpaths: list[str]  # LC_RPATH, as written
    cpu: str  # ARM64, x86_64
    # rpaths of the files that loaded this one, already expanded (dyld's @rpath chain)
    inherited: list[Path] = field(default_factory=list)


def _lief() -> Any:
    import lief

    lief.logging.disable()
    return lief


def read_macho(path: Path) -> MachO | None:
    """The load commands of ``path`` (a fat file: its first slice), or None if not Mach-O."""
    lief = _lief()
    if not lief.is_macho(str(path)):
        return None
    fat = lief.MachO.parse(str(path))
    if fat is None or fat.size == 0:
        return None
    binary = fat.at(0)
    own = lief.MachO.LoadCommand.TYPE.ID_DYLIB
    return MachO(
        path=path,
        install_name=next((lib.name for lib in binary.libraries if lib.command == own), None),
        dependencies=[lib.name for lib in binary.libraries if lib.command != own],
        rpaths=[c.path for c in binary.commands if isinstance(c, lief.MachO.RPathCommand)],
        cpu=str(binary.header.cpu_type).rsplit(".", 1)[-1],
    )


def is_system(install_name: str) -> bool:
    return install_name.startswith(SYSTEM_PREFIXES)


def _substitute(value: str, *, loader: Path, executable: Path) -> Path | None:
    if value.startswith("@loader_path"):
        return Path(os.path.normpath(str(loader.parent) + value[len("@loader_path") :]))
    if value.startswith("@executable_path"):
        return Path(os.path.normpath(str(executable.parent) + value[len("@executable_path") :]))
    if value.startswith("@"):
        return None
    return Path(value)


def expanded_rpaths(macho: MachO, *, executable: Path) -> list[Path]:
    """The file's own LC_RPATHs, expanded, then those it inherited from its loaders."""
    own = [_substitute(r, loader=macho.path, executable=executable) for r in macho.rpaths]
    return [p for p in own if p is not None] + macho.inherited


def resolve_install_name(name: str, macho: MachO, *, executable: Path) -> Path | None:
    """The file that ``name``, as ``macho`` records it, names on this machine."""
    if name.startswith("@rpath/"):
        rest = name[len("@rpath/") :]
        for folder in expanded_rpaths(macho, executable=executable):
            candidate = folder / rest
            if candidate.is_file():
                return candidate
        return None
    found = _substitute(name, loader=macho.path, executable=executable)
    return found if found is not None and found.is_file() else None


def _placement(library: Path, site_dirs: Sequence[Path]) -> str:
    for site in site_dirs:
        try:
            return library.resolve().relative_to(site.resolve()).as_posix()
        except ValueError:
            continue
    return library.name


@dataclass(frozen=True, kw_only=True)
class MachOScan:
    binaries: tuple[TocEntry, ...]
    excluded: tuple[str, ...]
    unresolved: tuple[tuple[str, str], ...]
    needs: tuple[tuple[str, str], ...]


def scan_macho(roots: Sequence[Path], *, executable: Path, site_dirs: Sequence[Path]) -> MachOScan:
    """Walk the install names from ``roots``; the libraries to bundle, system ones left out."""
    queue = [m for m in (read_macho(root) for root in roots) if m is not None]
    seen = {str(m.path.resolve()) for m in queue}
    bundled: dict[str, TocEntry] = {}
    excluded: set[str] = set()
    unresolved: set[tuple[str, str]] = set()
    needs: set[tuple[str, str]] = set()
    while queue:
        macho = queue.pop(0)
        for name in macho.dependencies:
            if is_system(name):
                excluded.add(name)
                continue
            found = resolve_install_name(name, macho, executable=executable)
            if found is None:
                unresolved.add((str(macho.path), name))
                continue
            dest = _placement(found, site_dirs)
            bundled.setdefault(
                dest, TocEntry(name=dest, kind=EntryKind.BINARY, source=str(found), mode=0o755)
            )
            needs.add((str(macho.path.resolve()), dest))
            real = str(found.resolve())
            if real in seen:
                continue
            seen.add(real)
            child = read_macho(found)
            if child is not None:
                child.inherited = expanded_rpaths(macho, executable=executable)
                queue.append(child)
    for binary, name in sorted(unresolved):
        logger.warning("library %s needed by %s was not found; it is not bundled", name, binary)
    return MachOScan(
        binaries=tuple(sorted(bundled.values(), key=lambda e: e.name)),
        excluded=tuple(sorted(excluded)),
        unresolved=tuple(sorted(unresolved)),
        needs=tuple(sorted(needs)),
    )


@dataclass(frozen=True, kw_only=True)
class Relinked:
    changed: bool  # the file was rewritten (and so needs an ad-hoc signature on arm64)
    renamed: tuple[tuple[str, str], ...] = ()  # (old install name, new)


def relink_macho(path: Path, *, top_relative: str) -> Relinked:
    """Rewrite ``path`` in place so that it loads bundled libraries from inside the app."""
    lief = _lief()
    fat = lief.MachO.parse(str(path))
    if fat is None or fat.size == 0:
        return Relinked(changed=False)
    binary = fat.at(0)
    own = lief.MachO.LoadCommand.TYPE.ID_DYLIB
    renamed: list[tuple[str, str]] = []
    for library in binary.libraries:
        name = library.name
        if library.command == own:
            wanted = f"@rpath/{PurePosixPath(name).name}"
            if name.startswith("/") and name != wanted:  # the build machine's path as its id
                library.name = wanted
                renamed.append((name, wanted))
        elif name.startswith("/") and not is_system(name):
            wanted = f"@rpath/{PurePosixPath(name).name}"
            library.name = wanted
            renamed.append((name, wanted))
    stale = [c for c in binary.commands if isinstance(c, lief.MachO.RPathCommand)]
    stale = [c for c in stale if not c.path.startswith("@")]  # folders of the build machine
    for command in stale:
        binary.remove(command)
    top = "@loader_path" if top_relative in ("", ".") else f"@loader_path/{top_relative}"
    rpaths = [c.path for c in binary.commands if isinstance(c, lief.MachO.RPathCommand)]
    needs_top = any(
        lib.name.startswith("@rpath/") for lib in binary.libraries if lib.command != own
    )
    added = needs_top and top not in rpaths
    if added:
        binary.add(lief.MachO.RPathCommand.create(top))
    if not renamed and not stale and not added:
        return Relinked(changed=False)
    if binary.has_code_signature:
        binary.remove_signature()
    partial = path.with_name(path.name + ".relink")
    binary.write(str(partial))
    os.replace(partial, path)
    return Relinked(changed=True, renamed=tuple(renamed))


def sign_adhoc(paths: Sequence[Path]) -> bool:
    """``codesign --force --sign -`` on each file (macOS only); False when no codesign."""
    codesign = shutil.which("codesign")
    if codesign is None:
        return False
    for path in paths:  # pragma: no cover - macOS hosts only
        subprocess.run([codesign, "--force", "--sign", "-", str(path)], check=True)
    return True


# -- the executable: bootloader + archive, made signable ------------------------------------

MH_MAGIC_64 = 0xFEEDFACF
LC_SYMTAB = 0x2
LC_SEGMENT_64 = 0x19
LC_CODE_SIGNATURE = 0x1D
CPU_ARM64 = 0x0100000C
_HEADER = 32


def _page(cputype: int) -> int:
    return 0x4000 if cputype == CPU_ARM64 else 0x1000


def _commands(data: bytes | bytearray) -> list[tuple[int, int, int]]:
    """(offset, cmd, cmdsize) of each load command of a thin 64-bit Mach-O image."""
    ncmds = int.from_bytes(data[16:20], "little")
    found, offset = [], _HEADER
    for _ in range(ncmds):
        cmd = int.from_bytes(data[offset : offset + 4], "little")
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        if size < 8 or offset + size > len(data):
            raise ValueError("load commands run past the end of the file")
        found.append((offset, cmd, size))
        offset += size
    return found


def _u64(data: bytearray, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 8], "little")


def _put(data: bytearray, offset: int, value: int, width: int) -> None:
    data[offset : offset + width] = value.to_bytes(width, "little")


def _linkedit(data: bytearray) -> int:
    for offset, cmd, _ in _commands(data):
        if cmd == LC_SEGMENT_64 and data[offset + 8 : offset + 24].rstrip(b"\0") == b"__LINKEDIT":
            return offset
    raise ValueError("no __LINKEDIT segment")


def _resize_linkedit(data: bytearray, end: int) -> None:
    """__LINKEDIT (and the string table, the last thing it lists) reach to ``end``."""
    segment = _linkedit(data)
    fileoff = _u64(data, segment + 40)
    filesize = end - fileoff
    page = _page(int.from_bytes(data[4:8], "little"))
    _put(data, segment + 48, filesize, 8)
    _put(data, segment + 32, (filesize + page - 1) // page * page, 8)
    for offset, cmd, _ in _commands(data):
        if cmd == LC_SYMTAB:
            stroff = int.from_bytes(data[offset + 16 : offset + 20], "little")
            _put(data, offset + 20, end - stroff, 4)


def is_thin_macho64(head: bytes) -> bool:
    return len(head) >= 4 and int.from_bytes(head[:4], "little") == MH_MAGIC_64


def strip_code_signature(data: bytearray) -> bytearray:
    """``data`` without its LC_CODE_SIGNATURE and the signature at the end of the file (what
    Apple's linker adds to every arm64 program); the image is otherwise unchanged."""
    commands = _commands(data)
    found = [(o, s) for o, c, s in commands if c == LC_CODE_SIGNATURE]
    if not found:
        return data
    offset, size = found[0]
    dataoff = int.from_bytes(data[offset + 8 : offset + 12], "little")
    end = _HEADER + sum(s for _, _, s in commands)
    data[offset : end - size] = data[offset + size : end]  # later commands move up
    data[end - size : end] = bytes(size)
    _put(data, 16, len(commands) - 1, 4)
    _put(data, 20, end - _HEADER - size, 4)
    del data[dataoff:]
    _resize_linkedit(data, dataoff)
    return data


def cover_appended_data(path: Path) -> None:
    """Make the archive appended to a Mach-O bootloader part of its __LINKEDIT segment, as the
    string table's tail: ``codesign`` then signs the whole file (it refuses bytes that no
    segment covers) and puts its signature after the archive, where both archive readers
    look for it (LC_CODE_SIGNATURE)."""
    data = bytearray(path.read_bytes())
    _resize_linkedit(data, len(data))
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(bytes(data))
    os.chmod(partial, path.stat().st_mode & 0o7777)
    os.replace(partial, path)
