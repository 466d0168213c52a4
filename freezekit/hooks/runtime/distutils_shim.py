"""Runtime hook: serve setuptools' distutils as ``distutils``, as its .pth file does.

``_distutils_hack`` makes ``distutils`` the ``setuptools._distutils`` package; its submodules
are then found on that package's ``__path__``, as files. In the app they are in the PYZ under
their real names, so a finder here serves ``distutils.X`` from the code of
``setuptools._distutils.X``, under the ``distutils`` name and with that file as ``__file__``
(setuptools checks both), one module object per name as unfrozen."""

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (this runs in the app)
if TYPE_CHECKING:  # the annotations below are strings: no __future__ import either
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any


class _DistutilsSubmodules:
    """``distutils.X`` from the PYZ's ``setuptools._distutils.X``."""

    def __init__(self, importer: "Any") -> None:
        self.importer = importer

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        if not fullname.startswith("distutils."):
            return None
        real = "setuptools._distutils." + fullname[len("distutils.") :]
        entry = self.importer.index.get(real)
        if entry is None:
            return None
        from importlib.machinery import ModuleSpec

        spec = ModuleSpec(
            fullname,
            self,  # type: ignore[arg-type]  # a loader without the legacy load_module()
            origin=self.importer.origin_of(real),
            is_package=entry[0],
        )
        locations = spec.submodule_search_locations  # a list for a package
        if locations is not None:
            locations.append(self.importer.path_of(real))
        spec.has_location = True
        return spec

    def create_module(self, spec: "ModuleSpec") -> None:
        return None

    def exec_module(self, module: "ModuleType") -> None:
        spec_name = module.__spec__.name  # type: ignore[union-attr]  # set by the import system
        real = "setuptools._distutils." + spec_name[len("distutils.") :]
        exec(self.importer.get_code(real), module.__dict__)


def _install() -> None:
    if os.environ.get("SETUPTOOLS_USE_DISTUTILS", "local") != "local":
        return
    try:
        import _distutils_hack
    except ImportError:
        return
    from freezekit.runtime.pyz import find_importer

    importer = find_importer()
    if importer is not None:
        sys.meta_path.insert(0, _DistutilsSubmodules(importer))
    _distutils_hack.add_shim()


_install()
