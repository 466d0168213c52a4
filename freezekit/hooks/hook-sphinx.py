"""Sphinx: its built-in extensions, builders, domains, directives, transforms and environment
collectors (``sphinx.application.builtin_extensions``), the search language modules and the
first-party extensions (``sphinxcontrib.*``, the ``alabaster`` theme) are imported by name
when an application starts; extensions a project lists in its ``conf.py`` (read at run time)
are too, so every ``sphinx.ext`` module is bundled. Themes, templates and translations are
package data.

Left out: ``sphinx.testing`` (pytest fixtures)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    api.add_imports(*(n for n in api.submodules("sphinx") if not n.startswith("sphinx.testing")))
    for first_party in (
        "alabaster",
        "sphinxcontrib.applehelp",
        "sphinxcontrib.devhelp",
        "sphinxcontrib.htmlhelp",
        "sphinxcontrib.jsmath",
        "sphinxcontrib.qthelp",
        "sphinxcontrib.serializinghtml",
    ):
        api.add_imports(*api.submodules(first_party))
    api.exclude_imports("pytest", "sphinx.testing")
