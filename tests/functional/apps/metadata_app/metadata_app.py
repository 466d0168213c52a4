"""Prints which distributions' metadata the app has (it imports none of them)."""

import importlib.metadata as md

for name in ("jsonschema", "attrs", "referencing", "rpds-py", "jsonschema-specifications"):
    try:
        md.version(name)
        print(name, "yes")
    except md.PackageNotFoundError:
        print(name, "no")
