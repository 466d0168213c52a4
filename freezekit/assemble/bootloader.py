"""Finding or compiling the C bootloader for a target.

A bootloader is built per target Python minor version (it is compiled against that Python's
headers: PyConfig's layout differs between minor versions) and per variant (console or
windowed, release or debug). ``find_bootloader`` prefers one shipped in the wheel
(``freezekit/_bootloaders/<tag>[-windowed]/run``) and otherwise compiles one on demand into a
per-user cache, keyed by a hash of the C sources and the build flags. ``build_bootloader``
compiles into a given folder (used by ``invoke bootloader`` and ``nox -s bootloader``).

A checkout (an editable install) is to its sources what a platform wheel is to its own:
``prebuild`` (run by setup.sh and by ``nox -s bench`` when they install freezekit) compiles the
bootloaders for one Python into ``build/bootloaders/`` of the checkout, named like the cache's
entries (the key of the sources they came from), so a first build there finds one as a wheel
user's does, and a checkout whose C sources changed since compiles a new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from freezekit.errors import FreezekitError, ToolchainError
from freezekit.platforms import Os, Target, headers_target

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the freezekit package
EXECUTABLE_NAME = "run"
ZSTD_HINT = "install it with `apt-get install libzstd-dev` (Fedora: `dnf install libzstd-static`)"


@dataclass(frozen=True, kw_only=True)
class Variant:
    """Which bootloader: console or windowed, release or debug."""

    windowed: bool = False
    debug: bool = False

    @property
    def suffix(self) -> str:
        return ("-windowed" if self.windowed else "") + ("-debug" if self.debug else "")


def source_dir() -> Path:
    """The C sources: ``<repo>/bootloader`` in a checkout, else the copy inside the package."""
    for candidate in (
        PACKAGE_DIR.parent / "bootloader",
        PACKAGE_DIR / "_bootloader_src",
        PACKAGE_DIR / "bootloader_src",
    ):
        if (candidate / "CMakeLists.txt").is_file():
            return candidate
    raise ToolchainError(
        f"the bootloader's C sources are not in {PACKAGE_DIR.parent / 'bootloader'} "
        f"nor in {PACKAGE_DIR / '_bootloader_src'}",
        hint="this freezekit install is incomplete: reinstall it "
        "(`pip install --force-reinstall freezekit`; sdists and wheels carry the sources)",
    )


def shipped_bootloader(target: Target, variant: Variant) -> Path | None:
    path = PACKAGE_DIR / "_bootloaders" / f"{target.tag}{variant.suffix}" / _exe_name(target)
    return path if path.is_file() else None


def _exe_name(target: Target) -> str:
    return EXECUTABLE_NAME + (".exe" if target.os is Os.WINDOWS else "")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "freezekit" / "bootloader"


def prebuilt_root(sources: Path) -> Path | None:
    """Where ``prebuild`` puts the bootloaders of a checkout (None: ``sources`` are the copy
    inside an installed package, not a checkout's)."""
    checkout = PACKAGE_DIR.parent
    return checkout / "build" / "bootloaders" if sources == checkout / "bootloader" else None


def _source_files(sources: Path) -> list[Path]:
    return sorted(
        path
        for path in sources.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".")
    )


