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
    path_entries: int = 0  # DT_RPATH and DT_RUNPATH entries, empty ones too


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


def _segments(
    table: bytes, phentsize: int, phnum: int, segment: str, is_64: bool
) -> tuple[list[tuple[int, int, int]], tuple[int, int] | None]:
    """From the program header table: the PT_LOAD segments as (vaddr, offset, filesz), and
    the PT_DYNAMIC one as (offset, filesz) or None (the last one wins)."""
    loads: list[tuple[int, int, int]] = []
    dynamic: tuple[int, int] | None = None
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
    return loads, dynamic


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
    loads, dynamic = _segments(read(phentsize * phnum), phentsize, phnum, segment, is_64)
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
    entries = len(rpath) + len(runpath)
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

    return ElfDynamic([string(at) for at in needed], paths(rpath), paths(runpath), ident, entries)


# -- setting the search path in place --------------------------------------------------------

_SHT_DYNAMIC = 6
_SHT_NOBITS = 8
_SHT_DYNSYM = 11
_SHT_GNU_VERDEF = 0x6FFFFFFD
_SHT_GNU_VERNEED = 0x6FFFFFFE
#: dynamic entries whose value is an offset into the dynamic string table
#: (NEEDED, SONAME, RPATH, RUNPATH, AUXILIARY, FILTER, CONFIG, DEPAUDIT, AUDIT)
_STRING_TAGS = frozenset(
    (
        _DT_NEEDED,
        14,
        _DT_RPATH,
        _DT_RUNPATH,
        0x7FFFFFFD,
        0x7FFFFFFF,
        0x6FFFFEFA,
        0x6FFFFEFB,
        0x6FFFFEFC,
    )
)


def set_runpath_in_place(path: Path | str, paths: list[str]) -> bool:
    """Make the file's one ``DT_RPATH`` or ``DT_RUNPATH`` entry a ``DT_RUNPATH`` of ``paths``
    (joined with ':') without moving a byte: the new string is written over the old one in the
    dynamic string table, padded with NULs, and an RPATH entry's tag becomes RUNPATH.

    False, and the file untouched, when that cannot be done safely: no search-path entry or
    more than one, a new string longer than the old one, an old string that shares bytes with
    another string of the table (the linker merges suffixes: a symbol or library name may
    end inside it), or no section headers to find every user of the table. The caller then
    rewrites the file with lief, which can grow the table.
    """
    value = ":".join(paths).encode("utf-8", "surrogateescape")
    try:
        with open(path, "r+b") as stream:
            plan = _runpath_plan(stream, value)
            if plan is None:
                return False
            string_at, old_size, entry_at, tag_format = plan
            stream.seek(string_at)
            stream.write(value + bytes(old_size - len(value)))
            if entry_at is not None:
                stream.seek(entry_at)
                stream.write(struct.pack(tag_format, _DT_RUNPATH))
    except (OSError, struct.error, ValueError):
        return False
    return True


