"""The fast syntax-tree import scan gives modulegraph2's answer (analysis/_astscan.py)."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

from modulegraph2 import _ast_tools, _importinfo

from freezekit.analysis import _astscan

TRICKY = """
import os, sys as system
from . import sibling
from ..parent import name as alias, other
if system.platform == "win32":
    import nt
    from winreg import *
else:
    try:
        import posix
    except ImportError:
        import fallback
    else:
        import orelse_import
    finally:
        import final_import
def function():
    import json
    class Inner:
        import in_class_in_function
    return [lambda: __import__("dynamic")]
async def coroutine():
    async with manager() as m:
        import in_async_with
class Klass:
    import in_class
    for x in range(3):
        import in_loop
    while True:
        from inside.while_loop import thing
        break
match os.name:
    case "posix":
        import in_case
    case _:
        pass
with open(__file__) as stream:
    import in_with
"""


def _same(tree: ast.AST) -> None:
    want = [repr(i) for i in _ast_tools.extract_ast_info(tree)]
    got = [repr(i) for i in _astscan.scan(tree, _importinfo.create_importinfo)]
    assert got == want


def test_imports_flags_and_order_as_modulegraph2_finds_them() -> None:
    _same(ast.parse(TRICKY))
    assert len(list(_astscan.scan(ast.parse(TRICKY), _importinfo.create_importinfo))) == 18


def test_try_star_is_walked_plainly_as_modulegraph2_does() -> None:
    source = "try:\n    import a\nexcept* ValueError:\n    import b\n"
    try:
        tree = ast.parse(source)
    except SyntaxError:  # before 3.11
        return
    _same(tree)


def test_standard_library_modules_give_the_same_answer() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for name in ("os.py", "typing.py", "asyncio/base_events.py", "subprocess.py", "ssl.py"):
        path = stdlib / name
        _same(compile(path.read_bytes(), str(path), "exec", ast.PyCF_ONLY_AST, dont_inherit=True))
