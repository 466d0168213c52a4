"""Compile sources to marshalled code objects with the *target* Python, through a cache.

The cache is content-addressed (source bytes, the name shown in tracebacks, the target's
version, the optimisation level), so it is shared by every build on this machine and never
goes stale.

What is not in the cache is not always compiled: an installed module (the standard library,
site-packages) usually has a compiled file in ``__pycache__`` that the interpreter's install
wrote. When importlib would take that file for the source (the same magic number, then the
source's mtime and size, or the hash of its bytes, which is always checked here) and it is at
the build's optimisation level, the worker loads it instead: reading the 559 standard library
modules that way takes a tenth of the time compiling them does. The code objects are equal
(``==``) to freshly compiled ones, checked on the whole standard library of 3.10-3.13: the
worker renames them (``co_filename``: the name tracebacks show) and, started with
``-X no_debug_ranges``, drops their column tables on load as it does on compile. The marshalled
bytes may differ slightly in how shared objects are referenced (+0.3 % raw), never in meaning.
A module of the app's own project is always compiled: its ``__pycache__`` file can be older than
an edit made within the same second (same size), which importlib's check cannot see and the
content-addressed cache would keep.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freezekit.errors import AnalysisError
from freezekit.platforms import Target

logger = logging.getLogger(__name__)

_WORKER = r"""
import json, marshal, os, sys
from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash
jobs, optimize = json.load(sys.stdin)
errors = []
reused = 0

CODE = type(compile("", "", "exec"))

def renamed(code, filename):
    consts = code.co_consts
    if CODE not in map(type, consts):  # most functions hold no code object
        return code.replace(co_filename=filename)
    consts = tuple([renamed(c, filename) if type(c) is CODE else c for c in consts])
    return code.replace(co_filename=filename, co_consts=consts)

def read(path):
    with open(path, "rb") as stream:
        return stream.read()

def from_pyc(source, filename):
    # the interpreter's compiled file when importlib would take it for this source
    try:
        st = os.stat(source)
        data = read(cache_from_source(source, optimization=optimize or ""))
    except (OSError, ValueError, NotImplementedError):
        return None
    if len(data) < 16 or data[:4] != MAGIC_NUMBER:
        return None
    flags = int.from_bytes(data[4:8], "little")
    if flags & ~3:
        return None
    if flags & 1:  # hash-based: checked whatever its check_source bit says
        try:
            if data[8:16] != source_hash(read(source)):
                return None
        except OSError:
            return None
    else:  # timestamp-based: the source's mtime and size, as importlib compares them
        stamp = (int(st.st_mtime) & 0xFFFFFFFF) | (st.st_size & 0xFFFFFFFF) << 32
        if data[8:16] != stamp.to_bytes(8, "little"):
            return None
    try:
        return renamed(marshal.loads(memoryview(data)[16:]), filename)
    except (EOFError, ValueError, TypeError):
        return None

for key, source, filename, out, installed in jobs:
    try:
        code = from_pyc(source, filename) if installed else None
        if code is None:
            code = compile(read(source), filename, "exec", dont_inherit=True, optimize=optimize)
        else:
            reused += 1
    except SyntaxError as exc:
        errors.append({"source": source, "line": exc.lineno, "message": exc.msg})
        continue
    except (OSError, ValueError) as exc:
        errors.append({"source": source, "line": None, "message": str(exc)})
        continue
    tmp = out + ".%d.tmp" % os.getpid()
    with open(tmp, "wb") as stream:
        stream.write(marshal.dumps(code))
    os.replace(tmp, out)
