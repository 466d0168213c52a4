"""PyYAML: the C loader (yaml._yaml) is optional and imported under try/except."""

import importlib.util


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


hiddenimports = ["yaml._yaml"] if _exists("yaml._yaml") else []
