"""Submodules loaded by attribute through a package's __getattr__: fklazy lists them and
imports f"fklazy.{name}" (scipy's way); fkstub uses a lazy_loader-style attach_stub that reads
its __init__.pyi at run time (scikit-image's way). Neither is imported by any statement."""

import importlib.util

import fklazy
import fkstub

print(fklazy.alpha.NAME, fklazy.beta.NAME)
print(fkstub.gamma.NAME, fkstub.twice(21))
# a submodule the package does not list stays out
print("unlisted bundled:", importlib.util.find_spec("fklazy" + ".unlisted") is not None)
