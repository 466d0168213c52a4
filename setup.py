"""Packaging steps that pyproject.toml cannot express.

* The bootloader's C sources (``bootloader/`` in the repository) are copied into the package as
  ``freezekit/_bootloader_src`` by ``build_py``, so a wheel built from a checkout or from the
  sdist (MANIFEST.in grafts ``bootloader/``) can compile a bootloader on the user's machine.
* With ``FREEZEKIT_PREBUILT_BOOTLOADER=1`` (set by cibuildwheel, see [tool.cibuildwheel]) the
  bootloader is also compiled for the interpreter running the build, console and windowed, into
  ``freezekit/_bootloaders/<tag>[-windowed]/``, and the wheel is tagged for the platform.
  ``freezekit.assemble.bootloader.find_bootloader`` uses such a copy when its tag matches the
  target.
* The matrix (``matrix/cells.toml``, the one copy in git) is copied into the package as
  ``freezekit/release/cells.toml`` by ``build_py`` (MANIFEST.in grafts ``matrix/`` into the sdist),
  so ``freezekit matrix`` and the nox library work from an installed wheel.

Editable installs need none of these: they read ``bootloader/`` and ``matrix/`` from the checkout.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PREBUILT = os.environ.get("FREEZEKIT_PREBUILT_BOOTLOADER") == "1"
# what a bootloader build needs; build folders and caches stay out of the package
SOURCE_PARTS = ("CMakeLists.txt", "README.md", "cmake", "src", "tests")


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "freezekit"
        self._copy_sources(package / "_bootloader_src")
        self._copy_matrix(package / "release" / "cells.toml")
        if PREBUILT:
            self._prebuild(package / "_bootloaders")

    def _copy_sources(self, dest: Path) -> None:
        source = ROOT / "bootloader"
        if not (source / "CMakeLists.txt").is_file():
            # building from an unpacked wheel-less tree that already has the copy
            if (ROOT / "freezekit" / "_bootloader_src" / "CMakeLists.txt").is_file():
                return
            raise SystemExit("freezekit build: bootloader/CMakeLists.txt is missing")
        shutil.rmtree(dest, ignore_errors=True)
        for part in SOURCE_PARTS:
            path = source / part
            if path.is_dir():
                shutil.copytree(path, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
            elif path.is_file():
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest / part)

    def _copy_matrix(self, dest: Path) -> None:
        source = ROOT / "matrix" / "cells.toml"
        if not source.is_file():
            # a tree that already has the copy (package data carries it)
            if (ROOT / "freezekit" / "release" / "cells.toml").is_file():
                return
            raise SystemExit("freezekit build: matrix/cells.toml is missing")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)

    def _prebuild(self, dest: Path) -> None:
        sys.path.insert(0, str(ROOT))
        from freezekit.assemble.bootloader import build_bootloader
        from freezekit.platforms import headers_target

        target = headers_target(Path(sys.executable))
        with tempfile.TemporaryDirectory(prefix="freezekit-bootloader-") as scratch:
            for windowed in (False, True):
                variant = f"{target.tag}{'-windowed' if windowed else ''}"
                built = build_bootloader(
                    target, windowed=windowed, debug=False, build_dir=Path(scratch) / variant
                )
                (dest / variant).mkdir(parents=True, exist_ok=True)
                shutil.copy2(built, dest / variant / built.name)
                print(f"freezekit build: prebuilt bootloader {variant}/{built.name}")


class PlatformDistribution(Distribution):
    """A wheel that carries compiled bootloaders is tagged for its platform and Python."""

    def has_ext_modules(self) -> bool:
        return PREBUILT


setup(cmdclass={"build_py": BuildPy}, distclass=PlatformDistribution)
