"""PySide6.QtNetwork: TLS backends (OpenSSL, loaded with dlopen from the system at run time;
certificate-only fallback) and network-information plugins are Qt plugins."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def hook(api: HookApi) -> None:
    plugins_dir = os.path.join(str(api.module_dir), "Qt", "plugins")
    for folder in ("tls", "networkinformation"):
        path = os.path.join(plugins_dir, folder)
        if os.path.isdir(path):
            api.add_binaries(
                (os.path.join(path, n), f"PySide6/Qt/plugins/{folder}")
                for n in sorted(os.listdir(path))
                if n.endswith(".so")
            )
