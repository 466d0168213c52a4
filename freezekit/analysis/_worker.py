"""The import-analysis worker: runs under the *target* interpreter, prints the graph as JSON.

Started by ``imports.run_worker`` as ``<target python> -I _worker.py`` with a JSON request on
stdin; the request names a folder holding modulegraph2, objectgraph and freezekit (links to the
host's copies), which goes first on ``sys.path``. The reply (stdout) lists every node reachable
from the seeds, the edges between them, the hook outcomes and the distributions that provide
the non-stdlib top-level packages. Anything user code prints while being inspected goes to
stderr. Failures inside modulegraph2 are logged (``log`` in the reply) and skipped, node by node.

Standard library + modulegraph2 + freezekit.analysis.hooks only; runs on Python >= 3.10.
modulegraph2's private internals are used through ``_mgadapter`` only.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TypedDict

# -- the reply (imports.py reads it) ------------------------------------------------------------


class _NodeFields(TypedDict):
    name: str
    kind: str  # _kind(): "module", "package", "extension", "missing", ...
    file: str | None


class NodeInfo(_NodeFields, total=False):
    init_kind: str  # a package: the kind of its __init__
    search_path: list[str]  # a package or namespace package


#: An import between two nodes: source, target, optional (every import of it is), global (one
#: is at module level), fromlist (every one names it in ``from ... import``).
EdgeInfo = tuple[str, str, bool, bool, bool]


class _ErrorFields(TypedDict):
    kind: str  # "hook" (HookError.to_json), "metadata", "unsupported" (modulegraph2), "crash"
    file: str
    message: str


class ErrorInfo(_ErrorFields, total=False):
    module: str
    unsupported: str
    detail: str


class DistributionInfo(TypedDict):
    name: str
    version: str
    path: str
    top_level: list[str]


class WorkerReply(TypedDict, total=False):
    """The JSON the worker prints; a run that failed before the graph was built has only
    ``errors`` and ``log``."""

    sys_path: list[str]
    nodes: list[NodeInfo]
    edges: list[EdgeInfo]
    roots: list[str]
    hooks: list[dict[str, object]]  # HookOutcome.to_json() of the hooks applied
    packages: dict[str, list[str]]  # data_packages asked for -> their folders
    errors: list[ErrorInfo]
    hooks_skipped: list[ErrorInfo]
    hook_log: list[tuple[int, str]]
    hook_problems: list[str]
    distributions: list[DistributionInfo]
    log: list[str]


_LOG: list[str] = []


def _debug(message: str) -> None:
    _LOG.append(message)


class _Progress:
    """The number of modules scanned so far, written to the request's ``progress_file`` at
    most five times a second (the build's progress line reads it)."""

    def __init__(self, path: str | None) -> None:
        self.path, self.count, self.last = path, 0, 0.0

    def tick(self) -> None:
        self.count += 1
        if self.path is None:
            return
        import time

        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            try:
                with open(self.path, "w", encoding="ascii") as stream:
                    stream.write(str(self.count))
            except OSError:
                self.path = None  # progress is a nicety; the analysis goes on


def _drain(graph: Any) -> None:
    """Finish modulegraph2's work stack, skipping any item that raises."""
    from freezekit.analysis import _mgadapter  # freezekit is on the path once main() ran

    for _ in range(100_000):
        try:
            _mgadapter.run_stack(graph)
            return
        except Exception as exc:  # modulegraph2 asserts on odd nodes (frozen packages, ...)
            _debug(f"modulegraph2 failed on one item, skipped: {type(exc).__name__}: {exc}")


def _guarded(graph: Any, func: Callable[[str], object], arg: str) -> None:
    try:
        func(arg)
    except Exception as exc:
        _debug(f"cannot add {arg!r}: {type(exc).__name__}: {exc}")
    _drain(graph)


def _kind(mg: Any, node: Any) -> str:
    table = [
        (mg.Script, "script"),
        (mg.Package, "package"),
        (mg.NamespacePackage, "namespace"),
        (mg.SourceModule, "module"),
        (mg.BytecodeModule, "bytecode"),
        (mg.ExtensionModule, "extension"),
        (mg.BuiltinModule, "builtin"),
        (mg.FrozenModule, "frozen"),
        (mg.InvalidModule, "invalid"),
        (mg.MissingModule, "missing"),
        (mg.ExcludedModule, "excluded"),
        (mg.AliasNode, "alias"),
        (mg.VirtualNode, "virtual"),
        (mg.InvalidRelativeImport, "invalid-relative"),
    ]
    for cls, name in table:
        if isinstance(node, cls):
            return name
    return "other"


_SHIMS: list[str] = []  # temporary folders of links; paths through them are made real


def _real(path: object) -> str:
    text = str(path)
    if any(text.startswith(os.path.join(shim, "")) for shim in _SHIMS):
        return os.path.realpath(text)
    return text


def _describe(mg: Any, node: Any) -> NodeInfo:
    kind = _kind(mg, node)
    info: NodeInfo = {"name": node.name, "kind": kind, "file": None}
    if kind == "package":
        init = node.init_module
        info["file"] = _real(init.filename) if init.filename else None
        info["init_kind"] = _kind(mg, init)
        info["search_path"] = [_real(p) for p in node.search_path]
    elif kind == "namespace":
        info["search_path"] = [_real(p) for p in node.search_path]
    elif kind == "alias":
        source = _alias_source(node.name)
        if source is not None:  # a real module that replaces itself in sys.modules
            info["kind"], info["file"] = "module", _real(source)
    elif node.filename is not None:
        info["file"] = _real(node.filename)
    return info


def _alias_source(name: str) -> str | None:
    """The source file of a dotted module that modulegraph2 saw as an alias because it puts
    another module in sys.modules (3.13's ``collections.abc``); found on the parent's path,
    ignoring sys.modules."""
    import importlib.machinery

    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    search = getattr(parent, "__path__", None) if parent_name else None
    if parent_name and search is None:
        return None
    spec = importlib.machinery.PathFinder.find_spec(child if not parent_name else name, search)
    origin = spec.origin if spec is not None else None
    if isinstance(origin, str) and origin.endswith(".py") and os.path.isfile(origin):
        return origin
    return None


class _Builder:
    def __init__(self, mg: Any, request: dict[str, Any]) -> None:
        from freezekit.analysis import _mgadapter, hooks

        self.mg = mg
        self.hooks_mod = hooks
        self.request = request
        self.graph = _mgadapter.fast_graph_class(mg)()
        self.shim = hooks.PyInstallerShim(dict(request.get("hook_support", {})))
        self.index, pending = _hook_index(hooks, request, self.shim)
        self.pending: dict[str, list[Any]] = {}  # top-level name -> entry points to call
        for entry in pending:
            for top in entry.tops:
                self.pending.setdefault(top, []).append(entry)
        self.hooks_done: set[str] = set()
        self.hook_files: dict[str, str] = self.index.hooks()
        self.pre_safe: dict[str, str] = self.index.pre_safe_hooks()
        self.pre_find = hooks.PreFindPathFinder(
            self.index.pre_find_hooks(), self._run_pre_find, hidden=_SHIMS
        )
        self.hooks_config: dict[str, dict[str, object]] = dict(request.get("hooks_config", {}))
        self.ignore_hook_errors = bool(request.get("ignore_hook_errors"))
        self.skipped: list[ErrorInfo] = []
        self.rthooks_done: set[str] = set()
        self.outcomes: list[dict[str, object]] = []
        self.hook_excludes: list[tuple[str, list[str]]] = []
        self.errors: list[ErrorInfo] = []
        self.soft = set(request.get("lean_excludes", []))
        self.graph.add_excludes(list(request.get("excludes", [])) + sorted(self.soft))
        self.graph.add_post_processing_hook(self._on_node)
        self.progress = _Progress(request.get("progress_file"))

    # -- hooks ---------------------------------------------------------------------------------
    def _on_node(self, graph: Any, node: Any) -> None:
        self.progress.tick()
        if getattr(node, "code", None) is not None:
            node.code = None  # scanned already; nothing reads it again (numpy_app: 15 MiB)
        if self.pending and node.name.partition(".")[0] in self.pending:
            self._load_entry_points(node.name.partition(".")[0])
        pre = self.pre_safe.pop(node.name, None)
        if pre is not None:
            self.hooks_done.add(f"pre:{node.name}")
            self._run_pre_safe(graph, node, pre)
        hook_file = self.hook_files.get(node.name)
        if hook_file is None or _kind(self.mg, node) not in _REAL_KINDS:
            return  # an excluded module may come back later: keep its hook for then
        del self.hook_files[node.name]
        self.hooks_done.add(node.name)
        module_dir = self._module_dir(node)
        search_path = getattr(node, "search_path", None)
        try:
            outcome = self.hooks_mod.run_hook(
                hook_file,
                node.name,
                module_dir=module_dir,
                module_file=_real(node.filename) if node.filename is not None else None,
                search_path=[_real(p) for p in search_path] if search_path else None,
                hooks_config=self.hooks_config,
                shim=self.shim,
            )
        except self.hooks_mod.HookError as exc:
            self._hook_failed(exc)
            return
        self.outcomes.append(outcome.to_json())
        if outcome.excludedimports:
            self.hook_excludes.append((node.name, list(outcome.excludedimports)))
        for name in outcome.hiddenimports:
            if not outcome.warn_missing and not _findable(name):
                _debug(f"hook {hook_file}: hidden import {name!r} not found (not reported)")
                continue
            try:
                graph.import_module(node, name)
            except Exception as exc:
                _debug(f"hook {hook_file}: cannot import {name!r}: {exc}")

    def _load_entry_points(self, top: str) -> None:
        """A package with a ``hook-dirs`` entry point enters the graph: call it (the package
        is being analysed anyway), index its folders, let its hooks compete for the modules
        whose hook has not run yet."""
        entries = self.pending.pop(top)
        for entry in entries:
            for other in entry.tops:
                rest = [e for e in self.pending.get(other, []) if e is not entry]
                if rest:
                    self.pending[other] = rest
                else:
                    self.pending.pop(other, None)
            try:
                folders = self.hooks_mod.call_entry_point(entry.value)
            except Exception as exc:
                self.index.problems.append(
                    f"hook-dirs entry point {entry.value} failed, ignored: {exc}"
                )
                continue
            _debug(f"hook-dirs entry point {entry.value}: {folders}")
            for folder in folders:
                self.index.add_dir(folder, entry.priority)
        for module, hook_file in self.index.hooks().items():
            if module not in self.hooks_done:
                self.hook_files[module] = hook_file
        for module, hook_file in self.index.pre_safe_hooks().items():
            if f"pre:{module}" not in self.hooks_done:
                self.pre_safe[module] = hook_file
        self.pre_find.add_hooks(self.index.pre_find_hooks())

    def _run_pre_find(self, hook_file: str, module: str, folders: list[str]) -> list[str] | None:
        """A ``pre_find_module_path`` hook, run by ``self.pre_find`` when the module is first
        looked up: the folders to search it in, or None when the hook failed."""
        try:
            found = self.hooks_mod.run_pre_find_hook(hook_file, module, folders, shim=self.shim)
        except self.hooks_mod.HookError as exc:
            self._hook_failed(exc)
            return None
        if found != folders:
            _debug(f"pre_find_module_path hook {hook_file}: {module} searched in {found}")
        self.outcomes.append(
            self.hooks_mod.HookOutcome(module=module, hook_file=hook_file).to_json()
        )
        return list(found)

    def _run_pre_safe(self, graph: Any, node: Any, hook_file: str) -> None:
        try:
            outcome, notes = self.hooks_mod.run_pre_safe_hook(hook_file, node.name, shim=self.shim)
        except self.hooks_mod.HookError as exc:
            self._hook_failed(exc)
            return
        for note in notes:
            _debug(f"pre_safe_import_module hook {hook_file}: {note}")
        self.outcomes.append(outcome.to_json())
        for name in outcome.hiddenimports:
            try:
                graph.import_module(node, name)
            except Exception as exc:
                _debug(f"hook {hook_file}: cannot import {name!r}: {exc}")

    def _hook_failed(self, exc: Any) -> None:
        """A failed hook: fatal, or (``--ignore-hook-errors``) skipped with a warning."""
        (self.skipped if self.ignore_hook_errors else self.errors).append(exc.to_json())

    def _apply_runtime_hooks(self) -> None:
        """``rthooks.dat`` of the hook folders: the runtime hooks of every module in the
        graph, added as scripts so their own imports are bundled (rounds until none is new)."""
        for _ in range(10):
            present = sorted(
                n.identifier
                for n in self._roots_reachable()
                if n.identifier not in self.rthooks_done and _kind(self.mg, n) in _REAL_KINDS
            )
            added = False
            for name in present:
                found = self.index.runtime_hooks(name)
                self.rthooks_done.add(name)
                if found is None:
                    continue
                dat, paths = found
                scripts = [p for p in paths if os.path.isfile(p)]
                for missing in sorted(set(paths) - set(scripts)):
                    _debug(f"{dat}: runtime hook {missing} of {name} does not exist")
                outcome = self.hooks_mod.HookOutcome(
                    module=name, hook_file=dat, runtime_hooks=scripts
                )
                self.outcomes.append(outcome.to_json())
                for script in scripts:
                    _guarded(self.graph, self.graph.add_script, script)
                    added = True
            if not added:
                return

    def _module_dir(self, node: Any) -> Any:
        from pathlib import Path

        search_path = getattr(node, "search_path", None)
        if search_path:
            return Path(search_path[0])
        if node.filename is not None:
            return Path(node.filename).parent
        return None

    # -- seeds ---------------------------------------------------------------------------------
    def build(self) -> None:
        self.index.problems.extend(self.pre_find.install())
        try:
            self._build()
        finally:
            self.pre_find.uninstall()

    def _build(self) -> None:
        graph = self.graph
        for script in self.request.get("scripts", []):
            _guarded(graph, graph.add_script, script)
        for package in self.request.get("packages", []):
            for name in self.hooks_mod.walk_package(package):
                _guarded(graph, graph.add_module, name)
        for name in self.request.get("modules", []):
            _guarded(graph, graph.add_module, name)
        started = time.perf_counter()
        self._add_named_modules()
        self._add_alias_imports()
        self._add_dynamic_imports()
        self._add_extension_imports()
        _debug(
            f"patterns (strings, aliases, calls, extensions): {time.perf_counter() - started:.2f} s"
        )
        for script in self.request.get("runtime_hook_scripts", []):
            _guarded(graph, graph.add_script, script)  # their imports are the app's too
        self._apply_runtime_hooks()
        for _ in range(10):
            # an import a hook cuts (numpy -> numpy.distutils -> setuptools) lifts nothing
            self._apply_hook_excludes()
            if not self._reinclude_needed():
                break
        self._apply_runtime_hooks()
        self._apply_hook_excludes()

    def _add_named_modules(self) -> None:
        """Modules the app's own code names in strings (analysis/userstrings.py)."""
        from freezekit.analysis import userstrings

        app_dirs = [str(p) for p in self.request.get("paths", [])]
        other = [p for p in sys.path if p not in app_dirs and p not in _SHIMS]
        added = userstrings.add_named_modules(
            self.mg,
            self.graph,
            app_dirs=app_dirs,
            other_dirs=[*other, *self.request.get("stdlib_dirs", [])],
            excluded=[*self.request.get("excludes", []), *self.soft],
            drain=lambda: _drain(self.graph),
        )
        for module, name in added:
            _debug(f"{module} names module {name} in a string")

    def _add_alias_imports(self) -> None:
        """Imports of modules that replace themselves in sys.modules (analysis/aliases.py)."""
        from freezekit.analysis import aliases

        added = aliases.add_alias_imports(
            self.mg,
            self.graph,
            source_of=_alias_source,
            excluded=[*self.request.get("excludes", []), *self.soft],
            drain=lambda: _drain(self.graph),
        )
        for module, name in added:
            _debug(f"{module} (replaced in sys.modules) imports {name} in its source")

    def _add_dynamic_imports(self) -> None:
        """Modules imported by constant name through calls (analysis/aliases.py)."""
        from freezekit.analysis import aliases

        added = aliases.add_dynamic_imports(
            self.mg,
            self.graph,
            stdlib_dirs=list(self.request.get("stdlib_dirs", [])),
            excluded=[*self.request.get("excludes", []), *self.soft],
            drain=lambda: _drain(self.graph),
        )
        for module, name in added:
            _debug(f"{module} imports {name} through a call")

    def _add_extension_imports(self) -> None:
        """Modules that compiled extensions import from C (analysis/extscan.py)."""
        from freezekit.analysis import extscan
        from freezekit.analysis._scancache import default_path

        scan_cache = self.request.get("scan_cache") or default_path(_mg_version(self.request))
        cache = extscan.ExtensionScanCache(extscan.default_path(scan_cache))
        excluded = [*self.request.get("excludes", []), *self.soft]
        added = extscan.add_extension_imports(
            self.mg,
            self.graph,
            excluded=excluded,
            stdlib_dirs=self.request.get("stdlib_dirs", []),
            cache=cache,
            drain=lambda: _drain(self.graph),
            log=_debug,
        )
        cache.save()
        for extension, name in added:
            _debug(f"extension {extension} imports {name} (a string in its file)")

    def _roots_reachable(self) -> list[Any]:
        return [n for n in self.graph.iter_graph() if not isinstance(n, self.mg.PyPIDistribution)]

    def _soft_root(self, name: str) -> str | None:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            candidate = ".".join(parts[:i])
            if candidate in self.soft:
                return candidate
        return None

    def _reinclude_needed(self) -> bool:
        """Lift a lean exclusion when a bundled module imports the name at module level (not
        inside a function, not in try/except ImportError), or a script at module level."""
        mg, graph = self.mg, self.graph
        reachable = {n.identifier: n for n in self._roots_reachable()}
        wanted: set[str] = set()
        for src, dst, infos in graph.edges():
            if not isinstance(dst, mg.ExcludedModule) or dst.identifier not in reachable:
                continue
            root = self._soft_root(dst.identifier)
            if root is None or isinstance(src, mg.ExcludedModule):
                continue
            if src.identifier not in reachable:
                continue
            script = isinstance(src, mg.Script)
            if any(i.is_global and (script or not i.is_optional) for i in infos):
                wanted.add(root)
        if not wanted:
            return False
        for root in sorted(wanted):
            self._reinclude(root)
        return True

    def _reinclude(self, root: str) -> None:
        from freezekit.analysis import _mgadapter

        mg, graph = self.mg, self.graph
        self.soft.discard(root)
        _debug(f"lean exclusion of {root!r} lifted: imported at module level by bundled code")
        doomed = [
            n
            for n in graph.nodes()
            if isinstance(n, mg.ExcludedModule)
            and (n.identifier == root or n.identifier.startswith(root + "."))
        ]
        doomed_ids = {n.identifier for n in doomed}
        sources: list[tuple[Any, str]] = []
        for src, dst, _infos in list(graph.edges()):
            if dst.identifier in doomed_ids and src.identifier not in doomed_ids:
                sources.append((src, dst.identifier))
        for node in doomed:
            graph.remove_node(node)
            _mgadapter.forget_post_processing(graph, node.identifier)
        for src, name in sources:
            try:
                graph.import_module(src, name)
            except Exception as exc:
                _debug(f"cannot re-import {name!r}: {exc}")
            _drain(graph)
        by_name = {src.identifier: src for src, _name in sources}
        for src in by_name.values():
            self._reimport_submodules(src, root)

    def _reimport_submodules(self, src: Any, root: str) -> None:
        """``from unittest import mock`` in ``src``: the submodules it names under ``root``,
        which modulegraph2 skipped while ``root`` was excluded."""
        from freezekit.analysis import aliases

        file = getattr(
            src.init_module if isinstance(src, self.mg.Package) else src, "filename", None
        )
        if file is None or not str(file).endswith(".py"):
            return
        for name in aliases.submodules_named(str(file), src.identifier, root, excluded=self.soft):
            try:
                self.graph.import_module(src, name)
            except Exception as exc:
                _debug(f"cannot re-import {name!r}: {exc}")
        _drain(self.graph)

    def _apply_hook_excludes(self) -> None:
        graph = self.graph
        for module, excluded in self.hook_excludes:
            for src, dst, _infos in list(graph.edges()):
                if not _under(src.identifier, module):
                    continue
                if any(_under(dst.identifier, ex) for ex in excluded):
                    _debug(f"hook of {module}: not following {src.identifier} -> {dst.identifier}")
                    graph.remove_all_edges(src, dst)

    # -- reply ---------------------------------------------------------------------------------
    def reply(self) -> WorkerReply:
        mg, graph = self.mg, self.graph
        nodes = self._roots_reachable()
        names = {n.identifier for n in nodes}
        edges: list[EdgeInfo] = []
        for src, dst, infos in graph.edges():
            if src.identifier in names and dst.identifier in names:
                edges.append(
                    (
                        src.identifier,
                        dst.identifier,
                        all(i.is_optional for i in infos),
                        any(i.is_global for i in infos),
                        all(i.in_fromlist for i in infos),
                    )
                )
        roots = [r.identifier for r in graph.roots() if not isinstance(r, mg.PyPIDistribution)]
        packages = {}
        for package in self.request.get("data_packages", []):
            packages[package] = [_real(p) for p in _package_dirs(package)]
        return {
            "sys_path": [p for p in sys.path if p not in _SHIMS],
            "nodes": [_describe(mg, n) for n in nodes],
            "edges": edges,
            "roots": roots,
            # only hooks of modules still in the graph (one can be dropped after its hook ran)
            "hooks": [o for o in self.outcomes if o["module"] in names],
            "packages": packages,
            "errors": self.errors,
            "hooks_skipped": self.skipped,
            "hook_log": [(level, text) for level, text in self.hooks_mod.HOOK_LOG],
            "hook_problems": self.index.problems,
        }


_REAL_KINDS = ("package", "module", "namespace", "extension", "bytecode")


def _findable(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _hook_index(hooks: Any, request: dict[str, Any], shim: Any) -> tuple[Any, list[Any]]:
    """Every hook folder with its priority: the user's, those registered through the
    ``pyinstaller40`` entry point in the target environment (or, when that environment has no
    pyinstaller-hooks-contrib, freezekit's own copy of it), the built-in ones; and the
    packages' entry points left to call when the package enters the graph."""
    index = hooks.HookIndex()
    for folder in request.get("user_hook_dirs", []):
        index.add_dir(folder, hooks.PRIORITY_USER)
    try:
        folders, pending, dists, problems = hooks.entry_point_hook_dirs()
    except Exception as exc:  # an odd environment must not stop the analysis
        folders, pending, dists = [], [], set()
        problems = [f"hook folders of installed packages cannot be listed: {exc}"]
    index.problems.extend(problems)
    if hooks.CONTRIB_DISTRIBUTION not in dists and "_pyinstaller_hooks_contrib" in shim.tops:
        try:
            with shim:
                import importlib

                contrib = importlib.import_module("_pyinstaller_hooks_contrib")
                folders += [(str(d), hooks.PRIORITY_CONTRIB) for d in contrib.get_hook_dirs()]
        except Exception as exc:
            index.problems.append(f"freezekit's pyinstaller-hooks-contrib cannot be used: {exc}")
    for folder, priority in folders:
        index.add_dir(folder, priority)
    builtin = request.get("builtin_hooks_dir")
    if builtin:
        index.add_dir(builtin, hooks.PRIORITY_BUILTIN)
    return index, pending


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _package_dirs(package: str) -> list[str]:
    import importlib.util

    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations is not None:
        return [str(p) for p in spec.submodule_search_locations]
    return [os.path.dirname(spec.origin)] if spec.origin and os.path.isabs(spec.origin) else []


def _distributions(
    top_levels: set[str], forced: list[str]
) -> tuple[list[DistributionInfo], list[str]]:
    """Distributions providing the given top-level names, plus the forced ones by name."""
    import importlib.metadata as md

    from freezekit.analysis.extscan import packages_distributions

    by_top = packages_distributions()  # read once per run (extscan needs it too)
    wanted: dict[str, None] = {}
    for top in sorted(top_levels):
        for dist_name in by_top.get(top, []):
            wanted.setdefault(dist_name, None)
    not_found: list[str] = []
    result: dict[str, DistributionInfo] = {}
    for dist_name, forced_one in [*((d, False) for d in wanted), *((d, True) for d in forced)]:
        try:
            dist = md.distribution(dist_name)
        except md.PackageNotFoundError:
            if forced_one:
                not_found.append(dist_name)
            continue
        path = getattr(dist, "_path", None)
        if path is None:
            continue
        key = str(path)
        if key not in result:
            tops = sorted(
                t for t, dists in by_top.items() if dist_name in dists and t in top_levels
            )
            result[key] = {
                "name": dist.metadata["Name"] or dist_name,
                "version": dist.version,
                "path": key,
                "top_level": tops,
            }
    return list(result.values()), not_found


def requirement_closure(names: list[str]) -> list[str]:
    """``names`` and their requirements, transitively, as installed for this interpreter: a
    requirement counts when it is installed and its marker holds here (an extra's requirement
    when the extra's packages are installed). Names not installed are kept (reported later)."""
    import importlib.metadata as md
    import re

    found: dict[str, str] = {}
    todo = list(names)
    while todo:
        name = todo.pop(0)
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found:
            continue
        found[key] = name
        try:
            requires = md.distribution(name).requires or []
        except md.PackageNotFoundError:
            continue
        for line in requires:
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
            if match is None or not _marker_holds(line.partition(";")[2].strip()):
                continue
            try:
                md.distribution(match[1])
            except md.PackageNotFoundError:
                continue  # not installed: an extra nobody asked for, or another platform's
            todo.append(match[1])
    return list(found.values())


def _marker_holds(marker: str) -> bool:
    """Whether a requirement's environment marker holds here; an ``extra == "x"`` clause holds
    (the requirement is then taken when installed). Without packaging (or pip's copy) to
    evaluate it, a marker holds."""
    if not marker:
        return True
    try:
        from packaging.markers import Marker
    except ImportError:
        try:
            from pip._vendor.packaging.markers import Marker  # type: ignore[assignment]
        except ImportError:
            return True
    import re

    extras = re.findall(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker) or [""]
    try:
        return any(Marker(marker).evaluate({"extra": extra}) for extra in extras)
    except ValueError:  # an invalid marker in someone's metadata: take the requirement
        return True


def _mg_version(request: dict[str, Any]) -> str:
    """The version of the modulegraph2 this worker runs: the host's, sent in the request (the
    shim links its package without metadata; a target interpreter, e.g. a Windows python
    under wine, has none or another one installed)."""
    from importlib import metadata

    if request.get("modulegraph_version"):
        return str(request["modulegraph_version"])
    try:
        return metadata.version("modulegraph2")
    except metadata.PackageNotFoundError:
        return "unknown"


def _failure(exc: Exception) -> ErrorInfo:
    """A modulegraph2 version the adapter refuses (its one line), or a crash (the traceback)."""
    adapter = sys.modules.get("freezekit.analysis._mgadapter")
    if adapter is not None and isinstance(exc, adapter.UnsupportedVersion):
        return {"kind": "unsupported", "file": "", "message": str(exc)}
    return {"kind": "crash", "file": "", "message": traceback.format_exc()}


#: the collector's first threshold in the worker (Python's default: 700). The scan allocates
#: millions of short-lived AST and code objects while the graph it keeps only grows, so every
#: default collection walked a larger heap for almost nothing: numpy_app, 3,350 collections,
#: 0.7 s of a 3.6 s first-build scan; 3 collections and 0.07 s with this, the same peak memory
#: (cycles are still collected, only less often).
GC_THRESHOLD = 100_000


def main() -> None:
    gc.set_threshold(GC_THRESHOLD, 10, 10)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p not in ("", here)]
    request = json.load(sys.stdin)
    real_stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever inspected code prints must not corrupt the reply
    sys.stdout = sys.stderr
    _SHIMS.extend([request["shim_front"], request["shim_back"]])
    sys.path[:0] = [request["shim_front"], *request["paths"]]
    sys.path.append(request["shim_back"])
    try:
        import modulegraph2

        sys.path.remove(request["shim_back"])  # the app's own copies, if any, are analysed
        from freezekit.analysis import _mgadapter
        from freezekit.analysis._scancache import ScanCache, default_path

        _mgadapter.check_version(modulegraph2.__version__)

        scans = ScanCache(
            request.get("scan_cache") or default_path(_mg_version(request)),
            ahead=request.get("scan_ahead"),
        )
        _mgadapter.install_scan_cache(scans)
        _mgadapter.list_distributions_once()
        builder = _Builder(modulegraph2, request)
        builder.build()
        if request.get("scan_ahead"):  # no more scans wanted: the build process stops its walk
            with contextlib.suppress(OSError):
                open(request["scan_ahead"] + ".done", "wb").close()
        scans.save()
        reply: WorkerReply = builder.reply()
        stdlib_dirs = tuple(os.path.join(d, "") for d in request["stdlib_dirs"])
        tops = set()
        for node in reply["nodes"]:
            file = node.get("file")
            if file and not file.startswith(stdlib_dirs) and node["kind"] != "script":
                tops.add(node["name"].partition(".")[0])
        forced = list(request.get("copy_metadata", []))
        forced += requirement_closure(list(request.get("recursive_copy_metadata", [])))
        dists, not_found = _distributions(tops, forced)
        reply["distributions"] = dists
        reply["errors"] += [{"kind": "metadata", "file": "", "message": n} for n in not_found]
    except Exception as exc:
        reply = {"errors": [_failure(exc)]}
    reply["log"] = _LOG
    json.dump(reply, real_stdout)
    real_stdout.flush()


if __name__ == "__main__":
    main()