def _runpath_plan(stream: BinaryIO, value: bytes) -> tuple[int, int, int | None, str] | None:
    """(file offset of the old string, its length, file offset of the entry's tag if it must
    become DT_RUNPATH, the tag's struct format), or None."""
    read, seek = stream.read, stream.seek
    head = read(64)
    if _ident(head) is None or b"\0" in value:
        return None
    is_64, order = head[4] == 2, "<" if head[5] == 1 else ">"
    if is_64:
        phoff, shoff = struct.unpack_from(order + "QQ", head, 32)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", head, 54)
        segment, entry, section = order + "IIQQQQQQ", order + "qQ", order + "IIQQQQIIQQ"
    else:
        phoff, shoff = struct.unpack_from(order + "II", head, 28)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", head, 42)
        segment, entry, section = order + "IIIIIIII", order + "iI", order + "IIIIIIIIII"
    if phnum in (0, 0xFFFF) or phentsize < struct.calcsize(segment):
        return None
    if shnum == 0 or shentsize != struct.calcsize(section):
        return None  # extended numbering, or no sections: the users of the table are unknown
    seek(phoff)
    loads, dynamic = _segments(read(phentsize * phnum), phentsize, phnum, segment, is_64)
    if dynamic is None or dynamic[1] > _MAX_TABLE:
        return None
    seek(dynamic[0])
    raw = read(dynamic[1])
    step = struct.calcsize(entry)
    paths: list[tuple[int, int, int]] = []  # (file offset of the entry, tag, string offset)
    others: list[int] = []  # string offsets of the other entries
    strtab = strsz = None
    for at in range(0, len(raw) - step + 1, step):
        tag, item = struct.unpack_from(entry, raw, at)
        if tag == _DT_NULL:
            break
        if tag in (_DT_RPATH, _DT_RUNPATH):
            paths.append((dynamic[0] + at, tag, item))
        elif tag in _STRING_TAGS:
            others.append(item)
        elif tag == _DT_STRTAB:
            strtab = item
        elif tag == _DT_STRSZ:
            strsz = item
    if len(paths) != 1 or strtab is None or strsz is None or strsz > _MAX_TABLE:
        return None
    place = next((off + strtab - va for va, off, sz in loads if va <= strtab < va + sz), None)
    if place is None:
        return None
    seek(place)
    strings = read(strsz)
    entry_at, tag, start = paths[0]
    end = strings.find(b"\0", start)
    if start == 0 or end < 0 or strings[start - 1] != 0 or len(value) > end - start:
        return None  # no string, or the end of a longer one, or too short for the new one
    users = _string_users(stream, shoff, shnum, section, order, is_64, place)
    if users is None:
        return None
    if any(start <= at < end for at in (*others, *users)):
        return None
    return place + start, end - start, entry_at if tag == _DT_RPATH else None, entry[:2]


def _string_users(
    stream: BinaryIO, shoff: int, shnum: int, section: str, order: str, is_64: bool, place: int
) -> list[int] | None:
    """Every offset into the dynamic string table (found at file offset ``place``) held by the
    symbols and version records of the sections that link to it; None if a section of another
    kind links to it, or the table has no section header."""
    stream.seek(shoff)
    size = struct.calcsize(section)
    table = stream.read(size * shnum)
    headers = [struct.unpack_from(section, table, i * size) for i in range(shnum)]
    # name, type, flags, addr, offset, size, link, info, addralign, entsize
    index = next((i for i, h in enumerate(headers) if h[1] == 3 and h[4] == place), None)
    if index is None:
        return None
    users: list[int] = []
    for header in headers:
        kind, offset, length, link, info, entsize = (
            header[1], header[4], header[5], header[6], header[7], header[9]
        )  # fmt: skip
        if link != index or kind == _SHT_DYNAMIC:
            continue
        if length > _MAX_TABLE:
            return None
        stream.seek(offset)
        data = stream.read(length)
        if kind == _SHT_DYNSYM and entsize >= 4:
            users += [struct.unpack_from(order + "I", data, at)[0] for at in
                      range(0, len(data) - entsize + 1, entsize)]  # fmt: skip
        elif kind == _SHT_GNU_VERNEED:
            users += _version_names(data, order, info, record="HHIII", aux="IHHII", name_at=2)
        elif kind == _SHT_GNU_VERDEF:
            users += _version_names(data, order, info, record="HHHHIII", aux="II", name_at=None)
        else:
            return None
    return users


def _version_names(
    data: bytes, order: str, count: int, *, record: str, aux: str, name_at: int | None
) -> list[int]:
    """The string offsets of ``count`` version records (verneed: the file name ``name_at`` of
    each record and the name of each auxiliary entry; verdef: each auxiliary entry's name)."""
    names: list[int] = []
    at = 0
    for _ in range(count):
        fields = struct.unpack_from(order + record, data, at)
        entries, first, following = fields[-4 if name_at is None else 1], fields[-2], fields[-1]
        if name_at is not None:
            names.append(fields[name_at])
        aux_at = at + first
        for _ in range(entries):
            parts = struct.unpack_from(order + aux, data, aux_at)
            names.append(parts[-2] if name_at is not None else parts[0])
            aux_at += parts[-1]
        if following == 0:
            break
        at += following
    return names


# -- setting the search path in a new segment ------------------------------------------------

_ET_DYN = 3
_PT_INTERP = 3
_PT_PHDR = 6
_DT_STRING_TABLE_TAGS = (_DT_STRTAB, _DT_STRSZ)


