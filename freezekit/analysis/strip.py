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
with ``has_same_loaded_image`` (the program headers read again on their own, every allocated
section compared where the loader maps it) and replaced by the original when the check fails.
Files are mapped and copied a megabyte at a time, never held whole (libpython 3.11 with its
debug sections is 23 MB; lief, which this module used before, cost ~60 MiB to import).
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

logger = logging.getLogger(__name__)

_ET_EXEC, _ET_DYN = 2, 3
_SHT_SYMTAB, _SHT_STRTAB, _SHT_RELA, _SHT_NOBITS, _SHT_REL = 2, 3, 4, 8, 9
_SHT_GROUP, _SHT_SYMTAB_SHNDX = 17, 18
_SHF_ALLOC, _SHF_INFO_LINK = 0x2, 0x40
_SHN_XINDEX = 0xFFFF
_PN_XNUM = 0xFFFF
_PT_LOAD, _PT_PHDR = 1, 6
_SHF_TLS = 0x400

_Bytes = bytes | mmap.mmap


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


def _read_elf(data: _Bytes) -> _Elf | None:
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


def _removable(data: _Bytes, elf: _Elf) -> frozenset[int]:
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
    with _mapped(path) as data:
        elf = _read_elf(data) if data is not None else None
        return data is not None and elf is not None and bool(_removable(data, elf))


def _is_in_segment(elf: _Elf, section: _Section) -> bool:
    return any(
        offset < section.end and section.offset < offset + size for offset, size in elf.segments
    )


#: A piece of the stripped file: a (start, end) range of the original, or that many zero bytes.
_Piece = tuple[int, int] | int
_CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True)
class _Stripped:
    """How to write the stripped file: ``pieces``, then ``headers`` (the kept section headers,
    after their padding) at ``shoff``, with the ELF header's section fields changed."""

    pieces: tuple[_Piece, ...]
    headers: bytes
    shoff: int
    shnum: int
    shstrndx: int


def _without(data: _Bytes, elf: _Elf, removed: frozenset[int]) -> _Stripped | None:
    """``data`` without the ``removed`` sections (None if that would move mapped bytes)."""
    cut = elf.mapped_end
    tail: list[tuple[int, int]] = [
        (elf.shoff, elf.shoff + len(elf.sections) * struct.calcsize(elf.section_format))
    ]
    zeroed: list[tuple[int, int]] = []  # removed sections among the mapped bytes
    appended: list[_Piece] = []
    size = cut
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
                zeroed.append((section.offset, section.end))  # zeroed in place
        elif section.offset >= cut:
            padding = -size % max(section.addralign, 1)
            if padding:
                appended.append(padding)
            moved[index] = size + padding
            appended.append((section.offset, section.end))
            size += padding + section.size
    if _has_unknown_bytes(data, cut, tail):
        return None  # something appended after the sections (a payload, a signature)
    pieces: list[_Piece] = []
    position = 0
    for begin, end in sorted(zeroed):
        begin = max(begin, position)
        if begin > position:
            pieces.append((position, begin))
        if end > begin:
            pieces.append(end - begin)
        position = max(position, end)
    pieces += [(position, cut), *appended]
    kept = [i for i in range(len(elf.sections)) if i not in removed]
    new_index = {old: new for new, old in enumerate(kept)}
    headers = bytearray(-size % (8 if elf.is_64 else 4))
    shoff = size + len(headers)
    for old in kept:
        section = elf.sections[old]
        section = section._replace(
            offset=moved.get(old, section.offset), link=new_index[section.link]
        )
        if len(section.indexes()) == 2:
            section = section._replace(info=new_index[section.info])
        headers += struct.pack(elf.section_format, *section)
    return _Stripped(
        pieces=tuple(pieces),
        headers=bytes(headers),
        shoff=shoff,
        shnum=len(kept),
        shstrndx=new_index[elf.shstrndx],
    )


def _has_unknown_bytes(data: _Bytes, start: int, known: list[tuple[int, int]]) -> bool:
    position = start
    for begin, end in sorted(known):
        if begin > position and not _is_zero(data, position, begin):
            return True
        position = max(position, end)
    return not _is_zero(data, position, len(data))


