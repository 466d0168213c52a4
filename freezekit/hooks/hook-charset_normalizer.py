"""charset_normalizer: the mess detector may be a compiled module imported indirectly."""

import importlib.util

hiddenimports = [
    name for name in ("charset_normalizer.md", "charset_normalizer.cd")
    if importlib.util.find_spec(name) is not None
]
