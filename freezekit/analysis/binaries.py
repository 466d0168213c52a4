"""Shared libraries: which ones the bundled ELF files need, and how the copies are patched.

``scan_binaries`` reads ``DT_NEEDED`` of libpython, every extension module and every user
binary (``elfread``), resolves each name like the Linux dynamic loader does (RPATH, RUNPATH,
``$ORIGIN``, ``/etc/ld.so.conf``, the default folders; *not* ``LD_LIBRARY_PATH``, which
belongs to the build machine's shell), and walks the libraries found in turn.

Placement: a library that lives inside an installed package tree (``numpy.libs/``,
``torch/lib/``, ...) keeps its place relative to ``site-packages``, so the ``$ORIGIN`` paths
its extensions already carry stay valid; every other library goes to the top directory under
the name it is asked for (its soname).

``prepare_binary`` makes the copy that goes into the app: optionally removes the symbol table
and debug sections (``strip.py``), and sets ``RUNPATH`` to ``$ORIGIN/<path to the top
directory>`` (keeping existing ``$ORIGIN`` entries) so bundled ELF files find each other
without ``LD_LIBRARY_PATH``.
"""

from __future__ import annotations

import enum
import fnmatch
import glob
import hashlib
import logging
import os
import shutil
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from freezekit.platforms import Os, Target
from freezekit.toc import EntryKind, TocEntry

from .elfread import read_dynamic, read_ident, set_runpath_appended, set_runpath_in_place
from .strip import has_loadable_layout, strip_unneeded

logger = logging.getLogger(__name__)

#: Libraries never bundled (fnmatch patterns on the name asked for). Three families:
#:
#: * glibc: its pieces must come from the same build as the system's ``ld-linux``; a bundled
#:   copy breaks on any other glibc version.
#: * compiler runtime (``libgcc_s``, ``libstdc++``): present wherever glibc is; a bundled
#:   older ``libstdc++`` breaks system GPU drivers (mesa, nvidia) loaded into the same process.
#: * graphics/audio stack (GL, EGL, Vulkan, DRM, X11, xcb, Wayland, ALSA): must match the
#:   machine's drivers and server; every desktop has them.
#:
#: Everything else is bundled: libssl, libcrypto, libffi, libsqlite3, liblzma, libbz2, libz,
#: libreadline, libncurses, libtinfo, libuuid, libgdbm, libcrypt (libxcrypt), libexpat, ...
#: Override with :class:`LibraryPolicy` (``include`` wins over ``exclude``).
SYSTEM_LIBRARIES: tuple[str, ...] = (
    # glibc
    "ld-linux*.so*",
    "ld64.so*",
    "libc.so*",
    "libm.so*",
    "libmvec.so*",
    "libpthread.so*",
    "libdl.so*",
    "librt.so*",
    "libutil.so*",
    "libresolv.so*",
    "libnsl.so*",
    "libanl.so*",
    "libBrokenLocale.so*",
    "libnss_*.so*",
    "libthread_db.so*",
    "libcidn.so*",
    "libc_malloc_debug.so*",
    "libmemusage.so*",
    "libpcprofile.so*",
    "libSegFault.so*",
    # compiler runtime
    "libgcc_s.so*",
    "libstdc++.so*",
    # graphics and audio stack
    "libGL.so*",
    "libGLX*.so*",
    "libGLdispatch.so*",
    "libOpenGL.so*",
    "libEGL*.so*",
    "libGLES*.so*",
    "libGLU.so*",
    "libdrm*.so*",
    "libgbm.so*",
    "libvulkan.so*",
    "libnvidia-*.so*",
    "libcuda.so*",
    "libX11*.so*",
    "libXext.so*",
    "libXrender.so*",
    "libXau.so*",
    "libXdmcp.so*",
    "libXi.so*",
    "libXfixes.so*",
    "libXrandr.so*",
    "libXcursor.so*",
    "libXinerama.so*",
    "libXxf86vm.so*",
    "libxcb*.so*",
    "libxshmfence.so*",
    "libwayland-*.so*",
    "libasound.so*",
)