def set_runpath_appended(path: Path | str, paths: list[str]) -> bool:
    """Give a shared library a ``DT_RUNPATH`` of ``paths`` when its string table has no room:
    a new read-write ``PT_LOAD`` segment at the end of the file holds a copy of the program
    headers (one more: itself), of the dynamic section (with the RUNPATH entry added, or the
    one search-path entry made a RUNPATH, and DT_STRTAB/DT_STRSZ pointing at the new table)
    and of the string table with the new string appended. ``PT_DYNAMIC``, ``PT_PHDR``,
    ``e_phoff`` and the two section headers point at the copies; every other byte stays where
    it is (the old copies stay too, unused). This is what lief's rewrite does, for the one
    entry freezekit changes, without importing lief (~60 MiB of memory).

    False, and the file untouched, for anything but a shared library without an interpreter
    (an executable's program headers must stay in its first segment for older kernels), with
    more than one search-path entry, or with headers that do not add up.
    """
    value = ":".join(paths).encode("utf-8", "surrogateescape")
    try:
        with open(path, "r+b") as stream:
            writes = _append_plan(stream, value)
            if writes is None:
                return False
            for offset, data in writes:
                stream.seek(offset)
                stream.write(data)
    except (OSError, struct.error, ValueError):
        return False
    return True


def _append_plan(stream: BinaryIO, value: bytes) -> list[tuple[int, bytes]] | None:
    """The (file offset, bytes) writes of ``set_runpath_appended``, or None."""
    read, seek = stream.read, stream.seek
    head = read(64)
    if _ident(head) is None or b"\0" in value:
        return None
    is_64, order = head[4] == 2, "<" if head[5] == 1 else ">"
    (file_type,) = struct.unpack_from(order + "H", head, 16)
    if is_64:
        phoff, shoff = struct.unpack_from(order + "QQ", head, 32)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", head, 54)
        segment, entry, section = order + "IIQQQQQQ", order + "qQ", order + "IIQQQQIIQQ"
        phoff_field, phnum_field, word = 32, 56, order + "Q"
    else:
        phoff, shoff = struct.unpack_from(order + "II", head, 28)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(order + "HHHH", head, 42)
        segment, entry, section = order + "IIIIIIII", order + "iI", order + "IIIIIIIIII"
        phoff_field, phnum_field, word = 28, 44, order + "I"
    if (
        file_type != _ET_DYN
        or phentsize != struct.calcsize(segment)
        or phnum in (0, 0xFFFE, 0xFFFF)
    ):
        return None
    seek(phoff)
    table = read(phentsize * phnum)
    # every program header as [type, flags, offset, vaddr, paddr, filesz, memsz, align]
    headers = []
    for i in range(phnum):
        fields = list(struct.unpack_from(segment, table, i * phentsize))
        if not is_64:
            fields = [fields[0], fields[6], *fields[1:6], fields[7]]
        headers.append(fields)
    if any(h[0] == _PT_INTERP for h in headers):
        return None
    loads = [h for h in headers if h[0] == _PT_LOAD]
    dynamic = next((h for h in headers if h[0] == _PT_DYNAMIC), None)
    if not loads or dynamic is None or dynamic[5] > _MAX_TABLE:
        return None
    seek(dynamic[2])
    raw = read(dynamic[5])
    step = struct.calcsize(entry)
    entries: list[list[int]] = []
    for at in range(0, len(raw) - step + 1, step):
        tag, item = struct.unpack_from(entry, raw, at)
        if tag == _DT_NULL:
            break
        entries.append([tag, item])
    tables = {tag: item for tag, item in entries if tag in _DT_STRING_TABLE_TAGS}
    paths = [e for e in entries if e[0] in (_DT_RPATH, _DT_RUNPATH)]
    if len(tables) != 2 or len(paths) > 1 or tables[_DT_STRSZ] > _MAX_TABLE:
        return None
    strtab, strsz = tables[_DT_STRTAB], tables[_DT_STRSZ]
    place = next((h[2] + strtab - h[3] for h in loads if h[3] <= strtab < h[3] + h[5]), None)
    if place is None:
        return None
    seek(place)
    strings = read(strsz)
    if len(strings) != strsz:
        return None
    seek(0, 2)
    size = stream.tell()
    if paths:
        extended = _extend_plan(
            stream, size, head_fields=(is_64, order, shoff, shentsize, shnum, section, word),
            headers=headers, place=place, strsz=strsz, value=value,
            entry_writes=[
                (dynamic[2] + i * step, e[0], e[1]) for i, e in enumerate(entries)
                if e is paths[0] or e[0] == _DT_STRSZ
            ],
            entry=entry, phoff=phoff, phentsize=phentsize,
        )  # fmt: skip
        if extended is not None:
            return extended
    align = max(max(h[7] for h in loads), 0x1000)
    if align & (align - 1):
        return None
    start = size + (-size % 16)  # the new segment, in the file and in memory
    address = max(h[3] + h[6] for h in loads)
    address += -address % align + start % align
    # the new segment: program headers, dynamic section, string table
    new_phnum = phnum + 1
    dynamic_at = new_phnum * phentsize
    dynamic_at += -dynamic_at % 16
    new_entries = [list(e) for e in entries]
    if paths:
        index = entries.index(paths[0])
        new_entries[index] = [_DT_RUNPATH, strsz]
    else:
        new_entries.append([_DT_RUNPATH, strsz])
    new_strings = strings + value + b"\0"
    strings_at = dynamic_at + (len(new_entries) + 1) * step
    for e in new_entries:
        if e[0] == _DT_STRTAB:
            e[1] = address + strings_at
        elif e[0] == _DT_STRSZ:
            e[1] = len(new_strings)
    dynamic_bytes = b"".join(struct.pack(entry, *e) for e in new_entries)
    dynamic_bytes += struct.pack(entry, _DT_NULL, 0)
    total = strings_at + len(new_strings)
    writable = next(
        (h[1] for h in loads if h[2] <= dynamic[2] and dynamic[2] + dynamic[5] <= h[2] + h[5]), 6
    )
    new_load = [_PT_LOAD, writable, start, address, address, total, total, align]
    new_headers = []
    for h in headers:
        h = list(h)
        if h[0] == _PT_PHDR:
            h[2:7] = [start, address, address, new_phnum * phentsize, new_phnum * phentsize]
        elif h[0] == _PT_DYNAMIC:
            at, length = address + dynamic_at, len(dynamic_bytes)
            h[2:7] = [start + dynamic_at, at, at, length, length]
        new_headers.append(h)
    last_load = max(i for i, h in enumerate(new_headers) if h[0] == _PT_LOAD)
    new_headers.insert(last_load + 1, new_load)

    def pack(h: list[int]) -> bytes:
        fields = h if is_64 else [h[0], *h[2:7], h[1], h[7]]
        return struct.pack(segment, *fields)

    content = b"".join(pack(h) for h in new_headers)
    content += bytes(dynamic_at - len(content)) + dynamic_bytes
    content += bytes(strings_at - len(content)) + new_strings
    writes = [
        (size, bytes(start - size) + content),
        (phoff_field, struct.pack(word, start)),
        (phnum_field, struct.pack(order + "H", new_phnum)),
    ]
    writes += _moved_section_headers(
        stream, shoff, shnum, shentsize, section, is_64,
        dynamic=(dynamic[2], start + dynamic_at, address + dynamic_at, len(dynamic_bytes)),
        strings=(place, start + strings_at, address + strings_at, len(new_strings)),
        old_strings_size=strsz,
    )  # fmt: skip
    return writes


