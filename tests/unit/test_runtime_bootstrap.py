"""The PYZ importer of freezekit/runtime/_bootstrap.py, run in-process against a fake
``_freezekit`` built-in module (what the bootloader provides)."""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.resources
import marshal
import pkgutil
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import freezekit.runtime
from freezekit.runtime import pyz

BOOTSTRAP = Path(freezekit.runtime.__file__).parent / "_bootstrap.py"
PREFIX = "fkt"  # every fake module's name starts with this; removed from sys.modules after


def fake_freezekit(
    top: Path,
    modules: dict[str, tuple[bool, str]],
    *,
    toc: list[tuple[str, str, bytes]] | None = None,
    options: tuple[str, ...] = (),
    lazy: bytes | None = None,
) -> types.ModuleType:
    """A stand-in for the bootloader's ``_freezekit``; modules: ``name: (is_package, source)``."""
    index: dict[str, tuple[bool, int]] = {}
    blobs: dict[int, bytes] = {}
    for token, (name, (is_package, source)) in enumerate(sorted(modules.items())):
        blobs[token] = marshal.dumps(compile(source, name, "exec"))
        index[name] = (is_package, token)
    entries = toc or []
    module = types.ModuleType("_freezekit")
    module.executable = str(top.parent / "app")  # type: ignore[attr-defined]
    module.top_dir = str(top)  # type: ignore[attr-defined]
    module.mode = "onedir"  # type: ignore[attr-defined]
    module.extract = None  # type: ignore[attr-defined]
    module.windowed = False  # type: ignore[attr-defined]
    module.content_id = "00" * 16  # type: ignore[attr-defined]
    module.options = options  # type: ignore[attr-defined]
    module.toc = lambda: [(name, kind) for name, kind, _ in entries]  # type: ignore[attr-defined]
    module.read = lambda name: {n: d for n, _, d in entries}[name]  # type: ignore[attr-defined]
    module.pyz_index = lambda: dict(index)  # type: ignore[attr-defined]
    module.pyz_read = blobs.__getitem__  # type: ignore[attr-defined]
    module.lazy_table = lambda: lazy  # type: ignore[attr-defined]
    module.unpacked = []  # type: ignore[attr-defined]
    module.unpack = module.unpacked.append  # type: ignore[attr-defined]
    return module


@dataclass
class Booted:
    top: Path
    importer: object
    started: list[object] = field(default_factory=list)


Boot = Callable[[dict[str, tuple[bool, str]]], Booted]


@pytest.fixture
def boot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Boot]:
    """Run the real bootstrap with a fake ``_freezekit``; ``start()`` is a recorder."""
    top = tmp_path / "_internal"
    top.mkdir()

    def run(modules: dict[str, tuple[bool, str]]) -> Booted:
        booted = Booted(top=top, importer=None)
        main = types.ModuleType("freezekit.runtime.main")
        main.start = booted.started.append  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "_freezekit", fake_freezekit(top, modules))
        monkeypatch.setitem(sys.modules, "freezekit.runtime.main", main)
        monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
        monkeypatch.setattr(sys, "frozen", False, raising=False)
        monkeypatch.setattr(sys, "_MEIPASS", None, raising=False)
        code = compile(BOOTSTRAP.read_text(encoding="utf-8"), str(BOOTSTRAP), "exec")
        exec(code, {"__name__": "__freezekit_bootstrap__"})
        booted.importer = booted.started[0]
        return booted

    yield run
    for name in [n for n in sys.modules if n.startswith(PREFIX)]:
        del sys.modules[name]


PACKAGE = {
    "fktpkg": (True, "from . import sub\nVALUE = sub.VALUE + 1\n"),
    "fktpkg.sub": (False, "VALUE = 41\n"),
    "fktmod": (False, "import fktpkg\nNAME = __name__\n"),
}


def test_bootstrap_sets_frozen_and_calls_start_with_the_importer(boot: Boot) -> None:
    booted = boot(PACKAGE)
    assert sys.frozen is True  # type: ignore[attr-defined]
    assert str(booted.top) == sys._MEIPASS  # type: ignore[attr-defined]
    assert booted.started == [booted.importer]
    position = sys.meta_path.index(booted.importer)
    assert sys.meta_path[position + 1] is importlib.machinery.PathFinder


