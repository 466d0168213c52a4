"""Hooks: small files that tell the analysis what static import scanning cannot see.

A hook is a file named ``hook-<module>.py`` (for example ``hook-certifi.py`` or
``hook-pygments.lexers.py``). It is applied when ``<module>`` is in the import graph. It may
define any of these module-level lists:

``hiddenimports``
    module names the hooked module imports in ways a scanner cannot see
    (``importlib.import_module(name)``, plugin registries, ...).
``excludedimports``
    module names whose imports *from the hooked module and its submodules* are not followed
    (the module is still bundled if something else imports it).
``datas`` / ``binaries``
    ``(source, destination folder)`` pairs. ``source`` is a file, a folder or a glob; a
    relative source is taken relative to the hooked module's folder (the package folder for a
    package). The destination is relative to the top directory.
``runtime_hooks``
    paths (relative to the hook file) of scripts run inside the app before the user's scripts.

or a function ``hook(api)`` receiving a :class:`HookApi`, for anything computed::

    def hook(api):
        api.add_imports(*(f"pygments.lexers.{name}" for name in api.submodules("pygments.lexers")))
        api.collect_data("pygments")

Hooks run inside the analysis worker, under the *target* interpreter, with the standard
library available and the analysed packages importable. A hook that raises stops the build
with an ``AnalysisError`` naming the hook file.

PyInstaller hook files run unchanged: the same module globals (plus ``module_collection_mode``
and ``warn_on_missing_hiddenimports``), a ``hook(hook_api)`` whose api also answers to
PyInstaller's names, ``pre_safe_import_module`` and ``pre_find_module_path`` hooks,
``rthooks.dat``. While a hook runs, its ``import PyInstaller...`` finds freezekit's own
implementation (``pyinstaller_api``) through :class:`PyInstallerShim`. This module is the ONE
place where what a hook left behind (either dialect) becomes a :class:`HookOutcome`; nothing
outside the worker sees the difference.

Where hooks come from, and which one wins for a module (PyInstaller 6's rule): every hook
folder has a priority -- user folders (``--additional-hooks-dir``, spec ``hookspath``) 1000,
folders that installed packages register through the ``pyinstaller40`` entry point 0 (those of
``pyinstaller-hooks-contrib`` -1000), freezekit's built-in hooks -2000; a hook file may set
its own with a ``# $PyInstaller-Hook-Priority: N`` comment line. The highest wins; on a tie
the folder listed first. Exactly one hook runs per module (:class:`HookIndex`).

This module must stay importable under every target Python (>= 3.10) with the standard
library only: the worker imports it.
"""

from __future__ import annotations

import ast
import contextlib
import glob
import importlib.abc
import importlib.machinery
import importlib.util
import os
import pkgutil
import re
import sys
import traceback
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BUILTIN_HOOKS_DIR = Path(__file__).resolve().parent.parent / "hooks"
PYINSTALLER_API_DIR = Path(__file__).resolve().parent / "pyinstaller_api"
HOOK_PREFIX = "hook-"

#: Priorities of hook folders (PyInstaller 6's values): the highest wins for a module.
PRIORITY_USER = 1000
PRIORITY_UPSTREAM = 0  # registered by a package through the pyinstaller40 entry point
PRIORITY_CONTRIB = -1000  # pyinstaller-hooks-contrib
PRIORITY_BUILTIN = -2000  # freezekit/hooks/
CONTRIB_DISTRIBUTION = "pyinstaller-hooks-contrib"
_PRIORITY_LINE = re.compile(r"^\s*#\s*\$PyInstaller-Hook-Priority:\s*(-?\d+)")


