"""The build stamp: what the last build read and wrote, so that a rebuild in which nothing
changed returns before the analysis runs.

``build/<name>/build-stamp.marshal`` (marshal: a rebuild reads it in a third of the time JSON
takes, and does not import json) holds
- ``inputs``: what is known before a build starts, compared as it is: the options, the working
  folder, freezekit's version and the state of its own files (as this process loaded them),
  the target and host interpreters (path, real path, state, pyvenv.cfg; the host's sys.path),
  and the environment variables that change a build;
- ``files``: the state (size, mtime_ns, ctime_ns, through symbolic links) of every file the
  build read: scripts, module sources, libraries, data files, runtime hooks, hook files, the
  bootloader and its sources, freezekit's own files as they are on disk (the runtime is read
  from there), and the packages freezekit runs (modulegraph2, lief, zstandard, ...);
- ``folders``: the state of every folder modules and files were looked for in: the target's
  ``sys.path``, every folder of a bundled package, the folders of every file above. A file
  appearing in one changes the folder's mtime, and could change what the analysis finds (an
  optional import that was missing, a module shadowing another);
- ``digest`` (added by ``freezekit.stages``): a digest of the inputs with the analysis result,
  target and bootloader, compared when the analysis had to run (a folder changed, say) to skip
  writing an output that would come out the same;
- ``output``: the state of every file and folder of the output; ``work``: of the work dir's
  files that a rebuild returns without building (the pickled analysis, the reports);
- ``size``, ``file_count``, ``summary`` (added by ``freezekit.stages``): what such a rebuild
  returns and reports.

A file or folder modified after the build started is recorded as ``"racy"``, which never
matches: it may have changed after the build read it.

This module is on the path of every rebuild: it imports nothing beyond os, sys and marshal
(and ``freezekit.options``, which the caller has imported already).
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Iterable

from freezekit import __version__
from freezekit._record import replace
from freezekit.options import BuildOptions

STAMP_FILE = "build-stamp.marshal"
START_FILE = ".build-start"
_FORMAT = 2
RACY = "racy"

#: Environment variables that change what a build produces or where it finds its inputs. PATH
#: and the compiler's variables are left out: they only pick the compiler when a bootloader must
#: be compiled, and the bootloader cache does not depend on them either (the bootloader file is
#: recorded itself). A build from another shell or an IDE need not start over.
ENV_NAMES = (
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "DYLD_FALLBACK_LIBRARY_PATH",
    "XDG_CACHE_HOME",
    "SOURCE_DATE_EPOCH",
)
ENV_PREFIXES = ("FREEZEKIT_", "PYTHON")

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

State = list[int] | str | None  # [size, mtime_ns, ctime_ns]; None: missing; RACY


def state(path: str, *, follow: bool = True) -> list[int] | None:
    """[size, mtime_ns, ctime_ns] of ``path``, None if missing. What a build reads is followed
    through symbolic links (an edited target counts); what it writes is not (``follow``)."""
    try:
        st = os.stat(path, follow_symlinks=follow)
    except (OSError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _interpreter(path: str) -> list[object]:
    """An interpreter's path, real path and state; a venv's pyvenv.cfg sets its sys.path."""
    folder = os.path.dirname(path)
    configs = [
        os.path.join(folder, "pyvenv.cfg"),
        os.path.join(os.path.dirname(folder), "pyvenv.cfg"),
    ]
    return [path, os.path.realpath(path), state(path), [state(c) for c in configs]]


def _tree_states(top: str, relative: str = ".") -> dict[str, State]:
    """The state of every file and folder under ``top`` (``__pycache__`` left out), by path
    relative to it."""
    found: dict[str, State] = {relative: state(top)}
    try:
        with os.scandir(top) as entries:
            for entry in entries:
                name = f"{relative}/{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        found.update(_tree_states(entry.path, name))
                else:
                    found[name] = state(entry.path)
    except OSError:  # not a folder (freezekit run from a zip): never up to date
        found[relative] = f"unreadable {os.urandom(8).hex()}"
    return found


#: freezekit's own files as they were when freezekit.build was imported: the code this process
#: runs (a file edited later makes the next build run again).
PACKAGE_STATES = _tree_states(PACKAGE_DIR)


def inputs(options: BuildOptions) -> dict[str, object]:
    """The values a build depends on that are known before it starts (cheap to compute)."""
    python = os.path.abspath(options.python or sys.executable)
    return {
        "freezekit": [__version__, PACKAGE_DIR, PACKAGE_STATES],
        # --clean and --noconfirm change what happens to old output, not the new output
        "options": repr(replace(options, clean=False, noconfirm=False)),
        "cwd": os.getcwd(),
        "target": _interpreter(python),
        "host": [
            _interpreter(os.path.abspath(sys.executable)),
            sys.version,
            [os.path.abspath(p) for p in sys.path],
        ],
        "env": {
            name: value
            for name, value in sorted(os.environ.items())
            if name in ENV_NAMES or name.startswith(ENV_PREFIXES)
        },
    }


def load(workdir: str) -> dict[str, object] | None:
    """The last build's stamp, or None."""
    try:
        with open(os.path.join(workdir, STAMP_FILE), "rb") as stream:
            record = marshal.loads(stream.read())  # load(stream) reads item by item: slower
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(record, dict) or record.get("format") != _FORMAT:
        return None
    return record


