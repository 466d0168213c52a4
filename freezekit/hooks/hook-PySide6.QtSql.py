"""PySide6.QtSql: database drivers are plugins; only SQLite is bundled (the others need
client libraries of their servers: add them with --add-binary)."""

import os


def hook(api):
    path = os.path.join(str(api.module_dir), "Qt", "plugins", "sqldrivers", "libqsqlite.so")
    if os.path.isfile(path):
        api.add_binaries([(path, "PySide6/Qt/plugins/sqldrivers")])
