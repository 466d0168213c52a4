"""zstd frames: many at once on every processor, the frame cache, incompressible data."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
import zstandard

from freezekit.archive import format as fmt
from freezekit.archive import pyz
from freezekit.archive.pkg import PkgHeader, PkgItem, compress_entry, write_pkg
from freezekit.toc import EntryKind


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FREEZEKIT_NO_CACHE", raising=False)
    monkeypatch.setattr(pyz, "threads", lambda: 2)
    return tmp_path / "xdg"


def _modules(count: int) -> list[bytes]:
    words = [b"import", b"return", b"self", b"value", b"print", b"None", b"def", b"class"]
    rng = random.Random(7)
    return [b" ".join(rng.choice(words) for _ in range(300 + 40 * i)) for i in range(count)]


def test_many_frames_with_a_dictionary_decompress_to_their_inputs() -> None:
    inputs = _modules(30)
    samples: list[bytes | bytearray | memoryview] = [*inputs, *inputs, *inputs, *inputs]
    dictionary = zstandard.train_dictionary(4096, samples).as_bytes()
    frames = pyz.compress_many(inputs, level=19, dictionary=dictionary)
    decompressor = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(dictionary))
    assert [decompressor.decompress(frame) for frame in frames] == inputs
    # one at a time gives the same frames (read back from the cache here)
    assert [pyz.compress(x, level=19, dictionary=dictionary) for x in inputs] == frames


def test_cached_frames_are_not_compressed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _modules(12)
    first = pyz.compress_many(inputs, level=19)

    def fail(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("compressed again")

    monkeypatch.setattr(pyz, "_compress_now", fail)
    assert pyz.compress_many(inputs, level=19) == first


def test_incompressible_frames_keep_the_quick_probe() -> None:
    noise = random.Random(3).randbytes(pyz.PROBE_MIN * 2)
    text = _modules(1)[0] * 50
    quick = pyz.compress_frame(noise, 19)
    assert zstandard.get_frame_parameters(quick).content_size == len(noise)
    assert zstandard.ZstdDecompressor().decompress(quick) == noise
    assert quick == pyz._compress_now(noise, pyz.PROBE_LEVEL)
    assert pyz.compress_frame(text, 19) == pyz._compress_now(text, 19)


def test_frame_spans_are_the_frames_of_a_chunked_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt, "CHUNKED_MIN_SIZE", 4096)
    monkeypatch.setattr(fmt, "CHUNK_RAW_SIZE", 3000)
    raw = _modules(1)[0] * 3
    chunks = fmt.decode_chunk_index(compress_entry(raw, level=3))
    assert chunks is not None
    assert [length for _, length in pyz.frame_spans(len(raw))] == [r for _, r in chunks]
    assert pyz.frame_spans(100) == [(0, 100)]


def test_a_large_entry_is_at_least_two_frames_of_equal_size() -> None:
    """libpython (5.7 MB) and every other file from CHUNKED_MIN_SIZE on is two frames or more,
    so the bootloader's threads share it; no frame is over CHUNK_RAW_SIZE."""
    for size in (fmt.CHUNKED_MIN_SIZE, 5_728_512, 25_023_184, 5 * fmt.CHUNK_RAW_SIZE + 1):
        spans = pyz.frame_spans(size)
        assert len(spans) >= 2
        assert spans[0][0] == 0 and sum(length for _, length in spans) == size
        assert all(
            start + length == nxt
            for (start, length), (nxt, _) in zip(spans[:-1], spans[1:], strict=True)
        )
        assert max(length for _, length in spans) <= fmt.CHUNK_RAW_SIZE
        assert max(length for _, length in spans) - min(length for _, length in spans) < len(spans)
    assert len(pyz.frame_spans(fmt.CHUNKED_MIN_SIZE - 1)) == 1


