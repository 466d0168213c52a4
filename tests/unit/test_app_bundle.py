"""BUNDLE: the .app layout and Info.plist, made and checked on any host."""

from __future__ import annotations

import os
import plistlib
from pathlib import Path

import pytest

from freezekit.assemble.app_bundle import BundleSettings, info_plist, write_bundle
from freezekit.errors import AssembleError
from freezekit.options import Mode


def _onedir(tmp_path: Path) -> Path:
    app = tmp_path / "dist" / "app"
    (app / "_internal" / "assets").mkdir(parents=True)
    (app / "app").write_bytes(b"\x7fELF exe")
    os.chmod(app / "app", 0o755)
    (app / "_internal" / "libpython3.12.dylib").write_bytes(b"lib")
    (app / "_internal" / "assets" / "readme.txt").write_text("read me")
    os.symlink("libpython3.12.dylib", app / "_internal" / "Python")
    return app


def test_minimal_plist_with_user_entries_merged_over_it() -> None:
    settings = BundleSettings(
        name="My App.app",
        bundle_identifier="org.example.app",
        version="1.2.3",
        icon=Path("art/icon.icns"),
        info_plist={"NSHighResolutionCapable": "True", "LSUIElement": True},
    )
    assert info_plist(settings, executable="myapp") == {
        "CFBundleDisplayName": "My App",
        "CFBundleExecutable": "myapp",
        "CFBundleIdentifier": "org.example.app",
        "CFBundleInfoDictionaryVersion": "6.0",
        "CFBundleName": "My App",
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": "1.2.3",
        "NSHighResolutionCapable": "True",
        "CFBundleIconFile": "icon.icns",
        "LSUIElement": True,
    }


def test_onedir_bundle_layout(tmp_path: Path) -> None:
    icon = tmp_path / "icon.icns"
    icon.write_bytes(b"icns")
    settings = BundleSettings(name="App.app", icon=icon, bundle_identifier="org.example.app")
    out = write_bundle(
        _onedir(tmp_path),
        mode=Mode.ONEDIR,
        executable="app",
        settings=settings,
        distpath=tmp_path / "dist",
    )
    assert out == tmp_path / "dist" / "App.app"
    contents = out / "Contents"
    listing = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert listing == [
        "Contents",
        "Contents/Frameworks",
        "Contents/Frameworks/Python",
        "Contents/Frameworks/assets",
        "Contents/Frameworks/assets/readme.txt",
        "Contents/Frameworks/libpython3.12.dylib",
        "Contents/Info.plist",
        "Contents/MacOS",
        "Contents/MacOS/_internal",
        "Contents/MacOS/app",
        "Contents/PkgInfo",
        "Contents/Resources",
        "Contents/Resources/icon.icns",
    ]
    assert os.readlink(contents / "MacOS" / "_internal") == "../Frameworks"
    assert os.readlink(contents / "Frameworks" / "Python") == "libpython3.12.dylib"
    assert (contents / "MacOS" / "_internal" / "assets" / "readme.txt").read_text() == "read me"
    assert os.access(contents / "MacOS" / "app", os.X_OK)
    plist = plistlib.loads((contents / "Info.plist").read_bytes())
    assert plist["CFBundleExecutable"] == "app"
    assert plist["CFBundleIdentifier"] == "org.example.app"
    assert plist["CFBundlePackageType"] == "APPL"
    assert plist["CFBundleIconFile"] == "icon.icns"
    assert not list((tmp_path / "dist").glob(".*partial*"))


def test_onefile_bundle_holds_just_the_executable(tmp_path: Path) -> None:
    exe = tmp_path / "dist" / "tool"
    exe.parent.mkdir()
    exe.write_bytes(b"\x7fELF onefile")
    out = write_bundle(
        exe,
        mode=Mode.ONEFILE,
        executable="tool",
        settings=BundleSettings(name="Tool.app", version="2.0"),
        distpath=tmp_path / "dist",
    )
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == [
        "Contents",
        "Contents/Info.plist",
        "Contents/MacOS",
        "Contents/MacOS/tool",
        "Contents/PkgInfo",
    ]
    plist = plistlib.loads((out / "Contents" / "Info.plist").read_bytes())
    assert (plist["CFBundleShortVersionString"], plist["CFBundleIdentifier"]) == ("2.0", "Tool")


def test_unwritable_plist_value_leaves_no_partial_bundle(tmp_path: Path) -> None:
    settings = BundleSettings(name="App.app", info_plist={"Bad": None})
    with pytest.raises(AssembleError, match="cannot be written as a plist"):
        write_bundle(
            _onedir(tmp_path),
            mode=Mode.ONEDIR,
            executable="app",
            settings=settings,
            distpath=tmp_path / "dist",
        )
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["app"]
