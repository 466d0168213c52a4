"""Smoke probes run inside the frozen app when ``FREEZEKIT_SMOKE=<probe>`` is set.

Each probe prints one JSON line ``{"probe": ..., "ok": ..., "detail": ...}`` on stdout and
the process exits 0 (ok) or 1. An unknown (or disabled) probe prints one line on stderr
listing the probes and exits 2. ``freezekit smoke`` (freezekit.smoke on the host) runs them.
Standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import time

from freezekit.runtime import PROBES  # noqa: E402

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable
    from typing import Any

    from freezekit.runtime import FreezekitModule

# Probes the app runs for itself (children of the probes above); not listed to users.
_CHILD_PROBES = ("windowed-stdio-child", "restart-child")
# Never imported by the `imports` probe: they print, open a browser or are only scripts.
SIDE_EFFECT_MODULES = frozenset(
    {
        "__main__",
        "this",
        "antigravity",
        "__hello__",
        "__phello__",
        "__hello_alias__",
        "__hello_only__",
        "__phello_alias__",
    }
)
SMOKE_VARIABLE = "FREEZEKIT_SMOKE"
RESULT_VARIABLE = "FREEZEKIT_SMOKE_RESULT"
TIMEOUT = 60.0


class ProbeFailed(Exception):
    """A probe's check did not hold; the message is the probe's detail."""


def run(name: str, *, enabled: bool = True) -> int:
    """Run probe ``name``, print its JSON line, return the exit status."""
    probes = {probe: globals()["probe_" + probe.replace("-", "_")] for probe in PROBES}
    children = {probe: globals()["probe_" + probe.replace("-", "_")] for probe in _CHILD_PROBES}
    if not enabled:
        _error(f"smoke probe {name!r} not run: this app was built with smoke probes disabled")
        return 2
    function = probes.get(name) or children.get(name)
    if function is None:
        _error(f"unknown smoke probe {name!r}; the probes are: {', '.join(PROBES)}")
        return 2
    try:
        ok, detail = True, function()
    except ModuleNotFoundError as exc:
        if not _is_bundled(exc.name or ""):
            ok, detail = True, f"skipped: the app does not bundle {exc.name} (its subject)"
        else:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
    except ProbeFailed as exc:
        ok, detail = False, str(exc)
    except Exception as exc:  # a probe reports every failure as its result
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    _emit({"probe": name, "ok": ok, "detail": detail})
    return 0 if ok else 1


def _is_bundled(name: str) -> bool:
    """True when the top-level package of ``name`` is in the PYZ (or outside a frozen app)."""
    freezekit_module = _freezekit_module()
    if freezekit_module is None or not name:
        return True
    return name.partition(".")[0] in {n.partition(".")[0] for n in freezekit_module.pyz_index()}


def _private_folder() -> str:
    """A new 0700 folder for a probe's files (without tempfile: it pulls in half the stdlib)."""
    base = os.environ.get("TMPDIR") or "/tmp"
    folder = os.path.join(base, f"freezekit-smoke-{os.getpid()}-{time.monotonic_ns()}")
    os.mkdir(folder, 0o700)
    return folder


def _remove_folder(folder: str) -> None:
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    os.rmdir(folder)


def _error(message: str) -> None:
    stream = sys.stderr or sys.__stderr__
    if stream is not None:
        stream.write(f"freezekit: {message}\n")
        stream.flush()


def _emit(result: dict[str, object]) -> None:
    line = json.dumps(result, sort_keys=True)
    target = os.environ.get(RESULT_VARIABLE)
    if target:
        with open(target, "w", encoding="utf-8") as file:
            file.write(line + "\n")
    if sys.stdout is not None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _check(condition: object, message: str) -> None:
    if not condition:
        raise ProbeFailed(message)


def _top_dir() -> str:
    return getattr(sys, "_MEIPASS", "")


