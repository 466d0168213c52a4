"""Stripping the bundled ELF files: what the loader never reads stays out of the app.

``strip_unneeded`` removes the symbol table (``.symtab`` and its ``.strtab``) and the debug
sections of a shared library, extension module or executable, as ``strip --strip-unneeded``
does to every library Debian packages. ``.dynsym`` stays: it is all the dynamic loader,
``dlsym`` and ``ctypes`` use. Only debuggers and native crash traces lose the names of the
functions a library does not export; ``--no-strip`` keeps them.

No byte the loader maps moves. Sections after the last segment (where linkers put them) are
cut from the file; sections between segments (where they end up in wheels' libraries
rewritten by patchelf) are zeroed in place, which the onefile compressor reduces to nothing.
binutils ``strip`` lays patchelf'd files out again, and turned NumPy's OpenBLAS into a file
the loader refuses (an empty ``PT_LOAD`` at an unaligned offset). Every result is checked
with ``has_same_loaded_image`` (read with lief, not with this module's reader) and replaced
by the original when the check fails.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

_ET_EXEC, _ET_DYN = 2, 3
_SHT_SYMTAB, _SHT_STRTAB, _SHT_RELA, _SHT_NOBITS, _SHT_REL = 2, 3, 4, 8, 9
_SHT_GROUP, _SHT_SYMTAB_SHNDX = 17, 18
_SHF_ALLOC, _SHF_INFO_LINK = 0x2, 0x40
_SHN_XINDEX = 0xFFFF
_PN_XNUM = 0xFFFF


def _lief() -> Any:
    import lief

    lief.logging.disable()
    return lief


class _Section(NamedTuple):
    """An ELF section header; the field order is the file's in ELF32 and ELF64 alike."""

    name: int
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    addralign: int
    entsize: int

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def has_bits(self) -> bool:
        return self.type != _SHT_NOBITS

    def indexes(self) -> tuple[int, ...]:
        """The section indexes this header refers to (sh_link; sh_info where it is one)."""
        if self.type in (_SHT_REL, _SHT_RELA) or self.flags & _SHF_INFO_LINK:
            return (self.link, self.info)
        return (self.link,)


@dataclass(frozen=True, kw_only=True)
class _Elf:
    order: str  # struct byte order, "<" or ">"
    is_64: bool
    file_type: int
    shoff: int
    shstrndx: int
    sections: tuple[_Section, ...]
    segments: tuple[tuple[int, int], ...]  # (offset, size) in the file of each segment
    mapped_end: int  # end of the headers and of the last segment's bytes in the file

    @property
    def section_format(self) -> str:
        return self.order + ("IIQQQQIIQQ" if self.is_64 else "IIIIIIIIII")


def _read_elf(data: bytes) -> _Elf | None:
    """The headers of an ELF file (None if not ELF or using extended numbering)."""
    if data[:4] != b"\x7fELF" or len(data) < 64 or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    is_64, order = data[4] == 2, "<" if data[5] == 1 else ">"
    header = order + ("HHIQQQIHHHHHH" if is_64 else "HHIIIIIHHHHHH")
    file_type, _, _, _, phoff, shoff, _, ehsize, phentsize, phnum, shentsize, shnum, shstrndx = (
        struct.unpack_from(header, data, 16)
    )
    section_format = order + ("IIQQQQIIQQ" if is_64 else "IIIIIIIIII")
    segment_format = order + ("IIQQQQQQ" if is_64 else "IIIIIIII")
    if (
        shnum == 0  # no sections, or more than 0xff00 of them (extended numbering)
        or shstrndx in (0, _SHN_XINDEX)
        or shstrndx >= shnum
        or phnum == _PN_XNUM
        or shentsize != struct.calcsize(section_format)
        or phentsize != struct.calcsize(segment_format)
        or shoff + shnum * shentsize > len(data)
        or phoff + phnum * phentsize > len(data)
    ):
        return None
    sections = tuple(
        _Section(*struct.unpack_from(section_format, data, shoff + i * shentsize))
        for i in range(shnum)
    )
    segments = []
    for i in range(phnum):
        entry = struct.unpack_from(segment_format, data, phoff + i * phentsize)
        segments.append((entry[2], entry[5]) if is_64 else (entry[1], entry[4]))
    ends = [ehsize, phoff + phnum * phentsize, *(offset + size for offset, size in segments)]
    return _Elf(
        order=order,
        is_64=is_64,
        file_type=file_type,
        shoff=shoff,
        shstrndx=shstrndx,
        sections=sections,
        segments=tuple(segments),
        mapped_end=max(ends),
    )


