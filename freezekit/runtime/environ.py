"""The environment as it was before the bootloader changed it, for launching outside programs.

Public helpers (documented in docs/runtime.md):

* ``original_environ(environ=None)``: a copy of the environment with the bootloader's
  changes undone; pass it as ``env=`` to ``subprocess.run()`` for a system program.
* ``install_subprocess_reset()``: opt-in (option ``freezekit:reset-subprocess-env``); every
  program started outside the bundle through ``subprocess``, ``os.exec*``, ``os.spawn*`` or
  ``os.posix_spawn*`` gets that environment, programs inside the bundle keep the frozen one.

Standard library only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

INTERNAL_VARIABLES = ("_FREEZEKIT_TOP_DIR", "LD_LIBRARY_PATH_ORIG")
SEARCH_PATH_VARIABLES = ("PATH", "DYLD_LIBRARY_PATH", "LIBPATH")


def _top_dirs(top_dir: str | None) -> tuple[str, ...]:
    top = top_dir if top_dir is not None else getattr(sys, "_MEIPASS", None)
    if not top:
        return ()
    forms = {os.path.normcase(os.path.normpath(top))}
    forms.add(os.path.normcase(os.path.realpath(top)))
    return tuple(sorted(forms))


def _is_under(path: str, tops: tuple[str, ...]) -> bool:
    if not path:
        return False
    path = os.path.normcase(os.path.normpath(path))
    return any(path == top or path.startswith(os.path.join(top, "")) for top in tops)


def _strip(env: dict[str, str], name: str, tops: tuple[str, ...]) -> None:
    """Remove the entries under the top directory from search path ``name``."""
    value = env.get(name)
    if value is None or not tops:
        return
    kept = [entry for entry in value.split(os.pathsep) if not _is_under(entry, tops)]
    if any(kept):
        env[name] = os.pathsep.join(kept)
    else:
        del env[name]


def original_environ(
    environ: Mapping[str, str] | None = None, *, top_dir: str | None = None
) -> dict[str, str]:
    """The environment as it was before the bootloader changed it (a new dict).

    ``LD_LIBRARY_PATH`` comes back from ``LD_LIBRARY_PATH_ORIG``; without it the entries
    under the top directory are removed (and the variable when nothing is left). Entries
    under the top directory leave ``PATH``, ``DYLD_LIBRARY_PATH`` and ``LIBPATH``; the
    bootloader's own variables are dropped. ``environ`` defaults to ``os.environ``;
    ``top_dir`` to ``sys._MEIPASS``.
    """
    env = dict(os.environ if environ is None else environ)
    tops = _top_dirs(top_dir)
    saved = env.pop("LD_LIBRARY_PATH_ORIG", None)
    if saved is not None:
        env["LD_LIBRARY_PATH"] = saved
    else:
        _strip(env, "LD_LIBRARY_PATH", tops)
    for name in SEARCH_PATH_VARIABLES:
        _strip(env, name, tops)
    for name in INTERNAL_VARIABLES:
        env.pop(name, None)
    return env


def sanitize_environ(
    env: Mapping[str, str] | Mapping[bytes, bytes], *, top_dir: str | None = None
) -> dict[str, str] | dict[bytes, bytes]:
    """``original_environ(env)`` for a str or bytes mapping, in the same kind of mapping."""
    if any(isinstance(key, bytes) for key in env):
        decoded = {os.fsdecode(key): os.fsdecode(value) for key, value in env.items()}
        cleaned = original_environ(decoded, top_dir=top_dir)
        return {os.fsencode(key): os.fsencode(value) for key, value in cleaned.items()}
    return original_environ(env, top_dir=top_dir)  # type: ignore[arg-type]  # str keys


def _which(name: str, search_path: str | None) -> str | None:
    for folder in (search_path or os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or os.curdir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def is_inside_bundle(
    program: object, *, search_path: str | None = None, top_dir: str | None = None
) -> bool:
    """True if ``program`` is the app itself or a file under the top directory."""
    try:
        path = os.fsdecode(program)  # type: ignore[arg-type]  # anything: TypeError
    except TypeError:
        return False
    if not os.path.dirname(path):
        found = _which(path, os.environ.get("PATH") if search_path is None else search_path)
        if found is None:
            return False
        path = found
    path = os.path.abspath(path)
    tops = _top_dirs(top_dir)
    candidates = {path, os.path.realpath(path)}
    executables = {os.path.abspath(sys.executable), os.path.realpath(sys.executable)}
    normalized = {os.path.normcase(exe) for exe in executables if exe}
    return any(
        _is_under(candidate, tops) or os.path.normcase(candidate) in normalized
        for candidate in candidates
    )


def _first_word(args: Any) -> object:
    if isinstance(args, (str, bytes)):
        if sys.platform != "win32":
            return args
        text = os.fsdecode(args).lstrip()
        if text.startswith('"'):
            return text[1:].partition('"')[0]
        return text.split(None, 1)[0] if text else text
    if isinstance(args, os.PathLike):
        return args
    return next(iter(args), "")


class _DllDirectoryReset:
    """Windows: undo the bootloader's SetDllDirectoryW(top) around a launch."""

    def __init__(self, active: bool) -> None:
        self.active = active and sys.platform == "win32" and _has_ctypes()

    def __enter__(self) -> None:
        if self.active:
            import ctypes

            ctypes.windll.kernel32.SetDllDirectoryW(None)  # type: ignore[attr-defined]

    def __exit__(self, *exc_info: object) -> None:
        if self.active:
            import ctypes

            top = getattr(sys, "_MEIPASS", None)
            ctypes.windll.kernel32.SetDllDirectoryW(top)  # type: ignore[attr-defined]


