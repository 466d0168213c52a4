"""Test app for tests/functional/test_hardening.py and test_corruption.py."""

import os
import sys
import time

if "lazy" in sys.argv:
    try:
        import pwnmod  # noqa: F401  (a lazy-table row added by the test names its files)
    except ImportError:
        pass
if "sleep" in sys.argv:
    print(sys._MEIPASS, os.getpid(), flush=True)
    time.sleep(120)
print("hardening ok")
