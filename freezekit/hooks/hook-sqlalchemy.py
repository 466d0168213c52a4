"""SQLAlchemy: dialects are loaded by name from the URL (``sqlite://`` imports
``sqlalchemy.dialects.sqlite`` and its ``pysqlite`` driver module through a plugin loader),
and ``util.preloaded`` imports the modules named in ``preload_module(...)`` strings.

Every SQLAlchemy module is bundled except the test suite support and the mypy plugin; the
database drivers themselves (psycopg, pymysql, ...) are imported inside functions and so are
bundled when installed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    left_out = ("sqlalchemy.testing", "sqlalchemy.ext.mypy")
    api.add_imports(*(n for n in api.submodules("sqlalchemy") if not n.startswith(left_out)))
    api.exclude_imports("pytest", "mypy", "sqlalchemy.testing")
