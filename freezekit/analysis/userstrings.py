"""Modules the app's own code names in strings: settings and plugin names imported at run time.

Apps name modules as strings for frameworks to import: ``DJANGO_SETTINGS_MODULE =
"mysite.settings"``, Django's ``INSTALLED_APPS``/``MIDDLEWARE``/``ROOT_URLCONF``, an ASGI
``"app.main:app"``, ``importlib.import_module("myapp.plugins.csv")``. In the app's own code
(the scripts, and modules found in their folders or ``--paths``, never installed packages or the
standard library) every string constant that is a dotted name (optionally ``module:attribute``)
naming an existing module, or naming an attribute of one (``polls.apps.PollsConfig`` ->
``polls.apps``), becomes an optional import of the module holding the string. Single words are
left alone: in an app's strings they are mostly not module names.

Standard library only; runs under the target Python inside the analysis worker.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from .extscan import ModuleFinder, add_import

_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_][\w.]*)?")


def dotted_strings(source: bytes, filename: str) -> list[str]:
    """Every string constant of ``source`` that is a dotted name (``a.b`` or ``a.b:attr``)."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return []
    found = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and len(node.value) < 200
        and _DOTTED.fullmatch(node.value)
    }
    return sorted(found)


def module_named(text: str, finder: ModuleFinder) -> str | None:
    """The module a dotted string names: itself, or its parent when it names an attribute."""
    name = text.partition(":")[0]
    if finder.exists(name):
        return name
    parent = name.rpartition(".")[0]
    if "." in parent or (parent and not text.count(":")):
        return parent if finder.exists(parent) else None
    return None


def is_app_file(filename: str, app_dirs: Iterable[str], other_dirs: Iterable[str]) -> bool:
    """Under one of the app's folders and not under an installed-package or stdlib folder."""
    inside = [d for d in app_dirs if filename.startswith(os.path.join(d, ""))]
    if not inside:
        return False
    deepest = max(len(d) for d in inside)
    return not any(
        filename.startswith(os.path.join(d, "")) and len(d) > deepest for d in other_dirs
    )


def add_named_modules(
    mg: Any,
    graph: Any,
    *,
    app_dirs: Iterable[str],
    other_dirs: Iterable[str],
    excluded: Iterable[str],
    drain: Callable[[], None],
) -> list[tuple[str, str]]:
    """Add the modules the app's own files name in strings, until nothing new turns up;
    returns the (module, named module) pairs added."""
    from modulegraph2 import DependencyInfo

    optional = DependencyInfo(True, True, False, None)
    app_dirs, other_dirs = list(app_dirs), list(other_dirs)
    finder = ModuleFinder(excluded)
    seen: set[str] = set()
    added: list[tuple[str, str]] = []
    while True:
        todo = []
        for node in list(graph.nodes()):
            file = getattr(node, "filename", None)
            if isinstance(node, mg.Package):
                file = getattr(node.init_module, "filename", None)
            if (
                file is not None
                and str(file).endswith(".py")
                and node.identifier not in seen
                and is_app_file(str(file), app_dirs, other_dirs)
            ):
                todo.append((node, str(file)))
        if not todo:
            return added
        for node, file in todo:
            seen.add(node.identifier)
            try:
                with open(file, "rb") as stream:
                    strings = dotted_strings(stream.read(), file)
            except OSError:
                continue
            for text in strings:
                name = module_named(text, finder)
                if name is None or name == node.identifier:
                    continue
                known = graph.find_node(name)
                if known is not None and not isinstance(known, mg.MissingModule):
                    if not isinstance(known, mg.ExcludedModule):
                        graph.add_edge(node, known, optional)
                    continue
                if add_import(graph, node, name, optional):
                    added.append((node.identifier, name))
            drain()
