"""Helpers for modules served by the PYZ importer: resource reader and pkgutil support.

Imported lazily: the resource reader when ``importlib.resources`` asks for one, the pkgutil
patch when ``pkgutil`` is imported from the PYZ. Standard library only.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import pathlib
    from collections.abc import Iterator
    from typing import Any, BinaryIO


class DirectoryReader:
    """Resources that are the files of one folder (``files()`` and the older methods)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def files(self) -> pathlib.Path:
        import pathlib

        return pathlib.Path(self.directory)

    def open_resource(self, resource: str) -> BinaryIO:
        return open(os.path.join(self.directory, resource), "rb")  # noqa: SIM115

    def resource_path(self, resource: str) -> str:
        path = os.path.join(self.directory, resource)
        if not os.path.isfile(path):
            raise FileNotFoundError(path)
        return path

    def is_resource(self, name: str) -> bool:
        return os.path.isfile(os.path.join(self.directory, name))

    def contents(self) -> Iterator[str]:
        try:
            return iter(sorted(os.listdir(self.directory)))
        except OSError:
            return iter(())


class PyzResourceReader(DirectoryReader):
    """Resources of a PYZ module: the files in its folder under the top directory.

    Implements ``files()`` (``importlib.resources.files``) and the older
    ``ResourceReader`` methods (``open_resource``, ``resource_path``, ``is_resource``,
    ``contents``) used by ``importlib.resources`` of Python 3.10.
    """

    def __init__(self, importer: Any, fullname: str) -> None:
        if importer.is_package(fullname):
            super().__init__(importer.path_of(fullname))
        else:
            super().__init__(os.path.dirname(importer.path_of(fullname)))


def pyz_children(importer: Any, package: str | None) -> list[tuple[str, bool]]:
    """``(short name, is_package)`` of the PYZ modules (and extension modules not unpacked
    yet) directly inside ``package``.

    ``package=None`` lists top-level modules. Implied namespace packages (a dotted prefix
    with no entry of its own) are listed as packages.
    """
    prefix = "" if package is None else package + "."
    found: dict[str, bool] = {}
    for name, (is_package, _token) in importer.index.items():
        if not name.startswith(prefix) or name == package:
            continue
        rest = name[len(prefix) :]
        head, dot, _ = rest.partition(".")
        if dot:
            found.setdefault(head, True)
        else:
            found[head] = bool(is_package) or found.get(head, False)
    # extension modules still waiting in a onefile archive (temp mode) for their first import
    for name in getattr(importer, "lazy_modules", ()):
        if name.startswith(prefix) and "." not in name[len(prefix) :]:
            found.setdefault(name[len(prefix) :], False)
    return sorted(found.items())


def _package_for_path(importer: Any, entry: str) -> str | None | bool:
    """The package whose folder is ``entry``; None for the top directory; False otherwise."""
    top = os.path.normpath(importer.top_dir)
    path = os.path.normpath(os.fspath(entry))
    if path == top:
        return None
    if not path.startswith(top + os.sep):
        return False
    return path[len(top) + 1 :].replace(os.sep, ".")


def on_import_pkgutil(module: Any, importer: Any) -> None:
    """Make ``pkgutil.iter_modules`` (and so ``walk_packages``) list PYZ modules too."""
    original = module.iter_modules
    module_info = module.ModuleInfo

    def iter_modules(path: Any = None, prefix: str = "") -> Iterator[Any]:
        seen = set()
        if path is None:
            packages: list[str | None] = [None]
        else:
            if isinstance(path, str):
                raise ValueError("path must be None or list of paths to look for modules in")
            packages = []
            for entry in path:
                package = _package_for_path(importer, entry)
                if package is not False:
                    packages.append(package)  # type: ignore[arg-type]  # str or None
        for package in packages:
            for name, is_package in pyz_children(importer, package):
                if name not in seen:
                    seen.add(name)
                    yield module_info(importer, prefix + name, is_package)
        for info in original(path, prefix):
            short = info.name[len(prefix) :]
            if short not in seen:
                seen.add(short)
                yield info

    iter_modules.__doc__ = original.__doc__
    iter_modules.__wrapped__ = original  # type: ignore[attr-defined]
    module.iter_modules = iter_modules


def find_importer() -> Any:
    """The PYZ importer in ``sys.meta_path``, or None when not frozen."""
    for finder in sys.meta_path:
        if getattr(finder, "is_freezekit_pyz", False):
            return finder
    return None
