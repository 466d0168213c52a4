"""freezekit's stand-in for ``PyInstaller`` (hook API only; see ``pyinstaller_api``)."""

from __future__ import annotations

#: The PyInstaller release whose hook API these modules follow; hooks that test
#: ``is_module_satisfies("PyInstaller >= 6.0")`` see this version.
__version__ = "6.22.0"

#: Marks the stand-in, for hooks or tests that need to tell it from the real package.
FREEZEKIT_SHIM = True

is_freezekit_shim = True
