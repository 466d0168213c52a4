"""encodings: codecs are looked up by name at run time; every codec module is bundled."""


def hook(api):
    api.add_imports(*api.submodules("encodings"))
