"""PySide6.QtGui: Qt loads its platform integration and image codecs as plugins at run time
(never as DT_NEEDED), from Qt/plugins next to Qt/lib. They keep that place in the app, so
Qt's relocatable prefix finds them without QT_PLUGIN_PATH; their own Qt libraries are
found by the dependency walk (only the Qt libraries actually needed are bundled).

Bundled: platforms offscreen, minimal, xcb (+ GLX/EGL integration) and wayland (+ its shell,
decoration and graphics integrations), every image format but PDF (which needs QtPdf),
the SVG icon engine and the compose input context. Left out: eglfs, linuxfb, vnc, the GTK
platform theme; add them with --add-binary if your app needs them."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


PLUGINS = {
    "platforms": [
        "libqoffscreen.so",
        "libqminimal.so",
        "libqxcb.so",
        "libqwayland.so",
        "libqwayland-generic.so",
        "libqwayland-egl.so",
    ],
    "xcbglintegrations": ["*.so"],
    "wayland-shell-integration": ["*.so"],
    "wayland-decoration-client": ["*.so"],
    "wayland-graphics-integration-client": ["*.so"],
    "imageformats": ["*.so", "!libqpdf.so"],
    "iconengines": ["*.so"],
    "platforminputcontexts": ["libcomposeplatforminputcontextplugin.so"],
}


def plugin_files(plugins_dir: str, folder: str, patterns: list[str]) -> list[str]:
    """Files of plugins_dir/folder matching the patterns (a leading ! removes)."""
    import fnmatch

    path = os.path.join(plugins_dir, folder)
    if not os.path.isdir(path):
        return []
    names = sorted(os.listdir(path))
    keep = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns if p[0] != "!")]
    drop = [p[1:] for p in patterns if p[0] == "!"]
    return [os.path.join(path, n) for n in keep if not any(fnmatch.fnmatch(n, p) for p in drop)]


def hook(api: HookApi) -> None:
    plugins_dir = os.path.join(str(api.module_dir), "Qt", "plugins")
    for folder, patterns in PLUGINS.items():
        files = plugin_files(plugins_dir, folder, patterns)
        api.add_binaries((f, f"PySide6/Qt/plugins/{folder}") for f in files)
