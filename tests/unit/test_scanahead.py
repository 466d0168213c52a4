"""Scans made beside the analysis worker (scanahead.py) and read by its scan cache."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from freezekit.analysis import _mgadapter, scanahead
from freezekit.analysis._scancache import (
    RECORD_LENGTH,
    ScanCache,
    Scanner,
    plain_bytecode_info,
    to_plain,
)
from freezekit.platforms import resolve_target


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _tree(tmp_path: Path) -> Path:
    """An app whose imports reach a package, its submodules (absolute, relative, from-list
    names) and a module of the standard library; one file is never imported."""
    _write(tmp_path / "src" / "app.py", "import pkg.sub\nfrom pkg import helper, NAME\n")
    _write(tmp_path / "src" / "pkg" / "__init__.py", "NAME = 1\n")
    _write(
        tmp_path / "src" / "pkg" / "sub.py",
        "from . import deep\ntry:\n    import json\nexcept ImportError:\n    pass\n",
    )
    _write(tmp_path / "src" / "pkg" / "deep.py", "def f():\n    import colorsys\n")
    _write(tmp_path / "src" / "pkg" / "helper.py", "X = 2\n")
    _write(tmp_path / "src" / "pkg" / "unused.py", "import this_is_never_scanned\n")
    return tmp_path / "src"


def _request(src: Path) -> dict[str, object]:
    return {
        "scripts": [str(src / "app.py")],
        "paths": [str(src)],
        "packages": [],
        "modules": [],
        "excludes": [],
        "lean_excludes": [],
    }


def _records(path: Path) -> tuple[list[tuple[str, tuple[int, int], int, object]], bool]:
    import marshal

    data, at, records = path.read_bytes(), 0, []
    while at < len(data):
        length = int.from_bytes(data[at : at + RECORD_LENGTH], "little")
        if length == 0:
            return records, True
        records.append(marshal.loads(data[at + RECORD_LENGTH : at + RECORD_LENGTH + length]))
        at += RECORD_LENGTH + length
    return records, False


def _worker_scan(path: str) -> list:
    """The AST scan the worker makes of a file (the same Scanner, source and flags)."""
    scanner = Scanner(*_mgadapter.scan_functions())
    source = Path(path).read_text()
    tree = compile(source, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    return [to_plain(i) for i in scanner.ast_info(tree)]


def _worker_code_scan(path: str) -> tuple:
    """The bytecode scan the worker makes of a file's code object."""
    scanner = Scanner(*_mgadapter.scan_functions())
    code = compile(Path(path).read_bytes(), path, "exec", dont_inherit=True)
    return plain_bytecode_info(scanner.bytecode_info(code))


