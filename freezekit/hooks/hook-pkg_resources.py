"""pkg_resources (from setuptools): its dependencies are vendored copies, reached in ways a
scanner cannot follow.

* setuptools < 71: ``pkg_resources.extern.X`` is redirected by a meta-path importer to
  ``pkg_resources._vendor.X``: every vendored module is added by name.
* setuptools >= 71: ``setuptools/_vendor`` is appended to ``sys.path`` at import time and the
  vendored packages are imported as top-level names (``jaraco.text``, ``packaging``, ...).
  The hook makes the analysis see that folder the same way; an installed copy of the same
  package found earlier on the path wins, as it does in the unfrozen app.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def _vendored_top_levels(vendor: str) -> list[str]:
    names = []
    for entry in sorted(os.listdir(vendor)):
        path = os.path.join(vendor, entry)
        if entry.endswith((".dist-info", ".egg-info")) or entry.startswith(("_", ".")):
            continue
        if os.path.isdir(path) and (
            os.path.isfile(os.path.join(path, "__init__.py")) or entry == "jaraco"
        ):
            names.append(entry)
        elif entry.endswith(".py"):
            names.append(entry[:-3])
    return names


def _has(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # the parent package is not installed
        return False


def hook(api: HookApi) -> None:
    if _has("pkg_resources._vendor"):  # old layout
        api.add_imports(*api.submodules("pkg_resources._vendor"))
        api.add_imports("pkg_resources.extern")
        return
    spec = importlib.util.find_spec("setuptools") if _has("setuptools") else None
    if spec is None or not spec.submodule_search_locations:
        return
    vendor = os.path.join(list(spec.submodule_search_locations)[0], "_vendor")
    if not os.path.isdir(vendor):
        return
    if vendor not in sys.path:
        sys.path.append(vendor)  # the worker's path: what setuptools does at run time
    for name in _vendored_top_levels(vendor):
        api.add_imports(*api.submodules(name))
