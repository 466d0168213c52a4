"""rich: the unicode width tables (rich._unicode_data) are imported by version name."""


def hook(api):
    names = api.submodules("rich._unicode_data")
    api.add_imports(*names)
