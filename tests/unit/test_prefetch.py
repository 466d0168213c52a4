"""The start-up set of a onefile app in temp mode: the lazy files the app needs as it starts,
in that order (analysis/imports.py start_imports, assemble/lazy.py, the lazy table's marked
rows in archive/format.py), which the bootloader unpacks on a background thread."""

from __future__ import annotations

import functools
import mmap
from dataclasses import replace
from pathlib import Path

import pytest

from freezekit.analysis import imports
from freezekit.analysis.hooks import find_hooks
from freezekit.analysis.imports import Edge, ImportGraph, Node
from freezekit.archive import format as fmt
from freezekit.assemble.lazy import lazy_table, start_files, start_modules
from freezekit.assemble.plan import FileItem
from freezekit.options import BuildOptions
from freezekit.platforms import Target, host_target
from freezekit.toc import EntryKind

EXT = ".cpython-311-x86_64-linux-gnu.so"


_FILES = {"builtin": "", "module": "/x/{}.py", "package": "/x/{}/__init__.py"}


def _graph(nodes: dict[str, str], edges: list[tuple[str, str, bool]]) -> ImportGraph:
    """nodes: name -> kind; edges: (source, target, at module level) in the graph's order."""
    return ImportGraph(
        nodes={
            name: Node(name=name, kind=kind, file=_FILES.get(kind, "/x/{}").format(name))
            for name, kind in nodes.items()
        },
        edges=tuple(
            Edge(source=s, target=t, optional=False, is_global=g, fromlist=False)
            for s, t, g in edges
        ),
        roots=(),
        sys_path=(),
        hooks=(),
        packages={},
        distributions=(),
        log=(),
    )


def test_start_imports_follow_module_level_imports_depth_first_in_order() -> None:
    graph = _graph(
        {
            "app.py": "script",
            "pkg": "package",
            "pkg.core": "module",
            "pkg._fast": "extension",
            "pkg._slow": "extension",
            "_json": "extension",
            "_late": "extension",
            "other": "module",
        },
        [  # each module's imports last first, as the worker lists them
            ("app.py", "other", False),  # only inside a function
            ("app.py", "_json", True),
            ("app.py", "pkg", True),
            ("pkg", "pkg._slow", True),
            ("pkg", "pkg.core", True),
            ("pkg.core", "_late", False),
            ("pkg.core", "pkg._fast", True),
            ("other", "_late", True),  # module level, but 'other' itself is never imported
        ],
    )
    # pkg.core's extension comes before pkg's second import and the script's second import
    assert imports.start_imports(graph, ["app.py"]) == ("pkg._fast", "pkg._slow", "_json")


def test_start_imports_enter_a_submodules_parent_packages_first() -> None:
    graph = _graph(
        {
            "app.py": "script",
            "pkg": "package",
            "pkg.sub": "package",
            "pkg.sub.mod": "module",
            "_a": "extension",
            "_b": "extension",
            "_c": "extension",
        },
        [
            ("app.py", "pkg.sub.mod", True),  # `import pkg.sub.mod` runs pkg, pkg.sub first
            ("pkg", "_a", True),
            ("pkg.sub", "_b", True),
            ("pkg.sub.mod", "_c", True),
        ],
    )
    assert imports.start_imports(graph, ["app.py"]) == ("_a", "_b", "_c")


def test_start_imports_follow_the_c_api_capsules_an_extension_module_imports(
    tmp_path: Path,
) -> None:
    """PyDateTime_IMPORT in an extension module's init imports datetime, which imports
    _datetime: numpy's _multiarray_umath does, and nothing in Python says so."""
    fast = tmp_path / f"_fast{EXT}"
    fast.write_bytes(b"\x7fELF\0\0Py\0datetime.datetime_CAPI\0_socket.CAPI\0CAPI\0x.CAPIx\0")
    graph = _graph(
        {"app.py": "script", "_fast": "extension", "datetime": "module", "_datetime": "extension"},
        [("app.py", "_fast", True), ("datetime", "_datetime", True)],
    )
    graph = replace(
        graph, nodes={**graph.nodes, "_fast": Node(name="_fast", kind="extension", file=str(fast))}
    )
    # _socket is not in the graph (not bundled): nothing to unpack for it
    assert imports.start_imports(graph, ["app.py"]) == ("_fast", "_datetime")