def _moved_section_headers(
    stream: BinaryIO,
    shoff: int,
    shnum: int,
    shentsize: int,
    section: str,
    is_64: bool,
    *,
    dynamic: tuple[int, int, int, int],
    strings: tuple[int, int, int, int],
    old_strings_size: int,
) -> list[tuple[int, bytes]]:
    """Writes that point the ``.dynamic`` and ``.dynstr`` section headers (found by their old
    file offsets) at the copies: (old offset, new offset, new address, new size) each; and
    one that zeroes the old string table, which nothing reads any more, when no other section
    shares its bytes (a second copy of a large table, OpenBLAS's 236 KB, would cost its
    compressed size in a onefile app)."""
    if shnum == 0 or shentsize != struct.calcsize(section):
        return []
    stream.seek(shoff)
    table = stream.read(shnum * shentsize)
    if len(table) != shnum * shentsize:
        return []
    writes = []
    old_start, old_end = strings[0], strings[0] + old_strings_size
    shared, found = False, False
    for i in range(shnum):
        header = list(struct.unpack_from(section, table, i * shentsize))
        # name, type, flags, addr, offset, size, link, info, addralign, entsize
        moved = None
        for kind, (old, offset, address, size) in ((_SHT_DYNAMIC, dynamic), (3, strings)):
            if moved is None and header[1] == kind and header[4] == old:
                header[3:6] = [address, offset, size]
                writes.append((shoff + i * shentsize, struct.pack(section, *header)))
                moved = kind
        found = found or moved == 3
        has_bits = header[1] not in (0, _SHT_NOBITS) and header[5] > 0
        if moved != 3 and has_bits and header[4] < old_end and old_start < header[4] + header[5]:
            shared = True
    if found and not shared:
        writes.append((old_start, bytes(old_strings_size)))
    return writes