def _freezekit_module() -> FreezekitModule | None:
    try:
        import _freezekit
    except ImportError:
        return None
    return _freezekit


# -- multiprocessing ------------------------------------------------------------------------


def _square(value: int) -> int:
    return value * value


def _worker_identity(_: object = None) -> tuple[bool, str]:
    return (bool(getattr(sys, "frozen", False)), _top_dir())


def _put(queue: Any, value: int) -> None:
    queue.put(("echo", value, _top_dir()))


def _shm_upper(name: str) -> None:
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(name=name)
    try:
        shm.buf[:5] = bytes(shm.buf[:5]).upper()  # type: ignore[index]  # buf: set when open
    finally:
        shm.close()


def _probe_mp(method: str) -> str:
    import multiprocessing

    if method not in multiprocessing.get_all_start_methods():
        return f"skipped: start method {method!r} is not available on {sys.platform}"
    multiprocessing.freeze_support()  # must be a no-op here
    context = multiprocessing.get_context(method)
    with context.Pool(2) as pool:
        squares = pool.map(_square, range(8))
        identity = pool.apply(_worker_identity)
    _check(squares == [n * n for n in range(8)], f"Pool.map gave {squares!r}")
    _check(identity[0], "a pool worker does not have sys.frozen")
    _check(identity[1] == _top_dir(), f"worker top dir {identity[1]!r} != {_top_dir()!r}")
    queue = context.Queue()
    process = context.Process(target=_put, args=(queue, 42))  # type: ignore[attr-defined]
    process.start()
    reply = queue.get(timeout=TIMEOUT)
    process.join(TIMEOUT)
    _check(reply[:2] == ("echo", 42), f"Queue round-trip gave {reply!r}")
    _check(process.exitcode == 0, f"Process exit code {process.exitcode}")
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(create=True, size=16)
    try:
        shm.buf[:5] = b"hello"  # type: ignore[index]  # buf: set when open
        process = context.Process(target=_shm_upper, args=(shm.name,))  # type: ignore[attr-defined]
        process.start()
        process.join(TIMEOUT)
        seen = bytes(shm.buf[:5])  # type: ignore[index]
    finally:
        shm.close()
        shm.unlink()
    _check(seen == b"HELLO", f"shared_memory round-trip gave {seen!r}")
    return f"{method}: Pool.map, Process, Queue and shared_memory round-trips ok"


def probe_mp_spawn() -> str:
    return _probe_mp("spawn")


def probe_mp_forkserver() -> str:
    return _probe_mp("forkserver")


def probe_mp_fork() -> str:
    return _probe_mp("fork")


# -- windowed standard streams --------------------------------------------------------------


def probe_windowed_stdio() -> str:
    folder = _private_folder()
    try:
        result_file = os.path.join(folder, "result.json")
        env = dict(
            os.environ, **{SMOKE_VARIABLE: "windowed-stdio-child", RESULT_VARIABLE: result_file}
        )
        status = _run_with_closed_stdio([sys.executable], env)
        try:
            with open(result_file, encoding="utf-8") as file:
                child = json.loads(file.read())
        except (OSError, ValueError):
            child = None
    finally:
        _remove_folder(folder)
    _check(child is not None, f"child with closed fds 0-2 exited {status} without a result")
    _check(child["ok"] and status == 0, f"child exited {status}: {child['detail']}")
    return f"with fds 0-2 closed: {child['detail']}"


def _run_with_closed_stdio(argv: list[str], env: dict[str, str]) -> int:
    if sys.platform == "win32":
        import subprocess

        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        done = subprocess.run(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            creationflags=flags,
            timeout=TIMEOUT,
            check=False,
        )
        return done.returncode
    actions = [(os.POSIX_SPAWN_CLOSE, fd) for fd in (0, 1, 2)]
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def probe_windowed_stdio_child() -> str:
    streams = {name: getattr(sys, name) for name in ("stdin", "stdout", "stderr")}
    missing = [name for name, stream in streams.items() if stream is None]
    _check(not missing, f"sys.{', sys.'.join(missing)} is None")
    print("freezekit windowed-stdio probe")
    sys.stdout.flush()
    sys.stderr.write("freezekit windowed-stdio probe\n")
    sys.stderr.flush()
    sys.stdin.read(1)
    return "print(), sys.stderr.flush() and sys.stdin.read() work"


