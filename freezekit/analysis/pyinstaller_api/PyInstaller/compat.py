"""``PyInstaller.compat``: facts about the interpreter the hooks run under (the target)."""

from __future__ import annotations

import importlib.machinery
import importlib.metadata as importlib_metadata
import os
import struct
import sys

__all__ = ["importlib_metadata"]

is_64bits = struct.calcsize("P") == 8

_v = sys.version_info[:2]
is_py35 = _v >= (3, 5)
is_py36 = _v >= (3, 6)
is_py37 = _v >= (3, 7)
is_py38 = _v >= (3, 8)
is_py39 = _v >= (3, 9)
is_py310 = _v >= (3, 10)
is_py311 = _v >= (3, 11)
is_py312 = _v >= (3, 12)
is_py313 = _v >= (3, 13)
is_py314 = _v >= (3, 14)
is_py315 = _v >= (3, 15)

is_win = sys.platform.startswith("win")
is_win_10 = is_win
is_win_11 = is_win
is_win_wine = False
is_cygwin = sys.platform == "cygwin"
is_darwin = sys.platform == "darwin"
is_linux = sys.platform.startswith("linux")
is_solar = sys.platform.startswith("sun")
is_aix = sys.platform.startswith("aix")
is_freebsd = sys.platform.startswith("freebsd")
is_openbsd = sys.platform.startswith("openbsd")
is_hpux = sys.platform.startswith("hp-ux")
is_unix = is_linux or is_solar or is_aix or is_freebsd or is_hpux or is_openbsd
# musl CPython builds say so in their extension suffix (no need to read the binary)
is_musl = is_linux and any("musl" in suffix for suffix in importlib.machinery.EXTENSION_SUFFIXES)
is_macos_11_compat = False
is_macos_11_native = False
is_macos_11 = False

is_venv = sys.prefix != sys.base_prefix
is_virtualenv = is_venv
base_prefix = sys.base_prefix
is_conda = os.path.isdir(os.path.join(base_prefix, "conda-meta"))
is_pure_conda = os.path.isdir(os.path.join(sys.prefix, "conda-meta"))
is_ms_app_store = False

python_executable = sys.executable
PYDYLIB_NAMES: set[str] = set()
EXTENSION_SUFFIXES = list(importlib.machinery.EXTENSION_SUFFIXES)
ALL_SUFFIXES = list(importlib.machinery.all_suffixes())

strict_collect_mode = False
architecture = "64bit" if is_64bits else "32bit"
# not platform.system()/machine(): on Windows (3.12+) they query WMI, which kills the analysis
# worker under wine ("unimplemented function propsys.dll.VariantToString")
system = {"win32": "Windows", "cygwin": "Cygwin", "darwin": "Darwin"}.get(
    sys.platform, sys.platform.rstrip("0123456789").capitalize()
)
machine = os.environ.get("PROCESSOR_ARCHITECTURE", "AMD64") if is_win else os.uname().machine


def getenv(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def setenv(name: str, value: str) -> None:
    os.environ[name] = value


def unsetenv(name: str) -> None:
    os.environ.pop(name, None)


def is_module_or_submodule(name: str, mod_or_submod: str) -> bool:
    return name == mod_or_submod or name.startswith(mod_or_submod + ".")
