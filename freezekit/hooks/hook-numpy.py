"""numpy: the C core imports pure helpers of numpy._core by name (_exceptions, _internal,
_methods, _dtype_ctypes, ...), and numpy's __getattr__ imports submodules lazily. Its
vendored OpenBLAS and gfortran (numpy.libs/) are found through the extensions' RUNPATH.

The core's test extensions are left to the analysis: only numpy's own test suite imports
them (_simd alone is 3 MB). An app that imports one by name still gets it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


# Wins over numpy's own hook (registered through the pyinstaller40 entry point, priority 0),
# which lacks the numpy._core helpers, as PyInstaller's core hook does.
# $PyInstaller-Hook-Priority: 1

# numpy._core (numpy 2) or numpy.core (numpy 1) extension modules built for numpy's tests
TEST_EXTENSIONS = (
    "_simd",
    "_multiarray_tests",
    "_umath_tests",
    "_rational_tests",
    "_struct_ufunc_tests",
    "_operand_flag_tests",
)


def hook(api: HookApi) -> None:
    core = "numpy._core" if api.submodules("numpy._core") else "numpy.core"
    api.add_imports(
        *(
            name
            for name in api.submodules(core)
            if ".tests" not in name and name.rpartition(".")[2] not in TEST_EXTENSIONS
        )
    )
    # build and test tooling, never needed at run time. numpy.f2py itself stays: numpy's lazy
    # __getattr__ imports it for any walk over dir(numpy) or numpy.__all__ (scipy's vendored
    # array_api_compat clones the numpy namespace that way); its optional charset_normalizer
    # (reading Fortran files) does not come with it.
    api.exclude_imports(
        "numpy.distutils", "pytest", "setuptools", "distutils", "charset_normalizer", "meson"
    )