# -- environment for outside programs -------------------------------------------------------


def probe_env_reset() -> str:
    if sys.platform == "win32":
        return _env_reset_windows()
    if not os.path.exists("/bin/sh"):
        return f"skipped: no /bin/sh on {sys.platform}"
    import subprocess

    from freezekit.runtime import environ

    command = ["/bin/sh", "-c", 'echo "${LD_LIBRARY_PATH-<unset>}"']
    expected = os.environ.get("LD_LIBRARY_PATH_ORIG", "<unset>")
    frozen_value = os.environ.get("LD_LIBRARY_PATH", "<unset>")
    seen = _stdout_line(
        subprocess.run(
            command,
            env=environ.original_environ(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=True,
        )
    )
    _check(
        seen == expected, f"with original_environ() the shell saw {seen!r}, expected {expected!r}"
    )
    installed = environ.is_subprocess_reset_installed()
    environ.install_subprocess_reset()
    try:
        auto = _stdout_line(
            subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=True)
        )
        inside = environ.is_inside_bundle(sys.executable)
    finally:
        if not installed:
            environ.uninstall_subprocess_reset()
    _check(
        auto == expected,
        f"with install_subprocess_reset() the shell saw {auto!r}, expected {expected!r}",
    )
    _check(inside, f"sys.executable {sys.executable!r} is not seen as inside the bundle")
    return f"outside program saw LD_LIBRARY_PATH={seen!r} (frozen: {frozen_value!r})"