def _pkg(files: list[Path]) -> bytes:
    out = io.BytesIO()
    items = [
        PkgItem(name=f.name, kind=EntryKind.BINARY, source=f, compress=True, mode=0o755)
        for f in files
    ]
    header = PkgHeader(flags=fmt.FLAG_ONEFILE, py_version=(3, 11), libpython="libpython3.11.so")
    write_pkg(out, items, header, pkg_offset=0, level=19)
    return out.getvalue()


def test_precompressed_files_give_the_same_archive_without_compressing_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fmt, "CHUNKED_MIN_SIZE", 40_000)
    monkeypatch.setattr(fmt, "CHUNK_RAW_SIZE", 30_000)
    files = []
    for i, size in enumerate((100, 5_000, 90_000)):
        path = tmp_path / f"lib{i}.so"
        path.write_bytes((_modules(1)[0] * 400)[:size])
        files.append(path)
    monkeypatch.setenv("FREEZEKIT_NO_CACHE", "1")
    expected = _pkg(files)  # compressed entry by entry, no cache
    monkeypatch.delenv("FREEZEKIT_NO_CACHE")
    pyz.precompress_files(files, level=19)
    compressed = []
    real = pyz._compress_now

    def record(data: bytes, level: int, dictionary: bytes | None = None, **kw: int) -> bytes:
        compressed.append(len(data))
        return real(data, level, dictionary, **kw)

    monkeypatch.setattr(pyz, "_compress_now", record)
    assert _pkg(files) == expected
    assert compressed == [100]  # below the cache's minimum size: compressed in place


@pytest.mark.parametrize("precompressed", [False, True])
def test_libpython_frames_get_the_small_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, precompressed: bool
) -> None:
    # what onefile unpacks before Python starts streams through a small window (pyz.py,
    # EAGER_WINDOW_LOG); the other libraries keep theirs, and the frame cache keeps both apart
    rng = random.Random(3)
    words = b" ".join(_modules(8)).split()
    text = b" ".join(rng.choice(words) for _ in range(120_000))
    files = []
    for name in ("libpython3.11.so", "libother.so"):
        path = tmp_path / name
        path.write_bytes(text[:600_000])
        files.append(path)
    if precompressed:
        pyz.precompress_files(files, level=3, eager={files[0]})
        monkeypatch.setattr(pyz, "_compress_now", None)  # every frame must come from the cache
    out = io.BytesIO()
    items = [PkgItem(name=f.name, kind=EntryKind.BINARY, source=f, compress=True) for f in files]
    header = PkgHeader(flags=fmt.FLAG_ONEFILE, py_version=(3, 11), libpython="libpython3.11.so")
    write_pkg(out, items, header, pkg_offset=0, level=3)
    other, libpython = _first_and_last_windows(out.getvalue())  # entries in name order
    assert libpython == 1 << pyz.EAGER_WINDOW_LOG
    assert other > 1 << pyz.EAGER_WINDOW_LOG


def _first_and_last_windows(data: bytes) -> tuple[int, int]:
    """The zstd window sizes of the first and the last frame in ``data``."""
    magic = b"\x28\xb5\x2f\xfd"
    first, last = (
        zstandard.get_frame_parameters(data[start : start + 18]).window_size
        for start in (data.find(magic), data.rfind(magic))
    )
    return first, last


def test_base_library_frames_get_the_small_window_too(tmp_path: Path) -> None:
    # base_library.zip is unpacked before Python starts as well (pkg.EAGER_DATA): its frame
    # streams through the extraction thread's window; other data files keep the large one
    rng = random.Random(5)
    words = b" ".join(_modules(8)).split()
    text = b" ".join(rng.choice(words) for _ in range(120_000))[:600_000]
    names = ("base_library.zip", "data.bin")
    items = [PkgItem(name=n, kind=EntryKind.DATA, data=text, compress=True) for n in names]
    header = PkgHeader(flags=fmt.FLAG_ONEFILE, py_version=(3, 11), libpython="libpython3.11.so")
    out = io.BytesIO()
    write_pkg(out, items, header, pkg_offset=0, level=3)
    base_library, other = _first_and_last_windows(out.getvalue())  # entries in name order
    assert base_library == 1 << pyz.EAGER_WINDOW_LOG
    assert other > 1 << pyz.EAGER_WINDOW_LOG


