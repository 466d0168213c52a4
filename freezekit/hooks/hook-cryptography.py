"""cryptography: the Rust extension (hazmat.bindings._rust, OpenSSL linked in statically)
imports _cffi_backend from native code, where no scanner sees it."""

import importlib.util


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


hiddenimports = [name for name in ("_cffi_backend",) if _exists(name)]