def test_start_imports_do_not_enter_what_the_interpreter_imported_before_the_app() -> None:
    graph = _graph(
        {
            "app.py": "script",
            "hook.py": "script",
            "encodings": "package",
            "codecs": "frozen",
            "posix": "builtin",
            "importlib._bootstrap_external": "module",
            "_codecs_tw": "extension",
            "_hashlib": "extension",
            "resource": "extension",
            "_csv": "extension",
            "_socket": "extension",
        },
        [
            ("app.py", "codecs", True),
            ("app.py", "posix", True),
            ("app.py", "importlib._bootstrap_external", True),
            ("app.py", "encodings", True),
            ("codecs", "encodings", True),
            ("encodings", "_codecs_tw", True),  # a scan artefact of the package collection
            ("posix", "resource", True),
            ("importlib._bootstrap_external", "_hashlib", True),
            ("app.py", "_csv", True),
            ("hook.py", "_socket", True),
        ],
    )
    found = imports.start_imports(graph, ["hook.py", "app.py"], startup=["encodings"])
    assert found == ("_socket", "_csv")  # runtime hooks run first


def test_capsule_names_are_read_from_an_elf_files_constant_data() -> None:
    """A real extension module: the capsule it names (_datetime defines datetime's) is found
    in its loaded segments that are not code, which are a part of the file."""
    import _datetime  # noqa: PLC0415

    path = getattr(_datetime, "__file__", None)
    if path is None or not path.endswith(".so"):
        pytest.skip("_datetime is built into this interpreter")
    assert imports._capsule_imports(path) == ["datetime"]
    with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        parts = imports._constant_parts(data)
        assert 0 < sum(high - low for low, high in parts) < len(data)


def test_start_imports_of_a_real_scan(tmp_path: Path) -> None:
    """The worker's own flags: a module-level import (optional or not) of the script or of a
    module it imports counts; one inside a function does not."""
    (tmp_path / "main.py").write_text(
        "import fkt_helper\n"
        "try:\n    import _json\nexcept ImportError:\n    _json = None\n"
        "def later():\n    import _sqlite3\n"
    )
    (tmp_path / "fkt_helper.py").write_text("import _csv\n\ndef f():\n    import _bz2\n")
    script = tmp_path / "main.py"
    options = BuildOptions(scripts=(script,), name="main")
    request = imports.build_request(
        options, _target(), hooks=find_hooks(options.hooks_dirs), startup=()
    )
    request["packages"] = []
    graph = imports.parse_reply(imports.run_worker(request, _target()))
    assert {"_csv", "_json", "_sqlite3", "_bz2"} <= set(graph.nodes)  # all bundled
    # in the order the app imports them: fkt_helper's _csv, then the script's _json
    assert imports.start_imports(graph, [str(script.resolve())]) == ("_csv", "_json")


@functools.cache
def _target() -> Target:
    return host_target()


def _item(dest: str, kind: EntryKind) -> FileItem:
    return FileItem(dest=dest, source=Path("/src") / dest, kind=kind, mode=0o755)


def test_the_start_up_set_is_the_lazy_rows_of_the_start_imports_with_their_libraries() -> None:
    files = [
        _item("libpython3.11.so.1.0", EntryKind.BINARY),
        _item(f"numpy/_core/_multiarray_umath{EXT}", EntryKind.EXTENSION),
        _item(f"numpy/linalg/_umath_linalg{EXT}", EntryKind.EXTENSION),
        _item(f"numpy/random/_mt19937{EXT}", EntryKind.EXTENSION),
        _item("numpy.libs/libopenblas.so", EntryKind.BINARY),
        _item("numpy.libs/libgfortran.so.5", EntryKind.BINARY),
        _item(f"lib-dynload/math{EXT}", EntryKind.EXTENSION),
    ]
    needs = [
        (f"numpy/_core/_multiarray_umath{EXT}", ["numpy.libs/libopenblas.so"]),
        (f"numpy/linalg/_umath_linalg{EXT}", ["numpy.libs/libopenblas.so"]),
        ("numpy.libs/libopenblas.so", ["numpy.libs/libgfortran.so.5"]),
    ]
    table = lazy_table(files, [], needs, eager=["libpython3.11.so.1.0"])
    # the analysis' order; 'builtins_only' has no lazy file, math comes twice
    imported = [
        "numpy._core._multiarray_umath",
        "builtins_only",
        "math",
        "numpy.linalg._umath_linalg",
        "math",
    ]
    modules = start_modules(table, imported)
    assert modules == ("numpy._core._multiarray_umath", "math", "numpy.linalg._umath_linalg")
    assert start_files(table, modules) == [
        f"numpy/_core/_multiarray_umath{EXT}",
        "numpy.libs/libgfortran.so.5",  # the libraries' closure, each file once
        "numpy.libs/libopenblas.so",
        f"lib-dynload/math{EXT}",
        f"numpy/linalg/_umath_linalg{EXT}",
    ]  # numpy.random's module is not imported at start: not in the set


