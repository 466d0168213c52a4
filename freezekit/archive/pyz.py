"""PYZ writer: one zstd frame per module (marshalled code object), then the index."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import zstandard

from freezekit.archive import format as fmt
from freezekit.toc import Compression


@dataclass(frozen=True, kw_only=True)
class CompiledModule:
    """A module ready for the PYZ: ``code`` is a marshalled code object."""

    name: str
    code: bytes
    is_package: bool


# The largest zstd window: what the bootloader must hold per extraction thread. 2 MiB costs
# under 0.5 % in size on libpython and libcrypto at level 19 (the default would be 8 MiB).
WINDOW_LOG = 21
#: The window of libpython's frames (pkg.write_pkg), which onefile unpacks before Python starts:
#: with a 256 KiB window the bootloader streams each 2.7 MiB chunk through a few hundred KiB
#: that stay in the processor's cache, instead of decoding it into a buffer of fresh pages
#: (a page fault each, ~2 us on a VM). libpython 3.11 stored: 1,544,756 B at 2 MiB, 1,575,794
#: at 256 KiB (+31 KB per onefile app); the other libraries keep WINDOW_LOG (lazy, or large).
EAGER_WINDOW_LOG = 18


#: Level 19 on a frame of LARGE_FRAME bytes or more (the libraries of a onefile app) uses
#: LARGE_19 instead of the level's own table: the same strategy (btultra2) and window with a
#: shallower search. Measured on numpy_app's stripped libraries (openblas, _multiarray_umath,
#: libpython, libcrypto, libgfortran, unicodedata, _generator: 50 MB in 2 MiB-window frames),
#: CPU seconds on this shared 2-core machine, A/B alternated: level 19 11.23 MB for 14.8-21.9 s,
#: LARGE_19 11.43 MB (+1.8 %) for 10.9 s; level 19 with search_log 3 and btultra 11.52 MB, with
#: search_log 2 11.69 MB for 8.5 s; level 16 12.0 MB; level 12 12.5 MB for 1.5 s. The other
#: 22 MB of numpy_app's libraries: 6.97 -> 7.03 MB, 5.9 -> 4.0 s. Levels 20-22 (asked for
#: explicitly) keep their tables. Smaller frames are cheap at any level and keep it. Then
#: chain_log 22 -> 21 and hash_log 20 -> 19 (the seven libraries, 2 rounds alternated, least
#: thread CPU): 11424958 -> 11463765 bytes (+0.34 %), 10.20 -> 9.18 s.
LARGE_FRAME = 256 << 10
LARGE_19 = {
    "window_log": 21,  # WINDOW_LOG
    "chain_log": 21,
    "hash_log": 19,
    "search_log": 3,
    "min_match": 3,
    "target_length": 32,
    "strategy": zstandard.STRATEGY_BTULTRA2,
}
#: in the frame cache's file names: a frame made with LARGE_19 (change it when LARGE_19 changes)
LARGE_19_TAG = "-X2"


#: Level 19 on a PYZ module frame (compressed with the stdlib dictionary) starts from level
#: DICT_19's table for the frame's size class (DictCompressor): measured on numpy_app's 376 PYZ
#: modules (9.68 MB, 112 KiB dictionary), CPU seconds, A/B: level 19 2.459 MB for 1.68-1.69 s,
#: 16 2.461 MB for 1.58 s, 15 2.469 MB (+0.4 %) for 1.29-1.39 s, 14 2.480 MB for 1.17 s, 13
#: 2.568 MB for 0.89 s (without the dictionary level 19 gives 2.768 MB: it pays, 0.4 s to train
#: once per interpreter).
#:
#: Then every size class but DICT_BTOPT_CLASSES uses DICT_LAZY2 with window and hash tables
#: of at least DICT_TABLE_LOG: level 15's tables for a small input (2^11 for 1 KiB) index only
#: the dictionary's last few KiB, and its optimal parser (btopt/btultra) is most of the CPU.
#: numpy_app's 376 modules with its real dictionary, one thread, 3-6 alternated rounds, CPU
#: seconds (dictionary digests + frames) and PYZ frame bytes:
#:
#:   level 15's table on every class (before)            1.23-1.31 s   2,474,113 B
#:   btopt search_log 3 on classes >= 14                 1.03 s        +33 KB
#:   level 14's table                                    1.11 s        +11 KB
#:   btlazy2 on classes >= 14                            0.76 s        +97 KB
#:   lazy2 (search_log 6) on every class                 0.28 s        +111 KB
#:   lazy2 with these tables on every class              0.29 s        +93 KB
#:   level 15 with 2^17 tables on every class            1.34 s        -33 KB
#:   lazy2 + tables except classes 17-18 (this table)    0.68-0.71 s   +38,782 B (-46 %)
#:   same, btopt search_log 4 target_length 32 on 17-18  0.64 s        +42.6 KB
#:
#: (modules up to 16 KiB: 164,844 -> 154,782 B, 69 -> 17 ms; classes 17-18, 64-256 KiB, are
#: 917 KB of the 2.47 MB, where lazy2 would save 7 ms of CPU per KB it adds.) numpy_app onedir
#: first build, empty cache, 4 alternated pairs: 3.78 -> 3.50 s wall, 6.20 -> 5.60 s user CPU.
DICT_19 = 15
DICT_TABLE_LOG = 17  # 2^17 >= pyzdict.DICT_SIZE (112 KiB): the whole dictionary is indexed
DICT_LAZY2 = {"strategy": zstandard.STRATEGY_LAZY2, "search_log": 6, "min_match": 4}
#: size classes (inputs of 2^(c-1)+1 .. 2^c bytes) that keep level DICT_19's own table
DICT_BTOPT_CLASSES = range(17, 19)
#: in the frame cache's file names: a level-19 dictionary frame (change it when the table changes)
DICT_19_TAG = "-D15L2"


def _large(level: int, size: int | None, *, dictionary: bool) -> bool:
    return level == 19 and not dictionary and (size or 0) >= LARGE_FRAME


def _variant(level: int, size: int, *, dictionary: bool) -> str:
    """How a frame's parameters differ from its level's table, for the frame cache's names."""
    if _large(level, size, dictionary=dictionary):
        return LARGE_19_TAG
    return DICT_19_TAG if dictionary and level == 19 else ""


