"""The analysis worker's process, started as soon as a build knows it has work to do.

A first or clean build spends its first ~0.15 s importing its stages (analysis, archive,
assemble) and probing the target interpreter; the analysis worker (``analysis/_worker.py``, under
the target interpreter) then spent ~0.1 s starting and importing modulegraph2 and freezekit's
scanners before it scanned anything. ``freezekit.build`` starts it before importing the stages,
so those imports happen beside the build process's own; ``analysis.imports.run_worker`` sends it
the request. When the worker began its walk after the build process started (first builds of
hello, alternated, on the shared 2-core machine at load 3.5-5, freezekit's compiled files
present): 391 -> 279 ms (median of 30; first quartile 292 -> 229, minimum 227 -> 158). Started
once the stages were imported (in ``stages.run``), it competed with the target's probes and the
PYZ dictionary's compiler and began no earlier than before (a round without compiled files:
276 ms before, 293 ms so, 221 ms started here).

This module stays light (standard library only, nothing of the analysis package, whose import
is most of those 0.15 s).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import tempfile
import threading
from pathlib import Path

#: Linked into the folders the worker imports from: FRONT goes first on its path, BACK last
SHIM_FRONT = ("freezekit",)
SHIM_BACK = ("modulegraph2", "objectgraph", "typing_extensions")
WORKER = Path(__file__).resolve().parent / "analysis" / "_worker.py"

#: The source modules an interpreter imports as it initialises (analysis.imports.probe_startup;
#: -W: with a warning option, e.g. ``--python-option "W ignore"``, init imports warnings)
STARTUP_PROBE_FLAGS = ("-I", "-S", "-W", "ignore", "-c")
STARTUP_PROBE = (
    "import sys; print(repr(sorted(n for n, m in sys.modules.items() "
    "if n not in sys.builtin_module_names and "
    "getattr(getattr(m, '__spec__', None), 'origin', None) not in ('frozen', 'built-in'))))"
)

#: modulegraph2 imports the packages it scans (numpy among them): their math libraries need
#: not start a thread per processor there (OpenBLAS: 0.18 s of CPU to import numpy, 0.05 s so)
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class NotImportable(LookupError):
    """A package the worker imports from this process's copy is not importable here."""


def link_packages(names: tuple[str, ...], folder: Path) -> None:
    """Links in ``folder`` to this process's copies of the packages (or modules) ``names``."""
    for name in names:
        spec = importlib.util.find_spec(name)  # a top-level name: found, not imported
        if spec is None or spec.origin is None:
            raise NotImportable(name)
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (folder / source.name).symlink_to(source, target_is_directory=source.is_dir())


class WorkerStart:
    """The analysis worker under ``python``, started before its request is ready. ``early``:
    it imports what it runs with before reading the request (the folders of links are its
    arguments; ``_worker.py`` says how it keeps the analysis the same); otherwise it reads the
    request first. ``communicate`` sends the request; ``close`` ends a worker that got none
    (the analysis was cached, or the build failed) and removes its folders (twice is fine).
    Raises OSError, or NotImportable.

    With ``probes`` it also starts the two probes the build process runs under ``python``
    before it can write the request, which took it ~0.07 s one after the other on a first
    build: the start-up modules' (``startup_output``, for analysis.imports.probe_startup) and,
    on a thread, the interpreter's own (platforms.probe_python, which keeps its answer in the
    per-user cache; ``wait_for_probe`` before resolving the target)."""

    def __init__(self, python: Path, *, early: bool = True, probes: bool = False) -> None:
        self.python = python
        self._tmp = tempfile.TemporaryDirectory(prefix="freezekit-shim-")
        self._proc: subprocess.Popen[str] | None = None
        self._startup: subprocess.Popen[str] | None = None
        self._probe: threading.Thread | None = None
        try:
            front, back = Path(self._tmp.name, "front"), Path(self._tmp.name, "back")
            front.mkdir()
            back.mkdir()
            link_packages(SHIM_FRONT, front)
            link_packages(SHIM_BACK, back)
            self.shims = {"shim_front": str(front), "shim_back": str(back)}
            # -B: no __pycache__ in the app
            self.command = [str(python), "-I", "-B", str(WORKER)]
            self.command += [str(front), str(back)] if early else []
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
            env.update(ONE_THREAD)
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            if probes:
                self._start_probes()
        except BaseException:
            self.close()
            raise

    def _start_probes(self) -> None:
        try:
            self._startup = subprocess.Popen(
                [str(self.python), *STARTUP_PROBE_FLAGS, STARTUP_PROBE],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
        except OSError:
            self._startup = None  # probe_startup runs it and reports why it cannot
        self._probe = threading.Thread(
            target=_probe_python, args=(self.python,), name="freezekit-probe", daemon=True
        )
        self._probe.start()

    def startup_output(self) -> str | None:
        """What the start-up probe printed, or None (not started, or failed: the caller runs
        it again and reports the failure)."""
        if self._startup is None:
            return None
        probe, self._startup = self._startup, None
        try:
            out, _ = probe.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            probe.kill()
            probe.communicate()
            return None
        return out if probe.returncode == 0 else None

    def wait_for_probe(self) -> None:
        """Wait for the interpreter's probe (its answer is then in the per-user cache)."""
        if self._probe is not None:
            self._probe.join()
            self._probe = None

    def communicate(self, payload: str) -> tuple[int, str, str]:
        """Send the request: (exit status, reply, stderr) once the worker has ended."""
        assert self._proc is not None, "one request per worker"
        proc, self._proc = self._proc, None
        try:
            out, err = proc.communicate(payload, timeout=1800)
        finally:
            if proc.returncode is None:  # interrupted, or timed out
                proc.kill()
                proc.communicate()
        return proc.returncode, out, err

    def close(self) -> None:
        for attr in ("_proc", "_startup"):
            proc = getattr(self, attr)
            if proc is not None:
                setattr(self, attr, None)
                proc.kill()
                proc.communicate()
        self.wait_for_probe()
        self._tmp.cleanup()


def _probe_python(python: Path) -> None:
    """The interpreter's probe, for its cache entry; a failure is left to resolve_target."""
    from freezekit.platforms import probe_python

    with contextlib.suppress(Exception):
        probe_python(python)


def start_worker(python: Path) -> WorkerStart | None:
    """A worker started early under ``python``, with the probes; None when it cannot start
    (the analysis then starts one itself and reports why it cannot)."""
    try:
        return WorkerStart(python, probes=True)
    except (OSError, NotImportable):
        return None
