"""The fast bytecode import scan gives modulegraph2's answer (analysis/_bytecodescan.py)."""

from __future__ import annotations

import sysconfig
import types
from pathlib import Path
from typing import Any

import pytest
from modulegraph2 import _bytecode_tools, _importinfo

from freezekit.analysis import _bytecodescan

TRICKY = """
import os, sys as system
from . import sibling
from ..parent import name as alias, other
from package.sub import *
import a.b.c

X = 1
global_name = os.sep

def function(arg):
    import json
    from collections import OrderedDict
    global G
    G = 2
    local = len(arg)
    return lambda: None

class Klass(Base):
    import inside_class
    attribute = other
    def method(self):
        from inner import thing
        return thing

class Bare:
    pass

same_a = lambda: None
same_b = lambda: None

def outer():
    def inner():
        import deep
        return deep
    return inner
"""


def _answer(found: Any) -> tuple[list[str], set[str], set[str]]:
    imports, written, read = found
    return [repr(i) for i in imports], set(written), set(read)


def _compare(code: types.CodeType) -> None:
    fast = _bytecodescan.scan(code, _importinfo.create_importinfo)
    assert fast is not None
    assert _answer(fast) == _answer(_bytecode_tools.extract_bytecode_info(code))


def test_imports_and_names_as_modulegraph2_finds_them() -> None:
    _compare(compile(TRICKY, "tricky.py", "exec", dont_inherit=True))


def test_long_constant_tables_take_extended_arguments() -> None:
    # over 256 constants and names: the import's arguments need EXTENDED_ARG
    filler = "\n".join(f"v{i} = {i}.5" for i in range(300))
    source = f"{filler}\nfrom far.away import n, m\nimport last\n"
    _compare(compile(source, "long.py", "exec", dont_inherit=True))


def test_standard_library_modules_give_the_same_answer() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    names = ["os.py", "typing.py", "asyncio/base_events.py", "json/decoder.py", "dataclasses.py"]
    names += ["email/message.py", "importlib/_bootstrap.py", "logging/__init__.py", "ast.py"]
    for name in names:
        path = stdlib / name
        _compare(compile(path.read_bytes(), str(path), "exec", dont_inherit=True))


def test_another_python_version_is_left_to_modulegraph2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_bytecodescan, "SUPPORTED", ((2, 7),))
    code = compile("import os\n", "m.py", "exec")
    assert _bytecodescan.scan(code, _importinfo.create_importinfo) is None


def test_an_unexpected_pattern_is_left_to_modulegraph2(monkeypatch: pytest.MonkeyPatch) -> None:
    code = compile("import os\n", "m.py", "exec")
    monkeypatch.setattr(_bytecodescan, "_ops", lambda code: [("IMPORT_NAME", 0)])
    assert _bytecodescan.scan(code, _importinfo.create_importinfo) is None
