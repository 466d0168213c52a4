"""freezekit's own implementation of the parts of PyInstaller's API that hook files import.

The folder holds a package named ``PyInstaller``. The analysis worker (``_worker.py``) makes
it importable under that name *while a hook file runs*, through a meta-path finder that comes
before the target environment's own ``PyInstaller`` if one is installed; between hooks the
modules are taken out of ``sys.modules`` again, so the app's own imports are analysed as they
are. Nothing here is installed into the user's environment. Written for freezekit from
PyInstaller's documented behaviour; no PyInstaller code.

``ROOT`` is the folder to search for ``PyInstaller``.
"""

from __future__ import annotations

import os

ROOT = os.path.dirname(os.path.abspath(__file__))