def _has_ctypes() -> bool:
    """An app without ctypes still starts its programs (with the app's DLL directory)."""
    try:
        import ctypes  # noqa: F401
    except ImportError:
        return False
    return True


_originals: dict[tuple[object, str], object] = {}


def _patch(owner: object, name: str, replacement: object) -> None:
    original = getattr(owner, name, None)
    if original is None:
        return
    _originals[(owner, name)] = original
    setattr(owner, name, replacement)


def _wrap_execute_child(popen_class: type) -> None:
    original: Callable[..., Any] = popen_class._execute_child  # type: ignore[attr-defined]
    unwrapped: Any = original
    while hasattr(unwrapped, "__wrapped__"):  # read the parameter names through decorators
        unwrapped = unwrapped.__wrapped__
    code = unwrapped.__code__
    names = code.co_varnames[1 : code.co_argcount]  # without self

    def value(args: Any, kwargs: dict[str, Any], name: str, default: Any = None) -> Any:
        if name in kwargs:
            return kwargs[name]
        position = names.index(name)
        return args[position] if position < len(args) else default

    def _execute_child(self: object, *args: Any, **kwargs: Any) -> Any:
        command = value(args, kwargs, "args")
        executable = value(args, kwargs, "executable")
        if executable is not None:
            program = executable
        elif value(args, kwargs, "shell"):
            program = os.environ.get("COMSPEC", "cmd.exe") if sys.platform == "win32" else "/bin/sh"
        else:
            program = _first_word(command)
        if is_inside_bundle(program):
            return original(self, *args, **kwargs)
        env = value(args, kwargs, "env")
        cleaned = original_environ() if env is None else sanitize_environ(env)
        if "env" in kwargs or names.index("env") >= len(args):
            kwargs["env"] = cleaned
        else:
            args = list(args)  # type: ignore[assignment]
            args[names.index("env")] = cleaned  # type: ignore[index]
        with _DllDirectoryReset(True):
            return original(self, *args, **kwargs)

    _execute_child.__wrapped__ = original  # type: ignore[attr-defined]
    _patch(popen_class, "_execute_child", _execute_child)


def _wrap_os() -> None:
    execv, execve = os.execv, os.execve

    def reset_execv(path: Any, args: Any) -> Any:
        if is_inside_bundle(path):
            return execv(path, args)
        with _DllDirectoryReset(True):
            return execve(path, args, original_environ())

    def reset_execve(path: Any, args: Any, env: Any) -> Any:
        if not is_inside_bundle(path):
            env = sanitize_environ(env)
        with _DllDirectoryReset(True):
            return execve(path, args, env)

    # os.execl/execle/execlp/execlpe/execvp/execvpe and, on POSIX, os.spawn* call these two.
    _patch(os, "execv", reset_execv)
    _patch(os, "execve", reset_execve)
    for name in ("posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            _patch(os, name, _posix_spawn_wrapper(getattr(os, name), search=name.endswith("p")))
    if sys.platform == "win32":  # native os.spawnv/os.spawnve; the l/p variants call them
        spawnv, spawnve = os.spawnv, os.spawnve

        def reset_spawnv(mode: int, path: Any, args: Any) -> int:
            if is_inside_bundle(path):
                return spawnv(mode, path, args)
            with _DllDirectoryReset(True):
                return spawnve(mode, path, args, original_environ())

        def reset_spawnve(mode: int, path: Any, args: Any, env: Any) -> int:
            if not is_inside_bundle(path):
                env = sanitize_environ(env)
            with _DllDirectoryReset(True):
                return spawnve(mode, path, args, env)

        _patch(os, "spawnv", reset_spawnv)
        _patch(os, "spawnve", reset_spawnve)


def _posix_spawn_wrapper(original: Callable[..., Any], *, search: bool) -> Callable[..., Any]:
    def posix_spawn(path: Any, argv: Any, env: Any, **kwargs: Any) -> Any:
        inside = is_inside_bundle(path if search else os.path.abspath(os.fsdecode(path)))
        if not inside:
            env = sanitize_environ(env)
        return original(path, argv, env, **kwargs)

    posix_spawn.__wrapped__ = original  # type: ignore[attr-defined]
    return posix_spawn


def install_subprocess_reset() -> None:
    """Give programs started outside the bundle the original environment (idempotent)."""
    if _originals:
        return
    import subprocess

    _wrap_execute_child(subprocess.Popen)
    _wrap_os()


def uninstall_subprocess_reset() -> None:
    """Undo ``install_subprocess_reset()``."""
    for (owner, name), original in reversed(list(_originals.items())):
        setattr(owner, name, original)
    _originals.clear()


def is_subprocess_reset_installed() -> bool:
    return bool(_originals)