def size_class(size: int) -> int:
    """A frame's size class: inputs of 2^(c-1)+1 .. 2^c bytes (at least c = 10) share their
    compression parameters and their prepared dictionary (DictCompressor)."""
    return max(10, (size - 1).bit_length())


_FIELDS = (
    "window_log",
    "chain_log",
    "hash_log",
    "search_log",
    "min_match",
    "target_length",
    "strategy",
)


def _dict_19(size: int, window_log: int) -> zstandard.ZstdCompressionParameters:
    """Level 19's parameters for a PYZ module frame of ``size`` bytes with the dictionary."""
    bits = size_class(size)
    table = zstandard.ZstdCompressionParameters.from_level(DICT_19, source_size=1 << bits)
    fields = {name: getattr(table, name) for name in _FIELDS}
    if bits not in DICT_BTOPT_CLASSES:
        fields.update(DICT_LAZY2)
        fields["window_log"] = max(fields["window_log"], DICT_TABLE_LOG)
        fields["hash_log"] = max(fields["hash_log"], DICT_TABLE_LOG)
    fields["window_log"] = min(fields["window_log"], window_log)
    return zstandard.ZstdCompressionParameters(
        write_checksum=True, write_content_size=True, write_dict_id=False, **fields
    )


def _params(
    level: int, size: int | None, *, dictionary: bool, window_log: int = WINDOW_LOG
) -> zstandard.ZstdCompressionParameters:
    if _large(level, size, dictionary=dictionary):
        large = {**LARGE_19, "window_log": min(window_log, LARGE_19["window_log"])}
        return zstandard.ZstdCompressionParameters(
            write_checksum=True, write_content_size=True, **large
        )
    if dictionary and level == 19:
        return _dict_19(size or 0, window_log)
    extra = {"write_dict_id": False} if dictionary else {}
    params = zstandard.ZstdCompressionParameters.from_level(
        level, source_size=size or 0, write_checksum=True, write_content_size=True, **extra
    )
    if params.window_log > window_log:
        params = zstandard.ZstdCompressionParameters.from_level(
            level,
            source_size=size or 0,
            write_checksum=True,
            write_content_size=True,
            window_log=window_log,
            **extra,
        )
    return params


def _compress_now(
    data: bytes, level: int, dictionary: bytes | None = None, *, window_log: int = WINDOW_LOG
) -> bytes:
    params = _params(level, len(data), dictionary=dictionary is not None, window_log=window_log)
    dict_data = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
    return zstandard.ZstdCompressor(compression_params=params, dict_data=dict_data).compress(data)


