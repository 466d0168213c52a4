"""The Windows bootloader, cross-compiled on Linux with mingw-w64 and checked under wine.

There is no Windows CPython here, so a Windows app cannot be frozen nor run end to end. What
is built: ``run.exe`` (console and windowed), ``archive_check.exe`` and ``win_check.exe`` for
x86_64 and x86, from the same C sources as every other bootloader, against CPython's own
headers as a Windows build sees them (``Include/`` + ``PC/pyconfig.h``, unpacked by
scripts/install-mingw.sh) and a static zstd compiled from the single-file library that PyPI's
``zstandard`` sdist vendors. What runs (x86_64, wine64): the archive reader on every fixture
archive; ``win_check.exe`` (paths, the wide environment, long paths, command-line quoting, exit
codes); and ``run.exe`` with a good archive appended (onedir, onefile temp and cache mode, up
to loading python3XY.dll, which does not exist here) and with damaged ones: one line, exit
status 1, paths with backslashes only, and in the windowed build the message box (its text read
from wine's relay trace of MessageBoxW, or from stderr with FREEZEKIT_NO_DIALOG=1).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from freezekit.archive import format as fmt
from freezekit.archive import reader
from freezekit.archive.pkg import PkgHeader, PkgItem, write_pkg
from freezekit.errors import ToolchainError
from freezekit.toc import Compression, EntryKind

logger = logging.getLogger(__name__)

TRIPLES = {"x86_64": "x86_64-w64-mingw32", "i686": "i686-w64-mingw32"}
DEFAULT_WINDOWS_ROOT = Path("/opt/freezekit/windows")
INSTALL_MINGW = "bash scripts/install-mingw.sh"


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "freezekit"


def default_prefix() -> Path:
    """The wine prefix shared by the session and the tests (about 700 MB once made), in the
    per-user cache: ``${XDG_CACHE_HOME:-~/.cache}/freezekit/wineprefix``."""
    return _cache() / "wineprefix"


def windows_root() -> Path:
    return Path(os.environ.get("FREEZEKIT_WINDOWS_ROOT") or DEFAULT_WINDOWS_ROOT)


def mingw_apt_command(version: str, root: Path | None = None) -> str:
    """What scripts/install-mingw.sh runs, as commands (for a hint)."""
    return (
        "apt-get install -y --no-install-recommends gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 "
        f"wine64 cmake ninja-build; then `apt-get source --download-only python{version}` "
        "(needs a deb-src entry) and its Include/ plus PC/pyconfig.h copied into "
        f"{root or windows_root()}/include/python{version}"
    )


def find_wine() -> Path | None:
    """wine64 on PATH, or where Debian's wine64 package puts it."""
    found = shutil.which("wine64")
    if found:
        return Path(found)
    default = Path("/usr/lib/wine/wine64")
    return default if default.is_file() else None


def windows_problems(version: str = "3.11", *, root: Path | None = None) -> list[str]:
    """What is missing to build and check the Windows bootloader (empty: ready)."""
    include = (root or windows_root()) / "include" / f"python{version}"
    problems = [
        f"{triple}-gcc (gcc-mingw-w64-{arch.replace('_', '-')})"
        for arch, triple in TRIPLES.items()
        if shutil.which(f"{triple}-gcc") is None
    ]
    problems += [f"{tool} ({tool})" for tool in ("cmake",) if shutil.which(tool) is None]
    if shutil.which("ninja") is None:
        problems.append("ninja (ninja-build)")
    if find_wine() is None:
        problems.append("wine64 (wine64)")
    if not (include / "Python.h").is_file() or not (include / "pyconfig.h").is_file():
        problems.append(f"CPython {version} headers for Windows in {include}")
    return problems


