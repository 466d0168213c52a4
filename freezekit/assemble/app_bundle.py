"""BUNDLE: a macOS ``.app`` folder around an assembled app, with its Info.plist.

Layout::

    App.app/Contents/Info.plist
    App.app/Contents/MacOS/<exe>             the executable (onedir or onefile)
    App.app/Contents/MacOS/_internal         onedir: a link to ../Frameworks, where the
    App.app/Contents/Frameworks/...          bootloader finds its top directory
    App.app/Contents/Resources/<icon>.icns   the icon, when one is given

The bundle is made on any host (its layout and plist are checked on Linux); it runs on macOS.
"""

from __future__ import annotations

import os
import plistlib
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from freezekit.assemble.plan import TOP_DIR_NAME
from freezekit.errors import AssembleError
from freezekit.options import Mode


@dataclass(frozen=True, kw_only=True)
class BundleSettings:
    name: str  # the folder name, ending in .app
    icon: Path | None = None
    bundle_identifier: str | None = None
    version: str | None = None
    info_plist: Mapping[str, object] = field(default_factory=dict)


def info_plist(settings: BundleSettings, *, executable: str) -> dict[str, object]:
    """The minimal Info.plist, with ``settings.info_plist`` merged over it."""
    display = settings.name.removesuffix(".app")
    plist: dict[str, object] = {
        "CFBundleDisplayName": display,
        "CFBundleExecutable": executable,
        "CFBundleIdentifier": settings.bundle_identifier or display,
        "CFBundleInfoDictionaryVersion": "6.0",
        "CFBundleName": display,
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": settings.version or "0.0.0",
        "NSHighResolutionCapable": True,
    }
    if settings.icon is not None:
        plist["CFBundleIconFile"] = _icon_name(settings.icon)
    plist.update(settings.info_plist)
    return plist


def _icon_name(icon: Path) -> str:
    return icon.name if icon.suffix else icon.name + ".icns"


def plist_bytes(plist: Mapping[str, object]) -> bytes:
    try:
        return plistlib.dumps(dict(plist), sort_keys=True)
    except (TypeError, OverflowError) as exc:
        raise AssembleError(
            f"BUNDLE info_plist cannot be written as a plist: {exc}",
            hint="values must be str, int, float, bool, bytes, lists or dicts of these",
        ) from exc


def write_bundle(
    output: Path, *, mode: Mode, executable: str, settings: BundleSettings, distpath: Path
) -> Path:
    """Write ``distpath/<settings.name>`` from the assembled ``output``; returns its path."""
    final = distpath / settings.name
    partial = distpath / f".{settings.name}.partial-{os.getpid()}"
    _remove(partial)
    try:
        contents = partial / "Contents"
        macos = contents / "MacOS"
        macos.mkdir(parents=True)
        if mode is Mode.ONEFILE:
            shutil.copy2(output, macos / executable)
        else:
            shutil.copy2(output / executable, macos / executable)
            shutil.copytree(output / TOP_DIR_NAME, contents / "Frameworks", symlinks=True)
            os.symlink(os.path.join("..", "Frameworks"), macos / TOP_DIR_NAME)
        if settings.icon is not None:
            resources = contents / "Resources"
            resources.mkdir()
            shutil.copyfile(settings.icon, resources / _icon_name(settings.icon))
        (contents / "Info.plist").write_bytes(
            plist_bytes(info_plist(settings, executable=executable))
        )
        (contents / "PkgInfo").write_bytes(b"APPL????")
        if final.exists() or final.is_symlink():
            _remove(final)
        os.rename(partial, final)
    except OSError as exc:
        _remove(partial)
        raise AssembleError(
            f"cannot write {final}: {exc.strerror} ({exc.filename})",
            hint="check free space and permissions of the dist folder",
        ) from exc
    except BaseException:
        _remove(partial)
        raise
    return final


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
