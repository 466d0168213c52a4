"""decimal: the _decimal extension is the implementation; decimal.py falls back to the pure
Python _pydecimal (about 240 KB of bytecode) only when importing _decimal fails. Where the
target has _decimal (bundled with it), _pydecimal is not followed from decimal; an app that
imports _pydecimal itself still gets it."""

import importlib.util

excludedimports = ["_pydecimal"] if importlib.util.find_spec("_decimal") is not None else []
