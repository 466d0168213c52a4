"""zoneinfo: falls back to the tzdata package when the system has no /usr/share/zoneinfo."""

import importlib.util

hiddenimports = ["tzdata"] if importlib.util.find_spec("tzdata") is not None else []
