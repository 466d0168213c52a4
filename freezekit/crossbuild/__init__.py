"""Builds for a target this host cannot run an interpreter of.

* ``linux``: a linux-i686 app frozen on an x86_64 host (cross-bitness), analysed by an amd64
  Python with the same standard library, its machine code taken from the i386 packages.
* ``windows``: the Windows bootloader cross-compiled with mingw-w64 (x86_64 and x86, console
  and windowed) and checked under wine against good and damaged archives.
"""

from __future__ import annotations

from .linux import (
    INSTALL_I386,
    build_cross,
    cross_target,
    debian_i386_target,
    elf_ident,
    freeze_cell_cross,
    i386_apt_command,
    i386_problems,
    retarget_analysis,
)

__all__ = [
    "INSTALL_I386",
    "build_cross",
    "cross_target",
    "debian_i386_target",
    "elf_ident",
    "freeze_cell_cross",
    "i386_apt_command",
    "i386_problems",
    "retarget_analysis",
]