def changed(record: dict[str, object], current: dict[str, object]) -> str | None:
    """What changed since ``record`` was written (None: nothing): the quick check."""
    if record.get("inputs") != current:
        return _which_input(record.get("inputs"), current)
    return (
        changed_folders(record)
        or changed_files(record)
        or changed_output(record)
        or _first_changed(record.get("work"), follow=False)
    )


def _which_input(old: object, new: dict[str, object]) -> str:
    if not isinstance(old, dict):
        return "the stamp"
    keys = sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
    return "build inputs (" + ", ".join(keys) + ")"


def _first_changed(states: object, folder: str = "", *, follow: bool = True) -> str | None:
    """The first path (``folder`` + name) whose state is not the recorded one. The loop every
    rebuild runs, on hundreds of files: state() inlined."""
    if not isinstance(states, dict):
        return "the stamp"
    stat = os.stat
    for name, recorded in states.items():
        path = f"{folder}{name}"
        try:
            st = stat(path, follow_symlinks=follow)
        except (OSError, ValueError):
            if recorded is not None:
                return path
            continue
        if recorded != [st.st_size, st.st_mtime_ns, st.st_ctime_ns]:
            return path
    return None


def changed_files(record: dict[str, object]) -> str | None:
    """The first file read by the last build that changed, or None."""
    files = record.get("files")
    if not isinstance(files, dict):
        return "the stamp"
    for folder, states in files.items():
        found = _first_changed(states, os.path.join(folder, ""))
        if found is not None:
            return found
    return None


def changed_folders(record: dict[str, object]) -> str | None:
    """The first folder searched by the last build that changed, or None."""
    return _first_changed(record.get("folders"))


def changed_output(record: dict[str, object]) -> str | None:
    """The first file or folder of the output (or report) that changed, or None."""
    return _first_changed(record.get("output"), follow=False)


def start(workdir: str) -> int:
    """Mark the start of a build; returns the mark's mtime (taken from the file system's clock,
    like the states it is compared with)."""
    path = os.path.join(workdir, START_FILE)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(f"{os.getpid()}\n")
    return os.stat(path).st_mtime_ns


def _settled(path: str, started: int) -> State:
    found = state(path)
    if found is not None and found[1] >= started:
        return RACY  # modified after the build started: maybe after it was read
    return found


def record(
    inputs: dict[str, object],
    *,
    files: Iterable[str],
    folders: Iterable[str],
    started: int,
    output: str,
    work: Iterable[str],
) -> dict[str, object]:
    """The stamp of a finished build that read ``files``, searched ``folders`` and wrote
    ``output`` (absolute paths); ``work``: the work-dir files a rebuild returns without building;
    ``started``: the mtime of the build's start mark (``start()``)."""
    grouped: dict[str, dict[str, State]] = {}
    for path in sorted(set(files)):
        folder, name = os.path.split(path)
        grouped.setdefault(folder, {})[name] = _settled(path, started)
    return {
        "format": _FORMAT,
        "inputs": inputs,
        "files": grouped,
        "folders": {path: _settled(path, started) for path in sorted(set(folders))},
        "output": _output_states(output),
        "work": {path: state(path, follow=False) for path in work},
    }


def _output_states(output: str) -> dict[str, State]:
    """Every file and folder of ``output``, not following links."""
    found: dict[str, State] = {output: state(output, follow=False)}
    for top, dirs, names in os.walk(output):
        for name in (*dirs, *names):
            path = os.path.join(top, name)
            found[path] = state(path, follow=False)
    return found


def write(workdir: str, record: dict[str, object]) -> None:
    path = os.path.join(workdir, STAMP_FILE)
    tmp = f"{path}.{os.getpid()}.partial"
    with open(tmp, "wb") as stream:
        marshal.dump(record, stream)
    os.replace(tmp, path)