def test_bootstrap_imports_modules_and_packages_from_the_pyz(boot: Boot) -> None:
    booted = boot(PACKAGE)
    module = importlib.import_module("fktmod")
    package = sys.modules["fktpkg"]
    assert (module.NAME, package.VALUE) == ("fktmod", 42)
    assert module.__file__ == str(booted.top / "fktmod.py")
    assert package.__file__ == str(booted.top / "fktpkg" / "__init__.py")
    assert package.__path__ == [str(booted.top / "fktpkg")]
    assert package.__spec__.loader is booted.importer
    assert sys.modules["fktpkg.sub"].__spec__.parent == "fktpkg"


def test_bootstrap_leaves_unknown_modules_to_the_next_finder(boot: Boot) -> None:
    booted = boot(PACKAGE)
    assert booted.importer.find_spec("fktmissing") is None  # type: ignore[attr-defined]
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("fktmissing")


def test_bootstrap_finds_files_on_disk_inside_a_pyz_package(boot: Boot) -> None:
    booted = boot(PACKAGE)
    (booted.top / "fktpkg").mkdir()
    (booted.top / "fktpkg" / "ondisk.py").write_text("ON_DISK = True\n")
    module = importlib.import_module("fktpkg.ondisk")
    assert module.ON_DISK is True
    assert isinstance(module.__spec__.loader, importlib.machinery.SourceFileLoader)


def test_bootstrap_loader_protocol(boot: Boot) -> None:
    importer = boot(PACKAGE).importer
    assert importer.is_package("fktpkg") is True  # type: ignore[attr-defined]
    assert importer.is_package("fktpkg.sub") is False  # type: ignore[attr-defined]
    assert importer.get_source("fktpkg.sub") is None  # type: ignore[attr-defined]
    code = importer.get_code("fktpkg.sub")  # type: ignore[attr-defined]
    namespace: dict[str, object] = {}
    exec(code, namespace)
    assert namespace["VALUE"] == 41
    with pytest.raises(ImportError, match="not in the PYZ"):
        importer.get_code("fktnone")  # type: ignore[attr-defined]


def test_bootstrap_get_data_and_pkgutil_get_data_read_files_on_disk(boot: Boot) -> None:
    booted = boot(PACKAGE)
    (booted.top / "fktpkg").mkdir()
    (booted.top / "fktpkg" / "data.txt").write_bytes(b"payload\n")
    importlib.import_module("fktpkg")
    assert pkgutil.get_data("fktpkg", "data.txt") == b"payload\n"
    path = str(booted.top / "fktpkg" / "data.txt")
    assert booted.importer.get_data(path) == b"payload\n"  # type: ignore[attr-defined]
    with pytest.raises(FileNotFoundError):
        booted.importer.get_data(path + ".missing")  # type: ignore[attr-defined]


def test_bootstrap_importlib_resources_files(boot: Boot) -> None:
    booted = boot(PACKAGE)
    (booted.top / "fktpkg" / "sub").mkdir(parents=True)
    (booted.top / "fktpkg" / "data.txt").write_text("text", encoding="utf-8")
    importlib.import_module("fktpkg")
    files = importlib.resources.files("fktpkg")
    assert Path(str(files)) == booted.top / "fktpkg"
    assert files.joinpath("data.txt").read_text(encoding="utf-8") == "text"
    assert sorted(p.name for p in files.iterdir()) == ["data.txt", "sub"]


def test_bootstrap_resource_reader_legacy_methods(boot: Boot) -> None:
    booted = boot(PACKAGE)
    (booted.top / "fktpkg").mkdir()
    (booted.top / "fktpkg" / "data.txt").write_bytes(b"x")
    reader = booted.importer.get_resource_reader("fktpkg")  # type: ignore[attr-defined]
    assert reader.is_resource("data.txt") and not reader.is_resource("nope")
    assert list(reader.contents()) == ["data.txt"]
    with reader.open_resource("data.txt") as file:
        assert file.read() == b"x"
    assert reader.resource_path("data.txt") == str(booted.top / "fktpkg" / "data.txt")
    module_reader = booted.importer.get_resource_reader("fktpkg.sub")  # type: ignore[attr-defined]
    assert module_reader.directory == str(booted.top / "fktpkg")


