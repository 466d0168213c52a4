"""zoneinfo: falls back to the tzdata package when the system has no /usr/share/zoneinfo."""

# Wins over pyinstaller-hooks-contrib's (-1000), which adds tzdata on Windows only.
# $PyInstaller-Hook-Priority: -500

import importlib.util

hiddenimports = ["tzdata"] if importlib.util.find_spec("tzdata") is not None else []