#: Windows DLLs that are part of every supported Windows (10 and later), same rules as above:
#: the API sets and the Universal CRT, the kernel and user/GDI subsystems, COM, crypto,
#: networking, shell and the graphics stack. The MSVC runtime (``vcruntime140*.dll``,
#: ``msvcp140*.dll``) is *not* listed: Python ships it and so does the app. Matched without
#: regard to case (Windows file names are case-insensitive).
WINDOWS_SYSTEM_LIBRARIES: tuple[str, ...] = (
    "api-ms-win-*.dll",
    "ext-ms-*.dll",
    "ucrtbase.dll",
    "msvcrt.dll",
    "ntdll.dll",
    "kernel32.dll",
    "kernelbase.dll",
    "user32.dll",
    "gdi32.dll",
    "gdi32full.dll",
    "win32u.dll",
    "advapi32.dll",
    "sechost.dll",
    "rpcrt4.dll",
    "combase.dll",
    "ole32.dll",
    "oleaut32.dll",
    "shell32.dll",
    "shlwapi.dll",
    "shcore.dll",
    "comctl32.dll",
    "comdlg32.dll",
    "uxtheme.dll",
    "dwmapi.dll",
    "imm32.dll",
    "msimg32.dll",
    "usp10.dll",
    "version.dll",
    "winmm.dll",
    "setupapi.dll",
    "cfgmgr32.dll",
    "userenv.dll",
    "psapi.dll",
    "propsys.dll",
    "dbghelp.dll",
    "powrprof.dll",
    "wtsapi32.dll",
    "netapi32.dll",
    "mpr.dll",
    "ws2_32.dll",
    "wsock32.dll",
    "iphlpapi.dll",
    "dnsapi.dll",
    "winhttp.dll",
    "wininet.dll",
    "urlmon.dll",
    "crypt32.dll",
    "bcrypt.dll",
    "bcryptprimitives.dll",
    "ncrypt.dll",
    "secur32.dll",
    "wintrust.dll",
    "authz.dll",
    "hid.dll",
    "winspool.drv",
    "opengl32.dll",
    "glu32.dll",
    "d3d*.dll",
    "dxgi.dll",
    "dwrite.dll",
    "d2d1.dll",
)

#: macOS: everything under /usr/lib and /System (libSystem, libobjc, libc++, the frameworks)
#: ships with the OS and, since macOS 11, lives only in the dyld shared cache: there is no
#: file to copy. Patterns are matched against the whole install name.
MACOS_SYSTEM_LIBRARIES: tuple[str, ...] = (
    "/usr/lib/*",
    "/System/Library/*",
)


_MULTIARCH = {
    "x86_64": "x86_64-linux-gnu",
    "aarch64": "aarch64-linux-gnu",
    "i686": "i386-linux-gnu",
    "i386": "i386-linux-gnu",
    "armv7l": "arm-linux-gnueabihf",
    "ppc64le": "powerpc64le-linux-gnu",
    "s390x": "s390x-linux-gnu",
}


@dataclass(frozen=True, kw_only=True)
class LibraryPolicy:
    """Which shared libraries stay out of the app (fnmatch patterns on the library name).

    A pattern with a ``/`` is matched against the whole name as asked for (macOS install
    names such as ``/usr/lib/libSystem.B.dylib``), any other against its last component.
    Windows names are matched without regard to case (``ignore_case``).

    The policy applies to libraries the loader would find *outside* the installed packages:
    a library vendored inside a wheel (``pillow.libs/libxcb-9065bb12.so.1.1.0``) is always
    bundled, whatever its name, because nothing else provides that copy.
    """

    exclude: tuple[str, ...] = SYSTEM_LIBRARIES
    include: tuple[str, ...] = ()  # bundled even when ``exclude`` matches
    ignore_case: bool = False

    def is_excluded(self, name: str) -> bool:
        if any(self._matches(name, p) for p in self.include):
            return False
        return any(self._matches(name, p) for p in self.exclude)

    def _matches(self, name: str, pattern: str) -> bool:
        subject = name if "/" in pattern else PurePosixPath(name.replace("\\", "/")).name
        if self.ignore_case:
            return fnmatch.fnmatchcase(subject.lower(), pattern.lower())
        return fnmatch.fnmatchcase(subject, pattern)


