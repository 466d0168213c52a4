"""--add-data folders with symbolic links: links into the folder stay links, others copies."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from freezekit.analysis.collect import add_files, link_target
from freezekit.toc import EntryKind


def _tree(tmp_path: Path) -> Path:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "sub").mkdir(parents=True)
    (outside / "deep").mkdir(parents=True)
    (tree / "real.txt").write_text("real")
    (tree / "sub" / "inner.txt").write_text("inner")
    (outside / "o.txt").write_text("o")
    (outside / "deep" / "d.txt").write_text("d")
    (tree / "link.txt").symlink_to("real.txt")
    (tree / "sub" / "up.txt").symlink_to("../real.txt")
    (tree / "sub-link").symlink_to("sub", target_is_directory=True)
    (tree / "via.txt").symlink_to("sub-link/inner.txt")  # through a linked folder
    (tree / "abs.txt").symlink_to(tree / "real.txt")
    (tree / "out.txt").symlink_to("../outside/o.txt")
    (tree / "out-dir").symlink_to("../outside", target_is_directory=True)
    (tree / "loop").symlink_to("..", target_is_directory=True)
    (tree / "dangling").symlink_to("missing")
    return tree


def test_links_into_the_folder_stay_links_and_others_become_copies(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tree = _tree(tmp_path)
    with caplog.at_level(logging.WARNING):
        entries = add_files(
            [(str(tree), "data")],
            kind=EntryKind.DATA,
            base=tmp_path,
            origin="--add-data",
            keep_links=True,
        )
    found = {e.name: (e.kind, Path(str(e.source)).name) for e in entries}
    links = {e.name: link_target(str(e.source)) for e in entries if e.kind is EntryKind.SYMLINK}
    assert links == {
        "data/link.txt": "real.txt",
        "data/sub/up.txt": "../real.txt",
        "data/sub-link": "sub",
        "data/via.txt": "sub/inner.txt",  # no link in the path: the archive refuses those
        "data/abs.txt": "real.txt",
    }
    assert found["data/real.txt"] == (EntryKind.DATA, "real.txt")
    assert found["data/out.txt"] == (EntryKind.DATA, "out.txt")  # the link, read through
    assert found["data/out-dir/deep/d.txt"][0] is EntryKind.DATA
    assert "data/loop" not in found and "data/dangling" not in found
    assert not any(name.startswith("data/sub-link/") for name in found)
    text = caplog.text
    assert "out.txt is a symbolic link out of the added folder" in text
    assert "out-dir is a symbolic link out of the added folder" in text
    assert "loop, a symbolic link to its own parent" in text
    assert "dangling, a symbolic link to a missing" in text


def test_without_keep_links_files_are_read_through_links(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / "loop").unlink()
    (tree / "dangling").unlink()
    entries = add_files([(str(tree), ".")], kind=EntryKind.DATA, base=tmp_path, origin="hook")
    assert {e.kind for e in entries} == {EntryKind.DATA}
    assert "link.txt" in {e.name for e in entries}


def test_a_windows_app_gets_copies_of_what_kept_links_reach(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from freezekit.stages import _link_copies

    tree = _tree(tmp_path)
    entries = add_files(
        [(str(tree), "data")], kind=EntryKind.DATA, base=tmp_path, origin="x", keep_links=True
    )
    links = [e.name for e in entries if e.kind is EntryKind.SYMLINK]
    copies = _link_copies(links, SimpleNamespace(datas=entries))  # type: ignore[arg-type]
    assert {c.dest: c.source.read_text() for c in copies} == {
        "data/abs.txt": "real",
        "data/link.txt": "real",
        "data/sub-link/inner.txt": "inner",
        "data/sub-link/up.txt": "real",
        "data/sub/up.txt": "real",
        "data/via.txt": "inner",
    }
