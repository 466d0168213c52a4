"""setuptools' distutils: ``distutils-precedence.pth`` installs ``_distutils_hack``, a
meta-path finder that serves ``setuptools._distutils`` as ``distutils`` (the only distutils on
Python >= 3.12). No ``.pth`` file runs in a frozen app: a runtime hook installs the same finder
(unless ``SETUPTOOLS_USE_DISTUTILS=stdlib``) and serves ``distutils.X`` from the bundled
``setuptools._distutils.X``, so every module of ``setuptools._distutils`` is bundled."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    names = [n for n in api.submodules("setuptools._distutils") if ".tests" not in n]
    api.add_imports("_distutils_hack", *names)
    api.add_runtime_hooks("runtime/distutils_shim.py")
