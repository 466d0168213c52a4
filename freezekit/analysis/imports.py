"""Import analysis: run modulegraph2 under the target interpreter and read its graph.

The graph is built by ``_worker.py`` in a subprocess of ``target.python`` so that a 3.10 target
is analysed against 3.10's standard library. This module prepares the request (seeds,
exclusions, hooks), runs the worker and turns its reply into an :class:`ImportGraph`, then
classifies the nodes into pure modules, start-up modules, extensions and missing modules.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import logging
import mmap
import os
import struct
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from freezekit.errors import AnalysisError
from freezekit.options import BuildOptions
from freezekit.platforms import Target

from . import _mgadapter, scanahead
from .hooks import BUILTIN_HOOKS_DIR, host_support_dirs
from .result import MissingModule, PureModule

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from ._worker import ErrorInfo, WorkerReply

logger = logging.getLogger(__name__)

RUNTIME_PACKAGE = "freezekit.runtime"

#: Left out by default (``options.lean``): modules that stdlib code imports inside functions
#: or for tooling, and that a normal app never runs. ``multiprocessing``, ``pdb`` and ``pydoc``
#: otherwise drag in the regression-test package, tkinter, IDLE and the packaging tools.
#: An exclusion is lifted when a script imports the module at module level, when it is a
#: hidden import, or when a bundled module imports it at module level outside
#: try/except ImportError.
LEAN_EXCLUDES: tuple[str, ...] = (
    "test",  # CPython's regression tests (multiprocessing -> test.support)
    "idlelib",
    "turtledemo",
    "turtle",
    "tkinter",
    "_tkinter",
    "lib2to3",
    "pydoc",  # help(); pulled by pdb, inspect users
    "pydoc_data",
    "unittest",
    "doctest",
    "distutils",
    "ensurepip",
    "venv",
    "pip",
    "setuptools",
    "pkg_resources",
    "_distutils_hack",
    "_pytest",
    "pytest",
    "py",
)

#: Modules that only exist on other platforms (or other implementations); their absence on a
#: Linux target is expected and is never reported as a problem.
OTHER_PLATFORM_MODULES: frozenset[str] = frozenset(
    {
        "nt",
        "winreg",
        "_winreg",
        "_winapi",
        "msvcrt",
        "_overlapped",
        "_scproxy",
        "_wmi",
        "_msi",
        "msilib",
        "winsound",
        "_winxptheme",
        "vms_lib",
        "java",
        "java.lang",
        "org",
        "org.python",
        "org.python.core",
        "__main__",
        "_posixshmem_win",
        "win32api",
        "win32con",
        "win32pipe",
        "win32file",
        "win32event",
        "win32process",
        "pywintypes",
        "_frozen_importlib",
        "_frozen_importlib_external",
        "_android_support",
        "_ios_support",
        "_apple_support",
        "_manylinux",
        "_pyrepl._minimal_curses",
        "_freezekit",  # made by the bootloader at run time
    }
)

_STARTUP_PROBE = (
    "import sys; print(repr(sorted(n for n, m in sys.modules.items() "
    "if n not in sys.builtin_module_names and "
    "getattr(getattr(m, '__spec__', None), 'origin', None) not in ('frozen', 'built-in'))))"
)

_SHIM_FRONT = ("freezekit",)
_SHIM_BACK = ("modulegraph2", "objectgraph", "typing_extensions")
_WORKER = Path(__file__).with_name("_worker.py")


@dataclass(frozen=True, kw_only=True)
class Node:
    name: str
    kind: str  # script, module, package, namespace, bytecode, extension, builtin, frozen,
    # invalid, missing, excluded, alias, virtual, invalid-relative, other
    file: str | None
    search_path: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Edge:
    source: str
    target: str
    optional: bool  # every import is inside try/except ImportError
    is_global: bool  # at least one import is at module level
    fromlist: bool  # only ever seen as a name in ``from x import name``


@dataclass(frozen=True, kw_only=True)
class Distribution:
    name: str
    version: str
    path: str  # the .dist-info / .egg-info folder (or file)
    top_level: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ImportGraph:
    """The worker's reply as values."""

    nodes: Mapping[str, Node]
    edges: tuple[Edge, ...]
    roots: tuple[str, ...]
    sys_path: tuple[str, ...]
    hooks: tuple[Mapping[str, object], ...]  # HookOutcome.to_json() of each applied hook
    packages: Mapping[str, tuple[str, ...]]  # folders of the packages asked for
    distributions: tuple[Distribution, ...]
    log: tuple[str, ...]

    def importers(self) -> dict[str, list[Edge]]:
        incoming: dict[str, list[Edge]] = {}
        for edge in self.edges:
            incoming.setdefault(edge.target, []).append(edge)
        return incoming


