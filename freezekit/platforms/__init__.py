"""The platform we build for, as a value: ``Target``. Only ``host_target`` reads sys.platform."""

from __future__ import annotations

import enum
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from freezekit.errors import OptionsError


class Os(enum.Enum):
    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"


_PROBE = r"""
import importlib.util, json, os, struct, sys, sysconfig
v = sysconfig.get_config_var
libdir = v("LIBDIR") or ""
print(json.dumps({
    "version": list(sys.version_info[:2]),
    "platform": sys.platform,
    "bits": struct.calcsize("P") * 8,
    "machine": os.uname().machine if hasattr(os, "uname") else "",
    "executable": sys.executable,
    "shared": bool(v("Py_ENABLE_SHARED")),
    "ldlibrary": v("LDLIBRARY") or "",
    "instsoname": v("INSTSONAME") or "",
    "libdir": libdir,
    "stdlib": sysconfig.get_paths()["stdlib"],
    "dynload": v("DESTSHARED") or "",
    "include": sysconfig.get_paths()["include"],
    "ext_suffix": v("EXT_SUFFIX") or "",
    "prefix": sys.base_prefix,
    "soabi": v("SOABI") or "",
    "magic": importlib.util.MAGIC_NUMBER.hex(),
}))
"""


@dataclass(frozen=True, kw_only=True)
class Target:
    """What a build is for: OS, bits, Python, and where that Python's files are."""

    os: Os
    machine: str  # x86_64, i686, aarch64, arm64, AMD64
    bits: int
    python: Path  # the interpreter that analyses and compiles (same minor version)
    version: tuple[int, int]
    libpython: Path  # the shared library to bundle
    stdlib: Path
    dynload: Path  # the folder of stdlib extension modules
    include: Path  # headers, to compile the bootloader
    ext_suffix: str
    pyc_magic: bytes = b""

    @property
    def tag(self) -> str:
        """``linux-x86_64-3.12``: the cell-style name of this target."""
        return f"{self.os.value}-{self.machine}-{self.version[0]}.{self.version[1]}"

    @property
    def libpython_name(self) -> str:
        return self.libpython.name


def os_of_platform(sys_platform: str) -> Os | None:
    """``sys.platform`` -> Os; None for anything freezekit does not build for."""
    if sys_platform.startswith("linux"):
        return Os.LINUX
    if sys_platform == "darwin":
        return Os.MACOS
    if sys_platform in ("win32", "cygwin"):
        return Os.WINDOWS
    return None


def _os_of(platform: str) -> Os:
    os_ = os_of_platform(platform)
    if os_ is None:
        raise OptionsError(
            f"unsupported platform {platform!r}",
            hint="freezekit builds for linux, macos and windows",
        )
    return os_


def _probe_cache(python: Path) -> Path | None:
    """Where the answer of ``python`` is kept, keyed by its real path, size and mtime."""
    if os.environ.get("FREEZEKIT_NO_CACHE"):
        return None
    try:
        real = os.path.realpath(python)
        st = os.stat(real)
    except OSError:
        return None
    key = hashlib.sha256(f"{real}\0{st.st_size}\0{st.st_mtime_ns}\0{_PROBE}".encode()).hexdigest()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "freezekit" / "targets" / f"{key}.json"


def probe_python(python: Path) -> dict[str, object]:
    """Ask an interpreter about itself (version, libpython, stdlib folders); the answer is
    cached until the interpreter's file changes."""
    cache = _probe_cache(python)
    if cache is not None:
        try:
            cached: dict[str, object] = json.loads(cache.read_text())
            return cached
        except (OSError, ValueError):
            pass
    result = _ask(python)
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(result))
            os.replace(tmp, cache)
        except OSError:
            pass
    return result


#: The Python versions freezekit builds for (the analysis worker and the bootloader need them).
SUPPORTED_VERSIONS: tuple[tuple[int, int], ...] = ((3, 10), (3, 11), (3, 12), (3, 13))
_VERSION_PROBE = "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"


