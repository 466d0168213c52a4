"""A small stand-in for lazy_loader.attach_stub: the names come from the .pyi next to the
module, read when the package is imported."""

import ast
import importlib
import os


def attach_stub(package_name, filename):
    stub = os.path.splitext(filename)[0] + ".pyi"
    with open(stub, encoding="utf-8") as stream:
        tree = ast.parse(stream.read())
    submodules, attrs = set(), {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                for alias in node.names:
                    attrs[alias.name] = node.module
            else:
                submodules.update(alias.name for alias in node.names)

    def __getattr__(name):
        if name in submodules:
            return importlib.import_module(f"{package_name}.{name}")
        if name in attrs:
            module = importlib.import_module(f"{package_name}.{attrs[name]}")
            return getattr(module, name)
        raise AttributeError(name)

    def __dir__():
        return sorted(submodules | set(attrs))

    return __getattr__, __dir__, sorted(submodules | set(attrs))
