"""pygments: lexers, formatters, styles and filters are found by name at run time."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    for package in (
        "pygments.lexers",
        "pygments.formatters",
        "pygments.styles",
        "pygments.filters",
    ):
        api.add_imports(*api.submodules(package))