def _run(command: Sequence[str], *, what: str, cwd: Path | None = None) -> None:
    logger.debug("running %s", " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    if done.returncode != 0:
        raise ToolchainError(
            f"{what} failed (exit status {done.returncode}): {' '.join(command)}\n"
            + (done.stdout + done.stderr).strip()[-2000:],
            hint="read the compiler output above",
        )


# -- zstd for mingw --------------------------------------------------------------------------


def fetch_zstd_sources(cache: Path | None = None, *, version: str | None = None) -> Path:
    """The folder holding zstd.c and zstd.h, from PyPI's zstandard sdist (pip download), kept
    in ``cache`` (default: the per-user cache, ``~/.cache/freezekit/zstd-src``)."""
    cache = cache or _cache() / "zstd-src"
    version = version or importlib.metadata.version("zstandard")
    folder = cache / f"zstandard-{version}" / "zstd"
    if (folder / "zstd.c").is_file() and (folder / "zstd.h").is_file():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check"]
        command += ["-q", "--no-deps", "--no-binary", ":all:", "-d", tmp]
        _run([*command, f"zstandard=={version}"], what="downloading the zstandard sdist")
        sdists = sorted(Path(tmp).glob("zstandard-*.tar.gz"))
        if not sdists:
            raise ToolchainError(f"pip download left no zstandard sdist in {tmp}")
        with tarfile.open(sdists[0]) as archive:
            wanted = [
                m
                for m in archive.getmembers()
                if m.isfile()
                and m.name.count("/") == 2
                and m.name.split("/")[1] == "zstd"
                and m.name.endswith((".c", ".h", "LICENSE", "COPYING"))
            ]
            partial = cache / f".zstandard-{version}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            (partial / "zstd").mkdir(parents=True)
            for member in wanted:
                stream = archive.extractfile(member)
                assert stream is not None
                (partial / "zstd" / Path(member.name).name).write_bytes(stream.read())
        shutil.rmtree(folder.parent, ignore_errors=True)
        os.replace(partial, folder.parent)
    if not (folder / "zstd.c").is_file():
        raise ToolchainError(f"the zstandard {version} sdist holds no zstd/zstd.c")
    return folder


def build_zstd(sources: Path, arch: str, out_dir: Path) -> Path:
    """libzstd.a for Windows ``arch`` from the single-file zstd.c (no assembly)."""
    triple = TRIPLES[arch]
    out_dir.mkdir(parents=True, exist_ok=True)
    library = out_dir / "libzstd.a"
    stamp = out_dir / "source"
    if library.is_file() and stamp.is_file() and stamp.read_text() == str(sources):
        return library
    obj = out_dir / "zstd.o"
    flags = ["-O2", "-DZSTD_DISABLE_ASM", "-ffunction-sections", "-fdata-sections"]
    _run([f"{triple}-gcc", *flags, "-c", str(sources / "zstd.c"), "-o", str(obj)], what="zstd")
    library.unlink(missing_ok=True)
    _run([f"{triple}-ar", "rcs", str(library), str(obj)], what="archiving zstd")
    stamp.write_text(str(sources))
    return library


# -- the bootloader ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WindowsBootloader:
    arch: str  # x86_64 or i686
    windowed: bool
    run: Path  # run.exe
    archive_check: Path  # archive_check.exe

    @property
    def name(self) -> str:
        return f"windows-{self.arch}{'-windowed' if self.windowed else ''}"

    @property
    def win_check(self) -> Path:
        """bootloader/tests/win_check.c, built next to run.exe."""
        return self.run.with_name("win_check.exe")


def build_windows_bootloader(
    arch: str,
    *,
    windowed: bool,
    include: Path,
    zstd: Path,
    build_dir: Path,
    zstd_dir: Path | None = None,
) -> WindowsBootloader:
    """Configure and compile the bootloader for Windows ``arch`` with mingw-w64 (libzstd.a in
    ``zstd_dir``, default beside ``build_dir``, reused while its sources are the same)."""
    from freezekit.assemble.bootloader import source_dir

    sources = source_dir()
    library = build_zstd(zstd, arch, zstd_dir or build_dir.parent / f"zstd-{arch}")
    configure = ["cmake", "-S", str(sources), "-B", str(build_dir), "-G", "Ninja"]
    configure += [
        f"-DCMAKE_TOOLCHAIN_FILE={sources / 'cmake' / f'mingw-{arch}.cmake'}",
        f"-DPython_INCLUDE_DIR={include}",
        f"-DZSTD_STATIC_LIBRARY={library}",
        f"-DZSTD_INCLUDE_DIR={zstd}",
        f"-DFK_WINDOWED={'ON' if windowed else 'OFF'}",
        "-DCMAKE_BUILD_TYPE=Release",
    ]
    _run(configure, what=f"configuring the windows-{arch} bootloader")
    _run(["cmake", "--build", str(build_dir)], what=f"compiling the windows-{arch} bootloader")
    result = WindowsBootloader(
        arch=arch,
        windowed=windowed,
        run=build_dir / "run.exe",
        archive_check=build_dir / "archive_check.exe",
    )
    if not result.run.is_file():
        raise ToolchainError(f"the windows-{arch} build produced no {result.run}")
    return result


def pe_machine(path: Path) -> tuple[str, str]:
    """(machine, subsystem) of a PE file: ("x86_64" or "i686", "console" or "windows")."""
    data = path.read_bytes()
    if data[:2] != b"MZ":
        raise ToolchainError(f"{path} is not a Windows executable (no MZ header)")
    pe = int.from_bytes(data[0x3C:0x40], "little")
    if data[pe : pe + 4] != b"PE\0\0":
        raise ToolchainError(f"{path} is not a PE file")
    machine = int.from_bytes(data[pe + 4 : pe + 6], "little")
    subsystem = int.from_bytes(data[pe + 24 + 68 : pe + 24 + 70], "little")
    machines = {0x8664: "x86_64", 0x14C: "i686"}
    return machines.get(machine, hex(machine)), {2: "windows", 3: "console"}.get(
        subsystem, str(subsystem)
    )


# -- archives appended to it, run under wine ---------------------------------------------------


def _with_options(fixture: Path, options: Sequence[str]) -> tuple[bytes, fmt.Trailer]:
    """The PKG of ``fixture`` written again with ``options`` as its option entries."""
    archive = reader.open_archive(fixture)
    items = [PkgItem(name=option, kind=EntryKind.OPTION) for option in options]
    items += [
        PkgItem(
            name=entry.name,
            kind=entry.kind,
            data=reader.read_entry(archive, entry),
            mode=entry.mode,
            compress=entry.compression is Compression.ZSTD,
        )
        for entry in archive.entries
        if entry.kind is not EntryKind.OPTION
    ]
    out = io.BytesIO()
    header = PkgHeader(
        flags=archive.trailer.flags,
        py_version=(archive.trailer.py_major, archive.trailer.py_minor),
        libpython=archive.trailer.libpython,
    )
    trailer = write_pkg(out, items, header, pkg_offset=0, level=3)
    return out.getvalue()[: trailer.pkg_length], trailer


def with_archive(
    bootloader: Path,
    fixture: Path,
    dest: Path,
    *,
    flags: int | None = None,
    libpython: str | None = None,
    python: tuple[int, int] | None = None,
    options: Sequence[str] | None = None,
) -> Path:
    """``dest`` = the bootloader + the PKG of a fixture archive + its trailer, with the PKG
    offset rewritten for the new position (and, if given, the flags, the libpython name, the
    Python version the bootloader was built for and the option entries, which replace the
    fixture's)."""
    data = fixture.read_bytes()
    trailer = fmt.decode_trailer(data[-fmt.TRAILER_SIZE :])
    pkg = data[trailer.pkg_offset : trailer.pkg_offset + trailer.pkg_length]
    if options is not None:
        pkg, trailer = _with_options(fixture, options)
    front = bootloader.read_bytes()
    moved = replace(
        trailer,
        pkg_offset=len(front),
        flags=trailer.flags if flags is None else flags,
        libpython=trailer.libpython if libpython is None else libpython,
        py_major=trailer.py_major if python is None else python[0],
        py_minor=trailer.py_minor if python is None else python[1],
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(front + pkg + fmt.encode_trailer(moved))
    return dest


@contextlib.contextmanager
def wine_session(prefix: Path, *, timeout: float = 180) -> Iterator[None]:
    """A persistent wineserver for ``prefix`` while the block runs (each start then takes a
    few milliseconds instead of seconds). The prefix is made on first use only (no system.reg
    yet); the server stays 30 s after its last program ends and is never killed here: other
    sessions and tests may share the prefix and have programs running in it."""
    wine = find_wine()
    if wine is None:
        raise ToolchainError("wine64 not found", hint=INSTALL_MINGW)
    server = shutil.which("wineserver") or str(wine.with_name("wineserver"))
    env = {**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all"}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    steps: list[tuple[str, list[str]]] = []
    if not (prefix / "system.reg").is_file():
        prefix.parent.mkdir(parents=True, exist_ok=True)
        steps.append(("wineboot -i", [str(wine), "wineboot", "-i"]))
    # -p30: persistent; a server already running for the prefix makes this one exit at once
    steps.append(("wineserver -p30", [server, "-p30"]))
    for what, command in steps:
        wine_step(command, env, prefix=prefix, what=what, timeout=timeout)
    yield


def wine_step(
    command: Sequence[str], env: Mapping[str, str], *, prefix: Path, what: str, timeout: float
) -> None:
    """Run one wine set-up step (output discarded); one line naming the prefix if it hangs."""
    null = subprocess.DEVNULL
    try:
        subprocess.run(command, env=env, timeout=timeout, stdout=null, stderr=null)
    except subprocess.TimeoutExpired:
        raise ToolchainError(
            f"wine prefix {prefix}: {what} did not finish in {timeout:.0f} s",
            hint="the machine may be overloaded or the prefix damaged; retry, or remove "
            "the prefix folder to have it made again",
        ) from None


def windows_temp_dirs(prefix: Path) -> list[Path]:
    """The TEMP folders of the wine prefix's users."""
    users = prefix / "drive_c" / "users"
    return sorted([*users.glob("*/Temp"), *users.glob("*/AppData/Local/Temp")])


def windows_path(path: Path) -> str:
    """How a Windows program under wine sees a Linux path (the Z: drive)."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


def run_wine(
    exe: Path,
    args: Sequence[str] = (),
    *,
    prefix: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run a Windows program with wine64 in its own prefix (made on first use)."""
    wine = find_wine()
    if wine is None:
        raise ToolchainError("wine64 not found", hint=INSTALL_MINGW)
    environment = {**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all", **(env or {})}
    # No display: a message box fails at once instead of waiting for a click.
    environment.pop("DISPLAY", None)
    environment.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [str(wine), str(exe), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=timeout,
    )


@dataclass(frozen=True, kw_only=True)
class WineCheck:
    name: str
    ok: bool
    detail: str  # the program's output, or what was wrong


# A Windows path in a message: a drive letter, then anything up to white space, ':' or ';'.
_WINDOWS_PATH = re.compile(r"[A-Za-z]:[\\/][^\s:;]*")


def mixed_separators(line: str) -> list[str]:
    """The Windows paths in ``line`` that hold a '/' (the bootloader joins with '\\' only)."""
    return [path for path in _WINDOWS_PATH.findall(line) if "/" in path]


def one_line_failure(done: subprocess.CompletedProcess[str], must_say: str) -> tuple[bool, str]:
    """Exit status 1 and one line saying ``must_say``, whose paths use '\\' only."""
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    text = " | ".join(lines) or "(no output)"
    mixed = mixed_separators(text)
    ok = done.returncode == 1 and len(lines) == 1 and must_say in lines[0] and not mixed
    return ok, f"exit {done.returncode}: {text}" + (
        f"; mixed separators in {mixed}" if mixed else ""
    )


def _leftovers(prefix: Path) -> list[str]:
    return [str(p) for folder in windows_temp_dirs(prefix) for p in folder.glob("_MEIfk*")]


def check_archive_reader(tool: Path, fixtures: Path, *, prefix: Path) -> list[WineCheck]:
    """archive_check.exe on every fixture: good ones exit 0, bad ones one line and exit 1."""
    checks = []
    for archive in sorted(fixtures.glob("*.bin")):
        done = run_wine(tool, [windows_path(archive)], prefix=prefix)
        if archive.name.startswith("good-"):
            ok, detail = done.returncode == 0, f"exit {done.returncode}: {done.stdout.strip()}"
        else:
            ok, detail = one_line_failure(done, archive.name)
        checks.append(WineCheck(name=f"archive_check {archive.name}", ok=ok, detail=detail))
    return checks


def check_run(
    run: Path, fixtures: Path, *, work: Path, prefix: Path, python: tuple[int, int]
) -> list[WineCheck]:
    """run.exe with archives appended: onedir and onefile (temp, under the prefix's TEMP) get
    as far as loading python3XY.dll, which is not there; damaged and truncated files are
    refused in one line. Every path shown is joined with backslashes."""
    dll = f"python{python[0]}{python[1]}.dll"
    good = fixtures / "good-minimal.bin"
    shutil.rmtree(work, ignore_errors=True)
    checks = []

    onedir = with_archive(run, good, work / "onedir" / "app.exe", libpython=dll, python=python)
    top = windows_path(onedir.parent) + "\\_internal"
    done = run_wine(onedir, prefix=prefix)
    ok, detail = one_line_failure(done, f"folder {top} is missing")
    checks.append(WineCheck(name="onedir without _internal", ok=ok, detail=detail))
    (onedir.parent / "_internal").mkdir()
    done = run_wine(onedir, ["a b", 'q"uote'], prefix=prefix)
    ok, detail = one_line_failure(done, f"cannot load {top}\\{dll}:")
    checks.append(WineCheck(name="onedir, loading libpython", ok=ok, detail=detail))

    onefile = with_archive(
        run,
        good,
        work / "onefile" / "app.exe",
        flags=fmt.FLAG_ONEFILE,
        libpython=dll,
        python=python,
    )
    before = _leftovers(prefix)
    done = run_wine(onefile, ["x"], prefix=prefix)
    ok, detail = one_line_failure(done, f"\\{dll}:")
    left = sorted(set(_leftovers(prefix)) - set(before))
    shown = re.search(r"cannot load ([A-Za-z]:\\\S*\\_MEIfk[a-z0-9]{6}\\python\d+\.dll):", detail)
    checks.append(
        WineCheck(
            name="onefile temp: extract, child via CreateProcessW, wait, remove",
            ok=ok and not left and shown is not None,
            detail=detail + (f"; left behind: {left}" if left else "; TEMP left clean"),
        )
    )

    damaged = with_archive(run, fixtures / "bad-zeroed-toc.bin", work / "damaged" / "app.exe")
    done = run_wine(damaged, prefix=prefix)
    ok, detail = one_line_failure(done, "freezekit: cannot start")
    checks.append(WineCheck(name="damaged TOC", ok=ok, detail=detail))

    whole = onedir.read_bytes()
    truncated = work / "truncated" / "app.exe"
    truncated.parent.mkdir()
    truncated.write_bytes(whole[: len(whole) - fmt.TRAILER_SIZE - 100])
    done = run_wine(truncated, prefix=prefix)
    ok, detail = one_line_failure(done, "freezekit: cannot start")
    checks.append(WineCheck(name="truncated file", ok=ok, detail=detail))
    return checks


def build_and_check(
    *, include: Path, fixtures: Path, work: Path, python: tuple[int, int]
) -> tuple[list[WindowsBootloader], list[WineCheck]]:
    """Every Windows bootloader (x86_64 and i686, console and windowed), each checked for its
    PE machine and subsystem; the x86_64 ones run under wine64 (wine64 cannot run 32-bit
    programs without the i386 wine packages, so the i686 ones are built, not run)."""
    # windows_checks imports this module: imported here, not at the top
    from freezekit.crossbuild import windows_checks

    zstd = fetch_zstd_sources()
    built: list[WindowsBootloader] = []
    checks: list[WineCheck] = []
    for arch in TRIPLES:
        for windowed in (False, True):
            folder = work / f"windows-{arch}{'-windowed' if windowed else ''}"
            build = build_windows_bootloader(
                arch, windowed=windowed, include=include, zstd=zstd, build_dir=folder
            )
            built.append(build)
            wanted = (arch, "windows" if windowed else "console")
            found = pe_machine(build.run)
            checks.append(
                WineCheck(name=f"{build.name} PE header", ok=found == wanted, detail=str(found))
            )
            checks.append(windows_checks.check_manifest(build.run, name=build.name))
    console = next(b for b in built if b.arch == "x86_64" and not b.windowed)
    windowed_build = next(b for b in built if b.arch == "x86_64" and b.windowed)
    prefix = default_prefix()
    runs = work / "runs"
    with wine_session(prefix):
        checks += check_archive_reader(console.archive_check, fixtures, prefix=prefix)
        checks += windows_checks.check_win_check(console.win_check, work=runs, prefix=prefix)
        checks.append(
            windows_checks.check_windows_version(console.win_check, work=runs, prefix=prefix)
        )
        checks += check_run(console.run, fixtures, work=runs, prefix=prefix, python=python)
        checks += windows_checks.check_extract_modes(
            console.run, fixtures, work=runs, prefix=prefix, python=python
        )
        checks += windows_checks.check_dialog(
            windowed_build.run, console.run, fixtures, work=runs, prefix=prefix, python=python
        )
        checks += windows_checks.check_signed_archive(
            console.archive_check, console.run, fixtures, work=runs, prefix=prefix
        )
    return built, checks