def test_a_file_compressed_frame_by_frame_is_its_whole_content_compressed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from freezekit.archive.pkg import compress_file

    monkeypatch.setattr(fmt, "CHUNKED_MIN_SIZE", 40_000)
    monkeypatch.setattr(fmt, "CHUNK_RAW_SIZE", 30_000)
    for size in (0, 700, 39_999, 40_000, 95_000):
        path = tmp_path / f"f{size}"
        path.write_bytes((_modules(1)[0] * 400)[:size])
        raw = path.read_bytes()
        stored, raw_size = compress_file(path, level=5)
        assert raw_size == size
        if size:
            assert stored == compress_entry(raw, level=5)


def test_large_frames_at_level_19_use_the_shallower_search() -> None:
    rng = random.Random(5)
    words = _modules(3)
    big = b"".join(rng.choice(words) for _ in range(pyz.LARGE_FRAME // 2000 + 8))
    assert len(big) >= pyz.LARGE_FRAME
    frame = pyz.compress_frame(big, 19)
    assert zstandard.ZstdDecompressor().decompress(frame) == big
    large = zstandard.ZstdCompressionParameters(
        write_checksum=True, write_content_size=True, **pyz.LARGE_19
    )
    assert frame == zstandard.ZstdCompressor(compression_params=large).compress(big)
    # other levels, smaller frames and dictionary frames keep the level's own table
    assert pyz.compress_frame(big, 20) != frame
    small = big[: pyz.LARGE_FRAME - 1]
    table = zstandard.ZstdCompressionParameters.from_level(
        19, source_size=len(small), write_checksum=True, write_content_size=True
    )
    assert pyz._params(19, len(small), dictionary=False).search_log == table.search_log
    assert pyz._params(19, len(big), dictionary=True).search_log != pyz.LARGE_19["search_log"]


def test_the_frame_cache_keeps_large_level_19_frames_apart(private_cache: Path) -> None:
    big = (_modules(1)[0] * 400)[: pyz.LARGE_FRAME]
    folder = pyz.compression_cache_dir()
    assert folder is not None
    assert pyz._cache_path(folder, big, 19, None).name.endswith(f"{pyz.LARGE_19_TAG}.zst")
    assert not pyz._cache_path(folder, big, 18, None).name.endswith(f"{pyz.LARGE_19_TAG}.zst")
    frame = pyz.compress(big, level=19)
    assert pyz._cache_path(folder, big, 19, None).read_bytes() == frame


def test_module_frames_at_level_19_use_the_dictionary_table(private_cache: Path) -> None:
    inputs = _modules(20)
    samples: list[bytes | bytearray | memoryview] = [*inputs, *inputs, *inputs]
    dictionary = zstandard.train_dictionary(4096, samples).as_bytes()
    frames = pyz.compress_many(inputs, level=19, dictionary=dictionary)
    cdict = zstandard.ZstdCompressionDict(dictionary)
    alone = [
        zstandard.ZstdCompressor(
            compression_params=pyz._params(19, len(x), dictionary=True), dict_data=cdict
        ).compress(x)
        for x in inputs
    ]
    # the prepared dictionary of a size class gives the frames of each input compressed alone
    assert frames == alone == [pyz._compress_now(x, 19, dictionary) for x in inputs]
    decompressor = zstandard.ZstdDecompressor(dict_data=cdict)
    assert [decompressor.decompress(frame) for frame in frames] == inputs
    folder = pyz.compression_cache_dir()
    assert folder is not None
    name = pyz._cache_path(folder, inputs[-1], 19, dictionary).name
    assert name.endswith(f"{pyz.DICT_19_TAG}.zst")
    # frames cached before the table changed (level 15's own table) are not taken for these
    assert not name.endswith("-D15.zst")
    assert pyz._cache_path(folder, inputs[-1], 18, dictionary).name != name


def test_dictionary_frames_use_lazy2_except_from_64_to_256_kib() -> None:
    from freezekit.archive.pyzdict import DICT_SIZE

    # the whole dictionary is in the tables of every lazy2 frame
    assert 1 << pyz.DICT_TABLE_LOG >= DICT_SIZE
    for size in (1, 1_000, 16 << 10, 40_000, 64 << 10, (256 << 10) + 1, 600_000, 3 << 20):
        params = pyz._params(19, size, dictionary=True)
        assert params.strategy == zstandard.STRATEGY_LAZY2, size
        assert (params.search_log, params.min_match) == (6, 4)
        assert params.hash_log >= pyz.DICT_TABLE_LOG
        assert pyz.DICT_TABLE_LOG <= params.window_log <= pyz.WINDOW_LOG
    for size in ((64 << 10) + 1, 100_000, 256 << 10):
        assert pyz.size_class(size) in pyz.DICT_BTOPT_CLASSES
        table = zstandard.ZstdCompressionParameters.from_level(
            pyz.DICT_19, source_size=1 << pyz.size_class(size)
        )
        params = pyz._params(19, size, dictionary=True)
        assert params.strategy == table.strategy == zstandard.STRATEGY_BTOPT
        fields = ("window_log", "chain_log", "hash_log", "search_log", "target_length")
        assert [getattr(params, f) for f in fields] == [getattr(table, f) for f in fields]
    # other levels and frames without the dictionary keep their level's table
    table = zstandard.ZstdCompressionParameters.from_level(18, source_size=40_000)
    assert pyz._params(18, 40_000, dictionary=True).strategy == table.strategy
    assert pyz._params(19, 40_000, dictionary=False).strategy == zstandard.STRATEGY_BTULTRA2


def test_without_the_cache_files_are_still_compressed_on_every_processor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fmt, "CHUNKED_MIN_SIZE", 40_000)
    monkeypatch.setattr(fmt, "CHUNK_RAW_SIZE", 30_000)
    files = []
    for i, size in enumerate((100, 5_000, 90_000)):
        path = tmp_path / f"lib{i}.so"
        path.write_bytes((_modules(1)[0] * 400)[:size])
        files.append(path)
    monkeypatch.setenv("FREEZEKIT_NO_CACHE", "1")
    expected = _pkg(files)
    pyz.precompress_files(files, level=19)  # held in memory: no cache folder
    assert not (tmp_path / "xdg").exists()
    compressed = []
    real = pyz._compress_now

    def record(data: bytes, level: int, dictionary: bytes | None = None, **kw: int) -> bytes:
        compressed.append(len(data))
        return real(data, level, dictionary, **kw)

    monkeypatch.setattr(pyz, "_compress_now", record)
    assert _pkg(files) == expected
    assert compressed == [100]  # the small one only: the writer took the held frames
    assert not pyz._HELD


def test_frames_come_back_in_input_order_whatever_order_the_threads_take(
    private_cache: Path,
) -> None:
    # the threads take the largest inputs first; tiny ones (< 512 B) get no cache file
    inputs = [_modules(1)[0][:100], *_modules(9)[::-1], b"x" * 10, *_modules(3)]
    frames = pyz.compress_many(inputs, level=9)
    assert [zstandard.ZstdDecompressor().decompress(frame) for frame in frames] == inputs
    assert frames == [pyz._compress_now(data, 9) for data in inputs]
    cached = list((private_cache / "freezekit" / "zstd").rglob("*.zst"))
    assert len(cached) == len({data for data in inputs if len(data) >= 512})
