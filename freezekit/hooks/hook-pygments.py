"""pygments: lexers, formatters, styles and filters are found by name at run time."""


def hook(api):
    for package in (
        "pygments.lexers",
        "pygments.formatters",
        "pygments.styles",
        "pygments.filters",
    ):
        api.add_imports(*api.submodules(package))
