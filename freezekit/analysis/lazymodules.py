"""Submodules a package loads lazily, by attribute, through its ``__init__``.

A package can leave its submodules unimported until an attribute names them: a module-level
``__getattr__(name)`` that does ``importlib.import_module(f"scipy.{name}")`` (or
``f"{__name__}.{name}"``, ``"." + name`` with ``__name__``) for the names of a list
(``if name in submodules:``, else ``__all__``), or ``lazy_loader.attach(__name__,
submodules=[...], submod_attrs={...})``, or ``lazy_loader.attach_stub(__name__, __file__)``
with the names in the ``__init__.pyi`` next to it. ``import scipy; scipy.signal.medfilt(...)``
then imports ``scipy.signal`` at run time, and no import statement shows it. This reads the
``__init__`` source and returns the names the package lists; the caller keeps those that the
code importing the package names as attributes (``used_by_importers``) and that exist as
submodules on disk (a name of ``__all__`` may be a function), and adds them as optional imports
of the package. A package without such a ``__getattr__`` or ``attach`` call gives nothing, so
its size is unchanged.

Standard library only; runs under the target Python inside the analysis worker.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

_IMPORT_CALLS = ("import_module", "__import__")
_SELF = ("__name__", "__package__")
_PARAM = "\x00"  # where the attribute name goes in a rendered import name


def lazy_submodules(
    source: bytes,
    filename: str,
    package: str,
    *,
    read_stub: Callable[[], bytes | None] = lambda: None,
) -> dict[str, list[str]]:
    """The submodules (absolute names, ``package.x``) that ``package``'s ``__init__`` source
    loads on attribute access, each with the attribute names that load it (its own name, and
    the names ``submod_attrs`` or the stub import from it); ``read_stub`` gives the
    ``__init__.pyi`` for ``attach_stub``."""
    if b"__getattr__" not in source and b"attach" not in source:
        return {}
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return {}
    values = _module_values(tree)
    found: dict[str, set[str]] = {}

    def add(name: str, words: Iterable[str] = ()) -> None:
        found.setdefault(name, {name.partition(".")[0]}).update(words)

    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__" and node.args.args:
            for name in _getattr_names(node, package, values):
                add(name)
    for call in _module_calls(tree):
        called = _called_name(call)
        if called == "attach" and _first_is_self(call):
            submodules = _argument(call, 1, "submodules")
            for name in _strings(submodules, values) if submodules is not None else ():
                add(name)
            attrs = _argument(call, 2, "submod_attrs")
            for name, words in _dict_lists(attrs, values).items():
                add(name, words)
        elif called == "attach_stub" and _first_is_self(call):
            stub = read_stub()
            if stub is not None:
                for name, words in _stub_submodules(stub).items():
                    add(name, words)
    return {
        f"{package}.{name}": sorted(words)
        for name, words in sorted(found.items())
        if all(p.isidentifier() for p in name.split("."))
    }


def used_by_importers(package: str, lazy: dict[str, list[str]], sources: list[bytes]) -> list[str]:
    """The lazy submodules (``lazy_submodules``) that the code importing ``package`` reaches as
    an attribute of it (``scipy.signal``, ``sp.fft`` after ``import scipy as sp``, ``ski.filters``
    after ``import skimage as ski``, ``getattr(scipy, "io")``, an attribute that loads a
    submodule), all of them on ``from package import *`` (which imports every name of
    ``__all__``). Read from the code (``ast``), not from strings or comments. pandas and networkx
    import scipy inside functions for a few of its submodules: they do not get the others."""
    reached: set[str] = set()
    words = {word.encode() for names in lazy.values() for word in names}
    for source in sources:
        if b"*" not in source and not any(word in source for word in words):
            continue  # parsing the importers of scipy in sklearn costs time
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        spellings = _spellings(package, tree)
        if spellings is None:  # from package import *
            return list(lazy)
        for chain in _attribute_chains(tree):
            head, _, word = chain.rpartition(".")
            if head in spellings:
                reached.add(word)
    return [name for name, words in lazy.items() if reached.intersection(words)]


def _spellings(package: str, tree: ast.Module) -> set[str] | None:
    """How the module names the package in an expression: its dotted name, ``X`` of ``import
    scipy.sparse as X`` or ``from scipy import sparse [as X]``, ``sp.sparse`` after ``import
    scipy as sp``; None when it does ``from package import *``."""
    top, _, rest = package.partition(".")
    parent, _, last = package.rpartition(".")
    names = {package}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package and alias.asname:
                    names.add(alias.asname)
                elif rest and alias.name == top and alias.asname:
                    names.add(f"{alias.asname}.{rest}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                if node.module == package and alias.name == "*":
                    return None
                if parent and node.module == parent and alias.name == last:
                    names.add(alias.asname or last)
    return names


def _attribute_chains(tree: ast.Module) -> set[str]:
    """Every dotted expression ``a.b.c`` (and ``a.b``) of the code, and ``getattr(a, "b")`` as
    ``a.b``."""
    chains: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = _dotted(node)
            if chain is not None:
                chains.add(chain)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            owner = _dotted(node.args[0])
            if owner is not None:
                chains.add(f"{owner}.{node.args[1].value}")
    return chains


def _dotted(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        base = _dotted(expr.value)
        return None if base is None else f"{base}.{expr.attr}"
    return None


def _module_values(tree: ast.Module) -> dict[str, list[ast.expr]]:
    """Every value given to a module-level name (``x = [...]``, ``x += [...]``)."""
    values: dict[str, list[ast.expr]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).append(node.value)
        elif (
            isinstance(node, (ast.AugAssign, ast.AnnAssign))
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            values.setdefault(node.target.id, []).append(node.value)
    return values


def _strings(expr: ast.expr, values: dict[str, list[ast.expr]], depth: int = 0) -> set[str]:
    """The string constants a list/tuple/set literal, a dict's keys, a name bound to one, a
    sum of them or ``list(...)``/``sorted(...)`` of one hold."""
    if depth > 8:
        return set()
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return {
            e.value for e in expr.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        }
    if isinstance(expr, ast.Dict):
        return {
            k.value for k in expr.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
    if isinstance(expr, ast.Name):
        found: set[str] = set()
        for value in values.get(expr.id, []):
            found |= _strings(value, values, depth + 1)
        return found
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.BitOr)):
        return _strings(expr.left, values, depth + 1) | _strings(expr.right, values, depth + 1)
    if isinstance(expr, ast.Call) and expr.args:
        func = expr.func
        if isinstance(func, ast.Name) and func.id in (
            "list",
            "tuple",
            "set",
            "frozenset",
            "sorted",
        ):
            return _strings(expr.args[0], values, depth + 1)
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "keys"  # submodules.keys()
        and not expr.args
    ):
        return _strings(expr.func.value, values, depth + 1)
    return set()


def _getattr_names(
    func: ast.FunctionDef, package: str, values: dict[str, list[ast.expr]]
) -> set[str]:
    """The names a module ``__getattr__(name)`` imports as ``package.<name>``: those of the
    list it checks ``name in``, else ``__all__``; nothing when it imports no such name."""
    param = func.args.args[0].arg
    if not any(_imports_attribute(call, param, package) for call in _calls(func)):
        return set()
    guards: set[str] = set()
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Name)
            and node.left.id == param
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.In)
        ):
            guards |= _strings(node.comparators[0], values)
    if guards:
        return guards
    return _strings(ast.Name("__all__"), values)


def _imports_attribute(call: ast.Call, param: str, package: str) -> bool:
    """``import_module(f"pkg.{name}")``, ``import_module(f"{__name__}.{name}")``,
    ``import_module("." + name, __name__)`` and the like, for the package ``package``."""
    if _called_name(call) not in _IMPORT_CALLS or not call.args:
        return False
    rendered = _render(call.args[0], param, package)
    if rendered == f"{package}.{_PARAM}":
        return True
    if rendered == f".{_PARAM}":  # relative: anchored at the package itself
        anchor = _argument(call, 1, "package")
        return (isinstance(anchor, ast.Name) and anchor.id in _SELF) or (
            isinstance(anchor, ast.Constant) and anchor.value == package
        )
    return False


def _render(expr: ast.expr, param: str, package: str) -> str | None:
    """The import name an expression builds: constants as they are, ``__name__`` and
    ``__package__`` as the package, the parameter as ``_PARAM``; None for anything else."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Name):
        if expr.id == param:
            return _PARAM
        return package if expr.id in _SELF else None
    if isinstance(expr, ast.FormattedValue) and expr.conversion == -1 and expr.format_spec is None:
        return _render(expr.value, param, package)
    if isinstance(expr, ast.JoinedStr):
        parts = [_render(value, param, package) for value in expr.values]
        return None if None in parts else "".join(p for p in parts if p is not None)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left, right = _render(expr.left, param, package), _render(expr.right, param, package)
        return None if left is None or right is None else left + right
    return None