def policy_for(os: Os) -> LibraryPolicy:
    """The default library policy of a target OS."""
    if os is Os.WINDOWS:
        return LibraryPolicy(exclude=WINDOWS_SYSTEM_LIBRARIES, ignore_case=True)
    if os is Os.MACOS:
        return LibraryPolicy(exclude=MACOS_SYSTEM_LIBRARIES)
    return LibraryPolicy()


@dataclass(frozen=True, kw_only=True)
class BinaryScan:
    binaries: tuple[TocEntry, ...]  # BINARY entries for the libraries to bundle
    excluded: tuple[str, ...]  # names left to the system
    unresolved: tuple[tuple[str, str], ...]  # (binary file, library name) not found
    # (file that needs it, resolved; entry name of a bundled library): DT_NEEDED edges
    needs: tuple[tuple[str, str], ...] = ()


@dataclass(kw_only=True)
class _Elf:
    path: Path
    needed: list[str]
    rpath: list[str]
    runpath: list[str]
    ident: tuple[str, str]  # (class, machine)
    loader_rpaths: list[str] = field(default_factory=list)


def _lief() -> Any:
    import lief

    lief.logging.disable()
    return lief


def read_elf(path: Path) -> _Elf | None:
    """DT_NEEDED, RPATH, RUNPATH of an ELF file (None if it is not one): ``elfread``, no lief."""
    found = read_dynamic(path)
    if found is None:
        return None
    return _Elf(
        path=path,
        needed=found.needed,
        rpath=found.rpath,
        runpath=found.runpath,
        ident=found.ident,
    )


class BinaryFormat(enum.Enum):
    ELF = "elf"
    PE = "pe"
    MACHO = "macho"


@dataclass(frozen=True, kw_only=True)
class ImportedLibraries:
    """The libraries a binary asks the loader for, in any of the three formats.

    ``names``: ELF ``DT_NEEDED``; PE import and delay-import DLL names; Mach-O
    ``LC_LOAD_DYLIB`` (and weak, re-export, upward) install names. ``search_paths``: ELF
    RUNPATH (or RPATH), Mach-O ``LC_RPATH``; a PE file has none (Windows searches the
    application folder and the DLL directories set at run time).
    """

    format: BinaryFormat
    names: tuple[str, ...]
    search_paths: tuple[str, ...] = ()


def read_imports(path: Path) -> ImportedLibraries | None:
    """What ``path`` needs (ELF, PE or Mach-O; a fat Mach-O gives its first slice)."""
    lief = _lief()
    name = str(path)
    if lief.is_elf(name):
        elf = read_elf(path)
        if elf is None:
            return None
        paths = elf.runpath or elf.rpath
        return ImportedLibraries(
            format=BinaryFormat.ELF, names=tuple(elf.needed), search_paths=tuple(paths)
        )
    if lief.is_pe(name):
        pe = lief.PE.parse(name)
        if pe is None:
            return None
        names = [imp.name for imp in pe.imports]
        names += [imp.name for imp in getattr(pe, "delay_imports", ())]
        return ImportedLibraries(format=BinaryFormat.PE, names=tuple(dict.fromkeys(names)))
    if lief.is_macho(name):
        fat = lief.MachO.parse(name)
        if fat is None or fat.size == 0:
            return None
        macho = fat.at(0)
        rpaths = [c.path for c in macho.commands if isinstance(c, lief.MachO.RPathCommand)]
        return ImportedLibraries(
            format=BinaryFormat.MACHO,
            names=tuple(
                lib.name
                for lib in macho.libraries
                if lib.command != lief.MachO.LoadCommand.TYPE.ID_DYLIB  # its own name
            ),
            search_paths=tuple(rpaths),
        )
    return None