def _is_zero(data: _Bytes, start: int, end: int) -> bool:
    for at in range(start, end, _CHUNK):
        if data[at : min(at + _CHUNK, end)].strip(b"\0"):
            return False
        _release(data, at, min(at + _CHUNK, end))
    return True


def _release(data: _Bytes, start: int, end: int) -> None:
    """Drop the mapped pages of ``data[start:end]`` from this process: they were read, and
    the pages of a mapped file count in its resident size until unmapped (the page cache
    keeps them)."""
    if isinstance(data, mmap.mmap) and end > start and hasattr(mmap, "MADV_DONTNEED"):
        start -= start % mmap.PAGESIZE
        data.madvise(mmap.MADV_DONTNEED, start, min(end, len(data)) - start)


def _write(data: _Bytes, elf: _Elf, stripped: _Stripped, dest: Path) -> None:
    """Write the stripped file a megabyte at a time, then point the ELF header's e_shoff,
    e_shnum and e_shstrndx at the new section headers."""
    with dest.open("wb") as out:
        for piece in stripped.pieces:
            if isinstance(piece, int):
                out.write(bytes(piece))
                continue
            start, end = piece
            for at in range(start, end, _CHUNK):
                out.write(data[at : min(at + _CHUNK, end)])
                _release(data, at, min(at + _CHUNK, end))
        out.write(stripped.headers)
        # e_shoff, then e_shnum and e_shstrndx (after e_flags, e_ehsize, e_ph*, e_shentsize)
        offset_field, count_field = (0x28, 0x3C) if elf.is_64 else (0x20, 0x30)
        out.seek(offset_field)
        out.write(struct.pack(elf.order + ("Q" if elf.is_64 else "I"), stripped.shoff))
        out.seek(count_field)
        out.write(struct.pack(elf.order + "HH", stripped.shnum, stripped.shstrndx))


def strip_unneeded(source: Path, dest: Path) -> bool:
    """Write ``source`` without symbol table and debug sections to ``dest``.

    False (and ``dest`` not written) when the file is not ELF, has nothing to remove, or
    would not load exactly as before without them. The files are mapped, not read: only the
    pages copied or compared are in memory, a few at a time.
    """
    with _mapped(source) as data:
        elf = _read_elf(data) if data is not None else None
        removed = _removable(data, elf) if data is not None and elf is not None else frozenset()
        if data is None or elf is None or elf.file_type not in (_ET_EXEC, _ET_DYN) or not removed:
            return False
        stripped = _without(data, elf, removed)
        if stripped is None:
            logger.debug("%s: its symbols or debug sections lie among mapped bytes; kept", source)
            return False
        _write(data, elf, stripped, dest)
    if has_same_loaded_image(source, dest):
        return True
    logger.debug("%s: stripping would change what the loader maps; copied as it is", source)
    dest.unlink()
    return False


class _Segment(NamedTuple):
    """A program header, in the ELF64 field order."""

    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    align: int


@dataclass(frozen=True, kw_only=True)
class _Layout:
    """What the loader reads: the ELF header's identity and entry point, the program headers."""

    header: tuple[int, ...]  # class, data, machine, type, entry
    phoff: int
    phentsize: int
    segments: tuple[_Segment, ...]


def _read_layout(data: _Bytes) -> _Layout | None:
    """The ELF header and program headers of ``data`` (None if not ELF or out of bounds). It
    does not read the section headers: the check below holds ``_read_elf`` to what it finds."""
    if len(data) < 52 or data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    is_64, order = data[4] == 2, "<" if data[5] == 1 else ">"
    (file_type, machine) = struct.unpack_from(order + "HH", data, 16)
    if is_64:
        if len(data) < 64:
            return None
        entry, phoff = struct.unpack_from(order + "QQ", data, 24)
        phentsize, phnum = struct.unpack_from(order + "HH", data, 54)
        segment_format = order + "IIQQQQQQ"
    else:
        entry, phoff = struct.unpack_from(order + "II", data, 24)
        phentsize, phnum = struct.unpack_from(order + "HH", data, 42)
        segment_format = order + "IIIIIIII"
    if phentsize < struct.calcsize(segment_format) or phoff + phnum * phentsize > len(data):
        return None
    segments = []
    for i in range(phnum):
        fields = struct.unpack_from(segment_format, data, phoff + i * phentsize)
        if is_64:
            kind, flags, offset, vaddr, _, filesz, memsz, align = fields
        else:
            kind, offset, vaddr, _, filesz, memsz, flags, align = fields
        segments.append(_Segment(kind, flags, offset, vaddr, filesz, memsz, align))
    return _Layout(
        header=(data[4], data[5], machine, file_type, entry),
        phoff=phoff,
        phentsize=phentsize,
        segments=tuple(segments),
    )