def _stub_submodules(stub: bytes) -> dict[str, set[str]]:
    """``from . import a, b`` and ``from .c import x`` in an ``__init__.pyi``: a, b, and c
    (loaded by ``x``)."""
    try:
        tree = ast.parse(stub)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.setdefault(node.module, set()).update(a.name for a in node.names)
            else:
                for alias in node.names:
                    if alias.name != "*":
                        found.setdefault(alias.name, set())
    return found


def _dict_lists(expr: ast.expr | None, values: dict[str, list[ast.expr]]) -> dict[str, set[str]]:
    """A dict literal (or a name bound to one) of string keys -> the strings of each value."""
    if isinstance(expr, ast.Name):
        found: dict[str, set[str]] = {}
        for value in values.get(expr.id, []):
            if not isinstance(value, ast.Dict):
                continue
            for key, words in _dict_lists(value, values).items():
                found.setdefault(key, set()).update(words)
        return found
    if not isinstance(expr, ast.Dict):
        return {}
    return {
        key.value: _strings(value, values)
        for key, value in zip(expr.keys, expr.values, strict=True)
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def _calls(node: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def _module_calls(tree: ast.Module) -> list[ast.Call]:
    """Calls in module-level statements (not inside functions or classes)."""
    found: list[ast.Call] = []
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        found.extend(_calls(statement))
    return found


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _first_is_self(call: ast.Call) -> bool:
    first = call.args[0] if call.args else _keyword(call, "package_name")
    return isinstance(first, ast.Name) and first.id in _SELF


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return _keyword(call, keyword)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)
