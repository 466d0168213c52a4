"""Which onefile files wait for their first import (freezekit/assemble/lazy.py), and the
lazy table's encoding (archive/format.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from freezekit.archive import format as fmt
from freezekit.assemble.lazy import extension_module, lazy_table
from freezekit.assemble.plan import FileItem, LinkItem
from freezekit.errors import ArchiveFormatError
from freezekit.toc import EntryKind

EXT = ".cpython-311-x86_64-linux-gnu.so"


def _item(dest: str, kind: EntryKind) -> FileItem:
    return FileItem(dest=dest, source=Path("/src") / dest, kind=kind, mode=0o755)


@pytest.mark.parametrize(
    ("dest", "module"),
    [
        (f"lib-dynload/math{EXT}", "math"),
        (f"numpy/_core/_umath{EXT}", "numpy._core._umath"),
        ("pkg/_speedups.abi3.so", "pkg._speedups"),
        ("pkg/fast.cp311-win_amd64.pyd", "pkg.fast"),
        (f"pkg/__init__{EXT}", "pkg"),
        (f"numpy.libs/odd{EXT}", None),  # not an importable location
        (f"lib-dynload/__init__{EXT}", None),
    ],
)
def test_extension_module_names_what_the_path_finder_would_find(
    dest: str, module: str | None
) -> None:
    assert extension_module(dest) == module


def test_extensions_and_their_private_libraries_wait_for_the_import() -> None:
    files = [
        _item("libpython3.11.so.1.0", EntryKind.BINARY),
        _item(f"lib-dynload/_ssl{EXT}", EntryKind.EXTENSION),
        _item(f"lib-dynload/_hashlib{EXT}", EntryKind.EXTENSION),
        _item("libcrypto.so.3", EntryKind.BINARY),
        _item("libssl.so.3", EntryKind.BINARY),
        _item("certifi/cacert.pem", EntryKind.DATA),
    ]
    needs = [
        (f"lib-dynload/_ssl{EXT}", ["libssl.so.3", "libcrypto.so.3"]),
        (f"lib-dynload/_hashlib{EXT}", ["libcrypto.so.3", "libpython3.11.so.1.0"]),
        ("libssl.so.3", ["libcrypto.so.3"]),
    ]
    table = lazy_table(files, [], needs, eager=["libpython3.11.so.1.0"])
    assert table == {
        "_hashlib": (f"lib-dynload/_hashlib{EXT}", "libcrypto.so.3"),
        "_ssl": (f"lib-dynload/_ssl{EXT}", "libcrypto.so.3", "libssl.so.3"),
    }


def test_libraries_collected_on_purpose_and_what_they_load_stay_eager() -> None:
    # plugin.so is bundled by a hook (nobody links it: it may be opened with dlopen or ctypes)
    files = [
        _item(f"pkg/_core{EXT}", EntryKind.EXTENSION),
        _item("pkg/plugin.so", EntryKind.BINARY),
        _item("libshared.so", EntryKind.BINARY),
        _item("libprivate.so", EntryKind.BINARY),
        _item(f"pkg/data{EXT}", EntryKind.DATA),
    ]
    needs = [
        (f"pkg/_core{EXT}", ["libshared.so", "libprivate.so"]),
        ("pkg/plugin.so", ["libshared.so"]),
    ]
    table = lazy_table(files, [], needs)
    assert table == {"pkg._core": (f"pkg/_core{EXT}", "libprivate.so")}


def test_a_library_reached_through_a_link_brings_the_linked_file() -> None:
    files = [
        _item(f"pkg/_core{EXT}", EntryKind.EXTENSION),
        _item("libfoo.so.1.2", EntryKind.BINARY),
    ]
    links = [LinkItem(dest="pkg.libs/libfoo.so.1", target="../libfoo.so.1.2")]
    table = lazy_table(files, links, [(f"pkg/_core{EXT}", ["pkg.libs/libfoo.so.1"])])
    assert table == {"pkg._core": (f"pkg/_core{EXT}", "libfoo.so.1.2")}


def test_the_table_round_trips_and_refuses_malformed_rows() -> None:
    table = {"b": ("b.so",), "a": (f"a{EXT}", "liba.so")}
    data = fmt.encode_lazy_table(table)
    assert data == f"a\ta{EXT}\tliba.so\nb\tb.so\n".encode()
    assert fmt.decode_lazy_table(data) == table
    with pytest.raises(ValueError, match="tab or newline"):
        fmt.encode_lazy_table({"a": ("x\ty",)})
    with pytest.raises(ArchiveFormatError, match="malformed"):
        fmt.decode_lazy_table(b"onlymodule\n")
