"""The Windows cross path's own rules, without wine: target names, reserved file names, the
DLL walk on fixture PE files, the bridge's path mapping and links made copies."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from freezekit.assemble.plan import CollectPlan, FileItem, LinkItem
from freezekit.crossbuild import windows_cross as wc
from freezekit.errors import AnalysisError, OptionsError, ToolchainError
from freezekit.options import Mode
from freezekit.toc import EntryKind

BINARIES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"


def test_windows_cross_target_names() -> None:
    assert wc.parse_target("windows-x86_64-3.12") == "3.12"
    assert wc.parse_target("windows-amd64-3.11") == "3.11"
    with pytest.raises(OptionsError, match="unknown target 'linux-x86_64-3.12'"):
        wc.parse_target("linux-x86_64-3.12")
    with pytest.raises(ToolchainError, match="no Windows CPython 3.9 is known"):
        wc.parse_target("windows-x86_64-3.9")


@pytest.mark.parametrize(
    "name",
    [
        "CON",
        "data/nul.txt",
        "pkg/Com1.json",
        "lpt9",
        "aux.tar.gz",
        "dir/trailing.",
        "a/b ",
        "x/y?z",
    ],
)
def test_windows_cross_reserved_names_are_refused(name: str) -> None:
    with pytest.raises(AnalysisError, match="cannot exist on Windows") as caught:
        wc.check_entry_names(["fine.txt", name])
    assert "\n" not in caught.value.message and repr(name) in caught.value.message


def test_windows_cross_ordinary_names_pass() -> None:
    wc.check_entry_names(["console.txt", "pkg/nullable.py", "com10.dll", "lpt.txt", "a.b/c"])


def test_windows_cross_dll_walk_bundles_the_app_dll_not_windows_own(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "fkapp.exe").write_bytes((BINARIES / "fkapp.exe").read_bytes())
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "FKDEP.DLL").write_bytes((BINARIES / "fkdep.dll").read_bytes())  # case differs
    found, excluded, edges = wc.walk_dlls(
        [("fkapp.exe", app / "fkapp.exe")], search=[libs], site_dirs=[]
    )
    assert [(e.name, Path(str(e.source)).name) for e in found] == [("FKDEP.DLL", "FKDEP.DLL")]
    assert {"kernel32.dll", "user32.dll"} <= set(excluded)
    assert ("fkapp.exe", "FKDEP.DLL") in edges


def test_windows_cross_bridge_maps_windows_paths_to_host_paths(tmp_path: Path) -> None:
    text = wc._BRIDGE.format(host_python="/usr/bin/python3", wine="w", exe="e", prefix="p")
    namespace = runpy.run_path(str(_without_main(text, tmp_path)), run_name="freezekit_bridge_test")
    host = namespace["walk"]
    reply = {
        "file": "Z:\\work\\app\\mod.py",
        "paths": ["/work/app\\pkg\\__init__.py", "z:/tmp/x", "json", "C:\\Windows\\x.dll"],
    }
    assert host(reply) == {
        "file": "/work/app/mod.py",
        "paths": ["/work/app/pkg/__init__.py", "/tmp/x", "json", "C:\\Windows\\x.dll"],
    }


def test_windows_cross_bridge_is_valid_python() -> None:
    text = wc._BRIDGE.format(host_python="/usr/bin/python3", wine="w", exe="e", prefix="p")
    compile(text, "python3.12-wine", "exec")


def _without_main(text: str, tmp_path: Path) -> Path:
    """The bridge's functions only (what follows them runs wine)."""
    path = tmp_path / "bridge.py"
    path.write_text(text.split("\nenv = dict(", 1)[0])
    return path


def test_windows_cross_links_become_copies(tmp_path: Path) -> None:
    source = tmp_path / "data.txt"
    source.write_text("x")
    item = FileItem(dest="pkg/data.txt", source=source, kind=EntryKind.DATA, mode=0o644)
    plan = CollectPlan(
        name="app",
        mode=Mode.ONEDIR,
        code_items=(),
        files=(item,),
        links=(LinkItem(dest="other/data.txt", target="../pkg/data.txt"),),
        externals=(),
        header=None,  # type: ignore[arg-type]  # not used here
        level=3,
    )
    copied = wc.copies_not_links(plan)
    assert copied.links == ()
    assert [(i.dest, i.source) for i in copied.files] == [
        ("other/data.txt", source),
        ("pkg/data.txt", source),
    ]


def test_windows_cross_target_from_pyproject_and_cli(tmp_path: Path) -> None:
    from freezekit.cli import make_parser, options_from_args
    from freezekit.spec.pyproject import options_from_pyproject

    (tmp_path / "app.py").write_text("print(1)\n")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = ["attrs>=23"]\n'
        '[tool.freezekit]\nscripts = ["app.py"]\ntarget = "windows-x86_64-3.12"\n'
    )
    assert options_from_pyproject(pyproject).target == "windows-x86_64-3.12"
    assert wc.project_requirements(pyproject) == ("attrs>=23",)
    args = make_parser().parse_args(["build", "app.py", "--target", "windows-x86_64-3.11"])
    assert options_from_args(args, [tmp_path / "app.py"]).target == "windows-x86_64-3.11"


def test_windows_cross_without_wine_names_the_package_and_the_script(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("freezekit.crossbuild.windows.find_wine", lambda: None)
    problems = wc.cross_problems("3.12")
    assert "wine64 (Debian package wine64; `bash scripts/install-mingw.sh`)" in problems
    options = wc.BuildOptions(scripts=(Path("app.py"),), name="app", target="windows-x86_64-3.12")
    with pytest.raises(ToolchainError) as caught:
        wc.build_for_target(options)
    assert "\n" not in caught.value.message
    assert caught.value.message.startswith(
        "cannot cross-freeze for windows-x86_64-3.12: missing wine64 (Debian package wine64"
    )