def ld_so_conf_dirs(conf: Path = Path("/etc/ld.so.conf")) -> list[str]:
    """Folders listed in ld.so.conf, following ``include`` lines."""
    dirs: list[str] = []

    def read(path: Path, depth: int) -> None:
        if depth > 8:
            return
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        for raw in lines:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("include"):
                pattern = line.split(None, 1)[1] if " " in line or "\t" in line else ""
                if not os.path.isabs(pattern):
                    pattern = str(path.parent / pattern)
                for found in sorted(glob.glob(pattern)):
                    read(Path(found), depth + 1)
            elif line.startswith("/"):
                dirs.append(line)

    read(conf, 0)
    return dirs


def default_dirs(target: Target) -> list[str]:
    triple = _MULTIARCH.get(target.machine)
    dirs = []
    if triple:
        dirs += [f"/lib/{triple}", f"/usr/lib/{triple}"]
    if target.bits == 64:
        dirs += ["/lib64", "/usr/lib64"]
    dirs += ["/lib", "/usr/lib"]
    return dirs


def _expand(entries: Iterable[str], origin: Path) -> list[str]:
    out = []
    for entry in entries:
        for part in entry.split(":"):
            if not part:
                continue
            part = part.replace("${ORIGIN}", str(origin)).replace("$ORIGIN", str(origin))
            if "$" in part:  # $LIB, $PLATFORM: rare, not resolved
                continue
            out.append(part)
    return out


class _Resolver:
    def __init__(self, target: Target, *, system_dirs: Sequence[str]) -> None:
        self.target = target
        self.system_dirs = list(system_dirs)
        self._ident_cache: dict[str, tuple[str, str] | None] = {}

    def resolve(self, name: str, requester: _Elf) -> Path | None:
        if "/" in name:
            return Path(name) if os.path.exists(name) else None
        origin = requester.path.parent
        dirs: list[str] = []
        if not requester.runpath:
            dirs += _expand(requester.rpath, origin) + requester.loader_rpaths
        dirs += _expand(requester.runpath, origin)
        dirs += self.system_dirs
        dirs.append(str(self.target.libpython.parent))  # the python executable's own rpath
        for folder in dirs:
            candidate = Path(folder, name)
            if candidate.is_file() and self._ident(candidate) in (requester.ident, None):
                return candidate
        return None

    def _ident(self, path: Path) -> tuple[str, str] | None:
        key = str(path)
        if key not in self._ident_cache:
            self._ident_cache[key] = read_ident(path)
        return self._ident_cache[key]


def _placement(library: Path, name: str, site_dirs: Sequence[Path]) -> str:
    """Where a found library goes under the top directory."""
    for site in site_dirs:
        try:
            relative = library.resolve().relative_to(site.resolve())
        except ValueError:
            continue
        return relative.as_posix()
    return name


def _is_vendored(library: Path, site_dirs: Sequence[Path]) -> bool:
    """True for a library shipped inside an installed package (a wheel's ``*.libs``)."""
    return _placement(library, "", site_dirs) != ""


