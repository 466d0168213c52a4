"""General patterns the analysis follows without hooks: package data read by path."""

from __future__ import annotations

from pathlib import Path

from freezekit.analysis.collect import package_data
from freezekit.toc import EntryKind


def _write(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_package_data_keeps_data_folders_and_leaves_code_and_subpackages(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    _write(pkg / "__init__.py")
    _write(pkg / "mod.py")
    _write(pkg / "mod.pyi")
    _write(pkg / "py.typed")
    _write(pkg / "_speed.pyx")
    _write(pkg / "_speed.cpython-312-x86_64-linux-gnu.so")
    _write(pkg / "Grammar.txt")
    _write(pkg / "schemas" / "draft7" / "metaschema.json")
    _write(pkg / "locale" / "de" / "LC_MESSAGES" / "pkg.mo")
    _write(pkg / "tests" / "data.json")  # a test suite, never read by the package
    _write(pkg / "sub" / "__init__.py")  # a subpackage: its data comes with it, if bundled
    _write(pkg / "sub" / "table.dat")
    _write(pkg / "__pycache__" / "mod.cpython-312.pyc")
    entries = package_data("top.pkg", str(pkg))
    assert {e.name for e in entries} == {
        "top/pkg/Grammar.txt",
        "top/pkg/schemas/draft7/metaschema.json",
        "top/pkg/locale/de/LC_MESSAGES/pkg.mo",
    }
    assert all(e.kind is EntryKind.DATA for e in entries)
    assert package_data("top.pkg.sub", str(pkg / "sub"))[0].name == "top/pkg/sub/table.dat"
