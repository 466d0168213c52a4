"""Django: nearly everything is imported by dotted name at run time: the settings module
(``DJANGO_SETTINGS_MODULE``), installed apps and their ``templatetags``, management commands
(listed with pkgutil from the ``commands`` folders) and migrations, middleware, template and
database backends, the default logging handler ``django.utils.log.AdminEmailHandler``.

Every Django submodule is bundled (not ``django.contrib.gis``, which needs GDAL: give it as a
hidden import if you use it). The settings module is the ``DJANGO_SETTINGS_MODULE`` of the
build's environment, or the one a ``.py`` file of the app's folders sets
(``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")``, as ``manage.py``
does); each app of its ``INSTALLED_APPS`` brings its ``templatetags``, ``management`` and
``migrations`` packages. The strings of the settings module (middleware, URLconf, backends)
are followed by the analysis itself (analysis/userstrings.py), and templates, static files
and translations inside packages are bundled as package data."""

from __future__ import annotations

import ast
import os
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from freezekit.analysis.hooks import HookApi


_SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*[,\]=:]\s*['"]([\w.]+)['"]""")
_LEFT_OUT = ("django.contrib.gis",)


def _app_folders() -> Iterator[str]:
    """sys.path folders of the app itself (not the interpreter's or installed packages)."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    for entry in sys.path:
        real = os.path.realpath(entry or ".")
        if not os.path.isdir(real) or os.path.basename(real) in ("site-packages", "dist-packages"):
            continue
        if any(real == p or real.startswith(p + os.sep) for p in prefixes):
            continue
        yield real


def settings_module() -> str | None:
    name = os.environ.get("DJANGO_SETTINGS_MODULE")
    if name:
        return name
    for folder in _app_folders():
        for file_name in sorted(os.listdir(folder)):
            if not file_name.endswith(".py"):
                continue
            try:
                with open(os.path.join(folder, file_name), encoding="utf-8") as stream:
                    match = _SETTINGS.search(stream.read())
            except (OSError, UnicodeDecodeError):
                continue
            if match:
                return match.group(1)
    return None


def installed_apps(settings_file: str) -> list[str]:
    """The string entries of ``INSTALLED_APPS = [...]`` (read, not run)."""
    try:
        with open(settings_file, "rb") as stream:
            tree = ast.parse(stream.read(), settings_file)
    except (OSError, SyntaxError, ValueError):
        return []
    apps = []
    for node in ast.walk(tree):
        targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
        if not any(getattr(t, "id", None) == "INSTALLED_APPS" for t in targets):
            continue
        value = getattr(node, "value", None)
        for item in getattr(value, "elts", ()):
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                apps.append(item.value)
    return apps


def hook(api: HookApi) -> None:
    api.add_imports(*(n for n in api.submodules("django") if not n.startswith(_LEFT_OUT)))
    api.exclude_imports("django.contrib.gis", "pytest", "IPython", "bpython")
    settings = settings_module()
    if not settings:
        return
    api.add_imports(settings)
    from importlib.util import find_spec

    try:
        spec = find_spec(settings)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return
    for app in installed_apps(spec.origin):
        if app.startswith("django."):
            continue  # bundled whole above
        # "polls" or "polls.apps.PollsConfig": the app's package is the longest prefix that
        # has one of the folders Django looks into
        parts = app.split(".")
        for end in range(len(parts), 0, -1):
            found = _app_submodules(api, ".".join(parts[:end]))
            if found:
                api.add_imports(*found)
                break


def _app_submodules(api: HookApi, package: str) -> list[str]:
    found: list[str] = []
    for sub in ("templatetags", "management", "migrations"):
        try:  # finding a subpackage imports its parents: an app's __init__ may need settings
            found += api.submodules(f"{package}.{sub}")
        except Exception:
            continue
    return found
