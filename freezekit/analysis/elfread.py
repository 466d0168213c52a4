"""What an ELF file asks the dynamic loader for, read from its program headers.

``scan_binaries`` reads ``DT_NEEDED``, ``DT_RPATH`` and ``DT_RUNPATH`` of every bundled binary
and of every candidate library while resolving names. lief can do that, but importing it takes
half a second (numpy_app: 0.49 s of a 2.9 s build with warm caches) and a parse builds the whole
object model. The loader itself needs only the program headers: ``PT_DYNAMIC`` gives the
dynamic entries, ``PT_LOAD`` maps the string table's address to its place in the file. Section
headers are not read (a stripped or sectionless file reads the same, as it loads the same).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO, NamedTuple

_PT_LOAD = 1
_PT_DYNAMIC = 2
_DT_NULL = 0
_DT_NEEDED = 1
_DT_STRTAB = 5
_DT_STRSZ = 10
_DT_RPATH = 15
_DT_RUNPATH = 29
_MAX_TABLE = 64 << 20  # a dynamic section or string table larger than this is not a real one


class ElfDynamic(NamedTuple):
    """The loader's view of one ELF file."""

    needed: list[str]
    rpath: list[str]
    runpath: list[str]
    ident: tuple[str, str]  # ("ELF64" or "ELF32", the e_machine number): loadable together


def read_ident(path: Path | str) -> tuple[str, str] | None:
    """(class, machine) of an ELF file, None if it is not one (a linker script, say)."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(20)
    except OSError:
        return None
    return _ident(head)


def _ident(head: bytes) -> tuple[str, str] | None:
    if len(head) < 20 or head[:4] != b"\x7fELF" or head[4] not in (1, 2) or head[5] not in (1, 2):
        return None
    (machine,) = struct.unpack_from("<H" if head[5] == 1 else ">H", head, 18)
    return ("ELF64" if head[4] == 2 else "ELF32", str(machine))


def read_dynamic(path: Path | str) -> ElfDynamic | None:
    """DT_NEEDED, RPATH and RUNPATH (split at ':') of an ELF file; None if it is not an ELF
    file or its headers point outside it."""
    try:
        with open(path, "rb") as stream:
            return _read(stream)
    except (OSError, struct.error, ValueError):
        return None


def _read(stream: BinaryIO) -> ElfDynamic | None:
    read, seek = stream.read, stream.seek
    head = read(64)
    ident = _ident(head)
    if ident is None:
        return None
    is_64, order = head[4] == 2, "<" if head[5] == 1 else ">"
    if is_64:
        (phoff,) = struct.unpack_from(order + "Q", head, 32)
        phentsize, phnum = struct.unpack_from(order + "HH", head, 54)
        segment, entry = order + "IIQQQQQQ", order + "qQ"
    else:
        (phoff,) = struct.unpack_from(order + "I", head, 28)
        phentsize, phnum = struct.unpack_from(order + "HH", head, 42)
        segment, entry = order + "IIIIIIII", order + "iI"
    if phnum == 0 or phentsize < struct.calcsize(segment):
        return ElfDynamic([], [], [], ident)
    seek(phoff)
    table = read(phentsize * phnum)
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    dynamic: tuple[int, int] | None = None  # (offset, filesz)
    for i in range(phnum):
        fields = struct.unpack_from(segment, table, i * phentsize)
        if is_64:
            kind, offset, vaddr, filesz = fields[0], fields[2], fields[3], fields[5]
        else:
            kind, offset, vaddr, filesz = fields[0], fields[1], fields[2], fields[4]
        if kind == _PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif kind == _PT_DYNAMIC:
            dynamic = (offset, filesz)
    if dynamic is None:  # a static executable: it needs nothing
        return ElfDynamic([], [], [], ident)
    offset, size = dynamic
    if size > _MAX_TABLE:
        return None
    seek(offset)
    raw = read(size)
    step = struct.calcsize(entry)
    needed: list[int] = []
    rpath: list[int] = []
    runpath: list[int] = []
    strtab = strsz = None
    for at in range(0, len(raw) - step + 1, step):
        tag, value = struct.unpack_from(entry, raw, at)
        if tag == _DT_NULL:
            break
        if tag == _DT_NEEDED:
            needed.append(value)
        elif tag == _DT_RPATH:
            rpath.append(value)
        elif tag == _DT_RUNPATH:
            runpath.append(value)
        elif tag == _DT_STRTAB:
            strtab = value
        elif tag == _DT_STRSZ:
            strsz = value
    if not (needed or rpath or runpath):
        return ElfDynamic([], [], [], ident)
    if strtab is None or strsz is None or strsz > _MAX_TABLE:
        return None
    place = next((off + strtab - va for va, off, sz in loads if va <= strtab < va + sz), None)
    if place is None:
        return None
    seek(place)
    strings = read(strsz)

    def string(at: int) -> str:
        end = strings.find(b"\0", at)
        if at >= len(strings) or end < 0:
            raise ValueError("string outside the string table")
        return strings[at:end].decode("utf-8", "surrogateescape")

    def paths(offsets: list[int]) -> list[str]:
        return [part for at in offsets for part in string(at).split(":") if part]

    return ElfDynamic([string(at) for at in needed], paths(rpath), paths(runpath), ident)
