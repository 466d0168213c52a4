"""General patterns the analysis follows without hooks: package data read by path, imports
made by compiled extension modules."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from freezekit.analysis.aliases import dynamic_imports, source_imports, submodules_named
from freezekit.analysis.collect import package_data
from freezekit.analysis.extscan import (
    ExtensionScanCache,
    ModuleFinder,
    candidate_names,
    is_compressed,
    scan_stream,
    trace_imports,
)
from freezekit.analysis.lazymodules import lazy_submodules, used_by_importers
from freezekit.analysis.userstrings import dotted_strings, is_app_file, module_named
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
    _write(pkg / "locale" / "de" / "LC_MESSAGES" / "pkg.po")  # the source of the .mo
    _write(pkg / "include" / "pkg.h")
    _write(pkg / "Qt" / "lib" / "libQt6Core.so.6")  # a vendored native tree: left to hooks
    _write(pkg / "Qt" / "translations" / "qt_de.qm")
    _write(pkg / ".mypy_cache" / "3.12" / "cache.json")  # hidden: a tool's, not the package's
    _write(pkg / ".DS_Store")
    _write(pkg / "designer")  # a program shipped in the wheel
    (pkg / "designer").chmod(0o755)
    entries = package_data("top.pkg", str(pkg))
    assert {e.name for e in entries} == {
        "top/pkg/Grammar.txt",
        "top/pkg/schemas/draft7/metaschema.json",
        "top/pkg/locale/de/LC_MESSAGES/pkg.mo",
    }
    assert all(e.kind is EntryKind.DATA for e in entries)
    assert package_data("top.pkg.sub", str(pkg / "sub"))[0].name == "top/pkg/sub/table.dat"


def test_extension_strings_whole_c_strings_only() -> None:
    data = (
        b"\x7fELF\x00PyImport_ImportModule\x00uuid\x00json\x00lxml._elementpath\x00"
        b"not a name\x00xuuid-1\x00PyInit_orjson\x00.hidden\x00a\x00tail"
    )
    assert candidate_names(data) == ["PyImport_ImportModule", "json", "lxml._elementpath", "uuid"]
    # a file that never calls the import C API imports nothing by name
    assert candidate_names(data.replace(b"PyImport_", b"PyOther__")) == []


def test_extension_strings_read_in_windows_match_one_read() -> None:
    """Names across window edges, the API word and a marker split by an edge, the longest
    possible name: the same answer as reading the whole file, for every window size."""
    longest = ".".join(["n" * 61] * 7).encode()
    data = (
        b"\x7fELF\x00"
        + b"\x01" * 300
        + b"\x00uuid\x00json\x00"
        + b"\x02" * 37
        + b"PyImport_Import"
        + b"\x00"
        + longest
        + b"\x00lxml._elementpath\x00"
        + b"\x03" * 501
        + b"\x00LZSS string data decompression failed\x00zipfile\x00tail"
    )
    expected = (candidate_names(data), is_compressed(data))
    assert longest.decode() in expected[0] and expected[1]
    for window in (1, 7, 64, 433, 512, 1000, 1 << 20):
        assert scan_stream(io.BytesIO(data), window=window) == expected, window
    assert scan_stream(io.BytesIO(data.replace(b"PyImport_", b"PyOther__")), window=64) == (
        [],
        False,
    )


def test_extension_module_finder_resolves_without_importing(tmp_path: Path) -> None:
    _write(tmp_path / "fkpkg_probe" / "__init__.py", "raise SystemExit('executed')")
    _write(tmp_path / "fkpkg_probe" / "_helper.py")
    _write(tmp_path / "fknamespace_probe" / "mod.py")  # no __init__: a namespace package
    sys.path.insert(0, str(tmp_path))
    try:
        finder = ModuleFinder(["tkinter"])
        assert finder.exists("fkpkg_probe._helper")  # its package's __init__ is not run
        assert not finder.exists("fkpkg_probe._missing")
        assert not finder.exists("fknamespace_probe")  # any folder of that name would do
        assert finder.exists("fknamespace_probe.mod")  # but its modules are real
        assert finder.exists("json") and finder.exists("sys")  # stdlib, built-in
        assert not finder.exists("tkinter.ttk")  # excluded by the build
        assert not finder.exists("antigravity")  # importable, never an extension's import
    finally:
        sys.path.remove(str(tmp_path))


def test_extension_scan_cache_reads_a_file_once(tmp_path: Path) -> None:
    ext = tmp_path / "mod.so"
    ext.write_bytes(b"\x00PyImport_Import\x00enum\x00")
    cache_file = tmp_path / "cache" / "ext.marshal"
    cache = ExtensionScanCache(str(cache_file))
    assert "enum" in cache.names(str(ext))
    cache.save()
    again = ExtensionScanCache(str(cache_file))
    assert not again.dirty and "enum" in again.names(str(ext)) and not again.dirty
    ext.write_bytes(b"\x00PyImport_Import\x00dataclasses\x00")  # changed: read again
    assert "dataclasses" in again.names(str(ext))


def test_user_strings_name_modules_and_attributes(tmp_path: Path) -> None:
    source = (
        b'"""Doc string."""\n'
        b'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "fksite_probe.settings")\n'
        b'APPS = ["fksite_probe.apps.PollsConfig", "json", "e.g", "fksite_probe.asgi:app"]\n'
    )
    strings = dotted_strings(source, "manage.py")
    assert strings == [
        "e.g",
        "fksite_probe.apps.PollsConfig",
        "fksite_probe.asgi:app",
        "fksite_probe.settings",
    ]
    for name in ("__init__.py", "settings.py", "apps.py", "asgi.py"):
        _write(tmp_path / "fksite_probe" / name)
    sys.path.insert(0, str(tmp_path))
    try:
        finder = ModuleFinder(())
        named = {s: module_named(s, finder) for s in strings}
    finally:
        sys.path.remove(str(tmp_path))
    assert named == {
        "e.g": None,
        "fksite_probe.apps.PollsConfig": "fksite_probe.apps",  # a class: its module
        "fksite_probe.asgi:app": "fksite_probe.asgi",
        "fksite_probe.settings": "fksite_probe.settings",
    }


def test_user_strings_only_in_the_apps_own_files() -> None:
    app, venv = "/proj", "/proj/.venv/lib/python3.12/site-packages"
    assert is_app_file("/proj/mysite/settings.py", [app], [venv, "/usr/lib/python3.12"])
    assert not is_app_file(f"{venv}/django/conf/global_settings.py", [app], [venv])
    assert not is_app_file("/usr/lib/python3.12/json/__init__.py", [app], ["/usr/lib/python3.12"])


def test_extension_trace_records_imports_made_during_init() -> None:
    """What a compressed Cython string table hides is found by importing the module once in a
    child process: _decimal imports ``numbers`` from C while it initialises."""
    imports, failed = trace_imports(["_decimal", "fk_no_such_module_probe"])
    assert "numbers" in imports["_decimal"]
    assert [f.split(":")[0] for f in failed] == ["fk_no_such_module_probe"]


def test_extension_compressed_string_table_is_recognised() -> None:
    assert is_compressed(b"PyImport_Import\x00LZSS string data decompression failed\x00")
    assert not is_compressed(b"PyImport_Import\x00uuid\x00")


def test_alias_source_imports_resolve_relative_names() -> None:
    source = b"import os\nfrom gevent._tblib import dump\nfrom . import _util\nfrom .._x import *\n"
    assert source_imports(source, "greenlet.py", "gevent.sub.greenlet") == [
        "gevent._tblib",
        "gevent._tblib.dump",
        "gevent._x",
        "gevent.sub",
        "gevent.sub._util",
        "os",
    ]


def test_dynamic_imports_with_constant_names() -> None:
    source = (
        b"import importlib\n"
        b"x = __import__('gevent._abstract_linkable')\n"
        b"__import__(__package__ + '.fft')\n"
        b"importlib.import_module('.linalg', __package__)\n"
        b"importlib.import_module(name)\n"  # not a constant: left alone
        b"import_module('json')\n"
        b"import_module(f'{__name__}.plugins')\n"
    )
    names = dynamic_imports(source, "m.py", "pkg.sub.mod", is_package=False)
    assert names == [
        "gevent._abstract_linkable",
        "json",
        "pkg.sub.fft",
        "pkg.sub.linalg",
        "pkg.sub.mod.plugins",
    ]
    assert dynamic_imports(b"import os\n", "m.py", "m", is_package=False) == []


def test_submodules_named_in_from_imports(tmp_path: Path) -> None:
    """``from unittest import mock``: what a lifted lean exclusion must bring back."""
    helper = tmp_path / "helper.py"
    helper.write_text("from unittest import mock, TestCase\nimport json\n")
    names = submodules_named(str(helper), "helper", "unittest", excluded=())
    assert names == ["unittest", "unittest.mock"]  # TestCase is a class, json not under root


def test_lazy_submodules_of_a_module_getattr() -> None:
    """scipy's and scikit-learn's way: a list, and ``__getattr__`` importing f"pkg.{name}"."""
    source = (
        b"import importlib as _importlib\n"
        b"submodules = ['fft', 'signal']\n"
        b"submodules += ['odr']\n"
        b"__all__ = submodules + ['LowLevelCallable']\n"
        b"def __getattr__(name):\n"
        b"    if name in submodules:\n"
        b"        return _importlib.import_module(f'scipy.{name}')\n"
        b"    raise AttributeError(name)\n"
    )
    assert lazy_submodules(source, "__init__.py", "scipy") == {
        "scipy.fft": ["fft"],
        "scipy.odr": ["odr"],
        "scipy.signal": ["signal"],
    }
    # f"{__name__}.{name}" and "." + name anchored at __name__, guarded by __all__ only
    for call in (b"import_module(f'{__name__}.{attr}')", b"import_module('.' + attr, __name__)"):
        source = (
            b"import importlib\n__all__ = ('tz', 'parser', 'easter')\n"
            b"def __getattr__(attr):\n    return importlib." + call + b"\n"
        )
        assert sorted(lazy_submodules(source, "__init__.py", "dateutil")) == [
            "dateutil.easter",
            "dateutil.parser",
            "dateutil.tz",
        ]


def test_lazy_submodules_need_an_import_of_the_attribute_name() -> None:
    """A __getattr__ that imports fixed names, another package's modules or nothing, and a
    package without __getattr__: nothing (so their apps do not grow)."""
    sources = [
        b"__all__ = ['a', 'b']\n",
        b"__all__ = ['a']\ndef __getattr__(name):\n    raise AttributeError(name)\n",
        b"__all__ = ['a']\ndef __getattr__(name):\n    from ._main import main\n    return main\n",
        b"__all__ = ['a']\ndef __getattr__(name):\n    return import_module(f'other.{name}')\n",
        b"__all__ = ['a']\ndef __getattr__(name):\n    return import_module(name)\n",
        b"__all__ = ['a']\ndef helper(name):\n    return import_module(f'pkg.{name}')\n",
        b"def __getattr__(name:\n",  # a syntax error
    ]
    for source in sources:
        assert lazy_submodules(source, "__init__.py", "pkg") == {}, source


def test_lazy_submodules_of_lazy_loader() -> None:
    """lazy_loader.attach's submodules and submod_attrs, and attach_stub's __init__.pyi."""
    source = (
        b"import lazy_loader as lazy\n"
        b"subs = ['filters', 'io']\n"
        b"__getattr__, __dir__, __all__ = lazy.attach(\n"
        b"    __name__, submodules=subs, submod_attrs={'_shared': ['x'], 'color.adapt': ['y']}\n"
        b")\n"
    )
    assert lazy_submodules(source, "__init__.py", "pkg") == {
        "pkg._shared": ["_shared", "x"],
        "pkg.color.adapt": ["color", "y"],
        "pkg.filters": ["filters"],
        "pkg.io": ["io"],
    }
    stub = b"from . import data, draw\nfrom .util import img_as_float\nfrom os import path\n"
    source = (
        b"import lazy_loader as lazy\n"
        b"__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)\n"
    )
    assert lazy_submodules(source, "__init__.py", "pkg", read_stub=lambda: stub) == {
        "pkg.data": ["data"],
        "pkg.draw": ["draw"],
        "pkg.util": ["img_as_float", "util"],
    }
    assert lazy_submodules(source, "__init__.py", "pkg", read_stub=lambda: None) == {}


def test_lazy_submodules_kept_are_those_the_importers_name() -> None:
    """scipy.signal after `import scipy`, sp.fft after `import scipy as sp`, an attribute
    that submod_attrs maps to its submodule; everything on `from scipy import *`."""
    lazy = {
        "scipy.fft": ["fft"],
        "scipy.io": ["io"],
        "scipy.signal": ["signal"],
        "scipy.util": ["img_as_float", "util"],
    }
    sources = [
        b"import scipy\nprint(scipy.signal.medfilt([1]))\n",
        b"def f():\n    import scipy as sp\n    return sp.fft.fft([1]), sp.img_as_float\n",
        b"signal = 'io'\n",  # words, not attributes
        b"import scipy\nframe.io.read(); self.scipy.io\n",  # attributes of something else
        b'"""Uses scipy.io."""\nimport scipy  # and scipy.io\n',  # a docstring, a comment
    ]
    assert used_by_importers("scipy", lazy, sources) == ["scipy.fft", "scipy.signal", "scipy.util"]
    assert used_by_importers("scipy", lazy, [b"from scipy import *\n"]) == list(lazy)
    assert used_by_importers("scipy", lazy, []) == []
    assert used_by_importers("scipy", lazy, [b"import scipy\ngetattr(scipy, 'io')\n"]) == [
        "scipy.io"
    ]
    sparse = {"scipy.sparse.linalg": ["linalg"], "scipy.sparse.csgraph": ["csgraph"]}
    for source in (
        b"import scipy.sparse as ss\nss.linalg.eigsh\n",
        b"import scipy as sp\nsp.sparse.linalg.eigsh\n",
        b"from scipy import (\n    optimize,\n    sparse as sps,\n)\nsps.linalg\n",
        b"from scipy import sparse\nsparse.linalg\n",
    ):
        assert used_by_importers("scipy.sparse", sparse, [source]) == ["scipy.sparse.linalg"]


def test_package_data_keeps_a_stub_that_lazy_loader_reads(tmp_path: Path) -> None:
    lazy = tmp_path / "lazy"
    _write(
        lazy / "__init__.py",
        "import lazy_loader\nx = lazy_loader.attach_stub(__name__, __file__)\n",
    )
    _write(lazy / "__init__.pyi", "from . import sub\n")
    plain = tmp_path / "plain"
    _write(plain / "__init__.py", "from . import sub\n")
    _write(plain / "__init__.pyi", "from . import sub\n")
    assert [e.name for e in package_data("lazy", str(lazy))] == ["lazy/__init__.pyi"]
    assert package_data("plain", str(plain)) == []
