"""The import statements of a module's syntax tree, as modulegraph2's ``extract_ast_info``
yields them, without visiting every node.

modulegraph2 walks the whole tree breadth first (every expression, name and constant: 827,000
nodes for the hello app) to find the ``import`` statements. A statement can only sit in the
statement lists of another statement, an ``except`` clause or a ``case``; this walk goes down
those lists only. Leaving out subtrees that hold no import keeps the breadth-first order of
the rest, so the imports come in the same order, with the same flags (in a function, under an
``if``, in a ``try`` body or handler but not its ``finally``).

Standard library only; runs under the target Python inside the analysis worker.
"""

from __future__ import annotations

import ast
import collections
import sys
from collections.abc import Callable, Iterator
from typing import Any

#: Python versions whose syntax trees this was checked on (statements only in these fields).
SUPPORTED = ((3, 10), (3, 11), (3, 12), (3, 13))
_STATEMENT_LISTS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_HOLDERS: tuple[type[ast.AST], ...] = (
    ast.stmt,
    ast.excepthandler,
    getattr(ast, "match_case", ast.stmt),
)


def supported() -> bool:
    return sys.version_info[:2] in SUPPORTED


def scan(tree: ast.AST, create_importinfo: Callable[..., Any]) -> Iterator[Any]:
    """modulegraph2's ImportInfo for each import statement of ``tree``, in its order."""
    queue: collections.deque[tuple[ast.AST, bool, bool, bool]] = collections.deque()
    queue.append((tree, False, False, False))
    while queue:
        node, in_def, in_if, in_try = queue.popleft()
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield create_importinfo((alias.name, alias.asname), None, 0, in_def, in_if, in_try)
            continue
        if isinstance(node, ast.ImportFrom):
            names = {(alias.name, alias.asname) for alias in node.names}
            yield create_importinfo(
                (node.module or "", None), names, node.level, in_def, in_if, in_try
            )
            continue
        is_try = type(node) is ast.Try  # not TryStar: modulegraph2 walks that one plainly
        if isinstance(node, ast.If):
            in_if = True
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_def = True
        for field in node._fields:
            if field not in _STATEMENT_LISTS:
                continue
            children = getattr(node, field, None)
            if not isinstance(children, list):
                continue
            flag = in_try or (is_try and field != "finalbody")
            for child in children:
                if isinstance(child, _HOLDERS):
                    queue.append((child, in_def, in_if, flag))
