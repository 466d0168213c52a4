"""multiprocessing inside a frozen app: recognise worker command lines and divert them.

In a frozen app ``sys.executable`` is the app itself, so every process multiprocessing
starts (spawn workers, the resource tracker, the fork server) runs the app again with a
special command line. ``divert()`` recognises those command lines and runs the
multiprocessing code instead of the app; ``start()`` calls it before any user code, so an
app that never calls ``freeze_support()`` works and a recursive spawn loop cannot happen.
Standard library only.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from types import CodeType, ModuleType
    from typing import Any

    from freezekit.runtime import FreezekitModule

# Single-letter interpreter flags that multiprocessing.util._args_from_interpreter_flags()
# (subprocess._args_from_interpreter_flags) may pass before "-c": -d -B -S -v -b -q -O -I
# -E -s -P, possibly repeated (-vv, -OO, -bb). -W<opt> and -X <opt>/-X<opt> take a value.
_FLAG_LETTERS = frozenset("dBSvbqOIEsPRu")
_CODE_PREFIXES = ("from multiprocessing", "import multiprocessing")
FORK_FLAG = "--multiprocessing-fork"


def worker_command(argv: list[str]) -> tuple[str, Any] | None:
    """What a multiprocessing child command line asks for, or None for anything else.

    ``("spawn", {"pipe_handle": 8, ...})`` for the frozen spawn form
    ``app --multiprocessing-fork name=value ...``; ``("exec", (code, rest))`` for the
    interpreter form ``app [flags] -c "from multiprocessing... " [rest]`` (resource tracker,
    fork server, the unfrozen spawn form).
    """
    if len(argv) >= 2 and argv[1] == FORK_FLAG:
        kwds = _parse_spawn_kwds(argv[2:])
        return None if kwds is None else ("spawn", kwds)
    position = 1
    while position < len(argv):
        arg = argv[position]
        if arg == "-c":
            if position + 1 >= len(argv):
                return None
            code = argv[position + 1]
            if not code.lstrip().startswith(_CODE_PREFIXES):
                return None
            return ("exec", (code, list(argv[position + 2 :])))
        if arg == "-X":
            position += 2
        elif _is_flag(arg):
            position += 1
        else:
            return None
    return None


def _is_flag(arg: str) -> bool:
    if arg.startswith(("-W", "-X")):
        return len(arg) > 2
    return len(arg) >= 2 and arg[0] == "-" and set(arg[1:]) <= _FLAG_LETTERS


def _parse_spawn_kwds(args: list[str]) -> dict[str, int | None] | None:
    kwds: dict[str, int | None] = {}
    for arg in args:
        name, equals, value = arg.partition("=")
        if not equals or not name.isidentifier():
            return None
        if value == "None":
            kwds[name] = None
        else:
            try:
                kwds[name] = int(value)
            except ValueError:
                return None
    return kwds


def divert(argv: list[str] | None = None) -> None:
    """Run the multiprocessing child ``argv`` describes and exit; return if it is none."""
    command = worker_command(sys.argv if argv is None else argv)
    if command is None:
        return
    import multiprocessing.spawn as spawn

    patch_spawn(spawn)
    kind, payload = command
    if kind == "spawn":
        spawn.spawn_main(**payload)
        raise SystemExit(0)
    code, rest = payload
    sys.argv = ["-c", *rest]
    main = sys.modules["__main__"]
    exec(compile(code, "<string>", "exec"), main.__dict__)
    raise SystemExit(0)


def freeze_support() -> None:
    """Replacement of ``multiprocessing.freeze_support()`` working on every platform.

    Inside a frozen app the worker command lines were already diverted before the app's
    code ran, so this is a no-op there; it is safe to call any number of times.
    """
    divert(sys.argv)


def _context_freeze_support(self: object) -> None:
    freeze_support()


def on_import_multiprocessing(module: ModuleType, importer: object = None) -> None:
    """Post-import hook of ``multiprocessing``: install our freeze_support()."""
    module.freeze_support = freeze_support  # type: ignore[attr-defined]
    context = sys.modules.get("multiprocessing.context")
    if context is not None:
        context.BaseContext.freeze_support = _context_freeze_support


def on_import_spawn(module: ModuleType, importer: object = None) -> None:
    """Post-import hook of ``multiprocessing.spawn``."""
    patch_spawn(module)


def patch_spawn(spawn: Any) -> None:
    """Make ``multiprocessing.spawn`` start the app and find the frozen main script."""
    if getattr(spawn, "_freezekit_patched", False):
        return
    spawn.freeze_support = freeze_support
    if sys.executable:
        spawn.set_executable(sys.executable)
    original = spawn._fixup_main_from_path

    def _fixup_main_from_path(main_path: str) -> object:
        code = frozen_script_code(main_path)
        if code is None:
            return original(main_path)
        _run_frozen_main(spawn, main_path, code)
        return None

    spawn._fixup_main_from_path = _fixup_main_from_path
    preparation_data = getattr(spawn, "get_preparation_data", None)
    if preparation_data is not None:

        def get_preparation_data(name: str) -> dict[str, object]:
            return main_by_path(preparation_data(name))

        spawn.get_preparation_data = get_preparation_data
    spawn._freezekit_patched = True


def main_by_path(data: dict[str, object]) -> dict[str, object]:
    """Children find the frozen main script by its path, not by its spec's name.

    The app's ``__main__`` has a spec named ``__main__`` (so that ``find_spec("__main__")``
    works), which multiprocessing would pass as ``init_main_from_name``: a name children
    skip, so functions defined in the script could not be unpickled there (spawn), and the
    fork server would not preload the script (it reads ``main_path``).
    """
    main = sys.modules.get("__main__")
    loader = getattr(getattr(main, "__spec__", None), "loader", None)
    path = getattr(main, "__file__", None)
    if data.get("init_main_from_name") == "__main__" and type(loader).__name__ == "ScriptLoader":
        del data["init_main_from_name"]
        if path:
            data["init_main_from_path"] = path
    return data


def frozen_script_code(
    main_path: str | None, freezekit_module: FreezekitModule | None = None
) -> CodeType | None:
    """The code object of the frozen script whose ``__file__`` is ``main_path``, or None.

    A frozen script's ``__file__`` is ``<top>/<script name>`` but no such file exists; its
    code is the ``script`` TOC entry of that name. A real file returns None (runpy runs it).
    """
    import os

    if not main_path or os.path.exists(main_path):
        return None
    if freezekit_module is None:
        try:
            import _freezekit
        except ImportError:
            return None
        freezekit_module = _freezekit
    top = os.path.join(os.path.normpath(freezekit_module.top_dir), "")
    path = os.path.normpath(main_path)
    if not path.startswith(top):
        return None
    wanted = path[len(top) :].replace(os.sep, "/")
    scripts = [name for name, kind in freezekit_module.toc() if kind == "script"]
    if wanted not in scripts:
        return None
    import marshal

    code: CodeType = marshal.loads(freezekit_module.read(wanted))
    return code


def _run_frozen_main(spawn: Any, main_path: str, code: CodeType) -> None:
    """What spawn._fixup_main_from_path does with runpy, for a script stored in the app."""
    import types

    current_main = sys.modules["__main__"]
    if getattr(current_main, "__file__", None) == main_path:
        return
    spawn.old_main_modules.append(current_main)
    main_module = types.ModuleType("__mp_main__")
    main_module.__file__ = main_path
    sys.modules["__mp_main__"] = main_module
    try:
        exec(code, main_module.__dict__)
    except BaseException:
        sys.modules.pop("__mp_main__", None)
        raise
    sys.modules["__main__"] = main_module
