"""SciPy: its vendored ``array_api_compat`` imports its numpy namespace's ``linalg`` and
``fft`` as ``__import__(__package__ + ".fft")``, which no scanner can read; the numpy
namespace is bundled whole. The namespaces for other array libraries (CuPy, Dask, PyTorch,
...) import those libraries and come only when the app bundles them itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    for vendored in ("scipy._external.array_api_compat", "scipy._lib.array_api_compat"):
        api.add_imports(*api.submodules(f"{vendored}.numpy"), *api.submodules(f"{vendored}.common"))