json.dump([errors, reused], sys.stdout)
"""


@dataclass(frozen=True, kw_only=True)
class SourceUnit:
    """One source file to compile; ``filename`` is what tracebacks show (no build paths)."""

    key: str  # module name, or the script name
    source: Path
    filename: str


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "freezekit" / "bytecode"


def _interpreter_flags(target: Target) -> list[str]:
    """Code objects without column tables (3.11+): a frozen app has no source to point carets
    into, and they are about a tenth of the PYZ (numpy app: 860 KB compressed)."""
    return ["-X", "no_debug_ranges"] if target.version >= (3, 11) else []


def _cache_key(unit: SourceUnit, source: bytes, target: Target, optimize: int = 0) -> str:
    digest = hashlib.sha256()
    flags = " ".join(_interpreter_flags(target))
    if optimize:  # level 0 keeps the keys it always had
        flags += f" optimize={optimize}"
    for part in (f"{target.version[0]}.{target.version[1]}", flags, unit.filename):
        digest.update(part.encode("utf-8") + b"\x00")
    digest.update(source)
    return digest.hexdigest()


def compile_units(
    units: Sequence[SourceUnit],
    target: Target,
    *,
    cache_dir: Path | None = None,
    optimize: int = 0,
    processes: int | None = None,
) -> dict[str, bytes]:
    """Marshalled code for each unit, by key, compiled at optimisation level ``optimize``
    (0-2, like ``python -O``/``-OO``), by at most ``processes`` compilers (default: one per
    processor). Raises AnalysisError on a syntax error."""
    paths = compiled_paths(
        units, target, cache_dir=cache_dir, optimize=optimize, processes=processes
    )
    return {key: path.read_bytes() for key, path in paths.items()}


def compiled_paths(
    units: Sequence[SourceUnit],
    target: Target,
    *,
    cache_dir: Path | None = None,
    optimize: int = 0,
    processes: int | None = None,
) -> dict[str, Path]:
    """``compile_units``, but the cache file of each unit's code instead of its bytes (to be
    read later: files in the cache are never changed, only replaced by equal ones)."""
    folder = (cache_dir or default_cache_dir()) / f"py{target.version[0]}{target.version[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    jobs: list[Job] = []
    for unit in units:
        try:
            source = unit.source.read_bytes()
        except OSError as exc:
            raise AnalysisError(f"cannot read {unit.source}: {exc.strerror}") from exc
        path = folder / f"{_cache_key(unit, source, target, optimize)}.marshal"
        paths[unit.key] = path
        if not path.exists():
            installed = is_installed(unit.source, target)
            jobs.append((unit.key, str(unit.source), unit.filename, str(path), installed))
    if jobs:
        reused = _run_workers(jobs, target, optimize, processes or os.cpu_count())
        logger.debug(
            "bytecode: %d of %d modules not cached, %d of them read from the interpreter's "
            "__pycache__, the others compiled with %s",
            len(jobs),
            len(units),
            reused,
            target.python,
        )
    return paths


#: (key, source, filename, output, installed): one module for a worker
Job = tuple[str, str, str, str, bool]

#: Folders of installed distributions: what is in them is not being edited.
_INSTALLED_FOLDERS = frozenset({"site-packages", "dist-packages"})


def is_installed(source: Path, target: Target) -> bool:
    """Whether ``source`` is in the target's standard library or an installed distribution,
    whose ``__pycache__`` files the installer wrote: a worker may read those instead of
    compiling (the module docstring says why the app's own files are always compiled)."""
    return bool(_INSTALLED_FOLDERS.intersection(source.parts)) or source.is_relative_to(
        target.stdlib
    )


#: Jobs per extra worker: a worker process starts in about 20 ms and compiles a few hundred
#: modules a second, so a second one pays from a few dozen modules on.
_JOBS_PER_WORKER = 40


def worker_count(jobs: int, cpus: int | None) -> int:
    """How many compiler processes share ``jobs`` modules on ``cpus`` processors."""
    return max(1, min(cpus or 1, jobs // _JOBS_PER_WORKER))


def _run_workers(jobs: list[Job], target: Target, optimize: int, cpus: int | None) -> int:
    """Compile ``jobs`` in parallel worker processes, up to one per ``cpus`` (the first error
    in job order wins); returns how many were read from ``__pycache__`` files instead."""
    count = worker_count(len(jobs), cpus)
    parts = [jobs[i::count] for i in range(count)]
    if count == 1:
        results = [_run_worker(jobs, target, optimize)]
    else:
        with ThreadPoolExecutor(max_workers=count) as pool:
            results = list(pool.map(lambda part: _run_worker(part, target, optimize), parts))
    failed = [result for result in results if isinstance(result, AnalysisError)]
    if failed:
        raise failed[0]
    answers = [result for result in results if not isinstance(result, AnalysisError)]
    order = {job[1]: i for i, job in enumerate(jobs)}
    errors = sorted(
        (error for part, _ in answers for error in part),
        key=lambda error: order.get(error["source"], 0),
    )
    _raise_first(errors)
    return sum(reused for _, reused in answers)


def _run_worker(
    jobs: list[Job], target: Target, optimize: int
) -> tuple[list[dict[str, Any]], int] | AnalysisError:
    """Run one compiler process: (its syntax errors, how many modules it read from
    ``__pycache__``), or the error of the process itself."""
    proc = subprocess.run(
        [str(target.python), "-I", "-S", *_interpreter_flags(target), "-c", _WORKER],
        input=json.dumps([jobs, optimize]),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return AnalysisError(
            f"compiling with {target.python} failed (exit {proc.returncode}): "
            f"{proc.stderr.strip()[-500:]}"
        )
    errors, reused = json.loads(proc.stdout)
    return errors, reused


def _raise_first(errors: list[dict[str, Any]]) -> None:
    if errors:
        first = errors[0]
        where = f"{first['source']}:{first['line']}" if first["line"] else first["source"]
        raise AnalysisError(
            f"syntax error in {where}: {first['message']}",
            hint="fix the file so that `python -m py_compile` accepts it",
        )
