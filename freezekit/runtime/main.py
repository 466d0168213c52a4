"""start(): what runs inside the frozen app after the PYZ importer is installed.

Called by the bootstrap, before the bootloader runs the app's scripts:

1. null streams for missing standard streams (windowed apps);
2. multiprocessing children (spawn worker, resource tracker, fork server) are diverted to
   their multiprocessing code and exit, so the app's code never runs in them;
3. ``FREEZEKIT_SMOKE=<probe>`` runs a smoke probe instead of the app and exits;
4. option ``freezekit:reset-subprocess-env`` installs the subprocess environment reset;
5. the app's runtime hooks (``runtime_hook`` TOC entries) run in TOC order.

This module is imported on every start: it imports only built-in modules at module level.
Standard library only.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import CodeType, ModuleType
    from typing import IO

    from freezekit.runtime import FreezekitModule
    from freezekit.runtime.pyz import DirectoryReader

OPTION_NO_SMOKE = "freezekit:no-smoke"
OPTION_RESET_SUBPROCESS_ENV = "freezekit:reset-subprocess-env"
OPTION_WINDOWED = "freezekit:windowed"
SMOKE_VARIABLE = "FREEZEKIT_SMOKE"


def start(
    importer: object = None,
    *,
    freezekit_module: FreezekitModule | None = None,
    argv: list[str] | None = None,
) -> None:
    """Prepare the process for the app's scripts (or divert it and exit)."""
    if freezekit_module is None:
        import _freezekit

        freezekit_module = _freezekit
    options = tuple(freezekit_module.options)
    argv = sys.argv if argv is None else argv
    entries = freezekit_module.toc()  # read once: a onefile app lists every file here
    if importer is not None:  # inside the app (tests call start() without one)
        set_main_spec(sys.modules["__main__"], freezekit_module, entries)
    ensure_stdio(windowed=OPTION_WINDOWED in options or bool(freezekit_module.windowed))
    if OPTION_RESET_SUBPROCESS_ENV in options:
        from freezekit.runtime import environ

        environ.install_subprocess_reset()
    # Runtime hooks run in every process of the app, workers and smoke probes included, so a
    # probe proves the app starts with its hooks, and a worker sees what the hooks set up.
    run_runtime_hooks(freezekit_module, entries)
    if looks_like_worker(argv):
        from freezekit.runtime import mp

        mp.divert(argv)
    probe = getenv(SMOKE_VARIABLE)
    if probe:
        from freezekit.runtime import smoke

        raise SystemExit(smoke.run(probe, enabled=OPTION_NO_SMOKE not in options))


class ScriptLoader:
    """Loader of the app's main script, stored in the executable (``__main__.__loader__``).

    ``importlib.util.find_spec("__main__")`` returns its spec, and ``pkgutil.get_data(
    "__main__", name)`` reads ``name`` next to ``__main__.__file__`` (the top directory).
    """

    def __init__(self, freezekit_module: FreezekitModule, name: str, origin: str) -> None:
        self._freezekit = freezekit_module
        self.name = name  # the script's TOC entry
        self.path = origin

    def __repr__(self) -> str:
        return f"<ScriptLoader {self.name!r}>"

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(self.get_code(module.__name__), module.__dict__)

    def get_code(self, fullname: str) -> CodeType:
        import marshal

        code: CodeType = marshal.loads(self._freezekit.read(self.name))
        return code

    def get_source(self, fullname: str) -> None:
        return None

    def is_package(self, fullname: str) -> bool:
        return False

    def get_filename(self, fullname: str) -> str:
        return self.path

    def get_data(self, path: str) -> bytes:
        with open(path, "rb") as file:
            return file.read()

    def get_resource_reader(self, fullname: str) -> DirectoryReader:
        from freezekit.runtime.pyz import DirectoryReader

        return DirectoryReader(self._freezekit.top_dir)  # the folder of __main__.__file__


def set_main_spec(
    module: ModuleType,
    freezekit_module: FreezekitModule,
    entries: list[tuple[str, str]] | None = None,
) -> None:
    """Give ``__main__`` the spec and loader of the first script (as ``python -m`` would)."""
    if entries is None:
        entries = freezekit_module.toc()
    script = next((name for name, kind in entries if kind == "script"), None)
    if script is None:
        return
    from _frozen_importlib import ModuleSpec

    separator = "\\" if sys.platform == "win32" else "/"
    origin = freezekit_module.top_dir + separator + script.replace("/", separator)
    loader = ScriptLoader(freezekit_module, script, origin)
    spec = ModuleSpec("__main__", loader, origin=origin)  # type: ignore[arg-type]  # idem
    spec.has_location = True
    module.__spec__ = spec
    module.__loader__ = loader  # type: ignore[assignment]  # no legacy load_module()


def looks_like_worker(argv: list[str]) -> bool:
    """Cheap pre-check before importing freezekit.runtime.mp: could argv be a child's?"""
    if len(argv) < 2:
        return False
    return argv[1] == "--multiprocessing-fork" or (argv[1].startswith("-") and "-c" in argv)


def getenv(name: str) -> str | None:
    """os.environ.get(name) without importing os when it is not loaded yet."""
    os_module = sys.modules.get("os")
    if os_module is not None:
        found: str | None = os_module.environ.get(name)
        return found
    if sys.platform == "win32":
        import nt

        return nt.environ.get(name.upper())
    import posix

    value = posix.environ.get(name.encode("ascii"))
    if value is None:
        return None
    return value.decode(sys.getfilesystemencoding(), "surrogateescape")


def _is_usable(stream: IO[str]) -> bool:
    try:
        fd = stream.fileno()
        if sys.platform == "win32":
            import nt as system
        else:
            import posix as system
        system.fstat(fd)
    except (AttributeError, OSError, ValueError):
        return False
    return True


def ensure_stdio(*, windowed: bool = False) -> None:
    """Replace missing standard streams (None, or unusable in a windowed app) by null ones.

    Naive ``print()`` and ``sys.stderr.flush()`` then work in a windowed app.
    """
    devnull = "nul" if sys.platform == "win32" else "/dev/null"
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        stream = getattr(sys, name)
        if stream is not None and not (windowed and not _is_usable(stream)):
            continue
        null = open(devnull, mode, encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
        setattr(sys, name, null)
        dunder = f"__{name}__"
        if getattr(sys, dunder, None) is None or getattr(sys, dunder) is stream:
            setattr(sys, dunder, null)


def run_runtime_hooks(
    freezekit_module: FreezekitModule, entries: list[tuple[str, str]] | None = None
) -> None:
    """Run every ``runtime_hook`` TOC entry, in TOC order, each in its own namespace."""
    import marshal

    top = freezekit_module.top_dir
    separator = "\\" if sys.platform == "win32" else "/"
    for name, kind in freezekit_module.toc() if entries is None else entries:
        if kind != "runtime_hook":
            continue
        code = marshal.loads(freezekit_module.read(name))
        stem = name.rpartition("/")[2].rpartition(".")[0] or name
        namespace = {
            "__name__": stem,
            "__file__": top + separator + name.replace("/", separator),
            "__builtins__": __builtins__,
        }
        exec(code, namespace)