def scan_binaries(
    roots: Sequence[Path],
    target: Target,
    *,
    site_dirs: Sequence[Path],
    policy: LibraryPolicy = LibraryPolicy(),
    system_dirs: Sequence[str] | None = None,
) -> BinaryScan:
    """Walk DT_NEEDED (Mach-O: install names) from ``roots``; the libraries to bundle."""
    if target.os is Os.MACOS:
        from freezekit.analysis.macho import scan_macho

        walk = scan_macho(roots, executable=target.python, site_dirs=site_dirs)
        return BinaryScan(
            binaries=walk.binaries,
            excluded=walk.excluded,
            unresolved=walk.unresolved,
            needs=walk.needs,
        )
    if system_dirs is None:
        system_dirs = ld_so_conf_dirs() + default_dirs(target)
    resolver = _Resolver(target, system_dirs=system_dirs)
    queue: list[_Elf] = []
    for root in roots:
        elf = read_elf(root)
        if elf is None:
            logger.debug("%s is not an ELF file; no dependencies read", root)
        else:
            queue.append(elf)
    seen_files = {str(e.path.resolve()) for e in queue}
    bundled: dict[str, TocEntry] = {}
    excluded: set[str] = set()
    unresolved: set[tuple[str, str]] = set()
    needs: set[tuple[str, str]] = set()
    while queue:
        elf = queue.pop(0)
        for name in elf.needed:
            found = resolver.resolve(name, elf)
            vendored = found is not None and _is_vendored(found, site_dirs)
            if policy.is_excluded(name) and not vendored:
                excluded.add(name)
                continue
            if found is None:
                unresolved.add((str(elf.path), name))
                continue
            dest = _placement(found, PurePosixPath(name).name, site_dirs)
            logger.debug("%s needs %s: %s -> %s", elf.path.name, name, found, dest)
            bundled.setdefault(
                dest, TocEntry(name=dest, kind=EntryKind.BINARY, source=str(found), mode=0o755)
            )
            needs.add((str(elf.path.resolve()), dest))
            real = str(found.resolve())
            if real in seen_files:
                continue
            seen_files.add(real)
            child = read_elf(found)
            if child is not None:
                child.loader_rpaths = (
                    [] if elf.runpath else _expand(elf.rpath, elf.path.parent) + elf.loader_rpaths
                )
                queue.append(child)
    for binary, name in sorted(unresolved):
        logger.warning("library %s needed by %s was not found; it is not bundled", name, binary)
    return BinaryScan(
        binaries=tuple(sorted(bundled.values(), key=lambda e: e.name)),
        excluded=tuple(sorted(excluded)),
        unresolved=tuple(sorted(unresolved)),
        needs=tuple(sorted(needs)),
    )


# -- preparing the copies ------------------------------------------------------------------

_PREPARE_VERSION = b"freezekit-prepare-4"  # 4: symbol tables stripped too


def top_relative_for(name: str) -> str:
    """The path from the folder of entry ``name`` back to the top directory (``.``, ``..``)."""
    depth = len(PurePosixPath(name).parts) - 1
    return "/".join([".."] * depth) or "."


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "freezekit", "binaries")


def prepare_binary(
    source: Path,
    dest: Path,
    *,
    top_relative: str,
    strip: bool,
    cache_dir: Path | None = None,
) -> None:
    """Copy ``source`` to ``dest``, strip its symbols if asked, point RUNPATH at the top dir.

    Results are cached by content hash (``cache_dir``, default ``~/.cache/freezekit/binaries``)
    so a rebuild copies instead of re-patching.
    """
    cache = cache_dir or default_cache_dir()
    digest = hashlib.sha256(_PREPARE_VERSION)
    digest.update(f"{top_relative}\0{strip}\0".encode())
    with source.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    cached = cache / digest.hexdigest()
    dest.parent.mkdir(parents=True, exist_ok=True)
    mode = source.stat().st_mode & 0o777 | 0o644
    if not cached.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        # a private name beside the entry, not a folder of its own: on a first build (numpy_app:
        # 71 files) making and removing those folders took ~0.1 s of the binaries' thread
        work = cache / f".prepare-{os.getpid()}-{threading.get_ident()}-{source.name}"
        try:
            _strip_or_copy(source, work, strip=strip)
            _set_runpath(work, top_relative)
            os.replace(work, cached)
        except BaseException:
            work.unlink(missing_ok=True)
            raise
    partial = dest.with_name(dest.name + ".partial")
    shutil.copyfile(cached, partial)
    os.chmod(partial, mode)
    os.replace(partial, dest)


def _relink_macho(path: Path, top_relative: str) -> None:
    """Install names and rpaths pointing inside the app; an edited file is signed ad hoc again
    where codesign exists (macOS), which arm64 requires before it runs."""
    from freezekit.analysis.macho import relink_macho, sign_adhoc

    if relink_macho(path, top_relative=top_relative).changed and not sign_adhoc([path]):
        logger.debug("%s was relinked; it needs `codesign --force --sign -` on macOS", path.name)


def _strip_or_copy(source: Path, work: Path, *, strip: bool) -> None:
    """Strip the symbol table and debug sections if asked and safe (``analysis.strip``)."""
    if not (strip and strip_unneeded(source, work)):
        shutil.copyfile(source, work)


_MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_FAT_MAGICS = (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf")


def _set_runpath(path: Path, top_relative: str) -> None:
    """Point the search path of an ELF file at the top directory (Mach-O: relink it).

    An ELF file that has one search path entry whose string is long enough gets the new one
    written in place (``elfread.set_runpath_in_place``: no byte moves); a shared library
    without room gets copies of its dynamic section and string table in a segment appended to
    it (``elfread.set_runpath_appended``). Anything else (an executable, a file with both
    RPATH and RUNPATH, Mach-O) is rewritten with lief, whose import and parse of libpython
    cost ~110 MiB of memory.
    """
    with path.open("rb") as stream:
        magic = stream.read(4)
    if magic.startswith(_FAT_MAGICS) or magic in _MACHO_MAGICS:
        _relink_macho(path, top_relative)
        return
    if magic != b"\x7fELF":
        return
    found = read_dynamic(path)
    if found is None or (found.rpath and found.runpath):
        _set_runpath_lief(path, top_relative)
        return
    has_path = found.path_entries > 0
    if all(LibraryPolicy().is_excluded(name) for name in found.needed) and not has_path:
        return  # as in _set_runpath_lief
    wanted = _wanted_runpath(top_relative, found.rpath + found.runpath)
    if found.runpath == wanted and not found.rpath and found.path_entries == 1:
        return
    if found.path_entries == 1 and set_runpath_in_place(path, wanted):
        return
    patched = path.with_name(path.name + ".runpath")
    shutil.copyfile(path, patched)
    if set_runpath_appended(patched, wanted) and has_loadable_layout(patched):
        os.replace(patched, path)
        return
    patched.unlink()
    _set_runpath_lief(path, top_relative)


def _wanted_runpath(top_relative: str, old: list[str]) -> list[str]:
    """``$ORIGIN/<top_relative>``, then the ``$ORIGIN`` entries of the old search path."""
    top = "$ORIGIN" if top_relative in ("", ".") else f"$ORIGIN/{top_relative}"
    wanted = [top]
    wanted += [p for p in old if p.startswith(("$ORIGIN", "${ORIGIN}")) and p not in wanted]
    return wanted


def _set_runpath_lief(path: Path, top_relative: str) -> None:
    lief = _lief()
    if lief.is_macho(str(path)):
        _relink_macho(path, top_relative)
        return
    binary = lief.ELF.parse(str(path))
    if binary is None:
        return
    tag = lief.ELF.DynamicEntry.TAG
    needed = [e.name for e in binary.dynamic_entries if e.tag == tag.NEEDED]
    has_path = binary.has(tag.RPATH) or binary.has(tag.RUNPATH)
    if all(LibraryPolicy().is_excluded(name) for name in needed) and not has_path:
        # Only system libraries (or none) and no search path of the build machine to replace:
        # the file is left as it is. Adding a dynamic entry makes lief move sections, which
        # has broken libraries that had none (Debian's libpython).
        return
    old: list[str] = []
    for entry in binary.dynamic_entries:
        if entry.tag in (tag.RPATH, tag.RUNPATH):
            old.extend(p for part in entry.paths for p in part.split(":") if p)
    wanted = _wanted_runpath(top_relative, old)
    current = [p for e in binary.dynamic_entries if e.tag == tag.RUNPATH for p in e.paths]
    if current == wanted and not binary.has(tag.RPATH):
        return
    while binary.has(tag.RPATH):
        binary.remove(tag.RPATH)
    while binary.has(tag.RUNPATH):
        binary.remove(tag.RUNPATH)
    binary.add(lief.ELF.DynamicEntryRunPath(wanted))
    patched = path.with_name(path.name + ".runpath")
    binary.write(str(patched))
    if has_loadable_layout(patched):
        os.replace(patched, path)
    else:  # never ship a file the loader refuses; LD_LIBRARY_PATH still finds the top dir
        patched.unlink()
        logger.warning(
            "could not set RUNPATH of %s without damaging it; it keeps its own (%s)",
            path.name,
            ":".join(old) or "none",
        )