def test_bootstrap_data_only_package_folder_does_not_hide_the_pyz_package(boot: Boot) -> None:
    booted = boot(PACKAGE)
    (booted.top / "fktpkg").mkdir()
    (booted.top / "fktpkg" / "only-data.json").write_text("{}")
    assert importlib.import_module("fktpkg").VALUE == 42


def test_bootstrap_implied_parent_is_a_namespace_package(boot: Boot) -> None:
    booted = boot({"fktns.inner.mod": (False, "X = 7\n")})
    module = importlib.import_module("fktns.inner.mod")
    assert module.X == 7
    assert list(sys.modules["fktns"].__path__) == [str(booted.top / "fktns")]
    assert booted.importer.find_spec("fktns.other") is None  # type: ignore[attr-defined]


def test_bootstrap_runs_post_import_hooks(boot: Boot) -> None:
    booted = boot(
        {
            "fkthooks": (
                False,
                "def on_import(module, importer):\n    module.PATCHED = importer\n",
            ),
            "fkttarget": (False, "PATCHED = None\n"),
        }
    )
    booted.importer.post_import["fkttarget"] = ("fkthooks", "on_import")  # type: ignore[attr-defined]
    assert importlib.import_module("fkttarget").PATCHED is booted.importer


def test_bootstrap_post_import_hooks_cover_multiprocessing_and_pkgutil(boot: Boot) -> None:
    hooks = boot(PACKAGE).importer.post_import  # type: ignore[attr-defined]
    for module_name, function in hooks.values():
        assert callable(getattr(importlib.import_module(module_name), function))
    assert {"multiprocessing", "multiprocessing.spawn", "pkgutil"} <= set(hooks)


def test_pkgutil_iter_modules_lists_pyz_modules(boot: Boot) -> None:
    booted = boot({**PACKAGE, "fktpkg.inner.deep": (False, "")})
    (booted.top / "fktpkg").mkdir()
    (booted.top / "fktpkg" / "ondisk.py").write_text("")
    fake_pkgutil = types.ModuleType("pkgutil")
    fake_pkgutil.iter_modules = pkgutil.iter_modules  # type: ignore[attr-defined]
    fake_pkgutil.ModuleInfo = pkgutil.ModuleInfo  # type: ignore[attr-defined]
    pyz.on_import_pkgutil(fake_pkgutil, booted.importer)
    booted.importer.lazy_modules = frozenset({"fktpkg._speedups"})  # type: ignore[attr-defined]
    package = importlib.import_module("fktpkg")
    listed = {(m.name, m.ispkg) for m in fake_pkgutil.iter_modules(package.__path__, "fktpkg.")}
    assert listed == {
        ("fktpkg.sub", False),
        ("fktpkg.inner", True),
        ("fktpkg.ondisk", False),
        ("fktpkg._speedups", False),  # an extension module not unpacked yet
    }
    top_level = {m.name for m in fake_pkgutil.iter_modules()}
    assert {"fktpkg", "fktmod"} <= top_level


def test_bootstrap_imports_only_builtin_modules_before_the_importer() -> None:
    allowed = {
        "sys", "marshal", "_imp", "_io", "posix", "nt", "_thread", "_warnings", "_weakref",
        "_frozen_importlib", "_frozen_importlib_external", "_freezekit",
    }  # fmt: skip
    tree = ast.parse(BOOTSTRAP.read_text(encoding="utf-8"))
    imported: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
    assert imported[-1] == "freezekit.runtime.main"
    assert set(imported[:-1]) <= allowed