@dataclass(kw_only=True)
class HookOutcome:
    """What one hook asked for. Paths are absolute (or absolute globs)."""

    module: str
    hook_file: str
    hiddenimports: list[str] = field(default_factory=list)
    excludedimports: list[str] = field(default_factory=list)
    datas: list[tuple[str, str]] = field(default_factory=list)
    binaries: list[tuple[str, str]] = field(default_factory=list)
    runtime_hooks: list[str] = field(default_factory=list)
    collect_data: list[str] = field(default_factory=list)  # package names
    # PyInstaller's warn_on_missing_hiddenimports: False = a hidden import that cannot be found
    # is dropped silently instead of being listed with the missing modules
    warn_missing: bool = True

    def to_json(self) -> dict[str, object]:
        return {
            "module": self.module,
            "hook_file": self.hook_file,
            "hiddenimports": self.hiddenimports,
            "excludedimports": self.excludedimports,
            "datas": [list(pair) for pair in self.datas],
            "binaries": [list(pair) for pair in self.binaries],
            "runtime_hooks": self.runtime_hooks,
            "collect_data": self.collect_data,
            "warn_missing": self.warn_missing,
        }


class HookError(Exception):
    """A hook file failed; carries the hook file name. Turned into AnalysisError by the host.

    ``unsupported`` names a ``PyInstaller`` module or name the hook imports that freezekit
    does not provide; ``detail`` is the traceback (shown with ``--log-level DEBUG``)."""

    def __init__(
        self,
        hook_file: str,
        message: str,
        *,
        module: str = "",
        unsupported: str = "",
        detail: str = "",
    ) -> None:
        super().__init__(f"{hook_file}: {message}")
        self.hook_file = hook_file
        self.message = message
        self.module = module
        self.unsupported = unsupported
        self.detail = detail

    def to_json(self) -> dict[str, str]:
        return {
            "kind": "hook",
            "file": self.hook_file,
            "message": self.message,
            "module": self.module,
            "unsupported": self.unsupported,
            "detail": self.detail,
        }


class HookApi:
    """What ``hook(api)`` may use. Every ``add_*`` call accumulates; nothing is applied early.

    The same object is PyInstaller's ``hook_api``: ``__name__``, ``__file__``, ``__path__``,
    ``add_imports``, ``del_imports``, ``add_datas``, ``add_binaries`` (pairs or
    ``(name, path, typecode)`` triples), ``set_module_collection_mode`` and
    ``analysis.hooksconfig``. ``graph``, ``node`` and ``co`` (modulegraph objects in
    PyInstaller) are None here."""

    def __init__(
        self,
        outcome: HookOutcome,
        *,
        module_dir: Path | None,
        module_file: str | None = None,
        search_path: Sequence[str] | None = None,
        hooks_config: dict[str, dict[str, object]] | None = None,
    ) -> None:
        self._outcome = outcome
        self.module_dir = module_dir  # folder of the hooked module (package folder for packages)
        self.__name__ = outcome.module
        self.__file__ = module_file
        self.__path__ = list(search_path) if search_path else None
        self.analysis = types.SimpleNamespace(hooksconfig=dict(hooks_config or {}))
        self.graph = None
        self.node = None
        self.co = None
        self.collection_modes: dict[str, str] = {}

    @property
    def module(self) -> str:
        """Name of the hooked module."""
        return self._outcome.module

    def add_imports(self, *names: str) -> None:
        self._outcome.hiddenimports.extend(names)

    def exclude_imports(self, *names: str) -> None:
        self._outcome.excludedimports.extend(names)

    def del_imports(self, *names: str) -> None:
        """PyInstaller's name: the hooked module's imports of ``names`` are not followed."""
        self._outcome.excludedimports.extend(names)

    def add_datas(self, pairs: Iterable[Sequence[str]]) -> None:
        self._outcome.datas.extend(_resolve_pairs(pairs, self.module_dir))

    def add_binaries(self, pairs: Iterable[Sequence[str]]) -> None:
        self._outcome.binaries.extend(_resolve_pairs(pairs, self.module_dir))

    def add_runtime_hooks(self, *paths: str) -> None:
        base = Path(self._outcome.hook_file).parent
        self._outcome.runtime_hooks.extend(str(base / p) for p in paths)

    def set_module_collection_mode(self, name: str | None, mode: str | None) -> None:
        """PyInstaller's name (see ``module_collection_mode`` in :func:`run_hook`)."""
        self.collection_modes[name or self.module] = mode or "pyz"

    def collect_data(self, package: str | None = None) -> None:
        """Bundle every non-Python file of ``package`` (default: the hooked module)."""
        self._outcome.collect_data.append(package or self.module)

    def submodules(self, package: str) -> list[str]:
        """Every submodule name of ``package`` found on disk (nothing is imported)."""
        return walk_package(package)