class DictCompressor:
    """Many small frames with one dictionary at one level, on every processor.

    The dictionary is digested once per size class (inputs up to 1 KiB, 2 KiB, 4 KiB, ...:
    the compression tables are sized for the class, and a frame depends only on its input, the
    level and the dictionary), not once per frame: a compressor made per frame digests it again
    each time, which doubled the CPU time of a PYZ at level 19. Each thread has its own
    compressors (they are not thread-safe; zstd releases the GIL while it works).
    """

    def __init__(self, dictionary: bytes, level: int) -> None:
        self.dictionary = dictionary
        self.level = level
        self._prepared: dict[
            int, tuple[zstandard.ZstdCompressionParameters, zstandard.ZstdCompressionDict]
        ] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def _compressor(self, size: int) -> zstandard.ZstdCompressor:
        bits = size_class(size)
        mine: dict[int, zstandard.ZstdCompressor] = self._local.__dict__.setdefault("by_class", {})
        compressor = mine.get(bits)
        if compressor is None:
            with self._lock:
                prepared = self._prepared.get(bits)
                if prepared is None:
                    params = _params(self.level, 1 << bits, dictionary=True)
                    cdict = zstandard.ZstdCompressionDict(self.dictionary)
                    cdict.precompute_compress(compression_params=params)
                    prepared = self._prepared[bits] = (params, cdict)
            params, cdict = prepared
            compressor = zstandard.ZstdCompressor(compression_params=params, dict_data=cdict)
            mine[bits] = compressor
        return compressor

    def compress(self, data: bytes) -> bytes:
        frame: bytes = self._compressor(len(data)).compress(data)
        return frame


def threads() -> int:
    """Compression threads: one per processor."""
    return max(1, os.cpu_count() or 1)


#: A frame of at least PROBE_MIN bytes is first compressed at PROBE_LEVEL (about 1 ms per
#: MB): when that leaves more than INCOMPRESSIBLE of it (compressed or random data: images,
#: archives, encrypted blobs), the probe frame is kept, as a high level would spend seconds
#: per megabyte to gain a percent or two.
#:
#: Every other frame keeps the level asked for, whatever its size. Measured on numpy_app's
#: stripped libraries over 1 MiB (45 MB; 2 MiB window): level 19 gave 10.93 MB for 21.5 s of
#: CPU, level 16 11.74 MB for 13.5 s, level 12 12.24 MB for 1.5 s. Level 12 would have made its
#: onefile 17.8 MB, over half of PyInstaller's 34.9 MB; the time goes to every processor and to
#: the frame cache instead (precompress_files).
PROBE_MIN = 64 << 10
PROBE_LEVEL = 1
INCOMPRESSIBLE = 0.9


def compress_frame(data: bytes, level: int, *, window_log: int = WINDOW_LOG) -> bytes:
    """One frame of a file entry at ``level``, or at PROBE_LEVEL when it barely compresses."""
    if level > PROBE_LEVEL and len(data) >= PROBE_MIN:
        probe = _compress_now(data, PROBE_LEVEL, window_log=window_log)
        if len(probe) > INCOMPRESSIBLE * len(data):
            return probe
    return _compress_now(data, level, window_log=window_log)