def supported_versions() -> str:
    """``3.10, 3.11, 3.12 and 3.13``."""
    names = [f"{major}.{minor}" for major, minor in SUPPORTED_VERSIONS]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _ask(python: Path) -> dict[str, object]:
    """Run the probe under ``python``; one clear OptionsError when it is not a usable Python."""
    if not python.exists():
        raise OptionsError(
            f"target Python {python} does not exist", hint="pass --python with an interpreter path"
        )
    if python.is_dir() or not os.access(python, os.X_OK):
        raise OptionsError(
            f"target Python {python} is not an executable file",
            hint="pass --python with the interpreter itself, e.g. .venv/bin/python",
        )
    try:
        proc = subprocess.run(
            [str(python), "-I", "-S", "-c", _PROBE], capture_output=True, text=True, timeout=60
        )
        result: dict[str, object] = json.loads(proc.stdout)
        if proc.returncode == 0 and isinstance(result, dict) and "version" in result:
            return result
    except (OSError, ValueError, subprocess.TimeoutExpired):
        pass
    version = _short_version(python)
    if version is not None:
        raise OptionsError(
            f"target Python {python} is Python {version}, which freezekit does not support",
            hint=f"freezekit builds for Python {supported_versions()}",
        )
    raise OptionsError(
        f"target Python {python} is not a Python interpreter (it did not answer a version query)",
        hint="pass --python with a CPython interpreter, e.g. .venv/bin/python",
    )


def _short_version(python: Path) -> str | None:
    """``X.Y`` from an interpreter too old (or too new) for the full probe, None if it is not
    a Python at all."""
    try:
        proc = subprocess.run(
            [str(python), "-c", _VERSION_PROBE], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = proc.stdout.strip()
    major, dot, minor = text.partition(".")
    if proc.returncode == 0 and dot and major.isdigit() and minor.isdigit():
        return text
    return None


def check_version(info: dict[str, object], python: Path) -> None:
    """Refuse an interpreter whose version freezekit does not build for."""
    version = info.get("version")
    assert isinstance(version, list)
    if (int(version[0]), int(version[1])) not in SUPPORTED_VERSIONS:
        raise OptionsError(
            f"target Python {python} is Python {version[0]}.{version[1]}, "
            "which freezekit does not support",
            hint=f"freezekit builds for Python {supported_versions()}",
        )


def target_from_probe(
    info: dict[str, object], python: Path, *, need_libpython: bool = True
) -> Target:
    """The Target an interpreter describes. ``need_libpython=False`` accepts an interpreter
    without a shared libpython (enough to compile the bootloader against its headers)."""
    check_version(info, python)
    version = info["version"]
    assert isinstance(version, list)
    libdir = Path(str(info["libdir"]))
    name = str(info["instsoname"] or info["ldlibrary"])
    libpython = libdir / name
    if need_libpython and (not info["shared"] or not libpython.exists()):
        raise OptionsError(
            f"target Python {python} has no shared libpython ({libpython} not found); "
            "a frozen app loads the interpreter from it",
            hint="use a Python built with --enable-shared (pyenv: "
            f"PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install {version[0]}.{version[1]})",
        )
    return Target(
        os=_os_of(str(info["platform"])),
        machine=str(info["machine"]),
        bits=int(str(info["bits"])),
        python=python,
        version=(int(version[0]), int(version[1])),
        libpython=libpython,
        stdlib=Path(str(info["stdlib"])),
        dynload=Path(str(info["dynload"])),
        include=Path(str(info["include"])),
        ext_suffix=str(info["ext_suffix"]),
        pyc_magic=bytes.fromhex(str(info.get("magic", ""))),
    )


def resolve_target(python: Path | None) -> Target:
    """The target for the given interpreter (default: the one running freezekit)."""
    interpreter = python or Path(sys.executable)
    return target_from_probe(probe_python(interpreter), interpreter)


def headers_target(python: Path) -> Target:
    """A target good for compiling the bootloader: headers needed, libpython not."""
    return target_from_probe(probe_python(python), python, need_libpython=False)


def host_target() -> Target:
    return resolve_target(None)
