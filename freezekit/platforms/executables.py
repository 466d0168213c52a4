"""What an executable file is built for, read from its header: ELF, PE or Mach-O, the machine
and the pointer size. A cell checks its built executable with it before publishing, and a
release checks every gathered archive again (no cell may publish another OS's binary).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from freezekit.platforms import Os

#: bytes read from the start of a file: enough for the PE header (e_lfanew is small) and a
#: fat Mach-O's table of slices
HEAD_SIZE = 4096

_ELF_MACHINES = {62: "x86_64", 3: "i686", 183: "aarch64", 40: "arm", 20: "ppc", 21: "ppc64"}
_PE_MACHINES = {0x8664: "x86_64", 0x14C: "i686", 0xAA64: "arm64", 0x1C4: "arm"}
_MACHO_CPUS = {0x01000007: "x86_64", 7: "i686", 0x0100000C: "arm64", 12: "arm"}
_FORMAT_OS = {"ELF": Os.LINUX, "PE": Os.WINDOWS, "Mach-O": Os.MACOS}


@dataclass(frozen=True, kw_only=True)
class BinaryKind:
    """``format`` is ELF, PE or Mach-O; ``machines`` has one entry, or a fat Mach-O's slices."""

    format: str
    machines: tuple[str, ...]
    bits: int

    @property
    def os(self) -> Os:
        return _FORMAT_OS[self.format]

    def describe(self) -> str:
        return f"{self.format} {'+'.join(self.machines)} ({self.bits}-bit)"

    def to_dict(self) -> dict[str, object]:
        return {"format": self.format, "machines": list(self.machines), "bits": self.bits}


def _same_arch(a: str, b: str) -> bool:
    arm64 = ("arm64", "aarch64")
    return a == b or (a in arm64 and b in arm64)


def identify(head: bytes) -> BinaryKind | None:
    """The kind of executable whose first bytes are ``head``; None when it is none of them."""
    if head[:4] == b"\x7fELF" and len(head) >= 20 and head[4] in (1, 2):
        field = head[18:20]
        machine = int.from_bytes(field, "little") if head[5] == 1 else int.from_bytes(field, "big")
        return BinaryKind(
            format="ELF",
            machines=(_ELF_MACHINES.get(machine, f"elf-machine-{machine}"),),
            bits=32 if head[4] == 1 else 64,
        )
    if head[:2] == b"MZ" and len(head) >= 0x40:
        pe = int.from_bytes(head[0x3C:0x40], "little")
        if head[pe : pe + 4] != b"PE\0\0" or len(head) < pe + 26:
            return None
        machine = int.from_bytes(head[pe + 4 : pe + 6], "little")
        magic = int.from_bytes(head[pe + 24 : pe + 26], "little")  # 0x10b PE32, 0x20b PE32+
        return BinaryKind(
            format="PE",
            machines=(_PE_MACHINES.get(machine, hex(machine)),),
            bits=64 if magic == 0x20B else 32,
        )
    return _macho(head)


def _macho(head: bytes) -> BinaryKind | None:
    magic = head[:4]
    if magic in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe") and len(head) >= 8:
        cpu = int.from_bytes(head[4:8], "little")
        return BinaryKind(
            format="Mach-O",
            machines=(_MACHO_CPUS.get(cpu, hex(cpu)),),
            bits=64 if magic[0] == 0xCF else 32,
        )
    if magic == b"\xca\xfe\xba\xbe" and len(head) >= 8:  # fat (universal) binary, big-endian
        count = int.from_bytes(head[4:8], "big")
        if not 0 < count < 16 or len(head) < 8 + 20 * count:  # Java class files share the magic
            return None
        cpus = [int.from_bytes(head[8 + 20 * i : 12 + 20 * i], "big") for i in range(count)]
        machines = tuple(_MACHO_CPUS.get(cpu, hex(cpu)) for cpu in cpus)
        return BinaryKind(
            format="Mach-O",
            machines=machines,
            bits=64 if all(cpu & 0x01000000 for cpu in cpus) else 32,
        )
    return None


def identify_file(path: Path) -> BinaryKind | None:
    try:
        with path.open("rb") as handle:
            return identify(handle.read(HEAD_SIZE))
    except OSError:
        return None


def mismatch(kind: BinaryKind | None, *, os_: Os, arch: str, bits: int) -> str | None:
    """None when ``kind`` runs on ``os_``/``arch``/``bits``; else what it is instead."""
    if kind is None:
        return "not an ELF, PE or Mach-O executable"
    if kind.os is not os_ or kind.bits != bits:
        return f"a {kind.describe()} executable (for {kind.os.value})"
    if not any(_same_arch(machine, arch) for machine in kind.machines):
        return f"a {kind.describe()} executable (for {kind.os.value})"
    return None


#: the wine prefix (under ~/.cache/freezekit) where Windows apps are built and run: its own, so
#: that the bootloader checks (``wineprefix``) and app builds never share a wineboot
APPS_WINEPREFIX = "wineprefix-apps"


def wine_launcher(path: Path) -> tuple[list[str], dict[str, str]] | None:
    """(argv prefix, extra environment) that runs the Windows program ``path`` on a Linux host
    under wine64 (the per-user prefix freezekit's Windows tools share, unless WINEPREFIX is
    set); None when ``path`` runs as it is (or there is no wine64)."""
    if sys.platform == "win32":
        return None
    kind = identify_file(path)
    if kind is None or kind.os is not Os.WINDOWS:
        return None
    wine = shutil.which("wine64") or "/usr/lib/wine/wine64"
    if not os.path.isfile(wine):
        return None
    env = {"WINEDEBUG": os.environ.get("WINEDEBUG", "-all")}
    if not os.environ.get("WINEPREFIX"):
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        env["WINEPREFIX"] = os.path.join(base, "freezekit", APPS_WINEPREFIX)
    return [wine], env