def frame_spans(size: int) -> list[tuple[int, int]]:
    """(start, length) of each zstd frame of a file entry of ``size`` bytes: one frame, or
    from fmt.CHUNKED_MIN_SIZE on, at least two frames of equal size and at most
    fmt.CHUNK_RAW_SIZE (format.py, "Chunked file entries"), so that the bootloader's
    threads share even one large library (libpython: 2 x 2.7 MiB)."""
    if size < fmt.CHUNKED_MIN_SIZE:
        return [(0, size)]
    count = max(2, -(-size // fmt.CHUNK_RAW_SIZE))
    step = -(-size // count)
    return [(start, min(step, size - start)) for start in range(0, size, step)]


def precompress_files(
    paths: Sequence[Path],
    *,
    level: int,
    progress: Callable[[int, int], None] | None = None,
    eager: Collection[Path] = (),
) -> None:
    """Put the frames of these files into the frame cache, on every processor, so that the
    archive writer that follows (which compresses entry by entry) only reads them back.

    One job per frame, each reading its own part of the file: at most one frame's raw bytes
    per thread are in memory. When the cache is off (FREEZEKIT_NO_CACHE) the frames are held
    in memory until the writer takes them (it would otherwise compress them one at a time).
    ``progress(done, total)``: bytes of the files compressed (or found in the cache) so far.
    The frames of the files in ``eager`` (libpython) get EAGER_WINDOW_LOG, as the writer asks.
    """
    folder = compression_cache_dir()
    _HELD.clear()  # a previous write's leftovers (it failed half-way)
    jobs = []
    for path in dict.fromkeys(paths):
        try:
            size = path.stat().st_size
        except OSError:
            continue  # the writer reports it
        jobs += [(path, start, length) for start, length in frame_spans(size) if length]
    # largest first: the long jobs start early and the short ones fill in around them
    jobs.sort(key=lambda job: -job[2])

    def one(job: tuple[Path, int, int]) -> None:
        path, start, length = job
        window_log = EAGER_WINDOW_LOG if path in eager else WINDOW_LOG
        with open(path, "rb") as stream:
            stream.seek(start)
            data = stream.read(length)
        if len(data) < 512:
            return
        frame_path = _cache_path(folder or Path(), data, level, None, window_log)
        if folder is None:
            _HELD[frame_path.name] = compress_frame(data, level, window_log=window_log)
        elif not frame_path.is_file():
            store_in_cache(frame_path, compress_frame(data, level, window_log=window_log))

    total = sum(job[2] for job in jobs)
    done = 0
    count = min(threads(), len(jobs))
    if count <= 1:
        for job in jobs:
            one(job)
            done += job[2]
            if progress is not None:
                progress(done, total)
        return
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = {pool.submit(one, job): job[2] for job in jobs}
        for future in as_completed(futures):  # in the order they finish, for progress
            future.result()
            done += futures[future]
            if progress is not None:
                progress(done, total)


#: precompress_files' frames by their cache file name while the cache is off, until
#: compress_many takes them
_HELD: dict[str, bytes] = {}


def compression_cache_dir() -> Path | None:
    """Where compressed frames are kept between builds (None: FREEZEKIT_NO_CACHE is set)."""
    if os.environ.get("FREEZEKIT_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "freezekit" / "zstd"


def _cache_path(
    folder: Path, data: bytes, level: int, dictionary: bytes | None, window_log: int = WINDOW_LOG
) -> Path:
    key = hashlib.sha256(data).hexdigest()
    # P: one frame of a prepared-dictionary compressor (DictCompressor), not source-sized
    with_dict = f"-P{hashlib.sha256(dictionary).hexdigest()[:16]}" if dictionary else ""
    variant = _variant(level, len(data), dictionary=dictionary is not None)
    return folder / key[:2] / f"{key}-L{level}-W{window_log}{with_dict}{variant}.zst"


def compress(
    data: bytes, *, level: int, dictionary: bytes | None = None, window_log: int = WINDOW_LOG
) -> bytes:
    """A zstd frame with the content size and a checksum, so corruption is detected.

    High levels are slow to compress (and as fast to decompress), so frames are kept in a
    content-addressed cache: the same bytes at the same level are compressed once per machine.
    """
    return compress_many([data], level=level, dictionary=dictionary, window_log=window_log)[0]


def compress_many(
    items: Sequence[bytes],
    *,
    level: int,
    dictionary: bytes | None = None,
    window_log: int = WINDOW_LOG,
) -> list[bytes]:
    """``compress`` for many inputs: cached frames are read, the others compressed on every
    processor (with ``dictionary`` digested once) and stored in the cache. ``window_log``:
    at most this window (file entries without a dictionary).

    Each input's whole job (its cache name's hash, the look-up, the compression, the cache
    file) runs on the threads, the largest inputs first, so that no thread is left with a long
    one at the end; on numpy_app's first build the 376 cache files were otherwise written one
    after the other once every frame was made."""
    folder = compression_cache_dir()
    if dictionary:
        compressor = DictCompressor(dictionary, level)
        work: Callable[[bytes], bytes] = compressor.compress
    else:

        def work(data: bytes) -> bytes:
            return compress_frame(data, level, window_log=window_log)

    def one(data: bytes) -> bytes:
        if len(data) < 512:
            return work(data)  # not worth a cache file
        path = _cache_path(folder or Path(), data, level, dictionary, window_log)
        frame = _HELD.pop(path.name, None)
        if frame is None and folder is not None:
            with contextlib.suppress(OSError):
                frame = path.read_bytes()
        if frame is None:
            frame = work(data)
            if folder is not None:
                store_in_cache(path, frame)
        return frame

    count = min(threads(), len(items))
    if count <= 1:
        return [one(data) for data in items]
    order = sorted(range(len(items)), key=lambda i: -len(items[i]))
    with ThreadPoolExecutor(max_workers=count) as pool:
        made = dict(zip(order, pool.map(one, [items[i] for i in order]), strict=True))
    return [made[i] for i in range(len(items))]


def store_in_cache(path: Path, data: bytes) -> None:
    """Write a cache file through a private name renamed into place (readers never see half a
    file); a cache that cannot be written only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass


def write_pyz(
    modules: Sequence[CompiledModule], *, level: int = 19, dictionary: bytes | None = None
) -> bytes:
    """Return the PYZ blob for ``modules`` (sorted by name: the output is deterministic),
    each module compressed with ``dictionary`` when one is given (pyzdict.py)."""
    ordered = sorted(modules, key=lambda module: module.name)
    names = [module.name for module in ordered]
    if len(set(names)) != len(names):
        dupes = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"duplicate modules in PYZ: {', '.join(dupes)}")
    stored_dict = compress(dictionary, level=level) if dictionary else b""
    body = bytearray(stored_dict)
    entries = []
    offset = fmt.PYZ_HEADER_SIZE
    frames = compress_many([m.code for m in ordered], level=level, dictionary=dictionary)
    for module, stored in zip(ordered, frames, strict=True):
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
        dict_length=len(stored_dict),
    )
    return header + bytes(body) + index


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