# -- request ---------------------------------------------------------------------------------


def probe_startup(target: Target) -> tuple[str, ...]:
    """Source modules the target interpreter imports during its own initialisation."""
    try:
        out = subprocess.run(
            # -W: with a warning option (`--python-option "W ignore"`) init imports warnings
            [str(target.python), "-I", "-S", "-W", "ignore", "-c", _STARTUP_PROBE],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise AnalysisError(f"cannot start target Python {target.python}: {exc}") from exc
    names = ast.literal_eval(out.strip())
    return tuple(n for n in names if n != "__main__")


def _module_level(tree: ast.Module) -> Iterable[ast.AST]:
    """Statements run at import: everything except function and class bodies."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
            ):
                stack.append(child)


def script_imports(scripts: Iterable[Path]) -> set[str]:
    """Every module name a script imports at module level, with its parents."""
    names: set[str] = set()
    for script in scripts:
        try:
            tree = ast.parse(script.read_bytes(), filename=str(script))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in _module_level(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {prefix for name in names for prefix in _prefixes(name)}


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def lean_excludes(options: BuildOptions) -> tuple[str, ...]:
    """The soft exclusions for this build: LEAN_EXCLUDES minus what the app asks for."""
    if not options.lean:
        return ()
    wanted = script_imports(options.scripts)
    for name in (*options.hidden_imports, *options.collect_submodules, *options.collect_all):
        wanted.update(_prefixes(name))
    return tuple(name for name in LEAN_EXCLUDES if name not in wanted)


def modulegraph_version() -> str:
    """The version of the modulegraph2 the shim links into the worker (this process's): what
    the worker's scan cache is keyed by."""
    import importlib.metadata

    try:
        return importlib.metadata.version("modulegraph2")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _shim_paths(names: Sequence[str], folder: Path) -> None:
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise AnalysisError(
                f"{name} is not importable in the Python running freezekit ({sys.executable})",
                hint="install freezekit's dependencies: pip install modulegraph2 lief zstandard",
            )
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (folder / source.name).symlink_to(source, target_is_directory=source.is_dir())


RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
# What the smoke probes use beyond the runtime's module-level imports (they skip a probe whose
# subject, e.g. multiprocessing, the app does not bundle).
SMOKE_SEEDS = ("json", "subprocess")


def runtime_modules() -> tuple[PureModule, ...]:
    """freezekit.runtime and its submodules, bundled in every app.

    They are added as they are, without following their imports: the runtime imports what
    it needs inside functions, only for apps that have it (multiprocessing, subprocess...).
    """
    package = RUNTIME_DIR.parent
    modules = [
        PureModule(name="freezekit", source=package / "__init__.py", is_package=True),
        PureModule(name=RUNTIME_PACKAGE, source=RUNTIME_DIR / "__init__.py", is_package=True),
    ]
    for path in sorted(RUNTIME_DIR.glob("*.py")):
        if path.stem not in ("__init__", "_bootstrap"):
            modules.append(
                PureModule(name=f"{RUNTIME_PACKAGE}.{path.stem}", source=path, is_package=False)
            )
    return tuple(modules)


def runtime_seeds(*, smoke: bool) -> list[str]:
    """The module-level imports of the runtime (what every app needs to start)."""
    names: set[str] = set(SMOKE_SEEDS) if smoke else set()
    for path in sorted(RUNTIME_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in tree.body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    # frozen import machinery is in libpython; its function-level imports are not the app's
    return sorted(n for n in names if not n.startswith(("freezekit", "_freezekit", "_frozen")))


def build_request(
    options: BuildOptions, target: Target, *, hooks: Mapping[str, Path], startup: Sequence[str]
) -> dict[str, object]:
    scripts = [str(p.resolve()) for p in options.scripts]
    paths = [str(p.resolve()) for p in options.paths]
    for script in options.scripts:
        folder = str(script.resolve().parent)
        if folder not in paths:
            paths.append(folder)
    collect = [*options.collect_submodules, *options.collect_all]
    data_packages = sorted({*options.collect_data, *options.collect_binaries, *options.collect_all})
    return {
        "paths": paths,
        "scripts": scripts,
        "packages": ["encodings", *collect],
        "modules": [*startup, *runtime_seeds(smoke=options.smoke_probes), *options.hidden_imports],
        "startup": list(startup),
        "excludes": list(options.excludes),
        "lean_excludes": list(lean_excludes(options)),
        # the worker indexes the hook folders itself (entry-point ones are the target's);
        # ``hooks`` (the user's and built-in files) is the host's view, for the cache key
        "user_hook_dirs": [str(p.resolve()) for p in options.hooks_dirs],
        "builtin_hooks_dir": str(BUILTIN_HOOKS_DIR),
        "hook_support": host_support_dirs(),
        "hooks_config": dict(options.hooks_config),
        "ignore_hook_errors": options.ignore_hook_errors,
        "runtime_hook_scripts": [str(p.resolve()) for p in options.runtime_hooks],
        "copy_metadata": list(options.copy_metadata),
        "recursive_copy_metadata": list(options.recursive_copy_metadata),
        "data_packages": data_packages,
        "stdlib_dirs": [str(target.stdlib), str(target.dynload)],
    }


# -- worker ----------------------------------------------------------------------------------


def check_modulegraph_version(version: str) -> None:
    """AnalysisError (one line) for a modulegraph2 outside the range freezekit was tested with:
    the worker uses its internals (``_mgadapter``). ``unknown``: left to the worker's check."""
    if version == "unknown":
        return
    try:
        _mgadapter.check_version(version)
    except _mgadapter.UnsupportedVersion as exc:
        raise AnalysisError(str(exc)) from None


#: modulegraph2 imports the packages it scans (numpy among them): their math libraries need
#: not start a thread per processor there (OpenBLAS: 0.18 s of CPU to import numpy, 0.05 s so)
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_worker(request: Mapping[str, object], target: Target) -> WorkerReply:
    """Run ``_worker.py`` under the target interpreter and return its JSON reply."""
    version = modulegraph_version()
    check_modulegraph_version(version)
    with tempfile.TemporaryDirectory(prefix="freezekit-shim-") as tmp:
        front, back = Path(tmp, "front"), Path(tmp, "back")
        front.mkdir()
        back.mkdir()
        _shim_paths(_SHIM_FRONT, front)
        _shim_paths(_SHIM_BACK, back)
        shims = {"shim_front": str(front), "shim_back": str(back)}
        payload = json.dumps({**request, **shims, "modulegraph_version": version})
        command = [str(target.python), "-I", "-B", str(_WORKER)]  # -B: no __pycache__ in the app
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(_ONE_THREAD)
        try:
            proc = subprocess.run(
                command, input=payload, capture_output=True, text=True, env=env, timeout=1800
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise AnalysisError(
                f"cannot run the analysis worker under {target.python}: {exc}"
            ) from exc
    if proc.returncode != 0 or not proc.stdout.strip():
        raise AnalysisError(
            f"analysis worker failed under {target.python} (exit status {proc.returncode}): "
            + (proc.stderr.strip().splitlines() or ["no output"])[-1],
            hint=f"command: {' '.join(command)}\n{proc.stderr.strip()}",
        )
    reply: WorkerReply = json.loads(proc.stdout)
    if proc.stderr.strip():
        logger.debug("analysis worker stderr:\n%s", proc.stderr.rstrip())
    return reply


def check_errors(reply: WorkerReply) -> None:
    """Raise AnalysisError for the first fatal error the worker reported."""
    errors = reply.get("errors") or []
    assert isinstance(errors, list)
    for error in errors:
        kind, file, message = error["kind"], error["file"], error["message"]
        if kind == "hook":
            if error.get("detail"):
                logger.debug("hook %s:\n%s", file, str(error["detail"]).rstrip())
            raise AnalysisError(
                hook_failure(error),
                hint="--ignore-hook-errors builds without that hook; a hook of your own for "
                "the module in --additional-hooks-dir replaces it; --log-level DEBUG shows "
                "the traceback",
            )
        if kind == "unsupported":  # a modulegraph2 the worker's adapter refuses
            raise AnalysisError(message)
        if kind == "metadata":
            raise AnalysisError(
                f"no installed distribution named {message!r} (from --copy-metadata)",
                hint="check the name with `pip show NAME` under the target Python",
            )
        raise AnalysisError(
            "analysis worker crashed: " + message.strip().splitlines()[-1], hint=message
        )


def hook_failure(error: ErrorInfo) -> str:
    """One line: the hook file, the module (package) it is for, what went wrong."""
    module = f" (for {error['module']})" if error.get("module") else ""
    return f"hook {error['file']}{module} failed: {error['message']}"


def log_hook_messages(reply: WorkerReply) -> None:
    """What the hooks said (through PyInstaller's logger), skipped hooks, unreadable folders."""
    for error in reply.get("hooks_skipped") or []:
        if error.get("detail"):
            logger.debug("hook %s:\n%s", error["file"], str(error["detail"]).rstrip())
        logger.warning("%s; skipped (--ignore-hook-errors)", hook_failure(error))
    for problem in reply.get("hook_problems") or []:
        logger.warning("%s", problem)
    for level, text in reply.get("hook_log") or []:
        logger.log(logging.WARNING if level >= logging.WARNING else logging.DEBUG, "hook: %s", text)


def parse_reply(reply: WorkerReply) -> ImportGraph:
    check_errors(reply)
    log_hook_messages(reply)
    nodes = {
        str(n["name"]): Node(
            name=str(n["name"]),
            kind=str(n["kind"]),
            file=None if n.get("file") is None else str(n["file"]),
            search_path=tuple(str(p) for p in n.get("search_path", ())),
        )
        for n in reply["nodes"]
    }
    edges = tuple(
        Edge(source=str(s), target=str(t), optional=bool(o), is_global=bool(g), fromlist=bool(f))
        for s, t, o, g, f in reply["edges"]
    )
    dists = tuple(
        Distribution(
            name=str(d["name"]),
            version=str(d["version"]),
            path=str(d["path"]),
            top_level=tuple(str(t) for t in d["top_level"]),
        )
        for d in reply.get("distributions", [])
    )
    return ImportGraph(
        nodes=nodes,
        edges=edges,
        roots=tuple(str(r) for r in reply["roots"]),
        sys_path=tuple(str(p) for p in reply["sys_path"]),
        hooks=tuple(reply.get("hooks", ())),
        packages={k: tuple(v) for k, v in reply.get("packages", {}).items()},
        distributions=dists,
        log=tuple(str(line) for line in reply.get("log", ())),
    )


def build_graph(
    options: BuildOptions,
    target: Target,
    *,
    hooks: Mapping[str, Path],
    startup: Sequence[str],
    progress_file: Path | None = None,
    scan_after: threading.Event | None = None,
) -> ImportGraph:
    """Run the worker for this build and return its graph (hook errors → AnalysisError).
    ``progress_file``: where the worker keeps the number of modules scanned so far;
    ``scan_after``: the scans ahead of the worker (scanahead.py) wait for it to be set."""
    request = build_request(options, target, hooks=hooks, startup=startup)
    if progress_file is not None:
        request["progress_file"] = str(progress_file)
    ahead = scanahead.start(request, target, after=scan_after)  # scans for the worker
    try:
        reply = run_worker(request, target)
    finally:
        scanahead.finish(ahead)
    graph = parse_reply(reply)
    for line in graph.log:
        logger.debug("modulegraph2: %s", line)
    for outcome in graph.hooks:
        logger.debug("hook %s applied (for %s)", outcome["hook_file"], outcome["module"])
    return graph


# -- classification --------------------------------------------------------------------------


def is_under(path: str, folders: Iterable[Path]) -> bool:
    return any(path.startswith(os.path.join(str(folder), "")) for folder in folders)


def split_modules(
    graph: ImportGraph, startup_names: Iterable[str]
) -> tuple[tuple[PureModule, ...], tuple[PureModule, ...]]:
    """(pure, startup): every source module of the graph, split by the start-up set."""
    startup_set = set(startup_names)
    pure: list[PureModule] = []
    startup: list[PureModule] = []
    for node in graph.nodes.values():
        module = _pure_module(node)
        if module is None:
            continue
        is_startup = node.name in startup_set or node.name.partition(".")[0] == "encodings"
        (startup if is_startup else pure).append(module)
    key = lambda m: m.name  # noqa: E731
    return tuple(sorted(pure, key=key)), tuple(sorted(startup, key=key))


def _pure_module(node: Node) -> PureModule | None:
    if node.kind == "namespace":
        return PureModule(name=node.name, source=None, is_package=True)
    if node.kind in ("module", "bytecode") and node.file:
        return PureModule(name=node.name, source=Path(node.file), is_package=False)
    if node.kind == "package" and node.file and node.file.endswith((".py", ".pyc")):
        return PureModule(name=node.name, source=Path(node.file), is_package=True)
    if node.kind == "invalid":
        logger.warning("module %s (%s) has invalid syntax and is left out", node.name, node.file)
    return None


def extension_dest(node: Node, target: Target) -> str:
    """Where an extension module goes under the top directory."""
    assert node.file is not None
    file_name = Path(node.file).name
    if is_under(node.file, [target.dynload, target.stdlib]):
        return f"lib-dynload/{file_name}"
    # a package whose __init__ is an extension (mypyc: black/__init__.cpython-312-...so) keeps
    # it in its own folder, where the path finder looks for the package
    package = node.name if node.kind == "package" else node.name.rpartition(".")[0]
    return "/".join([*package.split("."), file_name]) if package else file_name


def extensions(graph: ImportGraph) -> list[Node]:
    """Extension modules (and packages whose __init__ is an extension)."""
    return [
        n
        for n in graph.nodes.values()
        if n.file
        and (
            n.kind == "extension" or (n.kind == "package" and not n.file.endswith((".py", ".pyc")))
        )
    ]


def start_imports(
    graph: ImportGraph, roots: Sequence[str], startup: Iterable[str] = ()
) -> tuple[str, ...]:
    """The extension modules the app imports as it starts, in the order it first reaches
    them: from ``roots`` (the runtime hooks' and the scripts' nodes, in the order they run),
    depth first through module-level imports, each module's in the order they run, a
    submodule's parent packages before it. Optional ones count (``try: import x`` runs
    whenever x is bundled); imports inside functions do not. An extension module's own imports
    from C as it initialises count too (``_capsule_imports``: ``_multiarray_umath`` imports
    ``datetime``, which imports ``_datetime``). What the interpreter imported before the app
    (``startup``, built-in and frozen modules, and importlib._bootstrap*, which are the frozen
    importlib the interpreter runs) is not entered: its imports ran at init, which needs no
    extension module file.

    The graph lists a module's imports in the reverse of the order they run (modulegraph2's
    work stack takes the last import statement first), so the stack below, which takes its
    last entry first, is filled in the graph's order."""
    return start_and_later_imports(graph, roots, startup)[0]


def later_imports(
    graph: ImportGraph, roots: Sequence[str], startup: Iterable[str] = ()
) -> tuple[str, ...]:
    """The extension modules that a module of the start (what ``start_imports`` walks
    through) reaches through its functions' imports of its sibling modules, and not at start:
    the body of a function it exports, put in a module of its own until called
    (``multiprocessing.context``'s ``Pool`` imports ``multiprocessing.pool``, which imports
    ``queue`` and so ``_queue``). Not followed: a package's own lazy parts (its
    ``__getattr__`` importing ``numpy.random``, ``numpy.testing``, ``concurrent.futures``'
    executors) or a subpackage, which are optional features, nor a function's import of
    another package (``hashlib``'s fallbacks ``_md5``, ``_sha1``...), more often a fallback
    or a rare path. In the order reached, after the module-level walk."""
    return start_and_later_imports(graph, roots, startup)[1]


def start_and_later_imports(
    graph: ImportGraph, roots: Sequence[str], startup: Iterable[str] = ()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(``start_imports``, ``later_imports``) from one walk (each extension module's file is
    scanned for capsule names once: numpy's take a few ms)."""
    walk = _StartWalk(graph, startup)
    for root in roots:
        walk.enter(root)
    start = set(walk.found)
    later: list[tuple[str, str]] = [
        (edge.source, edge.target)
        for edge in graph.edges
        if not edge.is_global and edge.source in walk.seen and edge.target not in walk.seen
    ]
    nodes = graph.nodes
    for source, target in reversed(later):  # the graph lists them last first
        parent = source.rpartition(".")[0]
        if (
            parent
            and parent == target.rpartition(".")[0]
            and nodes[source].kind == "module"
            and target in nodes
            and nodes[target].kind == "module"
        ):
            walk.enter(target)
    found = tuple(walk.found)
    return found[: len(start)], found[len(start) :]


class _StartWalk:
    """The depth-first walk of ``start_imports``, which can be continued from more roots."""

    def __init__(self, graph: ImportGraph, startup: Iterable[str]) -> None:
        self.graph = graph
        self.imports: dict[str, list[str]] = {}
        for edge in graph.edges:
            if edge.is_global:
                self.imports.setdefault(edge.source, []).append(edge.target)
        self.loaded = set(startup)
        self.seen: set[str] = set()
        self.found: list[str] = []

    def enter(self, root: str) -> None:
        graph, seen, found = self.graph, self.seen, self.found
        stack = [root]
        while stack:
            name = stack.pop()
            node = graph.nodes.get(name)
            if name in seen or node is None:
                continue
            parents = [p for p in _parents(name) if p not in seen and p in graph.nodes]
            if parents:  # `import a.b.c` runs a, then a.b, then a.b.c
                stack.append(name)
                stack.extend(reversed(parents))
                continue
            seen.add(name)
            if (
                node.kind in ("builtin", "frozen")
                or name in self.loaded
                or name.startswith("importlib._bootstrap")
            ):
                if _is_extension(node):
                    found.append(name)
                continue
            stack.extend(self.imports.get(name, ()))
            if _is_extension(node):
                found.append(name)
                assert node.file is not None
                stack.extend(reversed(_capsule_imports(node.file)))


def _parents(name: str) -> list[str]:
    """``a.b.c`` -> ``["a", "a.b"]``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


_CAPSULE_END = b"CAPI\0"
_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def _capsule_imports(path: str) -> list[str]:
    """The modules an extension module imports from C as it initialises, found by the names
    of the C API capsules it asks for: ``PyCapsule_Import("datetime.datetime_CAPI")`` (the
    ``PyDateTime_IMPORT`` macro) imports ``datetime``, ``"_socket.CAPI"`` ``_socket`` (the
    first part of the name is imported, the rest are attributes)."""
    modules: dict[str, None] = {}
    try:  # mapped, not read: numpy's _multiarray_umath is 10 MB
        with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for low, high in _constant_parts(data):
                end = data.find(_CAPSULE_END, low, high)
                while end != -1:
                    start = end
                    while start > low and data[start - 1] in _NAME_BYTES:
                        start -= 1
                    module, dot, _ = data[start:end].decode("ascii").partition(".")
                    if dot and module.isidentifier():
                        modules[module] = None
                    end = data.find(_CAPSULE_END, end + 1, high)
    except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
        return []
    return list(modules)


def _constant_parts(data: mmap.mmap) -> list[tuple[int, int]]:
    """Where an ELF file keeps its string constants: its loaded segments that are not code
    (numpy's _multiarray_umath: 1.9 of its 10 MB); the whole file if it is not ELF."""
    whole = [(0, len(data))]
    if data[:4] != b"\x7fELF":
        return whole
    is_64, order = data[4] == 2, "<" if data[5] == 1 else ">"
    entry = order + ("IIQQQQ" if is_64 else "IIIIIII")
    try:
        (phoff,) = struct.unpack_from(order + ("Q" if is_64 else "I"), data, 32 if is_64 else 28)
        phentsize, phnum = struct.unpack_from(order + "HH", data, 54 if is_64 else 42)
        parts = []
        for i in range(phnum):
            fields = struct.unpack_from(entry, data, phoff + i * phentsize)
            if is_64:
                kind, flags, offset, size = fields[0], fields[1], fields[2], fields[5]
            else:
                kind, offset, size, flags = fields[0], fields[1], fields[4], fields[6]
            if kind == 1 and not flags & 1:  # PT_LOAD without PF_X
                parts.append((offset, min(offset + size, len(data))))
    except struct.error:
        return whole
    return parts or whole


def _is_extension(node: Node) -> bool:
    return bool(node.file) and (
        node.kind == "extension"
        or (node.kind == "package" and not str(node.file).endswith((".py", ".pyc")))
    )


def find_missing(graph: ImportGraph) -> tuple[MissingModule, ...]:
    incoming = graph.importers()
    result = []
    for node in graph.nodes.values():
        if node.kind not in ("missing", "invalid-relative"):
            continue
        all_edges = incoming.get(node.name, [])
        edges = [
            e
            for e in all_edges
            if graph.nodes.get(e.source) is not None
            and graph.nodes[e.source].kind not in ("missing", "alias")
        ]
        if all_edges and not edges:
            continue  # only the parent of missing submodules; those are reported
        if _is_attribute(node.name, edges, graph):
            continue
        importers = sorted({_display(e.source) for e in edges})
        optional = (
            node.name in OTHER_PLATFORM_MODULES
            or node.name.partition(".")[0] in OTHER_PLATFORM_MODULES
            or (bool(edges) and all(e.optional for e in edges))
        )
        result.append(MissingModule(name=node.name, importers=tuple(importers), optional=optional))
    return tuple(sorted(result, key=lambda m: m.name))


def _is_attribute(name: str, edges: list[Edge], graph: ImportGraph) -> bool:
    """``from re import IGNORECASE`` makes modulegraph2 record a missing ``re.IGNORECASE``."""
    parent = name.rpartition(".")[0]
    if not parent:
        return False
    parent_node = graph.nodes.get(parent)
    if parent_node is None or parent_node.kind in ("missing", "excluded"):
        return False
    if parent_node.kind not in ("package", "namespace"):
        return True  # a plain module has no submodules
    return bool(edges) and all(e.fromlist for e in edges)


def _display(name: str) -> str:
    return Path(name).name if os.sep in name else name


def import_chain(graph: ImportGraph, module: str) -> list[str] | None:
    """Shortest chain of imports to ``module``, every hop: from a script when one imports it
    (even when the module is also a seed of the analysis: a hidden import, a start-up module),
    else from the seed it comes from; None if it is not in the graph."""
    outgoing: dict[str, list[str]] = {}
    for edge in graph.edges:
        outgoing.setdefault(edge.source, []).append(edge.target)
    if module not in graph.nodes:
        return None
    unknown = Node(name="", kind="", file=None)
    scripts = [r for r in graph.roots if graph.nodes.get(r, unknown).kind == "script"]
    others = [r for r in graph.roots if r not in scripts]
    for roots in (scripts, others):
        chain = _shortest_chain(outgoing, roots, module)
        if chain is not None:
            return [_display(n) for n in chain]
    return None


def _shortest_chain(
    outgoing: Mapping[str, list[str]], roots: list[str], module: str
) -> list[str] | None:
    previous: dict[str, str | None] = {r: None for r in roots}
    queue = deque(roots)
    while queue:
        name = queue.popleft()
        if name == module:
            chain = [name]
            while (before := previous[chain[-1]]) is not None:
                chain.append(before)
            return chain[::-1]
        for nxt in sorted(outgoing.get(name, [])):
            if nxt not in previous:
                previous[nxt] = name
                queue.append(nxt)
    return None
