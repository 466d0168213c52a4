"""tzdata: the IANA database is a tree of data files read through importlib.resources."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    api.collect_data("tzdata")
