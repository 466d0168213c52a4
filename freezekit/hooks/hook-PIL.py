"""Pillow: image plugins (PIL.PngImagePlugin, ...) are imported by name when a format is first
opened or saved (Image.preinit/init), so the scanner never sees them. The vendored libraries
(pillow.libs/, found through the extensions' RUNPATH) need nothing here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    api.add_imports(*(n for n in api.submodules("PIL") if n.endswith("ImagePlugin")))
    # ImageTk/ImageQt are only bundled when the app imports them itself
    api.exclude_imports("tkinter", "PyQt5", "PyQt6", "PySide2", "PySide6", "IPython")
