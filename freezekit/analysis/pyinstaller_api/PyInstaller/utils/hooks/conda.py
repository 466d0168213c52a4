"""``PyInstaller.utils.hooks.conda``: the packages a conda environment holds, read from its
``conda-meta/*.json`` records (conda packages need not be Python distributions: MKL, OpenBLAS,
libspatialindex, ...). Hooks use it only under a conda Python (``compat.is_conda``)."""

from __future__ import annotations

import fnmatch
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

CONDA_ROOT = Path(sys.prefix)
CONDA_META_DIR = CONDA_ROOT / "conda-meta"
#: Where a conda package puts its shared libraries.
lib_dir = (
    PurePosixPath("Library", "bin") if sys.platform.startswith("win") else PurePosixPath("lib")
)

_LIBRARY_PATTERNS = ("*.so", "*.so.*", "*.dylib", "*.dll", "*.pyd")


class PackagePath(PurePosixPath):
    """A file of a conda package, relative to the environment's root."""

    def locate(self) -> Path:
        return CONDA_ROOT / self


class Distribution:
    """One ``conda-meta/<name>-<version>-<build>.json`` record."""

    def __init__(self, json_path: str | os.PathLike[str]) -> None:
        self._path = Path(json_path)
        data = json.loads(self._path.read_text(encoding="utf-8"))
        self.raw = data
        self.name: str = data["name"]
        self.version: str = data["version"]
        self.files = [PackagePath(f) for f in data.get("files", [])]
        self.dependencies = [str(d).split()[0] for d in data.get("depends", [])]
        self.packages = sorted(
            {
                f.parts[f.parts.index("site-packages") + 1].split(".")[0]
                for f in self.files
                if "site-packages" in f.parts[:-1]
                and not f.parts[f.parts.index("site-packages") + 1].endswith(
                    (".dist-info", ".egg-info", ".pth")
                )
            }
        )

    def __repr__(self) -> str:
        return f"Distribution(name={self.name!r}, version={self.version!r})"

    @classmethod
    def from_name(cls, name: str) -> Distribution:
        return distribution(name)

    @classmethod
    def from_package_name(cls, name: str) -> Distribution:
        return package_distribution(name)


_CACHE: dict[str, dict[str, Distribution]] = {}


def _distributions() -> dict[str, Distribution]:
    key = str(CONDA_META_DIR)
    if key not in _CACHE:
        found: dict[str, Distribution] = {}
        if CONDA_META_DIR.is_dir():
            for path in sorted(CONDA_META_DIR.glob("*.json")):
                try:
                    dist = Distribution(path)
                except (OSError, ValueError, KeyError):
                    continue
                found[dist.name] = dist
        _CACHE[key] = found
    return _CACHE[key]


def distribution(name: str) -> Distribution:
    """The conda package ``name``; ModuleNotFoundError if the environment has none."""
    try:
        return _distributions()[name]
    except KeyError:
        raise ModuleNotFoundError(f"no conda package named {name!r} in {CONDA_ROOT}") from None


def package_distribution(name: str) -> Distribution:
    """The conda package that provides Python top-level module ``name``."""
    top = name.split(".")[0]
    for dist in _distributions().values():
        if top in dist.packages:
            return dist
    raise ModuleNotFoundError(f"no conda package provides the module {name!r}")


def walk_dependency_tree(
    initial: str, excludes: Iterable[str] | None = None
) -> dict[str, Distribution | None]:
    """``initial`` and every package it requires, transitively (None: not installed)."""
    skip = set(excludes or ())
    done: dict[str, Distribution | None] = {}
    todo = [initial]
    while todo:
        name = todo.pop()
        if name in done or name in skip:
            continue
        dist = _distributions().get(name)
        done[name] = dist
        if dist is not None:
            todo.extend(dist.dependencies)
    return done


def requires(name: str, strip_versions: bool = False) -> list[str]:
    dist = distribution(name)
    if strip_versions:
        return list(dist.dependencies)
    return [str(d) for d in dist.raw.get("depends", [])]


def files(
    name: str, dependencies: bool = False, excludes: Iterable[str] | None = None
) -> list[PackagePath]:
    """The files of conda package ``name`` (and of what it requires, with ``dependencies``)."""
    if not dependencies:
        return list(distribution(name).files)
    found: list[PackagePath] = []
    for dist in walk_dependency_tree(name, excludes).values():
        if dist is not None:
            found.extend(dist.files)
    return found


def collect_dynamic_libs(
    name: str,
    dest: str = ".",
    dependencies: bool = True,
    excludes: Iterable[str] | None = None,
) -> list[tuple[str, str]]:
    """``(library, dest)`` for the shared libraries conda package ``name`` (and, with
    ``dependencies``, what it requires) keeps in the environment's library folder."""
    pairs: list[tuple[str, str]] = []
    for file in files(name, dependencies=dependencies, excludes=excludes):
        if PurePosixPath(*file.parts[:-1]) != lib_dir:
            continue
        if any(fnmatch.fnmatch(file.name, p) for p in _LIBRARY_PATTERNS):
            located = file.locate()
            if located.is_file():
                pairs.append((str(located), dest))
    return pairs


#: Module name -> its conda package, and package name -> package (PyInstaller's tables).
def __getattr__(attr: str) -> object:
    if attr == "distributions":
        return _distributions()
    if attr == "distributions_by_package":
        return {top: d for d in _distributions().values() for top in d.packages}
    raise AttributeError(attr)