def _stdout_line(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.rstrip("\n")


def _env_reset_windows() -> str:
    """The bootloader leaves PATH (and LD_LIBRARY_PATH) as the caller set them and points the
    DLL search at the top directory with SetDllDirectoryW. A runtime hook may still put bundle
    folders on PATH (simulated here): a system program (cmd.exe) started with
    ``original_environ()``, or through the automatic reset, must see the caller's PATH, none
    of freezekit's variables, and be created with no DLL directory; the app gets its DLL
    directory back afterwards."""
    import _winapi

    from freezekit.runtime import environ

    top = _top_dir()
    caller_path = os.environ.get("PATH", "")
    tops = environ._top_dirs(top)
    _check(
        not any(environ._is_under(entry, tops) for entry in caller_path.split(os.pathsep)),
        f"the bootloader put the top directory on PATH: {caller_path!r}",
    )
    _check(
        "LD_LIBRARY_PATH_ORIG" not in os.environ
        and not environ._is_under(os.environ.get("LD_LIBRARY_PATH", ""), tops),
        "the bootloader changed LD_LIBRARY_PATH on Windows",
    )
    dll_directory = _dll_directory_reader()
    if dll_directory is not None:
        frozen_dir = dll_directory()
        _check(_same_path(frozen_dir, top), f"DLL directory {frozen_dir!r}, expected {top!r}")
    shell = os.environ.get("COMSPEC") or "cmd.exe"
    created_with: list[str | None] = []
    create_process = _winapi.CreateProcess  # type: ignore[attr-defined]  # Windows only

    def recording(*args: Any) -> Any:  # the DLL directory at the moment each child is created
        created_with.append(dll_directory() if dll_directory else None)
        return create_process(*args)

    os.environ["PATH"] = os.pathsep.join([top, os.path.join(top, "bin"), caller_path])
    _winapi.CreateProcess = recording  # type: ignore[attr-defined]
    installed = environ.is_subprocess_reset_installed()
    try:
        given = _cmd_environment([shell, "/d", "/c", "set"], env=environ.original_environ())
        environ.install_subprocess_reset()
        automatic = _cmd_environment("set", shell=True)
    finally:
        _winapi.CreateProcess = create_process  # type: ignore[attr-defined]
        os.environ["PATH"] = caller_path
        if not installed:
            environ.uninstall_subprocess_reset()
    expected = _ascii(caller_path)  # cmd.exe writes a pipe in a code page of its choosing
    for how, seen in (("original_environ()", given), ("install_subprocess_reset()", automatic)):
        _check(
            _ascii(seen.get("PATH", "")) == expected,
            f"with {how} cmd.exe saw PATH={seen.get('PATH')!r}, expected {expected!r}",
        )
        leaked = sorted({"_FREEZEKIT_TOP_DIR", "LD_LIBRARY_PATH_ORIG"} & set(seen))
        _check(not leaked, f"with {how} cmd.exe saw {', '.join(leaked)}")
    if dll_directory is None:
        return "cmd.exe saw the caller's PATH (DLL directory not checked: no ctypes in the app)"
    # env=original_environ() alone keeps the app's DLL directory (a process setting); the
    # automatic reset clears it around the launch
    wanted = ["" if installed else frozen_dir, ""]
    _check(
        created_with == wanted,
        f"DLL directory when each cmd.exe was created: {created_with!r}, expected {wanted!r}",
    )
    after = dll_directory()
    _check(_same_path(after, top), f"DLL directory after the launch is {after!r}, not {top!r}")
    return (
        "cmd.exe saw the caller's PATH without the bundle's folders; created with DLL "
        f"directory {created_with[-1]!r} by the automatic reset, {top!r} restored after"
    )


def _dll_directory_reader() -> Callable[[], str] | None:
    """GetDllDirectoryW as a function, or None when the app does not bundle ctypes."""
    if not _is_bundled("ctypes"):
        return None
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined]  # Windows only

    def dll_directory() -> str:
        buffer = ctypes.create_unicode_buffer(32768)
        length = kernel32.GetDllDirectoryW(32768, buffer)
        return buffer.value[:length]

    return dll_directory


def _ascii(text: str) -> str:
    return "".join(c for c in text if " " <= c < "\x7f" and c != "?")


def _same_path(left: str, right: str) -> bool:
    def norm(path: str) -> str:
        return os.path.normcase(os.path.normpath(path)) if path else ""

    return norm(left) == norm(right)


def _cmd_environment(command: str | list[str], **kwargs: Any) -> dict[str, str]:
    """The environment cmd.exe's ``set`` prints (names upper-cased)."""
    import subprocess

    done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=True, **kwargs)
    text = done.stdout.decode("mbcs", "replace")
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {name.upper(): value for name, _, value in pairs}


# -- restart: independent instance ----------------------------------------------------------


def probe_restart_child() -> str:
    env_names = [
        name
        for name in ("FREEZEKIT_RESET_ENVIRONMENT", "PYINSTALLER_RESET_ENVIRONMENT")
        if name in os.environ
    ]
    _check(not env_names, f"reset variables still set in the new instance: {env_names}")
    return json.dumps({"top_dir": _top_dir(), "ld_library_path": os.environ.get("LD_LIBRARY_PATH")})


