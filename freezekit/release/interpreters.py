"""Find an interpreter for a Python X.Y and bitness on the host: pyenv, PATH, the py launcher.

Every candidate is checked by running it: it must print the asked version and pointer size.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from freezekit.platforms import Os, os_of_platform

logger = logging.getLogger(__name__)

# sysconfig.get_platform, not the platform module: under wine, platform.machine() aborts in
# _wmi on 3.12+; get_platform() is ``win-amd64``/``win32``/``win-arm64`` on Windows, and the
# machine elsewhere comes from uname.
_PROBE = (
    "import json, os, struct, sys, sysconfig; print(json.dumps({"
    "'version': list(sys.version_info[:3]), 'bits': struct.calcsize('P') * 8, "
    "'executable': sys.executable, 'platform': sys.platform, "
    "'sysconfig_platform': sysconfig.get_platform(), "
    "'uname_machine': os.uname().machine if hasattr(os, 'uname') else ''}))"
)
_WINDOWS_PLATFORMS = {"win-amd64": "x86_64", "win32": "i686", "win-arm64": "arm64"}
_PYENV_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(-win32|-amd64)?$")
_ARCH_ALIASES = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "x86_64": "x86_64",
    "i386": "i686",
    "i486": "i686",
    "i586": "i686",
    "i686": "i686",
    "x86": "i686",
    "aarch64": "aarch64",
    "arm64": "arm64",
}


@dataclass(frozen=True, kw_only=True)
class Interpreter:
    """A Python found on the host, checked by running it."""

    path: Path
    version: tuple[int, int, int]
    bits: int
    os: Os
    arch: str  # the cell-style machine name: x86_64, i686, aarch64, arm64

    @property
    def minor(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def mismatch(self, os_: Os, arch: str) -> str | None:
        """None when this interpreter runs ``os_``/``arch`` code; else what it is instead."""
        if (self.os, self.arch) == (os_, arch):
            return None
        return f"{self.path} is a {self.os.value}-{self.arch} Python, not {os_.value}-{arch}"


@dataclass(frozen=True, kw_only=True)
class HostPlatform:
    """Where freezekit runs: the OS and the cell-style arch name (x86_64, i686, aarch64, arm64)."""

    os: Os
    arch: str


def normalize_arch(machine: str, os_: Os) -> str:
    """``AMD64`` -> ``x86_64``; 64-bit ARM is ``arm64`` on macOS and ``aarch64`` elsewhere."""
    arch = _ARCH_ALIASES.get(machine.lower(), machine.lower())
    if arch in ("aarch64", "arm64"):
        return "arm64" if os_ is Os.MACOS else "aarch64"
    return arch


def interpreter_arch(os_: Os, bits: int, *, sysconfig_platform: str, uname_machine: str) -> str:
    """The machine an interpreter's own code is for: on Windows from sysconfig's platform
    (``win-amd64``), elsewhere uname's machine narrowed by the pointer size (a 32-bit Python
    on an x86_64 kernel is i686)."""
    if os_ is Os.WINDOWS:
        return _WINDOWS_PLATFORMS.get(sysconfig_platform, sysconfig_platform)
    arch = normalize_arch(uname_machine, os_)
    if bits == 32 and arch == "x86_64":
        return "i686"
    return arch  # a universal2 macOS build runs as uname's machine


def host_platform() -> HostPlatform:
    system = platform.system()
    os_ = {"Linux": Os.LINUX, "Darwin": Os.MACOS, "Windows": Os.WINDOWS}.get(system)
    if os_ is None:
        raise OSError(f"unsupported host system {system!r}")
    return HostPlatform(os=os_, arch=normalize_arch(platform.machine(), os_))


Probe = Callable[[Sequence[str]], "Interpreter | None"]


def probe_interpreter(argv: Sequence[str]) -> Interpreter | None:
    """Run ``argv -c <probe>``; None when it cannot start or does not answer."""
    try:
        proc = subprocess.run(
            [*argv, "-I", "-S", "-c", _PROBE], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.debug("interpreter %s does not start: %s", " ".join(argv), exc)
        return None
    if proc.returncode != 0:
        logger.debug("interpreter %s failed: %s", " ".join(argv), proc.stderr.strip()[-200:])
        return None
    try:
        info = json.loads(proc.stdout)
        major, minor, micro = (int(part) for part in info["version"])
        bits = int(info["bits"])
        os_ = os_of_platform(str(info["platform"]))
        if os_ is None:
            logger.debug("interpreter %s is for %s", " ".join(argv), info["platform"])
            return None
        return Interpreter(
            path=Path(str(info["executable"])),
            version=(major, minor, micro),
            bits=bits,
            os=os_,
            arch=interpreter_arch(
                os_,
                bits,
                sysconfig_platform=str(info["sysconfig_platform"]),
                uname_machine=str(info["uname_machine"]),
            ),
        )
    except (ValueError, KeyError, TypeError) as exc:
        logger.debug("interpreter %s answered %r: %s", " ".join(argv), proc.stdout, exc)
        return None


def pyenv_roots(env: Mapping[str, str], home: Path) -> list[Path]:
    """``$PYENV_ROOT`` or ``~/.pyenv``; pyenv-win keeps its versions one level deeper."""
    root = Path(env["PYENV_ROOT"]) if env.get("PYENV_ROOT") else home / ".pyenv"
    return [root, root / "pyenv-win"]


def pyenv_candidates(
    version: str, bits: int, roots: Sequence[Path], *, windows: bool
) -> list[Path]:
    """Interpreters of pyenv's versions folders for X.Y, newest patch first."""
    found: list[tuple[int, Path]] = []
    for root in roots:
        versions = root / "versions"
        if not versions.is_dir():
            continue
        for entry in versions.iterdir():
            match = _PYENV_VERSION.match(entry.name)
            if not match or f"{match[1]}.{match[2]}" != version:
                continue
            if (match[4] == "-win32") != (bits == 32) and windows:
                continue
            exe = entry / "python.exe" if windows else entry / "bin" / f"python{version}"
            if exe.exists():
                found.append((int(match[3]), exe))
    return [path for _, path in sorted(found, key=lambda item: (-item[0], str(item[1])))]


