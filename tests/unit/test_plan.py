from __future__ import annotations

from pathlib import Path

from freezekit.archive import format as fmt
from freezekit.assemble.plan import FileItem, LinkItem, dedupe_files, option_items, trailer_flags
from freezekit.options import BuildOptions, Extract, Mode
from freezekit.toc import EntryKind


def _file(dest: str, source: Path) -> FileItem:
    return FileItem(dest=dest, source=source, kind=EntryKind.BINARY, mode=0o755)


def test_dedupe_links_later_copies_to_the_shallowest(tmp_path: Path) -> None:
    lib = tmp_path / "libfoo.so.1"
    lib.write_bytes(b"x")
    other = tmp_path / "other.so"
    other.write_bytes(b"y")
    kept, links = dedupe_files(
        [_file("pkg.libs/libfoo.so.1", lib), _file("libfoo.so.1", lib), _file("other.so", other)]
    )
    assert [k.dest for k in kept] == ["libfoo.so.1", "other.so"]
    assert links == [LinkItem(dest="pkg.libs/libfoo.so.1", target="../libfoo.so.1")]


def test_options_and_flags_follow_build_options() -> None:
    options = BuildOptions(
        scripts=(Path("a.py"),),
        name="a",
        mode=Mode.ONEFILE,
        onefile_extract=Extract.CACHE,
        windowed=True,
        python_options=("u", "W ignore"),
        runtime_tmpdir="/var/tmp",
        smoke_probes=False,
    )
    assert trailer_flags(options) == fmt.FLAG_ONEFILE | fmt.FLAG_EXTRACT_CACHE | fmt.FLAG_WINDOWED
    assert [item.name for item in option_items(options)] == [
        "u",
        "W ignore",
        "freezekit:name=a",
        "freezekit:runtime-tmpdir=/var/tmp",
        "freezekit:windowed",
        "freezekit:no-smoke",
    ]
