"""Imports of modules that put another module in ``sys.modules`` in their place.

modulegraph2 finds a package by importing its parents; when a module replaces itself while
that runs (gevent's ``gevent.greenlet`` becomes its compiled twin ``gevent._gevent_cgreenlet``
through ``import_c_accel``; 3.13's ``collections.abc``), the graph holds an alias node whose
edges are those of the replacement, and the source file, which the worker bundles as the
module (``_alias_source``), is never scanned: its own imports (``from gevent._tblib import
dump_traceback``) are lost. This reads the source file's imports with ``ast`` and adds them
as imports of the alias node.

Standard library + modulegraph2; runs under the target Python inside the analysis worker.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable
from typing import Any

from . import _mgadapter
from .extscan import ModuleFinder, add_import
from .lazymodules import lazy_submodules, used_by_importers


def source_imports(source: bytes, filename: str, module: str) -> list[str]:
    """Absolute names of every module the source imports (relative ones resolved against
    ``module``'s package; ``from a import b`` gives ``a`` and ``a.b``, which may not exist)."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return []
    package = module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                keep = len(parts) - (node.level - 1)
                if keep < 0 or (keep == 0 and not base):
                    continue
                base = ".".join([*parts[:keep], *([base] if base else [])])
            if not base:
                continue
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return sorted(names)


def add_alias_imports(
    mg: Any,
    graph: Any,
    *,
    source_of: Callable[[str], str | None],
    excluded: list[str],
    drain: Callable[[], None],
) -> list[tuple[str, str]]:
    """Add the imports of every alias node's own source file; returns the pairs added."""
    plain_import = _mgadapter.default_dependency()
    finder = ModuleFinder(excluded)
    seen: set[str] = set()
    added: list[tuple[str, str]] = []
    while True:
        todo = [
            node
            for node in list(graph.nodes())
            if isinstance(node, mg.AliasNode) and node.identifier not in seen
        ]
        if not todo:
            return added
        for node in todo:
            seen.add(node.identifier)
            file = source_of(node.identifier)
            if file is None:
                continue
            try:
                with open(file, "rb") as stream:
                    source = stream.read()
                names = source_imports(source, file, node.identifier)
                names += dynamic_imports(source, file, node.identifier, is_package=False)
            except OSError:
                continue
            for name in names:
                known = graph.find_node(name)
                if known is not None and not isinstance(known, mg.MissingModule):
                    if not isinstance(known, mg.ExcludedModule) and known is not node:
                        graph.add_edge(node, known, plain_import)
                    continue
                if not finder.exists(name):
                    continue
                if add_import(graph, node, name, plain_import):
                    added.append((node.identifier, name))
            drain()


_CALLS = (b"import_module(", b"__import__(")


def _constant_name(arg: ast.expr, package: str, module: str) -> str | None:
    """``"a.b"``, or ``__package__ + ".x"`` / ``__name__ + ".x"`` / ``f"{__package__}.x"``."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if (
        isinstance(arg, ast.BinOp)
        and isinstance(arg.op, ast.Add)
        and isinstance(arg.left, ast.Name)
        and arg.left.id in ("__package__", "__name__")
        and isinstance(arg.right, ast.Constant)
        and isinstance(arg.right.value, str)
    ):
        base = package if arg.left.id == "__package__" else module
        return base + arg.right.value if base else None
    if isinstance(arg, ast.JoinedStr) and len(arg.values) == 2:  # f"{__package__}.x"
        head, tail = arg.values
        if (
            isinstance(head, ast.FormattedValue)
            and isinstance(head.value, ast.Name)
            and head.value.id in ("__package__", "__name__")
            and head.conversion == -1
            and head.format_spec is None
            and isinstance(tail, ast.Constant)
            and isinstance(tail.value, str)
        ):
            base = package if head.value.id == "__package__" else module
            return base + tail.value if base else None
    return None


def dynamic_imports(source: bytes, filename: str, module: str, *, is_package: bool) -> list[str]:
    """Modules imported with a constant name through ``__import__(...)`` or
    ``importlib.import_module(...)`` (``import_module(".x", __package__)`` too): modulegraph2
    does not read calls."""
    if not any(call in source for call in _CALLS):
        return []
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return []
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if called not in ("__import__", "import_module"):
            continue
        name = _constant_name(node.args[0], package, module)
        if not name:
            continue
        if name.startswith("."):
            anchor = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(anchor, ast.Name) and anchor.id in ("__package__", "__name__")):
                continue
            base = package if anchor.id == "__package__" else module
            level = len(name) - len(name.lstrip("."))
            parts = base.split(".")[: len(base.split(".")) - (level - 1)] if base else []
            if not parts:
                continue
            name = ".".join([*parts, name.lstrip(".")]) if name.lstrip(".") else ".".join(parts)
        names.add(name)
    return sorted(names)


def add_dynamic_imports(
    mg: Any,
    graph: Any,
    *,
    stdlib_dirs: list[str],
    excluded: list[str],
    drain: Callable[[], None],
) -> list[tuple[str, str]]:
    """Add the modules non-stdlib source modules import with a constant name through calls,
    and the submodules a package's ``__getattr__`` imports by attribute name (lazymodules.py);
    returns the pairs added (optional imports: a call may sit behind a condition)."""
    import os

    from modulegraph2 import DependencyInfo

    optional = DependencyInfo(True, True, False, None)
    stdlib = tuple(os.path.join(d, "") for d in stdlib_dirs)
    finder = ModuleFinder(excluded)
    seen: set[str] = set()
    added: list[tuple[str, str]] = []
    while True:
        todo = []
        for node in list(graph.nodes()):
            is_package = isinstance(node, mg.Package)
            file = getattr(node.init_module if is_package else node, "filename", None)
            if (
                isinstance(node, (mg.SourceModule, mg.Package))
                and file is not None
                and str(file).endswith(".py")
                and not str(file).startswith(stdlib)
                and node.identifier not in seen
            ):
                todo.append((node, str(file), is_package))
        if not todo:
            return added
        for node, file, is_package in todo:
            seen.add(node.identifier)
            try:
                with open(file, "rb") as stream:
                    source = stream.read()
            except OSError:
                continue
            names = dynamic_imports(source, file, node.identifier, is_package=is_package)
            if is_package:  # submodules its __getattr__ imports by name (lazymodules.py)
                stub = functools.partial(_read, file[:-3] + ".pyi")
                lazy = lazy_submodules(source, file, node.identifier, read_stub=stub)
                if lazy:
                    importers = _importer_sources(mg, graph, node)
                    names += used_by_importers(node.identifier, lazy, importers)
            for name in names:
                known = graph.find_node(name)
                if known is not None and not isinstance(known, mg.MissingModule):
                    continue
                if not finder.exists(name):
                    continue
                if add_import(graph, node, name, optional):
                    added.append((node.identifier, name))
            drain()


def _importer_sources(mg: Any, graph: Any, package: Any) -> list[bytes]:
    """The source of every module (or script) outside ``package`` that imports it."""
    own = package.identifier
    sources = []
    for _edges, source in graph.incoming(package):
        if source.identifier == own or source.identifier.startswith(own + "."):
            continue
        holder = source.init_module if isinstance(source, mg.Package) else source
        file = getattr(holder, "filename", None)
        if file is not None and str(file).endswith((".py", ".pyw")):
            found = _read(str(file))
            if found is not None:
                sources.append(found)
    return sources


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except OSError:
        return None


def submodules_named(
    filename: str, module: str, root: str, *, excluded: Iterable[str]
) -> list[str]:
    """The existing modules under ``root`` that the source file of ``module`` imports, among
    them those named in ``from root import name`` (submodules, not attributes)."""
    try:
        with open(filename, "rb") as stream:
            names = source_imports(stream.read(), filename, module)
    except OSError:
        return []
    finder = ModuleFinder(excluded)
    return [
        name
        for name in names
        if (name == root or name.startswith(root + ".")) and finder.exists(name)
    ]
