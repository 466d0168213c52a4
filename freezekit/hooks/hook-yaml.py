"""PyYAML: the C loader (yaml._yaml) is optional and imported under try/except."""

import importlib.util

hiddenimports = ["yaml._yaml"] if importlib.util.find_spec("yaml._yaml") is not None else []
