"""Imports point one way: a module may import its own level or lower ones.

The rule comes from the project's style guide, which is kept outside this repository; this file
is where the repository states it. Levels go from the shared records (0) through the stages
(analysis, archive: 1; assemble, smoke: 2) to the sides that drive them (spec/, release/,
inspect/) and the entry points (cli, nox, ``python -m freezekit``: 4). ``freezekit/runtime/``
runs inside every frozen app and imports only the standard library (checked below with
``sys.stdlib_module_names``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "freezekit"

LEVELS: dict[str, int] = {
    "freezekit": 0,
    "freezekit.toc": 0,
    "freezekit.options": 0,
    "freezekit.option_table": 0,  # every option's flags, keys and keywords (read by the surfaces)
    "freezekit.errors": 0,
    "freezekit._record": 0,
    "freezekit.runtime": 0,  # standard library only (the test below)
    "freezekit.log": 0,
    # stages
    "freezekit.analysis": 1,
    "freezekit.archive": 1,
    "freezekit.platforms": 1,
    "freezekit.hooks": 1,
    "freezekit.stamp": 1,
    "freezekit.assemble": 2,
    "freezekit.assemble.bootloader": 1,
    "freezekit.smoke": 2,
    "freezekit.build": 3,
    "freezekit.stages": 3,
    "freezekit.crossbuild": 3,
    # the inspect side: what a built app holds
    "freezekit.inspect": 2,
    # the spec side: .spec files and [tool.freezekit]
    "freezekit.spec": 3,
    # the release side: matrix cells, interpreters, signing, publishing
    "freezekit.release": 2,
    "freezekit.release.matrix": 1,
    "freezekit.release.interpreters": 1,
    "freezekit.release.cell": 4,
    # entry points
    "freezekit.cli": 4,
    "freezekit.nox": 4,
    "freezekit.__main__": 4,
}

#: the bootloader's built-in module, the only import of runtime/ outside the standard library
BOOTLOADER_MODULE = "_freezekit"


def level_of(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 1 if len(parts) > 1 else 0, -1):  # a module is not the package
        prefix = ".".join(parts[:end])
        if prefix in LEVELS:
            return LEVELS[prefix]
    raise AssertionError(f"{module} has no level in test_layering.LEVELS: add it")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_imports_of(path: Path) -> list[str]:
    """Every module ``path`` imports (relative imports made absolute)."""
    tree = ast.parse(path.read_text(), str(path))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                found.append(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.append(node.module)
    return found


def imports_of(path: Path) -> list[str]:
    return [
        name
        for name in all_imports_of(path)
        if name == "freezekit" or name.startswith("freezekit.")
    ]


def runtime_violations(paths: list[Path]) -> list[str]:
    """Imports of ``paths`` that are neither the standard library nor freezekit.runtime."""
    wrong = []
    for path in paths:
        for imported in all_imports_of(path):
            top = imported.partition(".")[0]
            if imported == "freezekit.runtime" or imported.startswith("freezekit.runtime."):
                continue
            if top in sys.stdlib_module_names or top == BOOTLOADER_MODULE:
                continue
            wrong.append(f"{module_name(path)} imports {imported}")
    return wrong


def test_imports_point_one_way() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name.startswith("freezekit.runtime") or name.startswith("freezekit.hooks."):
            continue
        for imported in imports_of(path):
            mine, theirs = level_of(name), level_of(imported)
            if theirs > mine:
                wrong.append(f"{name} (level {mine}) imports {imported} (level {theirs})")
    assert wrong == []


def test_every_level_names_a_module() -> None:
    """No level for a module that does not exist (a move or a removal leaves none behind)."""
    modules = set()
    for path in PACKAGE.rglob("*.py"):
        parts = module_name(path).split(".")
        modules.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    assert [name for name in LEVELS if name not in modules] == []


def test_runtime_imports_only_itself_and_the_standard_library() -> None:
    paths = sorted((PACKAGE / "runtime").rglob("*.py"))
    assert paths
    assert runtime_violations(paths) == []


def test_runtime_check_catches_other_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above fails on a third-party import and on the rest of freezekit."""
    package = tmp_path / "freezekit"
    (package / "runtime").mkdir(parents=True)
    module = package / "runtime" / "bad.py"
    module.write_text(
        "import os\nimport zstandard\nfrom freezekit import options\nfrom . import pyz\n"
        "from ..log import Reporter\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    assert runtime_violations([module]) == [
        "freezekit.runtime.bad imports zstandard",
        "freezekit.runtime.bad imports freezekit",
        "freezekit.runtime.bad imports freezekit.log",
    ]


def test_exit_codes_are_unique() -> None:
    from freezekit import errors

    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.FreezekitError)
    ]
    codes = [cls.exit_code for cls in classes]
    assert len(codes) == len(set(codes)), codes