def _removable(data: bytes, elf: _Elf) -> frozenset[int]:
    """Indexes of the symbol table, its string table and the debug sections (or none)."""
    names = elf.sections[elf.shstrndx]
    found: set[int] = set()
    for index, section in enumerate(elf.sections):
        if section.flags & _SHF_ALLOC or index == elf.shstrndx or not section.has_bits:
            continue
        start = names.offset + section.name
        end = data.find(b"\0", start, names.end)
        name = data[start : end if end >= 0 else names.end]
        if section.type in (_SHT_SYMTAB, _SHT_SYMTAB_SHNDX) or name.startswith(
            (b".debug", b".zdebug")
        ):
            found.add(index)
    for index in list(found):  # a symbol table's string table goes with it
        link = elf.sections[index].link
        if (
            elf.sections[index].type == _SHT_SYMTAB
            and 0 < link < len(elf.sections)
            and elf.sections[link].type == _SHT_STRTAB
            and link != elf.shstrndx
        ):
            found.add(link)
    for index, section in enumerate(elf.sections):
        if index in found:
            continue
        if section.type == _SHT_GROUP or any(
            i in found or i >= len(elf.sections) for i in section.indexes()
        ):
            return frozenset()  # a kept section refers to one of them, or to nothing known
    return frozenset(found)


def has_removable_sections(path: Path) -> bool:
    """True if the ELF file has a symbol table or debug sections ``strip_unneeded`` removes."""
    data = path.read_bytes()
    elf = _read_elf(data)
    return elf is not None and bool(_removable(data, elf))


def _is_in_segment(elf: _Elf, section: _Section) -> bool:
    return any(
        offset < section.end and section.offset < offset + size for offset, size in elf.segments
    )


def _without(data: bytes, elf: _Elf, removed: frozenset[int]) -> bytes | None:
    """``data`` without the ``removed`` sections (None if that would move mapped bytes)."""
    cut = elf.mapped_end
    out = bytearray(data[:cut])
    tail: list[tuple[int, int]] = [
        (elf.shoff, elf.shoff + len(elf.sections) * struct.calcsize(elf.section_format))
    ]
    moved: dict[int, int] = {}  # index -> new offset, for sections after the segments
    for index, section in sorted(enumerate(elf.sections), key=lambda item: item[1].offset):
        if not section.has_bits or index == 0:
            continue
        if section.offset < cut < section.end or (
            index in removed and _is_in_segment(elf, section)
        ):
            return None
        if section.offset >= cut:
            tail.append((section.offset, section.end))
        if index in removed:
            if section.offset < cut:
                out[section.offset : section.end] = bytes(section.size)  # zeroed in place
        elif section.offset >= cut:
            out += bytes(-len(out) % max(section.addralign, 1))
            moved[index] = len(out)
            out += data[section.offset : section.end]
    if _has_unknown_bytes(data, cut, tail):
        return None  # something appended after the sections (a payload, a signature)
    _append_section_headers(out, elf, removed, moved)
    return bytes(out)


def _has_unknown_bytes(data: bytes, start: int, known: list[tuple[int, int]]) -> bool:
    position = start
    for begin, end in sorted(known):
        if begin > position and data[position:begin].strip(b"\0"):
            return True
        position = max(position, end)
    return bool(data[position:].strip(b"\0"))


def _append_section_headers(
    out: bytearray, elf: _Elf, removed: frozenset[int], moved: dict[int, int]
) -> None:
    """Write the kept section headers, renumbered, at the end and point the ELF header there."""
    kept = [i for i in range(len(elf.sections)) if i not in removed]
    new_index = {old: new for new, old in enumerate(kept)}
    out += bytes(-len(out) % (8 if elf.is_64 else 4))
    shoff = len(out)
    for old in kept:
        section = elf.sections[old]
        section = section._replace(
            offset=moved.get(old, section.offset), link=new_index[section.link]
        )
        if len(section.indexes()) == 2:
            section = section._replace(info=new_index[section.info])
        out += struct.pack(elf.section_format, *section)
    # e_shoff, then e_shnum and e_shstrndx (after e_flags, e_ehsize, e_ph*, e_shentsize)
    offset_field, count_field = (0x28, 0x3C) if elf.is_64 else (0x20, 0x30)
    struct.pack_into(elf.order + ("Q" if elf.is_64 else "I"), out, offset_field, shoff)
    struct.pack_into(elf.order + "HH", out, count_field, len(kept), new_index[elf.shstrndx])


def strip_unneeded(source: Path, dest: Path) -> bool:
    """Write ``source`` without symbol table and debug sections to ``dest``.

    False (and ``dest`` not written) when the file is not ELF, has nothing to remove, or
    would not load exactly as before without them.
    """
    data = source.read_bytes()
    elf = _read_elf(data)
    removed = _removable(data, elf) if elf is not None else frozenset()
    if elf is None or elf.file_type not in (_ET_EXEC, _ET_DYN) or not removed:
        return False
    stripped = _without(data, elf, removed)
    if stripped is None:
        logger.debug("%s: its symbols or debug sections lie among mapped bytes; kept", source)
        return False
    dest.write_bytes(stripped)
    del data, stripped  # the check reads both files again, section by section
    if has_same_loaded_image(source, dest):
        return True
    logger.debug("%s: stripping would change what the loader maps; copied as it is", source)
    dest.unlink()
    return False


