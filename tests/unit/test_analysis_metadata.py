"""Distribution metadata and data-file collection."""

from __future__ import annotations

from pathlib import Path

import pytest

from freezekit.analysis.collect import add_files, package_files
from freezekit.analysis.metadata import metadata_entries
from freezekit.errors import AnalysisError
from freezekit.toc import EntryKind

PROJECTS = Path(__file__).resolve().parents[1] / "fixtures" / "projects"


def test_metadata_entries_skip_record() -> None:
    dist_info = PROJECTS / "metadata" / "site" / "fakedist-1.2.dist-info"
    entries = metadata_entries([str(dist_info)])
    assert [e.name for e in entries] == [
        "fakedist-1.2.dist-info/METADATA",
        "fakedist-1.2.dist-info/entry_points.txt",
        "fakedist-1.2.dist-info/top_level.txt",
    ]
    assert all(e.kind is EntryKind.DATA for e in entries)


def test_metadata_collect_data_keeps_package_paths() -> None:
    folder = PROJECTS / "package-data" / "datapkg"
    entries = package_files("datapkg", [str(folder)], data=True, binaries=False, ext_suffix=".so")
    assert [e.name for e in entries] == ["datapkg/settings.json", "datapkg/res/greeting.txt"]


def test_metadata_add_data_file_folder_and_glob(tmp_path: Path) -> None:
    folder = PROJECTS / "package-data" / "datapkg"
    entries = add_files(
        [
            (str(folder / "res"), "assets"),
            (str(folder / "*.json"), "."),
            ("datapkg/__init__.py", "code"),
        ],
        kind=EntryKind.DATA,
        base=PROJECTS / "package-data",
        origin="--add-data",
    )
    assert [e.name for e in entries] == ["assets/greeting.txt", "settings.json", "code/__init__.py"]


def test_metadata_add_data_missing_source_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="matches no file"):
        add_files([("nope/*.txt", ".")], kind=EntryKind.DATA, base=tmp_path, origin="--add-data")


def test_metadata_add_data_refuses_climbing_out(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(AnalysisError, match="not allowed"):
        add_files([("a.txt", "../up")], kind=EntryKind.DATA, base=tmp_path, origin="--add-data")
