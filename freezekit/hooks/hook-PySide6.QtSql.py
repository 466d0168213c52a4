"""PySide6.QtSql: database drivers are plugins; only SQLite is bundled (the others need
client libraries of their servers: add them with --add-binary)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    path = os.path.join(str(api.module_dir), "Qt", "plugins", "sqldrivers", "libqsqlite.so")
    if os.path.isfile(path):
        api.add_binaries([(path, "PySide6/Qt/plugins/sqldrivers")])
