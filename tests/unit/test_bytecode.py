"""Bytecode: compiled by the target Python at the build's optimisation level, cached per level."""

from __future__ import annotations

import marshal
from pathlib import Path

from freezekit.archive.bytecode import SourceUnit, compile_units
from freezekit.platforms import resolve_target

SOURCE = (
    '"""module doc"""\n\ndef f():\n    """function doc"""\n    assert False, "x"\n    return 1\n'
)


def test_each_optimisation_level_compiles_and_caches_its_own_code(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SOURCE)
    unit = SourceUnit(key="m", source=tmp_path / "m.py", filename="m.py")
    target = resolve_target(None)
    cache = tmp_path / "cache"
    results = {}
    for level in (0, 1, 2, 0):  # the second 0 comes from the cache
        namespace: dict[str, object] = {}
        code = compile_units([unit], target, cache_dir=cache, optimize=level)["m"]
        exec(marshal.loads(code), namespace)
        function = namespace["f"]
        try:
            function()  # type: ignore[operator]
            asserts = False
        except AssertionError:
            asserts = True
        results[level] = (namespace.get("__doc__"), function.__doc__, asserts)  # type: ignore[attr-defined]
    assert results == {
        0: ("module doc", "function doc", True),
        1: ("module doc", "function doc", False),
        2: (None, None, False),
    }
    assert len(list(cache.rglob("*.marshal"))) == 3