class PreSafeImportApi:
    """The ``api`` of a PyInstaller ``pre_safe_import_module(api)`` hook. It runs when the
    module first appears in the graph (PyInstaller runs it just before), so only what can be
    said then is honoured: an alias becomes a hidden import of the real module; runtime
    modules/packages (modules that exist only at run time) need nothing bundled; an extra
    package path is not supported (logged)."""

    def __init__(self, outcome: HookOutcome) -> None:
        self._outcome = outcome
        self.module_name = outcome.module
        self.module_basename = outcome.module.rpartition(".")[2]
        self.parent_package = None
        self.module_graph = None
        self.notes: list[str] = []

    def add_alias_module(self, real_module_name: str, alias_module_name: str) -> None:
        self._outcome.hiddenimports.append(real_module_name)

    def add_runtime_module(self, module_name: str) -> None:
        self.notes.append(f"runtime module {module_name} (nothing to bundle)")

    def add_runtime_package(self, package_name: str) -> None:
        self.notes.append(f"runtime package {package_name} (nothing to bundle)")

    def append_package_path(self, directory: str) -> None:
        self.notes.append(f"extra package path {directory} is not supported; ignored")


class PreFindModulePathApi:
    """The ``api`` of a PyInstaller ``pre_find_module_path(api)`` hook: ``search_dirs`` are the
    folders the module is about to be searched in (its parent package's ``__path__``, or
    ``sys.path`` for a top-level module); the hook may replace them (look elsewhere) or empty
    them (the module is not found, so not bundled)."""

    def __init__(self, module: str, search_dirs: list[str]) -> None:
        self.search_dirs = search_dirs
        self.module_name = module
        self.module_graph = None


def run_pre_find_hook(
    hook_file: str, module: str, search_dirs: list[str], *, shim: PyInstallerShim | None = None
) -> list[str]:
    """Run a PyInstaller ``pre_find_module_path`` hook; the folders it leaves, or HookError."""
    api = PreFindModulePathApi(module, list(search_dirs))
    try:
        with shim or PyInstallerShim():
            namespace = _exec_hook_file(hook_file, f"freezekit_find_{module}")
            func = namespace.get("pre_find_module_path")
            if not callable(func):
                raise NameError("the hook defines no pre_find_module_path(api) function")
            func(api)
            return [str(folder) for folder in api.search_dirs]
    except BaseException as exc:
        raise _hook_error(hook_file, module, exc) from exc


class PreFindPathFinder(importlib.abc.MetaPathFinder):
    """Runs a module's ``pre_find_module_path`` hook the first time the analysis looks the
    module up (first on ``sys.meta_path``, as PyInstaller runs it before its own search), then
    finds the module in the folders the hook left: nowhere (not found) when it emptied them.
    A hook that leaves the folders as they were changes nothing. ``run(hook_file, module,
    folders)`` runs the hook and returns its folders, or None when it failed."""

    def __init__(
        self,
        hooks: dict[str, str],
        run: Callable[[str, str, list[str]], list[str] | None],
        *,
        hidden: Sequence[str] = (),
    ) -> None:
        self.pending = dict(hooks)
        self.run = run
        self.hidden = set(hidden)  # the worker's own folders, not the app's path
        self.ran: set[str] = set()
        self.redirected: dict[str, tuple[str, list[str]]] = {}

    def add_hooks(self, hooks: dict[str, str]) -> None:
        """The winning hooks after more folders were indexed (a package's entry point)."""
        self.pending.update((m, f) for m, f in hooks.items() if m not in self.ran)

    def install(self) -> list[str]:
        """Go first on ``sys.meta_path``; one line for each hook that cannot be honoured: its
        module is already imported in the analysis process (freezekit's own standard library
        modules), where importlib answers from ``sys.modules`` without asking a finder."""
        sys.meta_path.insert(0, self)
        problems = []
        for module in sorted(set(self.pending) & set(sys.modules)):
            hook_file = self.pending.pop(module)
            problems.append(
                f"pre_find_module_path hook {hook_file} not run: the analysis has already "
                f"imported {module}, so where it is found cannot change"
            )
        return problems

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        hook_file = self.pending.pop(fullname, None)
        if hook_file is not None:
            self.ran.add(fullname)
            before = [str(p) for p in (sys.path if path is None else path) if p not in self.hidden]
            after = self.run(hook_file, fullname, list(before))
            if after is not None and after != before:
                self.redirected[fullname] = (hook_file, after)
        if fullname not in self.redirected:
            return None
        hook_file, folders = self.redirected[fullname]
        spec = importlib.machinery.PathFinder.find_spec(fullname, folders) if folders else None
        if spec is None:
            # modulegraph2 makes a module whose search raised this a missing module
            raise ModuleNotFoundError(
                f"{fullname}: not in the folders its pre_find_module_path hook {hook_file} left",
                name=fullname,
            )
        return spec


