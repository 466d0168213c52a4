"""``PyInstaller.utils.hooks.conda_support``: the older name of ``conda``."""

from __future__ import annotations

from .conda import (  # noqa: F401
    CONDA_META_DIR,
    CONDA_ROOT,
    Distribution,
    PackagePath,
    collect_dynamic_libs,
    distribution,
    files,
    lib_dir,
    package_distribution,
    requires,
    walk_dependency_tree,
)


def __getattr__(attr: str) -> object:
    from . import conda

    return getattr(conda, attr)
