"""The spec globals' plain parts: TOC, Tree, datas/binaries pairs, keyword checking."""

from __future__ import annotations

from pathlib import Path

import pytest

from freezekit.errors import OptionsError
from freezekit.spec.api import TOC, Tree, bind, check_python_option, resolve_pairs
from freezekit.toc import EntryKind, TocEntry


def test_toc_keeps_the_first_entry_per_name() -> None:
    toc = TOC([("a", "/x/a", "DATA"), ("b", "/x/b", "DATA"), ("a", "/y/a", "DATA")])
    assert toc == [("a", "/x/a", "DATA"), ("b", "/x/b", "DATA")]
    toc.append(("b", "/z/b", "DATA"))
    toc.append(["c", None, "OPTION"])
    assert [e[0] for e in toc] == ["a", "b", "c"]
    assert isinstance(toc[2], tuple)


def test_toc_add_and_subtract_by_name() -> None:
    toc = TOC([("a", "/x/a", "DATA")])
    both = toc + [("a", "/q", "DATA"), ("b", "/x/b", "DATA")]
    assert isinstance(both, TOC) and [e[0] for e in both] == ["a", "b"]
    assert [("z", "/z", "DATA")] + toc == [("z", "/z", "DATA"), ("a", "/x/a", "DATA")]
    assert both - [("a", None, "DATA")] == [("b", "/x/b", "DATA")]
    both -= [("b", None, "DATA")]
    assert both == [("a", "/x/a", "DATA")]


def test_toc_refuses_what_is_not_a_triple() -> None:
    with pytest.raises(OptionsError, match=r"is not a \(name, path, typecode\) tuple"):
        TOC([("a", "/x/a")])


def test_tree_lists_files_with_prefix_and_excludes(tmp_path: Path) -> None:
    (tmp_path / "d" / "cache").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("a")
    (tmp_path / "d" / "b.pyc").write_text("b")
    (tmp_path / "d" / "cache" / "c.txt").write_text("c")
    (tmp_path / "d" / "s").mkdir()
    (tmp_path / "d" / "s" / "e.txt").write_text("e")
    Bound = type("Tree", (Tree,), {"base": tmp_path})
    tree = Bound("d", prefix="res", excludes=["*.pyc", "cache"])
    assert tree == [
        ("res/a.txt", str(tmp_path / "d" / "a.txt"), "DATA"),
        ("res/s/e.txt", str(tmp_path / "d" / "s" / "e.txt"), "DATA"),
    ]
    assert [e[0] for e in Bound("d", typecode="BINARY", excludes=["s"])] == [
        "a.txt",
        "b.pyc",
        "cache/c.txt",
    ]


def test_pairs_expand_globs_folders_and_backslashes(tmp_path: Path) -> None:
    (tmp_path / "sfx").mkdir()
    for name in ("a.mp3", "b.mp3", "c.wav"):
        (tmp_path / "sfx" / name).write_text(name)
    (tmp_path / "data" / "deep").mkdir(parents=True)
    (tmp_path / "data" / "deep" / "x.json").write_text("{}")
    (tmp_path / "data" / "__pycache__").mkdir()
    (tmp_path / "data" / "__pycache__" / "y.pyc").write_text("")
    (tmp_path / "README.txt").write_text("r")
    entries = resolve_pairs(
        [("sfx\\*.mp3", "sfx"), ("data", "data"), ("README.txt", "."), ("README.txt", "a\\b")],
        base=tmp_path,
        kind=EntryKind.DATA,
        what="datas",
    )
    assert [e.name for e in entries] == [
        "sfx/a.mp3",
        "sfx/b.mp3",
        "data/deep/x.json",
        "README.txt",
        "a/b/README.txt",
    ]
    assert entries[0] == TocEntry(
        name="sfx/a.mp3", kind=EntryKind.DATA, source=str(tmp_path / "sfx" / "a.mp3"), mode=0o644
    )


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("nope/*.txt", ".")], "datas source 'nope/*.txt' not found"),
        (
            [("README.txt", "../up")],
            "destination '../up' of 'README.txt' is absolute or climbs out",
        ),
        ([("README.txt",)], "datas= entry ('README.txt',) is not a (source, destination) pair"),
        ("README.txt", "datas= must be a list of (source, destination) tuples"),
    ],
)
def test_bad_pairs_are_named(tmp_path: Path, pairs: object, message: str) -> None:
    (tmp_path / "README.txt").write_text("r")
    with pytest.raises(OptionsError) as info:
        resolve_pairs(pairs, base=tmp_path, kind=EntryKind.DATA, what="datas")
    assert info.value.message.startswith(message)


def test_bind_matches_positions_and_refuses_unknown_keywords() -> None:
    known = {"scripts": None, "pathex": None, "hiddenimports": None}
    values = bind(
        "Analysis", (["a.py"],), {"hiddenimports": ["x"]}, positional=list(known), known=known
    )
    assert values == {"scripts": ["a.py"], "pathex": None, "hiddenimports": ["x"]}
    with pytest.raises(OptionsError) as info:
        bind("Analysis", (), {"hidden_imports": []}, positional=(), known=known)
    assert (info.value.message, info.value.hint) == (
        "unknown keyword 'hidden_imports' in Analysis()",
        "did you mean 'hiddenimports'?",
    )
    with pytest.raises(OptionsError, match="both by position and by keyword"):
        bind("Analysis", (["a.py"],), {"scripts": []}, positional=list(known), known=known)


@pytest.mark.parametrize("option", ["v", "u", "W ignore", "W error::DeprecationWarning", "X utf8"])
def test_run_time_options_accepted(option: str) -> None:
    assert check_python_option(option) == option


@pytest.mark.parametrize("option", ["OOO", "W", "Wignore", "B", ""])
def test_run_time_options_refused(option: str) -> None:
    with pytest.raises(OptionsError, match="is not supported"):
        check_python_option(option)
