"""mypy strict covers every Python file that ships, and what it reads about the bootloader's
built-in module (stubs/_freezekit.pyi) is what bootloader/src/pylib.c defines."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_checks_all_of_the_package_strict_for_the_oldest_python() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert config["files"] == ["freezekit"]  # runtime/ and hooks/ included
    assert "exclude" not in config, "every file that ships is type-checked: no exclusions"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert config["python_version"] == requires.removeprefix(">=")


def _stub() -> tuple[dict[str, int], set[str]]:
    """(function -> number of parameters, attribute names) of stubs/_freezekit.pyi."""
    tree = ast.parse((ROOT / "stubs" / "_freezekit.pyi").read_text())
    functions = {
        node.name: len(node.args.posonlyargs) + len(node.args.args)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }
    attributes = {
        node.target.id
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    return functions, attributes


def _bootloader() -> tuple[dict[str, int], set[str]]:
    """The same, from the C module's method table and the attributes it sets."""
    source = (ROOT / "bootloader" / "src" / "pylib.c").read_text()
    table = source[source.index("fk_methods[] = {") :]
    table = table[: table.index("};")]
    functions = {
        name: 1 if flags == "METH_O" else 0
        for name, flags in re.findall(r'\{"(\w+)",\s*\w+,\s*(METH_\w+)', table)
    }
    attributes = set(re.findall(r'set_attribute\(py, module, "(\w+)"', source))
    return functions, attributes


def test_the_freezekit_stub_matches_the_bootloader() -> None:
    stub_functions, stub_attributes = _stub()
    c_functions, c_attributes = _bootloader()
    assert c_functions and c_attributes
    assert stub_functions == c_functions
    assert stub_attributes == c_attributes
