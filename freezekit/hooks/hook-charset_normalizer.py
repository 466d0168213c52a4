"""charset_normalizer: the mess detector may be a compiled module imported indirectly."""

# Wins over pyinstaller-hooks-contrib's (-1000), which names only the mypyc helper module.
# $PyInstaller-Hook-Priority: -500

import importlib.util


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


hiddenimports = [
    name for name in ("charset_normalizer.md", "charset_normalizer.cd") if _exists(name)
]
