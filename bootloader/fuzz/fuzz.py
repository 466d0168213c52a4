"""Build and run the libFuzzer target over the bootloader's archive reader and extraction.

    python bootloader/fuzz/fuzz.py --seconds 60 [--runs N] [--jobs 1] [--work build/fuzz]

Builds ``fuzz_archive`` with clang (-fsanitize=fuzzer,address,undefined), makes the seed
corpus from the fixture archives (tests/fixtures/archives) and two real executables (hello,
onedir and onefile, frozen with freezekit into the work folder), then fuzzes for the given
time (or number of runs) with ``-max_len`` raised so the real executables fit. Prints one
summary line (executions, coverage, features, corpus, time); a finding (crash, leak,
sanitizer report, timeout, out-of-memory) exits 1 and names the reproducer file. ``nox -s
fuzz`` calls this; ``scripts/install-fuzz.sh`` installs clang where it is missing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "bootloader" / "src"
CORE = [
    "archive.c",
    "crc32.c",
    "extract.c",
    "log.c",
    "path.c",
    "platform.c",
    "platform_posix.c",
    "xxh64.c",
]


def find_clang() -> str:
    for name in ("clang", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("fuzz: clang is not installed; run `bash scripts/install-fuzz.sh` (Debian/Ubuntu)")


def build(work: Path) -> Path:
    target = work / "fuzz_archive"
    sources = [SOURCES / name for name in CORE] + [ROOT / "bootloader" / "fuzz" / "fuzz_archive.c"]
    checks = ROOT / "bootloader" / "tests" / "lookup_check.h"
    newest = max(p.stat().st_mtime for p in [*sources, checks, *SOURCES.glob("*.h")])
    if target.exists() and target.stat().st_mtime > newest:
        return target
    command = [
        find_clang(),
        "-g",
        "-O1",
        "-std=c99",
        "-fsanitize=fuzzer,address,undefined",
        "-fno-sanitize-recover=undefined",
        "-fno-omit-frame-pointer",
        "-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION",
        "-D_GNU_SOURCE",
        f"-I{SOURCES}",
        f"-I{sysconfig.get_paths()['include']}",
        *map(str, sources),
        "-o",
        str(target),
        "-l:libzstd.a",
        "-lpthread",
        "-ldl",
    ]
    work.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"fuzz: building the target failed:\n{result.stderr}")
    return target


def _real_executables(work: Path) -> list[tuple[str, Path]]:
    """hello, onedir and onefile, frozen once into the work folder."""
    from freezekit.build import build as freeze
    from freezekit.options import BuildOptions, Mode

    made = []
    for mode in (Mode.ONEDIR, Mode.ONEFILE):
        dist = work / "apps" / mode.value
        options = BuildOptions(
            scripts=(ROOT / "examples" / "hello" / "hello.py",),
            name="hello",
            mode=mode,
            distpath=dist / "dist",
            workpath=dist / "build",
            noconfirm=True,
        )
        made.append((mode.value, freeze(options).executable))
    return made


def _slim_pyz(pyz: bytes, modules: int) -> bytes:
    """A stored PYZ with its dictionary and only its ``modules`` smallest modules."""
    from freezekit.archive import format as fmt

    every = fmt.decode_pyz(pyz)
    smallest = {e.name for e in sorted(every, key=lambda e: e.stored_size)[:modules]}
    entries = [e for e in every if e.name in smallest]
    dictionary = fmt.pyz_dictionary(pyz)
    data = bytearray(dictionary)
    kept = []
    for entry in entries:
        stored = pyz[entry.data_offset : entry.data_offset + entry.stored_size]
        kept.append((entry, fmt.PYZ_HEADER_SIZE + len(data)))
        data += stored
    index = b"".join(
        fmt.encode_pyz_entry(type(entry)(**{**entry.__dict__, "data_offset": offset}))
        for entry, offset in kept
    )
    index_offset = fmt.PYZ_HEADER_SIZE + len(data)
    header = fmt.encode_pyz_header(
        count=len(kept),
        index_offset=index_offset,
        index_length=len(index),
        index_crc32=fmt.crc32(index),
        dict_length=len(dictionary),
    )
    return header + bytes(data) + index


def _slim(exe: Path, keep_below: int, modules: int) -> bytes:
    """``exe``'s archive without the bootloader in front, without the file entries of
    ``keep_below`` bytes or more (the lazy table follows) and with only ``modules`` PYZ
    modules, checksums made consistent: the real layout (TOC, PYZ with its dictionary,
    links, lazy table, options) at a size the fuzzer can run often (a whole onefile hello
    unpacks 28 MB per run: 22 runs/s; its PYZ alone holds 500 modules)."""
    from dataclasses import replace

    from freezekit.archive import format as fmt
    from freezekit.archive.reader import open_archive, read_entry
    from freezekit.toc import Compression, EntryKind

    archive = open_archive(exe)
    blob = exe.read_bytes()
    base = archive.trailer.pkg_offset
    dropped = {
        e.name
        for e in archive.entries
        if e.kind in (EntryKind.BINARY, EntryKind.EXTENSION, EntryKind.DATA)
        and e.raw_size >= keep_below
    }
    data = bytearray()
    entries = []
    prefix_length = 0
    # in the stored order, so the prefix (format.py) stays first
    for entry in sorted(archive.entries, key=lambda e: e.data_offset):
        if entry.name in dropped:
            continue
        in_prefix = entry.data_offset < archive.trailer.prefix_length
        stored = blob[base + entry.data_offset : base + entry.data_offset + entry.stored_size]
        if entry.kind is EntryKind.PYZ and entry.compression is Compression.NONE:
            stored = _slim_pyz(stored, modules)
            entry = replace(entry, crc32=fmt.crc32(stored), raw_size=len(stored))
        if entry.kind is EntryKind.LAZY:
            table = {
                module: kept
                for module, files in fmt.decode_lazy_table(read_entry(archive, entry)).items()
                if (kept := tuple(f for f in files if f not in dropped))
            }
            stored = fmt.encode_lazy_table(table)
            entry = replace(
                entry, compression=Compression.NONE, crc32=fmt.crc32(stored), raw_size=len(stored)
            )
        entries.append(replace(entry, data_offset=len(data), stored_size=len(stored)))
        data += stored
        prefix_length += len(stored) if in_prefix else 0
    toc_order = {(e.kind, e.name): i for i, e in enumerate(archive.entries)}
    entries.sort(key=lambda e: toc_order[(e.kind, e.name)])  # the TOC keeps its order
    toc = b"".join(fmt.encode_toc_entry(entry) for entry in entries)
    pkg = bytes(data) + toc
    prefix_xxh64, payload_xxh64 = fmt.digests(bytes(data), toc, prefix_length)
    prefix = b"#!fuzz seed\n"
    trailer = replace(
        archive.trailer,
        pkg_offset=len(prefix),
        pkg_length=len(pkg),
        toc_offset=len(data),
        toc_length=len(toc),
        toc_count=len(entries),
        toc_crc32=fmt.crc32(toc),
        payload_xxh64=payload_xxh64,
        prefix_length=prefix_length,
        prefix_xxh64=prefix_xxh64,
    )
    return prefix + pkg + fmt.encode_trailer(trailer)


def seed_corpus(work: Path) -> tuple[Path, int]:
    """The seeds folder and the size of its largest file."""
    seeds = work / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    for fixture in sorted((ROOT / "tests" / "fixtures" / "archives").glob("*.bin")):
        shutil.copyfile(fixture, seeds / fixture.name)
    for mode, exe in _real_executables(work):
        (seeds / f"real-{mode}-hello.bin").write_bytes(_slim(exe, 16 << 10, 40))
    return seeds, max(p.stat().st_size for p in seeds.iterdir())


# "#N  DONE cov: C ft: F corp: K/..." (one process) or "#N: cov: C ft: F corp: K" (-fork)
STATS = re.compile(
    r"#(\d+):?\s+(?:(?:DONE|pulse|NEW|REDUCE|INITED)\s+)?cov: (\d+) ft: (\d+) corp: (\d+)"
)


def run(target: Path, seeds: Path, max_len: int, work: Path, args: argparse.Namespace) -> int:
    corpus = work / "corpus"
    corpus.mkdir(exist_ok=True)
    artifacts = work / "artifacts"
    artifacts.mkdir(exist_ok=True)
    # extraction writes every run: a memory filesystem where there is one; a folder of its own,
    # so that another run's clean-up (same work folder name) cannot remove it mid-run
    shm = Path("/dev/shm")
    scratch = Path(tempfile.mkdtemp(prefix="fk-fuzz-", dir=shm if shm.is_dir() else work))
    command = [
        str(target),
        str(corpus),
        str(seeds),
        f"-max_len={max_len}",
        f"-max_total_time={args.seconds}",
        "-rss_limit_mb=4096",
        "-malloc_limit_mb=2048",
        "-timeout=30",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
    ]
    if args.runs:
        command.append(f"-runs={args.runs}")
    if args.jobs > 1:  # libFuzzer's fork mode: that many worker processes, one corpus
        command.append(f"-fork={args.jobs}")
    env = {
        "PATH": "/usr/bin:/bin",
        "TMPDIR": str(scratch),
        "ASAN_OPTIONS": "detect_leaks=1:allocator_may_return_null=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    }
    start = time.monotonic()
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # each job removes its own folder in it
    elapsed = time.monotonic() - start
    log = work / "fuzz.log"
    log.write_text(result.stderr)
    last = [m.groups() for m in STATS.finditer(result.stderr)]
    executions = re.search(r"stat::number_of_executed_units:\s+(\d+)", result.stderr)
    runs, cov, ft, corp = last[-1] if last else ("0", "?", "?", "?")
    total = executions.group(1) if executions and args.jobs <= 1 else runs
    print(
        f"fuzz: {total} executions in {elapsed:.0f} s ({int(total) / max(elapsed, 1e-9):.0f}/s), "
        f"coverage {cov} edges, {ft} features, corpus {corp} inputs (log: {log})"
    )
    if result.returncode != 0 and "libFuzzer: run interrupted" in result.stderr:
        print("fuzz: interrupted")
        return 1
    if result.returncode != 0:
        found = sorted(artifacts.iterdir(), key=lambda p: p.stat().st_mtime)
        tail = "\n".join(result.stderr.splitlines()[-40:])
        print(
            f"fuzz: FINDING (exit {result.returncode}); reproducer: {found[-1] if found else '?'}"
        )
        print(tail)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to fuzz")
    parser.add_argument("--runs", type=int, default=0, help="stop after this many executions")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (-fork=N)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "fuzz")
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        sys.exit("fuzz: runs on Linux only (the target uses the POSIX platform layer)")
    target = build(args.work)
    seeds, largest = seed_corpus(args.work)
    return run(target, seeds, max(largest, 1 << 20) + 4096, args.work, args)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