_TAIL_MAX = 1 << 20  # non-loaded bytes after the last segment that may be moved to grow it


def _extend_plan(
    stream: BinaryIO,
    size: int,
    *,
    head_fields: tuple[bool, str, int, int, int, str, str],
    headers: list[list[int]],
    place: int,
    strsz: int,
    value: bytes,
    entry_writes: list[tuple[int, int, int]],
    entry: str,
    phoff: int,
    phentsize: int,
) -> list[tuple[int, bytes]] | None:
    """The writes that grow the string table where it is, when it ends the last segment (as
    patchelf leaves it in wheels' libraries): the new string after it, the segment longer,
    what followed it in the file (unmapped sections, section headers: at most _TAIL_MAX bytes)
    moved up, and the one search-path entry made a RUNPATH pointing at the string. No copy of
    the table (OpenBLAS's is 236 KB). None when the layout is not that one."""
    is_64, order, shoff, shentsize, shnum, section, word = head_fields
    loads = [h for h in headers if h[0] == _PT_LOAD]
    seg = next((h for h in loads if h[2] <= place < h[2] + h[5]), None)
    if seg is None or seg[5] != seg[6]:
        return None
    end = seg[2] + seg[5]  # the segment's end in the file
    if seg[3] + seg[6] < max(h[3] + h[6] for h in loads) or place + strsz > end:
        return None  # not the last segment in memory, or the table runs past it
    if any(h is not seg and h[5] and h[2] + h[5] > end for h in headers):
        return None  # another segment's bytes lie after it
    if phoff + phentsize * len(headers) > end or size - end > _TAIL_MAX:
        return None
    stream.seek(place + strsz)
    slack = stream.read(end - place - strsz)
    if slack.strip(b"\0"):
        return None
    new_end = place + strsz + len(value) + 1
    shift = max(0, new_end - end)
    shift += -shift % 16
    stream.seek(end)
    tail = stream.read(size - end)
    writes: list[tuple[int, bytes]] = []
    if shnum:
        if shentsize != struct.calcsize(section) or shoff < end:
            return None
        table_at = shoff - end
        table = bytearray(tail[table_at : table_at + shnum * shentsize])
        if len(table) != shnum * shentsize:
            return None
        for i in range(shnum):
            header = list(struct.unpack_from(section, table, i * shentsize))
            # name, type, flags, addr, offset, size, link, info, addralign, entsize
            if header[1] == 3 and header[4] == place and header[5] == strsz:
                header[5] = strsz + len(value) + 1
            elif header[1] != _SHT_NOBITS and header[5] and header[4] >= end:
                header[4] += shift
            elif header[1] != _SHT_NOBITS and header[5] and header[4] + header[5] > place:
                return None  # a section shares the table's bytes or the segment's end
            struct.pack_into(section, table, i * shentsize, *header)
        tail = tail[:table_at] + bytes(table) + tail[table_at + len(table) :]
        writes.append((0x28 if is_64 else 0x20, struct.pack(word, shoff + shift)))
    writes.append((place + strsz, value + b"\0" + bytes(end + shift - new_end) + tail))
    # the segment: file and memory sizes (offsets 32/40 in ELF64, 16/20 in ELF32)
    index = headers.index(seg)
    grown = struct.pack(word + word[-1], seg[5] + (new_end - end if new_end > end else 0),
                        seg[6] + (new_end - end if new_end > end else 0))  # fmt: skip
    writes.append((phoff + index * phentsize + (32 if is_64 else 16), grown))
    for at, tag, _ in entry_writes:
        if tag == _DT_STRSZ:
            writes.append((at, struct.pack(entry, tag, strsz + len(value) + 1)))
        else:
            writes.append((at, struct.pack(entry, _DT_RUNPATH, strsz)))
    return writes
