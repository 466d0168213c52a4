"""Imports point one way (STYLE.md): a module may import its own level or lower ones."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "freezekit"

LEVELS: dict[str, int] = {
    "freezekit": 0,
    "freezekit.toc": 0,
    "freezekit.options": 0,
    "freezekit.errors": 0,
    "freezekit._record": 0,
    "freezekit.runtime": 0,  # standard library only (the test below)
    "freezekit.log": 0,
    "freezekit.analysis": 1,
    "freezekit.archive": 1,
    "freezekit.platforms": 1,
    "freezekit.bootloader": 1,
    "freezekit.matrix": 1,
    "freezekit.interpreters": 1,
    "freezekit.hooks": 1,
    "freezekit.stamp": 1,
    "freezekit.assemble": 2,
    "freezekit.smoke": 2,
    "freezekit.publish": 2,
    "freezekit.report": 2,
    "freezekit.inventory": 2,
    "freezekit.sbom": 2,
    "freezekit.diff": 2,
    "freezekit.sign": 2,
    "freezekit.build": 3,
    "freezekit.stages": 3,
    "freezekit.spec": 3,
    "freezekit.crossbuild": 3,
    "freezekit.spec_api": 3,
    "freezekit.spec_toc": 3,
    "freezekit.spec_keywords": 3,
    "freezekit.makespec": 3,
    "freezekit.pyproject": 3,
    "freezekit.cli": 4,
    "freezekit.nox": 4,
    "freezekit.invoke": 4,
    "freezekit._cell": 4,
    "freezekit.__main__": 4,
}


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


def imports_of(path: Path) -> list[str]:
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
    return [name for name in found if name == "freezekit" or name.startswith("freezekit.")]


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


def test_runtime_imports_only_itself_and_the_standard_library() -> None:
    wrong = []
    for path in sorted((PACKAGE / "runtime").rglob("*.py")):
        for imported in imports_of(path):
            if not imported.startswith("freezekit.runtime") and imported != "freezekit":
                wrong.append(f"{module_name(path)} imports {imported}")
    assert wrong == []


def test_exit_codes_are_unique() -> None:
    from freezekit import errors

    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.FreezekitError)
    ]
    codes = [cls.exit_code for cls in classes]
    assert len(codes) == len(set(codes)), codes
