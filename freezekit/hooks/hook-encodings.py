"""encodings: codecs are looked up by name at run time; every codec module is bundled."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    api.add_imports(*api.submodules("encodings"))