def _run_child(extra: dict[str, str]) -> dict[str, object]:
    import subprocess

    env = dict(os.environ, **{SMOKE_VARIABLE: "restart-child"}, **extra)
    done = subprocess.run(
        [sys.executable], env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            result = json.loads(line)
            _check(result["ok"], f"child ({extra or 'worker'}) failed: {result['detail']}")
            found: dict[str, object] = json.loads(result["detail"])
            return found
    raise ProbeFailed(
        f"child ({extra}) exited {done.returncode} without a result: {done.stderr.strip()[-300:]}"
    )


def probe_restart() -> str:
    freezekit_module = _freezekit_module()
    mode = getattr(freezekit_module, "mode", "onedir")
    extract = getattr(freezekit_module, "extract", None)
    top = _top_dir()
    worker = _run_child({})
    _check(worker["top_dir"] == top, f"a child via sys.executable did not reuse {top!r}: {worker}")
    notes = []
    for variable in ("FREEZEKIT_RESET_ENVIRONMENT", "PYINSTALLER_RESET_ENVIRONMENT"):
        child = _run_child({variable: "1"})
        child_top = str(child["top_dir"])
        if mode == "onefile" and extract == "temp":
            _check(child_top != top, f"{variable}=1: new instance reused the top dir {top!r}")
            library_path = str(child["ld_library_path"] or "")
            _check(top not in library_path, f"{variable}=1: LD_LIBRARY_PATH still has {top!r}")
            _check(not os.path.exists(child_top), f"{variable}=1: {child_top!r} left behind")
        else:
            _check(child_top == top, f"{variable}=1: top dir {child_top!r} != {top!r} in {mode}")
        notes.append(f"{variable}=1 -> {'own' if child_top != top else 'same'} top dir")
    return f"{mode}/{extract}: worker reuses the top dir; " + "; ".join(notes)


# -- files ----------------------------------------------------------------------------------


def probe_data() -> str:
    top = _top_dir()
    _check(top and os.path.isdir(top), f"top directory {top!r} does not exist")
    names = sorted(os.listdir(top))
    _check(names, f"top directory {top!r} is empty")
    freezekit_module = _freezekit_module()
    missing = []
    files = 0
    if freezekit_module is not None:
        for name, kind in freezekit_module.toc():
            if kind in ("extension", "binary", "data", "symlink"):
                files += 1
                if not os.path.lexists(os.path.join(top, *name.split("/"))):
                    missing.append(name)
    lazy = _lazy_files(freezekit_module)
    waiting = [name for name in missing if name in lazy]
    missing = [name for name in missing if name not in lazy]
    _check(not missing, f"{len(missing)} TOC files missing from {top!r}: {missing[:10]}")
    note = ""
    if waiting and freezekit_module is not None:  # onefile temp mode: unpacked on first import
        first = min(waiting)
        freezekit_module.unpack(first)
        _check(os.path.isfile(os.path.join(top, *first.split("/"))), f"{first} did not unpack")
        note = f"; {len(waiting)} wait for their first import ({first} unpacked on demand)"
    readable = next(
        (os.path.join(top, n) for n in names if os.path.isfile(os.path.join(top, n))), None
    )
    if readable is not None:
        with open(readable, "rb") as file:
            file.read(16)
    return (
        f"top directory lists {len(names)} entries; "
        f"{files - len(waiting)} extracted TOC files present{note}"
    )


def _lazy_files(freezekit_module: object) -> set[str]:
    """Files the lazy table names (onefile temp mode), from their table rows."""
    read = getattr(freezekit_module, "lazy_table", None)  # None: outside a frozen app
    data = read() if read is not None else None
    if not data:
        return set()
    return {name for row in data.decode("utf-8").splitlines() for name in row.split("\t")[1:]}


def probe_imports() -> str:
    import importlib

    freezekit_module = _freezekit_module()
    if freezekit_module is None:
        raise ProbeFailed("not running inside a frozen app")
    names = sorted(
        name
        for name in freezekit_module.pyz_index()
        if "." not in name and name not in SIDE_EFFECT_MODULES
    )
    failures = []
    started = time.perf_counter()
    for name in names:
        try:
            importlib.import_module(name)
        except (Exception, SystemExit) as exc:  # a module must not exit on import either
            failures.append(f"{name} ({type(exc).__name__}: {exc})")
    elapsed = time.perf_counter() - started
    _check(not failures, f"{len(failures)} of {len(names)} failed: " + "; ".join(failures[:20]))
    return f"imported {len(names)} top-level modules in {elapsed:.2f} s"