def _is_loadable(layout: _Layout, size: int) -> bool:
    for segment in layout.segments:
        if segment.type != _PT_LOAD:
            continue
        align = max(segment.align, 1)
        if segment.offset % align != segment.vaddr % align:
            return False
        if segment.offset + segment.filesz > size:
            return False
    return True


def has_loadable_layout(path: Path) -> bool:
    """Every PT_LOAD segment of the ELF file satisfies the loader's alignment rule and lies
    inside the file."""
    with _mapped(path) as data:
        layout = _read_layout(data) if data is not None else None
        return data is not None and layout is not None and _is_loadable(layout, len(data))


def has_same_loaded_image(original: Path, stripped: Path) -> bool:
    """True if the loader maps from ``stripped`` what the linker put in ``original``.

    The program headers are the same, every allocated section is mapped at the same address
    with the same bytes, and ``PT_PHDR`` still maps the real table.
    """
    with _mapped(original) as source, _mapped(stripped) as image:
        if source is None or image is None:
            return False
        before, after, elf = _read_layout(source), _read_layout(image), _read_elf(source)
        if before is None or after is None or elf is None:
            return False
        if not _is_loadable(after, len(image)):
            return False
        if before.header != after.header or before.segments != after.segments:
            return False
        loads = [s for s in after.segments if s.type == _PT_LOAD]
        for section in elf.sections:
            if not section.flags & _SHF_ALLOC or section.size == 0:
                continue
            if not section.has_bits:
                if not section.flags & _SHF_TLS and not _is_mapped(loads, section):
                    return False
                continue  # .tbss lives in PT_TLS, compared with the segments
            at = _file_offset(loads, section.addr, section.size)
            if at is None or not _same_bytes(source, section.offset, image, at, section.size):
                return False
        return _has_mapped_program_headers(after, image, loads)


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap | None]:
    """The file's bytes, mapped (None for an empty file): only the pages copied or compared
    are read, and the kernel can drop them again (a whole-file read of libpython 3.11 held its
    23 MB symbols and debug sections)."""
    with open(path, "rb") as stream:
        if os.fstat(stream.fileno()).st_size == 0:
            yield None
            return
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as m:
            yield m


def _same_bytes(a: _Bytes, a_at: int, b: _Bytes, b_at: int, size: int) -> bool:
    """``size`` bytes of ``a`` from ``a_at`` equal those of ``b`` from ``b_at``."""
    for step in range(0, size, _CHUNK):
        n = min(_CHUNK, size - step)
        if a[a_at + step : a_at + step + n] != b[b_at + step : b_at + step + n]:
            return False
        _release(a, a_at + step, a_at + step + n)
        _release(b, b_at + step, b_at + step + n)
    return True


def _is_mapped(loads: list[_Segment], section: _Section) -> bool:
    start, end = section.addr, section.addr + section.size
    return any(s.vaddr <= start and end <= s.vaddr + s.memsz for s in loads)


def _file_offset(loads: list[_Segment], address: int, size: int) -> int | None:
    """Where in the file the loader maps ``size`` bytes at ``address`` from (None: nowhere)."""
    for s in loads:
        if s.vaddr <= address and address + size <= s.vaddr + s.filesz:
            return s.offset + address - s.vaddr
    return None


def _has_mapped_program_headers(layout: _Layout, image: _Bytes, loads: list[_Segment]) -> bool:
    """``PT_PHDR`` (read by ``dl_iterate_phdr``, hence C++ unwinding) maps the real table."""
    phdrs = [s for s in layout.segments if s.type == _PT_PHDR]
    if not phdrs:
        return True  # glibc finds the table through the PT_LOAD holding e_phoff
    size = len(layout.segments) * layout.phentsize
    at = _file_offset(loads, phdrs[0].vaddr, size)
    return (
        at is not None
        and _same_bytes(image, layout.phoff, image, at, size)
        and (layout.phoff + size <= len(image))
    )