def has_loadable_layout(path: Path) -> bool:
    """Every PT_LOAD segment of the ELF file satisfies the loader's alignment rule."""
    lief = _lief()
    binary = _parse_layout(path)
    if binary is None:
        return False
    size = path.stat().st_size
    for segment in binary.segments:
        if segment.type != lief.ELF.Segment.TYPE.LOAD:
            continue
        align = max(segment.alignment, 1)
        if segment.file_offset % align != segment.virtual_address % align:
            return False
        if segment.file_offset + segment.physical_size > size:
            return False
    return True


def has_same_loaded_image(original: Path, stripped: Path) -> bool:
    """True if the loader maps from ``stripped`` what the linker put in ``original``.

    The program headers are the same, every allocated section is mapped at the same address
    with the same bytes, and ``PT_PHDR`` still maps the real table.
    """
    lief = _lief()
    before, after = _parse_layout(original), _parse_layout(stripped)
    if before is None or after is None or not has_loadable_layout(stripped):
        return False
    if _header(before) != _header(after) or _segments(before) != _segments(after):
        return False
    with _mapped(original) as source, _mapped(stripped) as image:
        return _same_sections(lief, before, after, source, image)


def _parse_layout(path: Path) -> Any:
    """The headers, segments and sections of an ELF file, read with lief without its symbols,
    relocations, versions and notes (for libpython 3.11: 23 MiB of memory instead of 51)."""
    lief = _lief()
    config = lief.ELF.ParserConfig()
    config.parse_symtab_symbols = config.parse_dyn_symbols = False
    config.parse_relocations = config.parse_symbol_versions = False
    config.parse_notes = config.parse_overlay = False
    return lief.ELF.parse(str(path), config)


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap]:
    """The file's bytes, mapped: only the pages compared are read (a whole-file read of
    libpython 3.11 held its 23 MB symbols and debug sections too)."""
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as m:
        yield m


def _same_sections(lief: Any, before: Any, after: Any, source: mmap.mmap, image: mmap.mmap) -> bool:
    loads = [s for s in after.segments if s.type == lief.ELF.Segment.TYPE.LOAD]
    flags = lief.ELF.Section.FLAGS
    for section in before.sections:
        if not section.has(flags.ALLOC) or section.size == 0:
            continue
        if section.type == lief.ELF.Section.TYPE.NOBITS:
            if not section.has(flags.TLS) and not _is_mapped(loads, section):
                return False
            continue  # .tbss lives in PT_TLS, compared with the segments
        wanted = source[section.file_offset : section.file_offset + section.size]
        if _mapped_bytes(image, loads, section.virtual_address, section.size) != wanted:
            return False
    return _has_mapped_program_headers(after, image, loads)


def _header(binary: Any) -> tuple[object, ...]:
    header = binary.header
    return (
        str(header.identity_class),
        str(header.machine_type),
        str(header.file_type),
        header.entrypoint,
    )


def _segments(binary: Any) -> list[tuple[object, ...]]:
    return [
        (
            str(s.type),
            s.file_offset,
            s.virtual_address,
            s.virtual_size,
            s.physical_size,
            int(s.flags),
            s.alignment,
        )
        for s in binary.segments
    ]


def _is_mapped(loads: list[Any], section: Any) -> bool:
    start, end = section.virtual_address, section.virtual_address + section.size
    return any(
        s.virtual_address <= start and end <= s.virtual_address + s.virtual_size for s in loads
    )


def _mapped_bytes(
    image: bytes | mmap.mmap, loads: list[Any], address: int, size: int
) -> bytes | None:
    """The bytes the loader maps at ``address`` from the file ``image`` (None if unmapped)."""
    for s in loads:
        if s.virtual_address <= address and address + size <= s.virtual_address + s.physical_size:
            start = s.file_offset + address - s.virtual_address
            return image[start : start + size]
    return None


def _has_mapped_program_headers(binary: Any, image: bytes | mmap.mmap, loads: list[Any]) -> bool:
    """``PT_PHDR`` (read by ``dl_iterate_phdr``, hence C++ unwinding) maps the real table."""
    header = binary.header
    phdrs = [s for s in binary.segments if s.type == _lief().ELF.Segment.TYPE.PHDR]
    if not phdrs:
        return True  # glibc finds the table through the PT_LOAD holding e_phoff
    start = header.program_header_offset
    table = image[start : start + header.numberof_segments * header.program_header_size]
    return _mapped_bytes(image, loads, phdrs[0].virtual_address, len(table)) == table
