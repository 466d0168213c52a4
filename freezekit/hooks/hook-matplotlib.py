"""matplotlib: mpl-data (matplotlibrc, fonts, style sheets) is read from the package folder;
backends are imported by name (matplotlib.use("Agg"), the rcParams default).

Only the Agg backend (and the PDF/SVG/PS writers used by savefig) is bundled; a GUI backend
needs its name as a hidden import, e.g. --hidden-import matplotlib.backends.backend_qtagg."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    api.collect_data("matplotlib")
    api.add_imports(
        "matplotlib.backends.backend_agg",
        "matplotlib.backends.backend_pdf",
        "matplotlib.backends.backend_svg",
        "matplotlib.backends.backend_ps",
    )
    api.exclude_imports("tkinter", "IPython", "pytest", "setuptools_scm")
