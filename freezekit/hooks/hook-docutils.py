"""docutils: readers, parsers, writers, their language modules and the reStructuredText
directive modules are imported by name (``get_reader_class("standalone")``,
``directives.directive("code")``, ``languages.get_language("de")``); every docutils module
is bundled. Writers' stylesheets and templates are package data."""


def hook(api):
    api.add_imports(*api.submodules("docutils"))
    api.exclude_imports("pytest")