def test_the_walk_follows_imports_and_records_the_workers_scans(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    out = tmp_path / "ahead.bin"
    out.write_bytes(b"")
    ahead = scanahead.ScanAhead(_request(src), str(out))
    ahead._run()  # the thread's work, to its end
    records, ended = _records(out)
    assert ended
    trees = {path: (stamp, scan) for path, stamp, slot, scan in records if slot == 1}
    codes = {path: (stamp, scan) for path, stamp, slot, scan in records if slot == 2}
    mine = {Path(p).relative_to(src).as_posix() for p in trees if p.startswith(str(src))}
    assert mine == {"pkg/__init__.py", "pkg/sub.py", "pkg/deep.py", "pkg/helper.py"}
    # the standard library modules reached, in functions and try blocks too
    assert any(p.endswith(os.sep + "json" + os.sep + "__init__.py") for p in trees)
    assert any(p.endswith(os.sep + "colorsys.py") for p in trees)
    for path, (stamp, scan) in trees.items():
        assert scan == _worker_scan(path), path
        assert stamp == ScanCache._stamp(path)
    # then every module's code object, the last walked first
    assert list(codes) == list(reversed(trees))
    for path, (_, scan) in codes.items():
        assert scan == _worker_code_scan(path), path
    # a package is scanned before its modules (the worker loads it first)
    order = [Path(p).name for p, _, slot, _ in records if p.startswith(str(src)) and slot == 1]
    assert order.index("__init__.py") < order.index("sub.py")
    assert not list(src.rglob("__pycache__"))  # nothing written beside the sources


def test_a_stopped_walk_ends_its_file(tmp_path: Path) -> None:
    out = tmp_path / "ahead.bin"
    out.write_bytes(b"")
    ahead = scanahead.ScanAhead(_request(_tree(tmp_path)), str(out))
    ahead.stopped.set()  # the worker ended before the walk began
    ahead.start()
    ahead.stop()
    assert _records(out) == ([], True)


def test_the_walk_stops_once_the_worker_says_it_has_every_module(tmp_path: Path) -> None:
    out = tmp_path / "ahead.bin"
    out.write_bytes(b"")
    Path(f"{out}.done").write_bytes(b"")  # what the worker writes after building its graph
    scanahead.ScanAhead(_request(_tree(tmp_path)), str(out))._run()
    assert _records(out) == ([], True)


def test_the_walk_waits_for_its_start(tmp_path: Path) -> None:
    import threading

    out = tmp_path / "ahead.bin"
    out.write_bytes(b"")
    after = threading.Event()
    ahead = scanahead.ScanAhead(_request(_tree(tmp_path)), str(out), after)
    ahead.start()
    ahead.stop()  # the worker ended first: nothing was scanned
    assert _records(out) == ([], True)
    out.write_bytes(b"")
    after.set()
    ahead = scanahead.ScanAhead(_request(tmp_path / "src"), str(out), after)
    ahead._run()
    assert len(_records(out)[0]) > 4


def test_the_scan_cache_reads_records_as_they_come(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    module = str(src / "pkg" / "sub.py")
    scan = _worker_scan(module)
    ahead = tmp_path / "ahead.bin"
    import marshal

    record = marshal.dumps((module, ScanCache._stamp(module), 1, scan))
    whole = len(record).to_bytes(RECORD_LENGTH, "little") + record
    ahead.write_bytes(whole[:-3])  # being written
    cache = ScanCache(str(tmp_path / "scan.marshal"), ahead=str(ahead))
    assert cache._get(module, 1) is None
    ahead.write_bytes(whole)
    assert cache._get(module, 1) == scan
    assert cache._get(module, 2) is None  # not scanned ahead (yet)
    code_scan = _worker_code_scan(module)
    record = marshal.dumps((module, ScanCache._stamp(module), 2, code_scan))
    with open(ahead, "ab") as stream:
        stream.write(len(record).to_bytes(RECORD_LENGTH, "little") + record)
    assert cache._get(module, 2) == code_scan
    assert cache._get(module, 1) == scan  # kept
    # a file changed since its record was made is scanned again
    other = str(src / "pkg" / "deep.py")
    record = marshal.dumps((other, ScanCache._stamp(other), 1, _worker_scan(other)))
    with open(ahead, "ab") as stream:
        stream.write(len(record).to_bytes(RECORD_LENGTH, "little") + record)
        stream.write(bytes(RECORD_LENGTH))  # the end
    Path(other).write_text("import changed_since\n# longer now\n")
    assert cache._get(other, 1) is None
    assert cache._ahead is None  # the end was read: the file is not looked at again


def test_relative_and_from_imports_name_the_modules_they_may_reach() -> None:
    imports = [
        ("os", 0, (), False, False, False, False),
        ("", 1, ("deep", ("helper", "h")), False, False, False, False),
        ("sibling", 2, ("*",), True, False, False, False),
        ("", 4, ("too_far",), False, False, False, False),
    ]
    assert scanahead._imported_names("pkg.sub.mod", False, imports) == [
        "os",
        "pkg.sub.deep",
        "pkg.sub.helper",
        "pkg.sub",
        "pkg.sibling",
    ]
    assert scanahead._imported_names("pkg", True, imports[1:2]) == [
        "pkg.deep",
        "pkg.helper",
        "pkg",
    ]


def test_only_the_same_interpreter_scans_ahead(tmp_path: Path) -> None:
    from dataclasses import replace

    target = resolve_target(None)
    assert scanahead.possible(target) is (not sys.flags.optimize)
    other = _write(tmp_path / "python3", "#!/bin/sh\n")
    assert not scanahead.possible(replace(target, python=other))
    assert not scanahead.possible(replace(target, python=tmp_path / "missing"))