def test_a_lazy_module_is_unpacked_once_before_the_path_finder_looks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    top = tmp_path / "_internal"
    top.mkdir()
    # "+": fktlazy is in the start-up set (the bootloader may be unpacking it already)
    fake = fake_freezekit(top, {}, lazy=b"+fktlazy\tfktlazy.py\tlibfkt.so\nfktdyn\tdyn/fktdyn.py\n")

    def unpack(names: str) -> None:
        fake.unpacked.append(names)  # type: ignore[attr-defined]
        for name in names.split("\t"):
            if name.endswith(".py"):
                (top / name).parent.mkdir(exist_ok=True)
                (top / name).write_text("VALUE = 7\n")

    fake.unpack = unpack  # type: ignore[attr-defined]
    main = types.ModuleType("freezekit.runtime.main")
    started: list[object] = []
    main.start = started.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "_freezekit", fake)
    monkeypatch.setitem(sys.modules, "freezekit.runtime.main", main)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setattr(sys, "path", [str(top), str(top / "dyn"), *sys.path])
    monkeypatch.setattr(sys, "frozen", False, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", None, raising=False)
    exec(compile(BOOTSTRAP.read_text(encoding="utf-8"), str(BOOTSTRAP), "exec"), {})
    try:
        with pytest.raises(ModuleNotFoundError):  # caches the folder listing without the file
            importlib.import_module("fktnothere")
        assert importlib.import_module("fktlazy").VALUE == 7
        del sys.modules["fktlazy"]
        importlib.import_module("fktlazy")
        assert fake.unpacked == ["fktlazy.py\tlibfkt.so"]  # type: ignore[attr-defined]
        # dyn/ did not exist when the path finder first looked: it cached "no finder" for it
        assert sys.path_importer_cache[str(top / "dyn")] is None
        assert importlib.import_module("fktdyn").VALUE == 7
    finally:
        sys.modules.pop("fktlazy", None)
        sys.modules.pop("fktdyn", None)


def test_a_lazy_extension_module_gets_the_path_finders_spec_without_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After unpacking a lazy extension module, the importer gives the spec the path finder
    would give for its file (the path finder would list the folder again, which the
    start-up thread keeps changing); a module of which only libraries were lazy is left to
    the path finder."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    top = tmp_path / "_internal"
    (top / "lib-dynload").mkdir(parents=True)
    (top / f"fktnolib{suffix}").write_text("")  # eager: only its library waited
    lazy = (
        f"fktext\tlib-dynload/fktext{suffix}\tlibfkt.so.1\n"
        f"fktpkg\tfktpkg/__init__{suffix}\n"
        "fktnolib\tlibfktonly.so.2\n"
    ).encode()
    fake = fake_freezekit(top, {}, lazy=lazy)

    def unpack(names: str) -> None:
        fake.unpacked.append(names)  # type: ignore[attr-defined]
        for name in names.split("\t"):
            (top / name).parent.mkdir(exist_ok=True)
            (top / name).write_text("")

    fake.unpack = unpack  # type: ignore[attr-defined]
    main = types.ModuleType("freezekit.runtime.main")
    main.start = lambda importer: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "_freezekit", fake)
    monkeypatch.setitem(sys.modules, "freezekit.runtime.main", main)
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    monkeypatch.setattr(sys, "path", [str(top / "lib-dynload"), str(top)])
    monkeypatch.setattr(sys, "path_importer_cache", {})
    monkeypatch.setattr(sys, "frozen", False, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", None, raising=False)
    exec(compile(BOOTSTRAP.read_text(encoding="utf-8"), str(BOOTSTRAP), "exec"), {})
    importer = next(f for f in sys.meta_path if getattr(f, "is_freezekit_pyz", False))

    def described(spec: importlib.machinery.ModuleSpec | None) -> tuple[object, ...]:
        assert spec is not None and spec.loader is not None
        loader = spec.loader
        return (spec.name, spec.origin, type(loader), getattr(loader, "path", None),
                spec.submodule_search_locations, spec.cached, spec.has_location)  # fmt: skip

    ext = importer.find_spec("fktext")  # type: ignore[attr-defined]
    assert isinstance(ext.loader, importlib.machinery.ExtensionFileLoader)
    assert ext.origin == str(top / "lib-dynload" / f"fktext{suffix}")
    package = importer.find_spec("fktpkg")  # type: ignore[attr-defined]
    assert package.submodule_search_locations == [str(top / "fktpkg")]
    assert importer.find_spec("fktnolib") is None  # type: ignore[attr-defined]
    assert fake.unpacked == [  # type: ignore[attr-defined]
        f"lib-dynload/fktext{suffix}\tlibfkt.so.1",
        f"fktpkg/__init__{suffix}",
        "libfktonly.so.2",
    ]
    sys.path_importer_cache.clear()
    for name, spec in (("fktext", ext), ("fktpkg", package)):
        assert described(spec) == described(importlib.machinery.PathFinder.find_spec(name))
