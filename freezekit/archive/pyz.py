"""PYZ writer: one zstd frame per module (marshalled code object), then the index."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import zstandard

from freezekit.archive import format as fmt
from freezekit.toc import Compression


@dataclass(frozen=True, kw_only=True)
class CompiledModule:
    """A module ready for the PYZ: ``code`` is a marshalled code object."""

    name: str
    code: bytes
    is_package: bool


def compress(data: bytes, *, level: int) -> bytes:
    """A zstd frame with the content size and a checksum, so corruption is detected."""
    params = zstandard.ZstdCompressionParameters.from_level(
        level, source_size=len(data), write_checksum=True, write_content_size=True
    )
    return zstandard.ZstdCompressor(compression_params=params).compress(data)


def write_pyz(modules: Sequence[CompiledModule], *, level: int = 19) -> bytes:
    """Return the PYZ blob for ``modules`` (sorted by name: the output is deterministic)."""
    ordered = sorted(modules, key=lambda module: module.name)
    names = [module.name for module in ordered]
    if len(set(names)) != len(names):
        dupes = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"duplicate modules in PYZ: {', '.join(dupes)}")
    body = bytearray()
    entries = []
    offset = fmt.PYZ_HEADER_SIZE
    for module in ordered:
        stored = compress(module.code, level=level)
        entries.append(
            fmt.RawPyzEntry(
                name=module.name,
                is_package=module.is_package,
                compression=Compression.ZSTD,
                crc32=fmt.crc32(stored),
                data_offset=offset + len(body),
                stored_size=len(stored),
                raw_size=len(module.code),
            )
        )
        body += stored
    index = b"".join(fmt.encode_pyz_entry(entry) for entry in entries)
    header = fmt.encode_pyz_header(
        count=len(entries),
        index_offset=offset + len(body),
        index_length=len(index),
        index_crc32=fmt.crc32(index),
    )
    return header + bytes(body) + index


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
