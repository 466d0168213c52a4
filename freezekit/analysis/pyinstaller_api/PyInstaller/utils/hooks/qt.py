"""``PyInstaller.utils.hooks.qt`` (minimal): which Qt bindings a hook should leave out."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

QT_BINDINGS = ["PyQt5", "PySide2", "PyQt6", "PySide6"]


def exclude_extraneous_qt_bindings(
    hook_name: str | None = None, qt_bindings_order: Sequence[str] | None = None
) -> list[str]:
    """Every Qt binding but the first one installed (in ``qt_bindings_order``): a package
    that supports several must not drag all of them into the app."""
    order = list(qt_bindings_order or QT_BINDINGS)
    chosen = None
    for name in order:
        try:
            if importlib.util.find_spec(name) is not None:
                chosen = name
                break
        except (ImportError, ValueError):
            continue
    return [name for name in QT_BINDINGS if name != chosen]