def hash_sources(digest: hashlib._Hash, sources: Path, include: Path) -> None:
    """Feed ``digest`` every C source (name and bytes) and the target's ``patchlevel.h``."""
    for path in _source_files(sources):
        digest.update(path.relative_to(sources).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    patchlevel = include / "patchlevel.h"
    if patchlevel.is_file():
        digest.update(patchlevel.read_bytes())


def build_key(target: Target, variant: Variant, sources: Path) -> str:
    """Hash of everything that changes the produced executable."""
    digest = hashlib.sha256()
    hash_sources(digest, sources, target.include)
    flags = _cmake_flags(target, variant)
    digest.update("\0".join(flags[1:]).encode())  # not the include path: machine-specific
    return digest.hexdigest()[:16]


def _cmake_flags(target: Target, variant: Variant) -> list[str]:
    flags = [
        f"-DPython_INCLUDE_DIR={target.include}",
        f"-DFK_WINDOWED={'ON' if variant.windowed else 'OFF'}",
        f"-DFK_DEBUG={'ON' if variant.debug else 'OFF'}",
        "-DFK_TESTS=OFF",
        f"-DCMAKE_BUILD_TYPE={'Debug' if variant.debug else 'Release'}",
    ]
    if target.bits == 32 and sys.maxsize > 2**32:
        flags.append("-DFK_M32=ON")
    return flags


def find_bootloader(target: Target, *, windowed: bool = False, debug: bool = False) -> Path:
    """The bootloader for ``target``: shipped in the package, prebuilt in this checkout for its
    sources as they are, cached, or compiled now (into the cache)."""
    variant = Variant(windowed=windowed, debug=debug)
    shipped = shipped_bootloader(target, variant)
    if shipped is not None:
        logger.debug("using the shipped bootloader %s", shipped)
        return shipped
    sources = source_dir()
    name = f"{target.tag}{variant.suffix}-{build_key(target, variant, sources)}"
    prebuilt = prebuilt_root(sources)
    if prebuilt is not None and (prebuilt / name / _exe_name(target)).is_file():
        logger.debug("using the prebuilt bootloader %s", prebuilt / name)
        return prebuilt / name / _exe_name(target)
    return _compiled(cache_root() / name, target, variant, sources)


def prebuild(python: Path | None = None) -> list[Path]:
    """Compile the console and windowed bootloaders for ``python`` (default: this one) into the
    checkout's ``build/bootloaders/``, unless there already; returns their paths. Raises
    ToolchainError, or FreezekitError when freezekit does not run from a checkout."""
    sources = source_dir()
    root = prebuilt_root(sources)
    if root is None:
        raise FreezekitError(
            f"freezekit at {PACKAGE_DIR} is an installed package, not a checkout",
            hint="a platform wheel ships its bootloaders; other installs compile one on first use",
        )
    target = headers_target(python or Path(sys.executable))
    found = []
    for windowed in (False, True):
        variant = Variant(windowed=windowed)
        name = f"{target.tag}{variant.suffix}-{build_key(target, variant, sources)}"
        found.append(_compiled(root / name, target, variant, sources))
    return found


def _compiled(final: Path, target: Target, variant: Variant, sources: Path) -> Path:
    """The executable in the folder ``final``, compiled there first if missing (one process at
    a time: the others wait and take its result)."""
    exe = final / _exe_name(target)
    if exe.is_file():
        logger.debug("using the cached bootloader %s", exe)
        return exe
    final.parent.mkdir(parents=True, exist_ok=True)
    with _locked(final.parent / f".{final.name}.lock"):
        if exe.is_file():  # built by another process while we waited
            return exe
        partial = final.parent / f".{final.name}.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        try:
            built = _build(target, variant, sources, partial / "build")
            final.mkdir()
            shutil.copy2(built, exe)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    logger.info("bootloader: compiled %s", exe)
    return exe


def build_bootloader(target: Target, *, windowed: bool, debug: bool, build_dir: Path) -> Path:
    """Configure and compile the bootloader in ``build_dir``; returns the executable."""
    variant = Variant(windowed=windowed, debug=debug)
    return _build(target, variant, source_dir(), build_dir, tests=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (a lock file) for the duration of the block."""
    with open(path, "a+b") as handle:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]  # Windows only
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]  # Windows only
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def check_toolchain(target: Target) -> tuple[str, str]:
    """(cmake, generator) after checking every tool the build needs; raises ToolchainError."""
    host_os = {"linux": Os.LINUX, "darwin": Os.MACOS, "win32": Os.WINDOWS}.get(sys.platform)
    if host_os is not target.os:
        raise ToolchainError(
            f"cannot compile a bootloader for {target.tag} on this {platform.system()} host",
            hint="build on the target platform, or install a freezekit wheel for it",
        )
    if not (target.include / "Python.h").is_file():
        raise ToolchainError(
            f"Python.h not found in {target.include} (needed to compile the bootloader for "
            f"{target.tag})",
            hint=f"install the headers of Python {target.version[0]}.{target.version[1]} "
            f"(Debian/Ubuntu: `apt-get install python{target.version[0]}.{target.version[1]}-dev`)",
        )
    cmake = shutil.which("cmake")
    if cmake is None:
        raise ToolchainError(
            "cmake not found on PATH (needed to compile the bootloader)",
            hint="install it with `apt-get install cmake` or `pip install cmake`",
        )
    compiler = _find_compiler()
    _check_zstd(compiler)
    if shutil.which("ninja"):
        return cmake, "Ninja"
    if target.os is not Os.WINDOWS and shutil.which("make") is None:
        raise ToolchainError(
            "neither ninja nor make found on PATH (needed by cmake to compile the bootloader)",
            hint="install one with `apt-get install ninja-build` or `pip install ninja`",
        )
    return cmake, ""


def _find_compiler() -> str:
    wanted = os.environ.get("CC", "")
    names = [wanted.split()[0]] if wanted.strip() else ["cc", "gcc", "clang"]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise ToolchainError(
        f"no C compiler found (looked for {', '.join(names)} on PATH"
        f"{'; set by $CC' if wanted.strip() else ''})",
        hint="install one with `apt-get install build-essential` (or gcc / clang)",
    )


def _check_zstd(compiler: str) -> None:
    """The static zstd library must be where the compiler looks (gcc and clang say where)."""
    try:
        answer = subprocess.run(
            [compiler, "-print-file-name=libzstd.a"], capture_output=True, text=True, timeout=60
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return  # the compiler cannot tell; CMake's own check reports it
    if answer and os.path.isabs(answer) and os.path.isfile(answer):
        return
    pkg_config = shutil.which("pkg-config")
    if pkg_config:
        libdir = subprocess.run(
            [pkg_config, "--variable=libdir", "libzstd"], capture_output=True, text=True
        ).stdout.strip()
        if libdir and (Path(libdir) / "libzstd.a").is_file():
            return
    raise ToolchainError("libzstd.a (static zstd library) not found", hint=ZSTD_HINT)


def _run(command: Sequence[str], *, what: str) -> None:
    logger.debug("running %s", " ".join(command))
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode == 0:
        return
    output = (result.stdout + result.stderr).strip()
    hint = ZSTD_HINT if "libzstd" in output else "read the compiler output above"
    raise ToolchainError(
        f"{what} failed (exit status {result.returncode}): {' '.join(command)}\n{output}",
        hint=hint,
    )


def _build(
    target: Target, variant: Variant, sources: Path, build_dir: Path, *, tests: bool = False
) -> Path:
    cmake, generator = check_toolchain(target)
    build_dir.mkdir(parents=True, exist_ok=True)
    configure = [cmake, "-S", str(sources), "-B", str(build_dir)]
    if generator:
        configure += ["-G", generator]
    flags = _cmake_flags(target, variant)
    if tests:
        flags = [flag for flag in flags if flag != "-DFK_TESTS=OFF"] + ["-DFK_TESTS=ON"]
    _run(configure + flags, what="configuring the bootloader build")
    # one compiler per processor: Ninja's default (processors + 2) ran four at once on two
    # processors, for no time, beside the analysis a first build runs at the same time
    jobs = str(os.cpu_count() or 1)
    _run([cmake, "--build", str(build_dir), "--parallel", jobs], what="compiling the bootloader")
    exe = build_dir / _exe_name(target)
    if not exe.is_file():
        raise ToolchainError(f"the bootloader build produced no {exe}")
    return exe
