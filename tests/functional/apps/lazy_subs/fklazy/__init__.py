import importlib as _importlib

submodules = ["alpha", "beta"]
__all__ = [*submodules, "VERSION"]
VERSION = 1


def __getattr__(name):
    if name in submodules:
        return _importlib.import_module(f"fklazy.{name}")
    raise AttributeError(f"module 'fklazy' has no attribute {name!r}")
