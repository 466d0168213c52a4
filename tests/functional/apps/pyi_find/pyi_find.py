"""PyInstaller pre_find_module_path hooks: fkfind is found where its hook points (vendored/,
not the site folder on the path); fkgone's hook empties its search folders, so it is not
bundled."""

import fkfind

print("fkfind", fkfind.WHERE)
try:
    import fkgone
except ImportError:
    print("fkgone missing")
else:
    print("fkgone", fkgone.WHERE)