def path_candidates(
    version: str, *, which: Callable[[str], str | None] = shutil.which
) -> list[Path]:
    """``python3.12`` (or ``python3.12.exe``) found on PATH."""
    found = which(f"python{version}")
    return [Path(found)] if found else []


def setup_python_candidates(env: Mapping[str, str], *, windows: bool) -> list[Path]:
    """The interpreter actions/setup-python installed (it sets ``pythonLocation``)."""
    location = env.get("pythonLocation")
    if not location:
        return []
    exe = Path(location) / ("python.exe" if windows else "bin/python")
    return [exe] if exe.exists() else []


def py_launcher_argv(version: str, bits: int) -> list[str]:
    """The Windows launcher's spelling: ``py -3.12-32`` or ``py -3.12-64``."""
    return ["py", f"-{version}-{bits}"]


def find_interpreter(
    version: str,
    bits: int,
    *,
    host: HostPlatform | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    probe: Probe = probe_interpreter,
    which: Callable[[str], str | None] = shutil.which,
    os_: Os | None = None,
    arch: str | None = None,
) -> Interpreter | None:
    """The first candidate that runs and reports Python ``version`` with ``bits``-bit pointers,
    built for ``os_`` and ``arch`` (default: the host's OS; any machine of that bitness)."""
    host = host or host_platform()
    want_os = os_ or host.os
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    windows = host.os is Os.WINDOWS
    argvs: list[list[str]] = [
        [str(path)]
        for path in pyenv_candidates(version, bits, pyenv_roots(env, home), windows=windows)
    ]
    argvs += [[str(path)] for path in path_candidates(version, which=which)]
    argvs += [[str(path)] for path in setup_python_candidates(env, windows=windows)]
    if windows:
        argvs.append(py_launcher_argv(version, bits))
    for argv in argvs:
        found = probe(argv)
        if (
            found is not None
            and found.minor == version
            and found.bits == bits
            and found.os is want_os
            and (arch is None or found.arch == arch)
        ):
            logger.debug("Python %s (%d-bit): %s", version, bits, found.path)
            return found
        logger.debug("Python %s (%d-bit): %s does not fit (%s)", version, bits, argv, found)
    return None


def describe_search(version: str, bits: int, *, windows: bool) -> str:
    """Where find_interpreter looked, for a skip reason or an error hint."""
    places = f"pyenv versions, python{version} on PATH"
    if windows:
        places += f", {' '.join(py_launcher_argv(version, bits))}"
    return f"no Python {version} ({bits}-bit) found in {places}"
