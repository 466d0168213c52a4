"""Compile sources to marshalled code objects with the *target* Python, through a cache.

The cache is content-addressed (source bytes, the name shown in tracebacks, the target's
version, the optimisation level), so it is shared by every build on this machine and never
goes stale.
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
jobs, optimize = json.load(sys.stdin)
errors = []
for key, source, filename, out in jobs:
    try:
        with open(source, "rb") as stream:
            text = stream.read()
        code = compile(text, filename, "exec", dont_inherit=True, optimize=optimize)
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
json.dump(errors, sys.stdout)
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
) -> dict[str, bytes]:
    """Marshalled code for each unit, by key, compiled at optimisation level ``optimize``
    (0-2, like ``python -O``/``-OO``). Raises AnalysisError on a syntax error."""
    folder = (cache_dir or default_cache_dir()) / f"py{target.version[0]}{target.version[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    jobs: list[tuple[str, str, str, str]] = []
    for unit in units:
        try:
            source = unit.source.read_bytes()
        except OSError as exc:
            raise AnalysisError(f"cannot read {unit.source}: {exc.strerror}") from exc
        path = folder / f"{_cache_key(unit, source, target, optimize)}.marshal"
        paths[unit.key] = path
        if not path.exists():
            jobs.append((unit.key, str(unit.source), unit.filename, str(path)))
    if jobs:
        logger.debug("compiling %d of %d modules with %s", len(jobs), len(units), target.python)
        _run_workers(jobs, target, optimize)
    return {key: path.read_bytes() for key, path in paths.items()}


#: Jobs per extra worker: a worker process starts in about 20 ms and compiles a few hundred
#: modules a second, so a second one pays from a few dozen modules on.
_JOBS_PER_WORKER = 40


def worker_count(jobs: int, cpus: int | None) -> int:
    """How many compiler processes share ``jobs`` modules on ``cpus`` processors."""
    return max(1, min(cpus or 1, jobs // _JOBS_PER_WORKER))


def _run_workers(jobs: list[tuple[str, str, str, str]], target: Target, optimize: int) -> None:
    """Compile ``jobs`` in parallel worker processes (the first error in job order wins)."""
    count = worker_count(len(jobs), os.cpu_count())
    parts = [jobs[i::count] for i in range(count)]
    if count == 1:
        results = [_run_worker(jobs, target, optimize)]
    else:
        with ThreadPoolExecutor(max_workers=count) as pool:
            results = list(pool.map(lambda part: _run_worker(part, target, optimize), parts))
    failed = [error for part in results for error in part if isinstance(error, AnalysisError)]
    if failed:
        raise failed[0]
    order = {job[1]: i for i, job in enumerate(jobs)}
    errors = sorted(
        (error for part in results for error in part if isinstance(error, dict)),
        key=lambda error: order.get(error["source"], 0),
    )
    _raise_first(errors)


def _run_worker(
    jobs: list[tuple[str, str, str, str]], target: Target, optimize: int
) -> list[dict[str, Any] | AnalysisError]:
    """Run one compiler process; its syntax errors, or the error of the process itself."""
    proc = subprocess.run(
        [str(target.python), "-I", "-S", *_interpreter_flags(target), "-c", _WORKER],
        input=json.dumps([jobs, optimize]),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return [
            AnalysisError(
                f"compiling with {target.python} failed (exit {proc.returncode}): "
                f"{proc.stderr.strip()[-500:]}"
            )
        ]
    errors: list[dict[str, Any] | AnalysisError] = json.loads(proc.stdout or "[]")
    return errors


def _raise_first(errors: list[dict[str, Any]]) -> None:
    if errors:
        first = errors[0]
        where = f"{first['source']}:{first['line']}" if first["line"] else first["source"]
        raise AnalysisError(
            f"syntax error in {where}: {first['message']}",
            hint="fix the file so that `python -m py_compile` accepts it",
        )
