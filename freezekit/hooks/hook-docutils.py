"""docutils: readers, parsers, writers, their language modules and the reStructuredText
directive modules are imported by name (``get_reader_class("standalone")``,
``directives.directive("code")``, ``languages.get_language("de")``); every docutils module
is bundled. Writers' stylesheets and templates are package data."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


# Wins over pyinstaller-hooks-contrib's (-1000), which names only some of the subpackages.
# $PyInstaller-Hook-Priority: -500


def hook(api: HookApi) -> None:
    api.add_imports(*api.submodules("docutils"))
    api.exclude_imports("pytest")
