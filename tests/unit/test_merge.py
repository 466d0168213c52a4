"""MERGE planning: shared files stay in the first app; links climb into the sibling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from freezekit.assemble.merge import MergeApp, external_link, plan_merge
from freezekit.assemble.plan import ExternalItem, LinkItem


def _files(tmp_path: Path, **contents: str) -> dict[str, str]:
    paths = {}
    for name, text in contents.items():
        path = tmp_path / name
        path.write_text(text)
        paths[name] = str(path)
    return paths


def test_first_app_keeps_shared_files_later_ones_refer(tmp_path: Path) -> None:
    f = _files(tmp_path, lib="L", copy="L", other="O", only_zap="Z")
    shares = plan_merge(
        [
            MergeApp(name="foo", files=(("libc.so", f["lib"]), ("data/a", f["other"]))),
            MergeApp(name="bar", files=(("libc.so", f["copy"]), ("data/a", f["only_zap"]))),
            MergeApp(
                name="zap",
                files=(("libc.so", f["lib"]), ("z", f["only_zap"]), ("data/a", f["only_zap"])),
            ),
        ]
    )
    assert [s.keep for s in shares] == [("libc.so", "data/a"), ("data/a",), ("z",)]
    assert shares[0].externals == ()
    # same content under another path is the same file; same name, other content is not
    assert shares[1].externals == (ExternalItem(dest="libc.so", sibling="foo"),)
    assert shares[2].externals == (
        ExternalItem(dest="data/a", sibling="bar"),
        ExternalItem(dest="libc.so", sibling="foo"),
    )


def test_a_name_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        plan_merge([MergeApp(name="foo", files=()), MergeApp(name="foo", files=())])


def test_external_link_climbs_to_the_parent_folder(tmp_path: Path) -> None:
    assert external_link(ExternalItem(dest="libc.so", sibling="foo")) == LinkItem(
        dest="libc.so", target="../../foo/_internal/libc.so"
    )
    link = external_link(ExternalItem(dest="pkg/sub/x.so", sibling="foo"))
    assert link.target == "../../../../foo/_internal/pkg/sub/x.so"
    # the link resolves when the apps sit side by side
    (tmp_path / "foo" / "_internal" / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "foo" / "_internal" / "pkg" / "sub" / "x.so").write_text("x")
    (tmp_path / "bar" / "_internal" / "pkg" / "sub").mkdir(parents=True)
    os.symlink(link.target, tmp_path / "bar" / "_internal" / link.dest)
    assert (tmp_path / "bar" / "_internal" / "pkg" / "sub" / "x.so").read_text() == "x"
