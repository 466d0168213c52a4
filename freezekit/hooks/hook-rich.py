"""rich: the unicode width tables (rich._unicode_data) are imported by version name."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    names = api.submodules("rich._unicode_data")
    api.add_imports(*names)
