"""Reads what only a PyInstaller-style hook bundles: plugins imported by name, package data,
the metadata of a distribution and of its requirements (which provide no module), a file added
by hook(hook_api)."""

import importlib
import importlib.metadata
import inspect
import json
import os
from importlib import resources

import fkdata


def attempt(func):
    try:
        return func()
    except Exception as exc:
        return f"missing: {type(exc).__name__}"


def module(name):
    return importlib.import_module("fkdata.plugins." + name)


def plugin(name):
    return module(name).NAME


here = os.path.dirname(fkdata.__file__)
print(
    json.dumps(
        {
            "a": attempt(
                lambda: resources.files("fkdata").joinpath("data/a.txt").read_text().strip()
            ),
            "b": attempt(
                lambda: resources.files("fkdata").joinpath("data/sub/b.json").read_text().strip()
            ),
            "plugins": [attempt(lambda n=n: plugin(n)) for n in ("one", "two", "deep.three")],
            "versions": {
                d: attempt(lambda d=d: importlib.metadata.version(d))
                for d in ("fkdata", "fkdep", "fkdeep", "fkwin")
            },
            "source": attempt(lambda: inspect.getsource(module("one"))),
            "extra": attempt(lambda: open(os.path.join(here, "extra.cfg")).read().strip()),
        },
        sort_keys=True,
    )
)
