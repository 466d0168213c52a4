"""freezekit's own PyInstaller hook API (analysis/pyinstaller_api), against fixture packages.

``tests/fixtures/pyi_site`` is a small site-packages: ``fkdata`` (data files, submodules,
a distribution requiring ``fkdep`` -> ``fkdeep``, one requirement per marker kind),
``fklibs`` (files named like shared libraries), ``fkver`` (a version attribute, no
distribution). The functions run here in the test interpreter; in a build they run in the
analysis worker under the target interpreter, where the same code is imported as
``PyInstaller.utils.hooks``.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from freezekit.analysis.hooks import HookError, PyInstallerShim, run_hook
from freezekit.analysis.pyinstaller_api.PyInstaller import compat, isolated
from freezekit.analysis.pyinstaller_api.PyInstaller.depend import bindepend
from freezekit.analysis.pyinstaller_api.PyInstaller.depend.utils import _resolveCtypesImports
from freezekit.analysis.pyinstaller_api.PyInstaller.utils import hooks as pyi

SITE = Path(__file__).resolve().parents[1] / "fixtures" / "pyi_site"


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(SITE))
    importlib.invalidate_caches()
    yield SITE
    for name in list(sys.modules):
        if name.partition(".")[0] in ("fkdata", "fklibs", "fkver"):
            del sys.modules[name]


def test_collect_data_files_keeps_folders_and_leaves_modules_out(site: Path) -> None:
    assert sorted(pyi.collect_data_files("fkdata")) == [
        (str(site / "fkdata/data/a.txt"), "fkdata/data"),
        (str(site / "fkdata/data/sub/b.json"), "fkdata/data/sub"),
    ]
    with_py = {Path(src).name for src, _ in pyi.collect_data_files("fkdata", include_py_files=True)}
    assert {"a.txt", "b.json", "__init__.py", "mod.py", "three.py"} <= with_py


def test_collect_data_files_subdir_includes_excludes(site: Path) -> None:
    names = lambda pairs: sorted(Path(src).name for src, _ in pairs)  # noqa: E731
    assert names(pyi.collect_data_files("fkdata", subdir="data/sub")) == ["b.json"]
    assert names(pyi.collect_data_files("fkdata", excludes=["data/sub"])) == ["a.txt"]
    assert names(pyi.collect_data_files("fkdata", includes=["**/*.json"])) == ["b.json"]
    assert pyi.collect_data_files("fkdata.mod") == []  # a module, not a package
    assert pyi.collect_data_files("fk_not_there") == []


def test_collect_data_files_skips_pycache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SITE / "fkdata", tmp_path / "fkdata")
    (tmp_path / "fkdata" / "__pycache__").mkdir()
    (tmp_path / "fkdata" / "__pycache__" / "stale.txt").write_text("x")
    monkeypatch.syspath_prepend(str(tmp_path))
    names = {Path(src).name for src, _ in pyi.collect_data_files("fkdata")}
    assert names == {"a.txt", "b.json"}


def test_collect_submodules_walks_the_disk_and_filters(site: Path) -> None:
    assert pyi.collect_submodules("fkdata") == [
        "fkdata",
        "fkdata.mod",
        "fkdata.plugins",
        "fkdata.plugins.deep",
        "fkdata.plugins.deep.three",
        "fkdata.plugins.one",
        "fkdata.plugins.two",
    ]
    kept = pyi.collect_submodules("fkdata.plugins", filter=lambda n: not n.endswith(".deep"))
    assert kept == ["fkdata.plugins", "fkdata.plugins.one", "fkdata.plugins.two"]
    assert pyi.collect_submodules("fkdata.mod") == ["fkdata.mod"]
    assert pyi.collect_submodules("fk_not_there") == []
    assert "fkdata.plugins" not in sys.modules  # found, not imported
    with pytest.raises(TypeError):
        pyi.collect_submodules(42)  # type: ignore[arg-type]


def test_copy_metadata_and_recursive(site: Path) -> None:
    assert pyi.copy_metadata("fkdata") == [
        (str(site / "fkdata-1.2.0.dist-info"), "fkdata-1.2.0.dist-info")
    ]
    dests = [dest for _, dest in pyi.copy_metadata("fkdata", recursive=True)]
    # fkdep and what it requires; not fkwin (win32 marker), fkextra (an extra nobody asked
    # for) or fknotinstalled (required but not installed: skipped)
    assert dests == ["fkdata-1.2.0.dist-info", "fkdep-0.5.dist-info", "fkdeep-3.0.dist-info"]
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        pyi.copy_metadata("fk-not-installed")


def test_requirements_and_versions(site: Path) -> None:
    assert pyi.is_module_satisfies("fkdata >= 1.0")
    assert not pyi.is_module_satisfies("fkdata < 1.0")
    assert pyi.is_module_satisfies("fkver >= 2")  # no distribution: __version__, in a child
    assert not pyi.is_module_satisfies("fkver > 3")
    assert "fkver" not in sys.modules
    assert not pyi.is_module_satisfies("fk-not-installed")
    assert pyi.is_module_satisfies("PyInstaller >= 6.0")  # the API level freezekit provides
    assert pyi.is_module_satisfies("fkdata > 5", version="6.0")
    assert pyi.check_requirement("fkdep == 0.5")
    assert not pyi.check_requirement("fkver")  # a module, not a distribution
    assert pyi.requirements_for_package("fkdata") == ["fkdep"]


def test_collect_dynamic_libs_finds_library_names(site: Path) -> None:
    found = sorted(pyi.collect_dynamic_libs("fklibs"))
    assert found == [
        (str(site / "fklibs/libfkx.so"), "fklibs"),
        (str(site / "fklibs/native.dll"), "fklibs"),
        (str(site / "fklibs/sub/libfky.so"), "fklibs/sub"),
    ]
    assert {d for _, d in pyi.collect_dynamic_libs("fklibs", destdir=".")} == {"."}


def test_collect_entry_point_and_collect_all(site: Path) -> None:
    datas, imports = pyi.collect_entry_point("fk.plugins")
    assert imports == ["fkdata.plugins.one", "fkdata.plugins.two"]
    assert datas == [(str(site / "fkdata-1.2.0.dist-info"), "fkdata-1.2.0.dist-info")]
    datas, binaries, hidden = pyi.collect_all("fkdata")
    dests = {dest for _, dest in datas}
    assert {"fkdata/data", "fkdata-1.2.0.dist-info"} <= dests
    assert binaries == []
    assert "fkdata.plugins.deep.three" in hidden


def test_module_queries(site: Path) -> None:
    assert pyi.get_module_attribute("fkver", "__version__") == "2.5"
    with pytest.raises(AttributeError):
        pyi.get_module_attribute("fkver", "nothing")
    assert pyi.can_import_module("fkver")
    assert not pyi.can_import_module("fk_not_there")
    assert pyi.get_package_paths("fkdata.plugins") == (str(site), str(site / "fkdata/plugins"))
    with pytest.raises(ValueError):
        pyi.get_package_paths("fkdata.mod")
    assert pyi.get_module_file_attribute("fkdata.mod") == str(site / "fkdata/mod.py")
    assert pyi.is_package("fkdata") and not pyi.is_package("fkdata.mod")
    assert pyi.get_installer("fkdata") == "pip"
    assert pyi.get_pyextension_imports("fkver") == []


def test_small_helpers() -> None:
    assert pyi.include_or_exclude_file("a.txt", ["*.txt"], ["b*"])
    assert not pyi.include_or_exclude_file("a.txt", ["*.json"])
    assert not pyi.include_or_exclude_file("a.txt", None, ["a.*"])
    assert pyi.is_module_or_submodule("a.b", "a") and not pyi.is_module_or_submodule("ab", "a")
    assert pyi.remove_file_extension("x.cpython-311-x86_64-linux-gnu.so") == "x"
    api = type("Api", (), {"analysis": type("A", (), {"hooksconfig": {"m": {"k": 1}}})()})()
    assert pyi.get_hook_config(api, "m", "k") == 1
    assert pyi.get_hook_config(api, "m", "other") is None
    assert compat.is_linux == sys.platform.startswith("linux")
    assert compat.is_py310 and compat.is_64bits == (sys.maxsize > 2**32)
    assert compat.EXTENSION_SUFFIXES and compat.base_prefix == sys.base_prefix


def _child_pid() -> int:
    import os

    return os.getpid()


def _child_fails() -> None:
    raise ValueError("from the child")


def test_isolated_runs_in_a_child_interpreter() -> None:
    import os

    assert isolated.call(_child_pid) != os.getpid()
    assert isolated.decorate(_child_pid)() != os.getpid()
    with pytest.raises(RuntimeError, match="ValueError: from the child"):
        isolated.call(_child_fails)
    with isolated.Python() as child:
        assert child.call(_child_pid) != os.getpid()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF")
def test_binary_helpers_read_elf() -> None:
    import sysconfig

    libpython = Path(sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("LDLIBRARY"))
    if not libpython.exists():
        pytest.skip("no shared libpython")
    needed = dict(bindepend.get_imports(str(libpython)))
    assert any(name.startswith("libc.so") for name in needed)
    assert all(path is None or Path(path).is_file() for path in needed.values())
    resolved = _resolveCtypesImports(["libc.so.6"])
    assert resolved and resolved[0][0] == "libc.so.6" and Path(resolved[0][1]).is_file()


# -- the shim as hooks see it ----------------------------------------------------------------


def test_shim_serves_pyinstaller_only_while_a_hook_runs() -> None:
    shim = PyInstallerShim()
    with shim:
        import PyInstaller.utils.hooks as served  # type: ignore[import-not-found]

        assert served.__file__.startswith(str(Path(pyi.__file__).parent))
        assert importlib.import_module("PyInstaller").__version__.startswith("6.")
    assert "PyInstaller" not in sys.modules
    assert "PyInstaller.utils.hooks" not in sys.modules
    with shim:  # kept for the next hook, not imported again
        assert sys.modules["PyInstaller.utils.hooks"] is served


def test_pyinstaller_hook_runs_unchanged(site: Path, tmp_path: Path) -> None:
    hook = tmp_path / "hook-fkdata.py"
    hook.write_text(
        "import os\n"
        "from PyInstaller.compat import is_linux\n"
        "from PyInstaller.utils.hooks import collect_data_files, collect_submodules,"
        " copy_metadata\n"
        "datas = collect_data_files('fkdata') + copy_metadata('fkdata', recursive=True)\n"
        "hiddenimports = collect_submodules('fkdata.plugins')\n"
        "binaries = [('libthing.so', os.path.join(os.path.dirname(__file__), 'x.so'),"
        " 'BINARY')]\n"
        "module_collection_mode = {'fkdata.plugins': 'py'}\n"
        "def hook(hook_api):\n"
        "    hook_api.add_datas([(os.path.join(hook_api.__path__[0], 'mod.py'), 'extra')])\n"
        "    hook_api.del_imports('tkinter')\n"
        "    hook_api.add_imports(hook_api.__name__ + '.mod')\n"
    )
    outcome = run_hook(
        str(hook),
        "fkdata",
        module_dir=site / "fkdata",
        module_file=str(site / "fkdata/__init__.py"),
        search_path=[str(site / "fkdata")],
    )
    assert outcome.hiddenimports == [
        "fkdata.plugins",
        "fkdata.plugins.deep",
        "fkdata.plugins.deep.three",
        "fkdata.plugins.one",
        "fkdata.plugins.two",
        "fkdata.mod",
    ]
    assert outcome.excludedimports == ["tkinter"]
    assert outcome.binaries == [(str(tmp_path / "x.so"), ".")]  # a TOC triple, translated
    dests = [d for _, d in outcome.datas]
    assert dests[:5] == [
        "fkdata/data",
        "fkdata/data/sub",
        "fkdata-1.2.0.dist-info",
        "fkdep-0.5.dist-info",
        "fkdeep-3.0.dist-info",
    ]
    assert (str(site / "fkdata/mod.py"), "extra") in outcome.datas
    # 'py' collection mode: the sources go where the modules' __file__ points in the app
    assert (str(site / "fkdata/plugins/one.py"), "fkdata/plugins") in outcome.datas
    assert (str(site / "fkdata/plugins/deep/three.py"), "fkdata/plugins/deep") in outcome.datas


@pytest.mark.parametrize(
    ("line", "name"),
    [
        (
            "from PyInstaller.utils.hooks import no_such_helper",
            "PyInstaller.utils.hooks.no_such_helper",
        ),
        ("from PyInstaller.utils.hooks import gi", "PyInstaller.utils.hooks.gi"),
        ("import PyInstaller.building.api", "PyInstaller.building"),
        ("from PyInstaller import compat\ncompat.is_amiga", "PyInstaller.compat.is_amiga"),
    ],
)
def test_a_missing_pyinstaller_name_is_named(tmp_path: Path, line: str, name: str) -> None:
    hook = tmp_path / "hook-mod.py"
    hook.write_text(line + "\n")
    with pytest.raises(HookError) as info:
        run_hook(str(hook), "mod", module_dir=None)
    assert info.value.unsupported == name
    assert info.value.module == "mod"
    assert name in info.value.message and "does not provide" in info.value.message
    assert "Traceback" in info.value.detail


def _contrib_dir() -> Path:
    spec = importlib.util.find_spec("_pyinstaller_hooks_contrib")
    assert spec is not None and spec.submodule_search_locations, "a freezekit dependency"
    return Path(list(spec.submodule_search_locations)[0])


#: PyInstaller names contrib hooks use that freezekit does not provide (docs/hooks.md).
LEFT_OUT: set[str] = set()


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def test_every_pyinstaller_name_contrib_hooks_use_is_provided() -> None:
    """Over the installed pyinstaller-hooks-contrib: each ``PyInstaller.x`` imported (and each
    attribute used on an imported PyInstaller module) resolves in freezekit's API."""
    used: dict[str, set[str]] = {}
    for path in _contrib_dir().rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("PyInstaller"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    used.setdefault(full, set()).add(path.name)
                    aliases[alias.asname or alias.name] = full
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("PyInstaller"):
                        used.setdefault(alias.name, set()).add(path.name)
                        aliases[alias.asname or "PyInstaller"] = (
                            alias.name if alias.asname else "PyInstaller"
                        )
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                used.setdefault(f"{aliases[node.value.id]}.{node.attr}", set()).add(path.name)
    assert len(used) > 40
    missing = {}
    with PyInstallerShim():
        for name, users in sorted(used.items()):
            if LEFT_OUT and name.startswith(tuple(LEFT_OUT)):
                continue
            try:
                _resolve(name)
            except (ImportError, AttributeError):
                missing[name] = sorted(users)
    assert missing == {}


def test_a_data_file_named_like_a_glob_is_that_file(tmp_path: Path) -> None:
    """python-docx ships "[Content_Types].xml"; contrib's hook lists it by its path."""
    from freezekit.analysis import collect
    from freezekit.toc import EntryKind

    (tmp_path / "pkg").mkdir()
    weird = tmp_path / "pkg" / "[Content_Types].xml"
    weird.write_text("<Types/>")
    hook = tmp_path / "hook-pkg.py"
    hook.write_text(f"datas = [({str(weird)!r}, 'pkg')]\n")
    outcome = run_hook(str(hook), "pkg", module_dir=tmp_path / "pkg")
    entries = collect.add_files(outcome.datas, kind=EntryKind.DATA, base=tmp_path, origin="hook")
    assert [(e.name, e.source) for e in entries] == [("pkg/[Content_Types].xml", str(weird))]


def test_conda_packages_and_their_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A made-up conda environment: torch requires mkl, which requires intel-openmp."""
    import json

    from freezekit.analysis.pyinstaller_api.PyInstaller.utils.hooks import conda, conda_support

    meta = tmp_path / "conda-meta"
    meta.mkdir()
    records = {
        "torch": (["lib/python3.11/site-packages/torch/__init__.py"], ["mkl >=2023", "python"]),
        "mkl": (["lib/libmkl_rt.so.2", "include/mkl.h"], ["intel-openmp 2023.*"]),
        "intel-openmp": (["lib/libiomp5.so"], []),
    }
    for name, (names, depends) in records.items():
        record = {"name": name, "version": "1.0", "files": names, "depends": depends}
        (meta / f"{name}-1.0-0.json").write_text(json.dumps(record))
        for file in names:
            (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / file).write_text("")
    monkeypatch.setattr(conda, "CONDA_ROOT", tmp_path)
    monkeypatch.setattr(conda, "CONDA_META_DIR", meta)
    monkeypatch.setattr(conda, "lib_dir", conda.PurePosixPath("lib"))
    torch = conda_support.package_distribution("torch")
    assert (torch.name, torch.dependencies) == ("torch", ["mkl", "python"])
    assert conda.collect_dynamic_libs("mkl", dependencies=True) == [
        (str(tmp_path / "lib/libmkl_rt.so.2"), "."),
        (str(tmp_path / "lib/libiomp5.so"), "."),
    ]
    assert conda.collect_dynamic_libs("mkl", dest="x", dependencies=False) == [
        (str(tmp_path / "lib/libmkl_rt.so.2"), "x")
    ]
    assert set(conda.walk_dependency_tree("torch")) == {"torch", "mkl", "intel-openmp", "python"}
    with pytest.raises(ModuleNotFoundError):
        conda.distribution("nothing")