def _resolve_pairs(pairs: Iterable[Sequence[str]], base: Path | None) -> list[tuple[str, str]]:
    """``(source, destination folder)`` pairs; PyInstaller's TOC triples
    ``(destination name, source, typecode)`` are accepted too."""
    resolved = []
    for pair in pairs:
        if isinstance(pair, str) or len(pair) not in (2, 3):
            raise TypeError(f"not a (source, destination) pair: {pair!r}")
        if len(pair) == 3:
            source, dest = str(pair[1]), os.path.dirname(str(pair[0])) or "."
        else:
            source, dest = str(pair[0]), str(pair[1])
        if not os.path.isabs(source) and base is not None:
            source = str(base / source)
        if glob.has_magic(source) and os.path.exists(source):
            # a file that exists as named is that file, not a pattern: python-docx ships
            # "[Content_Types].xml", which as a glob matches nothing
            source = glob.escape(source)
        resolved.append((source, dest))
    return resolved


def walk_package(package: str) -> list[str]:
    """``package`` and all its submodules found by walking its folders (nothing is executed
    apart from importing the parents of ``package``, as ``find_spec`` does)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    names = [package]
    if spec.submodule_search_locations is not None:
        names.extend(_walk(list(spec.submodule_search_locations), package + "."))
    return names


def _walk(paths: list[str], prefix: str) -> list[str]:
    names: list[str] = []
    for info in pkgutil.iter_modules(paths, prefix):
        names.append(info.name)
        if info.ispkg:
            leaf = info.name.rpartition(".")[2]
            sub = [os.path.join(p, leaf) for p in paths if os.path.isdir(os.path.join(p, leaf))]
            names.extend(_walk(sub, info.name + "."))
    return sorted(set(names))


def host_support_dirs() -> dict[str, str]:
    """Folders (of freezekit's own environment) holding ``packaging`` and
    ``pyinstaller-hooks-contrib``'s package: hooks import them, PyInstaller depends on them,
    and the target environment may not have them (``PyInstallerShim`` fallbacks). Found
    without importing either."""
    found: dict[str, str] = {}
    for name in ("packaging", "_pyinstaller_hooks_contrib"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.submodule_search_locations:
            found[name] = os.path.dirname(os.path.abspath(list(spec.submodule_search_locations)[0]))
    return found


def find_hooks(dirs: Sequence[Path]) -> dict[str, Path]:
    """Module name -> hook file, for the given folders then the built-in ones (first wins):
    the host's quick view, part of the analysis cache key. Which hook runs is decided in the
    worker by :class:`HookIndex`, with the entry-point folders and priority lines."""
    found: dict[str, Path] = {}
    for folder in [*dirs, BUILTIN_HOOKS_DIR]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"{HOOK_PREFIX}*.py")):
            module = path.name[len(HOOK_PREFIX) : -len(".py")]
            found.setdefault(module, path.resolve())
    return found


def run_hook(
    hook_file: str,
    module: str,
    *,
    module_dir: Path | None,
    module_file: str | None = None,
    search_path: Sequence[str] | None = None,
    hooks_config: dict[str, dict[str, object]] | None = None,
    shim: PyInstallerShim | None = None,
) -> HookOutcome:
    """Execute one hook file (either dialect) and return what it asked for; any failure →
    HookError, with nothing of the hook applied."""
    outcome = HookOutcome(module=module, hook_file=hook_file)
    api = HookApi(
        outcome,
        module_dir=module_dir,
        module_file=module_file,
        search_path=search_path,
        hooks_config=hooks_config,
    )
    try:
        with shim or PyInstallerShim():
            namespace = _exec_hook_file(hook_file, f"freezekit_hook_{module}")
            _apply_lists(namespace, outcome, module_dir)
            func = namespace.get("hook")
            if func is not None:
                if not callable(func):
                    raise TypeError("'hook' is not a function")
                hook_func: Callable[[HookApi], object] = func
                hook_func(api)
            modes = _collection_modes(namespace.get("module_collection_mode"), module)
            modes.update(api.collection_modes)
            for name, mode in modes.items():
                outcome.datas.extend(_source_datas(name, mode))
    except HookError:
        raise
    except BaseException as exc:  # a hook may even call sys.exit(); report it as its fault
        raise _hook_error(hook_file, module, exc) from exc
    return outcome


def run_pre_safe_hook(
    hook_file: str, module: str, *, shim: PyInstallerShim | None = None
) -> tuple[HookOutcome, list[str]]:
    """Run a PyInstaller ``pre_safe_import_module`` hook; (outcome, notes) or HookError."""
    outcome = HookOutcome(module=module, hook_file=hook_file)
    api = PreSafeImportApi(outcome)
    try:
        with shim or PyInstallerShim():
            namespace = _exec_hook_file(hook_file, f"freezekit_pre_{module}")
            func = namespace.get("pre_safe_import_module")
            if callable(func):
                func(api)
    except BaseException as exc:
        raise _hook_error(hook_file, module, exc) from exc
    return outcome, api.notes


def _exec_hook_file(hook_file: str, name: str) -> dict[str, object]:
    """Run a hook file's top level as module ``name``; its globals."""
    namespace: dict[str, object] = {"__name__": name, "__file__": hook_file}
    source = Path(hook_file).read_text(encoding="utf-8")
    exec(compile(source, hook_file, "exec"), namespace)  # noqa: S102  # hooks are code
    return namespace


def _hook_error(hook_file: str, module: str, exc: BaseException) -> HookError:
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    missing = unsupported_name(exc)
    if missing:
        message = f"it uses {missing}, which freezekit's PyInstaller API does not provide"
    else:
        message = f"{type(exc).__name__}: {exc}"
    return HookError(hook_file, message, module=module, unsupported=missing, detail=detail)


def unsupported_name(exc: BaseException) -> str:
    """The ``PyInstaller`` module or name whose absence raised ``exc``, or ``""``."""
    if isinstance(exc, ImportError):
        name = exc.name or ""
        if not (name == "PyInstaller" or name.startswith("PyInstaller.")):
            return ""
        if isinstance(exc, ModuleNotFoundError):
            return name
        match = re.search(r"cannot import name '([^']+)'", str(exc))
        return f"{name}.{match.group(1)}" if match else name
    if isinstance(exc, AttributeError):
        obj = getattr(exc, "obj", None)
        owner = getattr(obj, "__name__", "") if isinstance(obj, types.ModuleType) else ""
        if owner == "PyInstaller" or owner.startswith("PyInstaller."):
            return f"{owner}.{getattr(exc, 'name', '?')}"
    return ""


def _collection_modes(value: object, module: str) -> dict[str, str]:
    """PyInstaller's ``module_collection_mode``: a mode for the hooked module, or a dict of
    module name (``None``: the hooked module) → mode."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {module: value}
    if isinstance(value, dict):
        return {str(k) if k else module: str(v) for k, v in value.items() if v}
    raise TypeError(f"module_collection_mode must be a str or a dict, not {type(value).__name__}")


_SOURCE_MODES = ("py", "py+pyz", "pyz+py")


def _source_datas(name: str, mode: str) -> list[tuple[str, str]]:
    """The translation of a collection mode. freezekit always bundles bytecode in the
    archive; a mode that asks for source files (``py``, ``py+pyz``) also bundles the ``.py``
    files where the module's ``__file__`` points in the app, so ``inspect.getsource`` and
    readers of the source work. ``pyz``/``pyc`` need nothing more."""
    if mode not in _SOURCE_MODES:
        return []
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    dest = name.replace(".", "/")
    pairs: list[tuple[str, str]] = []
    if spec.submodule_search_locations is not None:
        for folder in spec.submodule_search_locations:
            for root, dirs, files in os.walk(folder):
                dirs[:] = [d for d in dirs if d != "__pycache__"]
                rel = os.path.relpath(root, folder)
                target = dest if rel == "." else f"{dest}/{rel.replace(os.sep, '/')}"
                pairs += [(os.path.join(root, f), target) for f in files if f.endswith(".py")]
    elif spec.origin and spec.origin.endswith(".py"):
        pairs.append((spec.origin, dest.rpartition("/")[0] or "."))
    return pairs


def _apply_lists(
    namespace: dict[str, object], outcome: HookOutcome, module_dir: Path | None
) -> None:
    outcome.warn_missing = bool(namespace.get("warn_on_missing_hiddenimports", True))
    for key in ("hiddenimports", "excludedimports", "datas", "binaries", "runtime_hooks"):
        value = namespace.get(key)
        if value is None:
            continue
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise TypeError(f"{key} must be a list, not {type(value).__name__}")
        items = list(value)
        if key == "hiddenimports":
            outcome.hiddenimports.extend(str(v) for v in items)
        elif key == "excludedimports":
            outcome.excludedimports.extend(str(v) for v in items)
        elif key == "datas":
            outcome.datas.extend(_resolve_pairs(items, module_dir))
        elif key == "binaries":
            outcome.binaries.extend(_resolve_pairs(items, module_dir))
        else:
            base = Path(outcome.hook_file).parent
            outcome.runtime_hooks.extend(str(base / str(v)) for v in items)


# -- where hooks come from -----------------------------------------------------------------------


@dataclass
class _Candidate:
    priority: int
    order: int
    path: str

    def effective(self) -> int:
        """The folder's priority, or the file's own ``$PyInstaller-Hook-Priority`` line."""
        try:
            with open(self.path, encoding="utf-8", errors="replace") as stream:
                for _, line in zip(range(200), stream, strict=False):
                    match = _PRIORITY_LINE.match(line)
                    if match:
                        return int(match.group(1))
        except OSError:
            pass
        return self.priority


def _best(candidates: list[_Candidate]) -> _Candidate:
    if len(candidates) == 1:  # no contest: the file is not even opened
        return candidates[0]
    return max(candidates, key=lambda c: (c.effective(), -c.order))


class HookIndex:
    """Hook folders, each listed once (never imported): ``hook-*.py`` files,
    ``pre_safe_import_module/hook-*.py``, ``pre_find_module_path/hook-*.py``, and
    ``rthooks.dat`` with its ``rthooks/`` scripts. Exactly one hook per module: the highest
    priority (see the module docstring)."""

    def __init__(self) -> None:
        self.dirs: list[tuple[str, int]] = []
        self._hooks: dict[str, list[_Candidate]] = {}
        self._pre_safe: dict[str, list[_Candidate]] = {}
        self._pre_find: dict[str, list[_Candidate]] = {}
        self._rthooks: dict[str, list[tuple[_Candidate, list[str]]]] = {}
        self.problems: list[str] = []

    def add_dir(self, folder: str, priority: int) -> None:
        order = len(self.dirs)
        self.dirs.append((folder, priority))
        try:
            names = os.listdir(folder)
        except OSError:
            return
        _index_hooks(folder, names, self._hooks, priority, order)
        for kind, into in (
            ("pre_safe_import_module", self._pre_safe),
            ("pre_find_module_path", self._pre_find),
        ):
            if kind in names:
                sub = os.path.join(folder, kind)
                with contextlib.suppress(OSError):
                    _index_hooks(sub, os.listdir(sub), into, priority, order)
        if "rthooks.dat" in names:
            dat = os.path.join(folder, "rthooks.dat")
            try:
                table = ast.literal_eval(Path(dat).read_text(encoding="utf-8"))
                if not isinstance(table, dict):
                    raise ValueError("not a dict")
            except (OSError, ValueError, SyntaxError) as exc:
                self.problems.append(f"{dat} cannot be read, ignored: {exc}")
                return
            for module, files in table.items():
                paths = [os.path.join(folder, "rthooks", str(f)) for f in files]
                self._rthooks.setdefault(str(module), []).append(
                    (_Candidate(priority, order, dat), paths)
                )

    def hooks(self) -> dict[str, str]:
        """Module name → the hook file that wins."""
        return {module: _best(c).path for module, c in self._hooks.items()}

    def pre_safe_hooks(self) -> dict[str, str]:
        return {module: _best(c).path for module, c in self._pre_safe.items()}

    def pre_find_hooks(self) -> dict[str, str]:
        return {module: _best(c).path for module, c in self._pre_find.items()}

    def runtime_hooks(self, module: str) -> tuple[str, list[str]] | None:
        """(rthooks.dat, runtime hook scripts) for ``module``, from the highest folder."""
        entries = self._rthooks.get(module)
        if not entries:
            return None
        dat, paths = max(entries, key=lambda e: (e[0].priority, -e[0].order))
        return dat.path, paths


def _index_hooks(
    folder: str, names: list[str], into: dict[str, list[_Candidate]], priority: int, order: int
) -> None:
    for name in sorted(names):
        if name.startswith(HOOK_PREFIX) and name.endswith(".py"):
            module = name[len(HOOK_PREFIX) : -len(".py")]
            into.setdefault(module, []).append(
                _Candidate(priority, order, os.path.join(folder, name))
            )


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class PendingEntryPoint:
    """A ``hook-dirs`` entry point of a package, not called yet: it is called (in the
    worker) when one of the package's own top-level modules (``tops``) enters the graph."""

    value: str  # module:function
    priority: int
    tops: set[str]


def entry_point_hook_dirs() -> tuple[
    list[tuple[str, int]], list[PendingEntryPoint], set[str], list[str]
]:
    """Hook folders registered through the ``pyinstaller40`` entry point group
    (``hook-dirs = module:function``) of the running (target) interpreter: ``(folders with
    priorities, entry points left for later, names of the distributions that registered
    some, problems)``.

    pyinstaller-hooks-contrib's tiny module is imported and called now. A package's own entry
    point (numpy's is ``numpy._pyinstaller``, which imports numpy) is only called when the
    package is in the graph: calling them all up front cost 0.4-0.6 s per analysis in
    environments holding numpy, for apps that do not use it."""
    found: list[tuple[str, int]] = []
    pending: list[PendingEntryPoint] = []
    dists: set[str] = set()
    problems: list[str] = []
    for dist_name, meta_dir, value in _hook_dir_entry_points():
        dists.add(dist_name)
        module = value.partition(":")[0].strip()
        if dist_name == CONTRIB_DISTRIBUTION or module == "_pyinstaller_hooks_contrib":
            try:
                found += [(str(d), PRIORITY_CONTRIB) for d in call_entry_point(value)]
            except Exception as exc:
                problems.append(f"hook-dirs entry point {value} failed, ignored: {exc}")
        else:
            tops = {module.split(".")[0]} | _top_levels(meta_dir)
            pending.append(PendingEntryPoint(value, PRIORITY_UPSTREAM, tops))
    return found, pending, dists, problems


def _hook_dir_entry_points() -> list[tuple[str, str, str]]:
    """``(normalized distribution name, metadata folder, module:function)`` of every
    ``pyinstaller40``/``hook-dirs`` entry point on ``sys.path`` (the first distribution of a
    name wins, as in importlib.metadata). Only ``entry_points.txt`` files are read: 1 ms where
    ``importlib.metadata.entry_points()`` takes 20."""
    import configparser

    seen: set[str] = set()
    found: list[tuple[str, str, str]] = []
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                dist = name[: -len(".dist-info")].rpartition("-")[0] or name
            elif name.endswith(".egg-info"):
                dist = name.split("-")[0]
            else:
                continue
            key = _normalize(dist)
            if key in seen:
                continue
            seen.add(key)
            meta_dir = os.path.join(folder, name)
            try:
                with open(os.path.join(meta_dir, "entry_points.txt"), encoding="utf-8") as stream:
                    text = stream.read()
            except OSError:
                continue
            if "pyinstaller40" not in text:
                continue
            parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            try:
                parser.read_string(text)
                value = parser.get("pyinstaller40", "hook-dirs", fallback="")
            except configparser.Error:
                continue
            if value.strip():
                found.append((key, meta_dir, value.strip()))
    return found


def _top_levels(meta_dir: str) -> set[str]:
    """The top-level module names a distribution installs (top_level.txt, else RECORD)."""
    try:
        with open(os.path.join(meta_dir, "top_level.txt"), encoding="utf-8") as stream:
            return {line.strip() for line in stream if line.strip()}
    except OSError:
        pass
    tops: set[str] = set()
    try:
        with open(os.path.join(meta_dir, "RECORD"), encoding="utf-8") as stream:
            lines = stream.read().splitlines()
    except OSError:
        return tops
    for line in lines:
        first = line.split(",")[0].replace("\\", "/").split("/")[0]
        if first.endswith((".dist-info", ".egg-info", ".pth")) or first in ("..", ""):
            continue
        tops.add(first.split(".")[0])
    return tops


def call_entry_point(value: str) -> list[str]:
    """Call ``module:function`` (in this process) and return the folders it lists."""
    import importlib

    module, _, attr = value.partition(":")
    func: object = importlib.import_module(module.strip())
    for part in attr.strip().split("."):
        if part:
            func = getattr(func, part)
    if not callable(func):
        raise TypeError(f"{value} is not a function")
    return [str(d) for d in func()]


# -- the PyInstaller API, for hooks only ---------------------------------------------------------

HOOK_LOG: list[tuple[int, str]] = []  # (level, message) logged by hooks through PyInstaller.log


class _LogCollector:
    """A logging handler (duck-typed: set up once) that keeps what hooks log."""

    installed = False

    @classmethod
    def install(cls) -> None:
        if cls.installed:
            return
        import logging

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                try:
                    HOOK_LOG.append((record.levelno, record.getMessage()))
                except Exception:  # a bad format string in a hook's message
                    HOOK_LOG.append((record.levelno, str(record.msg)))

        logger = logging.getLogger("PyInstaller")
        logger.addHandler(Handler())
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        cls.installed = True


class PyInstallerShim(importlib.abc.MetaPathFinder):
    """While active (``with shim:``), ``import PyInstaller...`` finds freezekit's
    ``pyinstaller_api`` -- before any PyInstaller installed in the environment -- and each
    name of ``fallbacks`` (top-level package → folder holding it: ``packaging`` and
    ``_pyinstaller_hooks_contrib`` from freezekit's own environment) is found there if the
    environment lacks it. On leaving, those modules go out of ``sys.modules`` (kept for the
    next hook), so the analysis of the app's own imports never sees them."""

    def __init__(self, fallbacks: dict[str, str] | None = None) -> None:
        self.tops: dict[str, str] = {"PyInstaller": str(PYINSTALLER_API_DIR)}
        for name, folder in (fallbacks or {}).items():
            if name in sys.modules:
                continue
            try:
                present = importlib.machinery.PathFinder.find_spec(name, sys.path) is not None
            except (ImportError, ValueError):
                present = False
            if not present:
                self.tops[name] = folder
        self._saved: dict[str, types.ModuleType] = {}
        self._depth = 0

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        folder = self.tops.get(fullname)
        if folder is None:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [folder])

    def __enter__(self) -> PyInstallerShim:
        self._depth += 1
        if self._depth == 1:
            _LogCollector.install()
            sys.meta_path.insert(0, self)
            sys.modules.update(self._saved)
            self._saved.clear()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._depth -= 1
        if self._depth:
            return
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for name in list(sys.modules):
            if name.partition(".")[0] in self.tops:
                self._saved[name] = sys.modules.pop(name)