def test_later_imports_follow_a_modules_function_level_imports_of_its_siblings() -> None:
    """multiprocessing.context's Pool imports multiprocessing.pool, which imports queue and so
    _queue: a function's body put off until called. Not followed: a package's own lazy parts
    (numpy's __getattr__ importing numpy.random) or a subpackage (optional features),
    hashlib's function importing _md5 (another package: a fallback), the script's own."""
    graph = _graph(
        {
            "app.py": "script",
            "pkg": "package",
            "pkg.context": "module",
            "pkg.pool": "module",
            "pkg.unused": "module",
            "pkg.extra": "module",
            "pkg.sub": "package",
            "_extra": "extension",
            "_sub": "extension",
            "pkg._fast": "extension",
            "queue": "module",
            "_queue": "extension",
            "hashlib": "module",
            "_md5": "extension",
            "_lzma": "extension",
            "_never": "extension",
        },
        [
            ("app.py", "_lzma", False),  # the script's function: not a package's part
            ("app.py", "hashlib", True),
            ("app.py", "pkg", True),
            ("pkg", "pkg.extra", False),  # the package's __getattr__
            ("pkg", "pkg.context", True),
            ("pkg.context", "pkg.sub", False),
            ("pkg.extra", "_extra", True),
            ("pkg.sub", "_sub", True),
            ("pkg.context", "pkg.pool", False),
            ("pkg.context", "pkg._fast", False),  # imported at start anyway
            ("pkg.context", "pkg._fast", True),
            ("pkg.pool", "queue", True),
            ("queue", "_queue", True),
            ("hashlib", "_md5", False),
            ("pkg.unused", "_never", True),  # nothing imports pkg.unused
        ],
    )
    assert imports.start_imports(graph, ["app.py"]) == ("pkg._fast",)
    assert imports.later_imports(graph, ["app.py"]) == ("_queue",)


def test_later_modules_join_the_end_of_the_set_when_small() -> None:
    table = {
        "_socket": ("_socket.so",),
        "_ssl": ("_ssl.so", "libcrypto.so"),
        "_queue": ("_queue.so",),
        "_hashlib": ("_hashlib.so", "libcrypto.so"),
        "_ctypes": ("_ctypes.so", "libffi.so"),
        "_posixshmem": ("_posixshmem.so",),
    }
    sizes = {
        "_socket.so": 200_000,
        "_ssl.so": 300_000,
        "libcrypto.so": 4_700_000,
        "_queue.so": 20_000,
        "_hashlib.so": 60_000,
        "_ctypes.so": 130_000,
        "libffi.so": 40_000,
    }
    later = ["_queue", "_socket", "_hashlib", "_ctypes", "_posixshmem", "missing"]
    # _socket once, _hashlib's libcrypto is in the set already, _ctypes with libffi is too
    # large, _posixshmem's size is not known
    assert start_modules(table, ["_ssl", "_socket"], later, sizes) == (
        "_ssl",
        "_socket",
        "_queue",
        "_hashlib",
    )
    assert start_modules(table, ["_socket"], later, sizes) == ("_socket", "_queue")
    assert start_modules(table, ["_socket"]) == ("_socket",)


def test_the_lazy_table_marks_the_start_up_rows_first_in_order() -> None:
    table = {"b": ("b.so",), "a": (f"a{EXT}", "liba.so"), "c": ("c.so", "liba.so")}
    data = fmt.encode_lazy_table(table, ["c", "x", "b", "c"])
    assert data == f"+c\tc.so\tliba.so\n+b\tb.so\na\ta{EXT}\tliba.so\n".encode()
    assert fmt.decode_lazy_table(data) == table
    assert fmt.decode_lazy_start(data) == ["c", "b"]
    assert (
        fmt.encode_lazy_table(table) == f"a\ta{EXT}\tliba.so\nb\tb.so\nc\tc.so\tliba.so\n".encode()
    )
