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
with an ``AnalysisError`` naming the hook file. User hook folders (``--additional-hooks-dir``,
``options.hooks_dirs``) come before the built-in ones in ``freezekit/hooks/``; the first hook
found for a module wins.

This module must stay importable under every target Python (>= 3.10) with the standard
library only: the worker imports it.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BUILTIN_HOOKS_DIR = Path(__file__).resolve().parent.parent / "hooks"
HOOK_PREFIX = "hook-"


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
        }


class HookError(Exception):
    """A hook file failed; carries the hook file name. Turned into AnalysisError by the host."""

    def __init__(self, hook_file: str, message: str) -> None:
        super().__init__(f"{hook_file}: {message}")
        self.hook_file = hook_file
        self.message = message


class HookApi:
    """What ``hook(api)`` may use. Every ``add_*`` call accumulates; nothing is applied early."""

    def __init__(self, outcome: HookOutcome, *, module_dir: Path | None) -> None:
        self._outcome = outcome
        self.module_dir = module_dir  # folder of the hooked module (package folder for packages)

    @property
    def module(self) -> str:
        """Name of the hooked module."""
        return self._outcome.module

    def add_imports(self, *names: str) -> None:
        self._outcome.hiddenimports.extend(names)

    def exclude_imports(self, *names: str) -> None:
        self._outcome.excludedimports.extend(names)

    def add_datas(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._outcome.datas.extend(_resolve_pairs(pairs, self.module_dir))

    def add_binaries(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._outcome.binaries.extend(_resolve_pairs(pairs, self.module_dir))

    def add_runtime_hooks(self, *paths: str) -> None:
        base = Path(self._outcome.hook_file).parent
        self._outcome.runtime_hooks.extend(str(base / p) for p in paths)

    def collect_data(self, package: str | None = None) -> None:
        """Bundle every non-Python file of ``package`` (default: the hooked module)."""
        self._outcome.collect_data.append(package or self.module)

    def submodules(self, package: str) -> list[str]:
        """Every submodule name of ``package`` found on disk (nothing is imported)."""
        return walk_package(package)


def _resolve_pairs(pairs: Iterable[Sequence[str]], base: Path | None) -> list[tuple[str, str]]:
    resolved = []
    for pair in pairs:
        source, dest = str(pair[0]), str(pair[1])
        if not os.path.isabs(source) and base is not None:
            source = str(base / source)
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


def find_hooks(dirs: Sequence[Path]) -> dict[str, Path]:
    """Module name -> hook file, for the given folders then the built-in ones (first wins)."""
    found: dict[str, Path] = {}
    for folder in [*dirs, BUILTIN_HOOKS_DIR]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"{HOOK_PREFIX}*.py")):
            module = path.name[len(HOOK_PREFIX) : -len(".py")]
            found.setdefault(module, path.resolve())
    return found


def run_hook(hook_file: str, module: str, *, module_dir: Path | None) -> HookOutcome:
    """Execute one hook file and return what it asked for; any failure → HookError."""
    outcome = HookOutcome(module=module, hook_file=hook_file)
    namespace: dict[str, object] = {"__name__": f"freezekit_hook_{module}", "__file__": hook_file}
    try:
        source = Path(hook_file).read_text(encoding="utf-8")
        exec(compile(source, hook_file, "exec"), namespace)  # noqa: S102  # hooks are code
        _apply_lists(namespace, outcome, module_dir)
        func = namespace.get("hook")
        if func is not None:
            if not callable(func):
                raise TypeError("'hook' is not a function")
            hook_func: Callable[[HookApi], object] = func
            hook_func(HookApi(outcome, module_dir=module_dir))
    except HookError:
        raise
    except BaseException as exc:  # a hook may even call sys.exit(); report it as its fault
        raise HookError(hook_file, f"{type(exc).__name__}: {exc}") from exc
    return outcome


def _apply_lists(
    namespace: dict[str, object], outcome: HookOutcome, module_dir: Path | None
) -> None:
    for key in ("hiddenimports", "excludedimports", "datas", "binaries", "runtime_hooks"):
        value = namespace.get(key)
        if value is None:
            continue
        if not isinstance(value, (list, tuple, set)):
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
