"""psutil: its C extensions (psutil._psutil_linux, _psutil_posix)."""

import os

import psutil

me = psutil.Process(os.getpid())
print(me.pid == os.getpid(), me.status() in ("running", "sleeping"))
print(psutil.cpu_count() >= 1, psutil.virtual_memory().total > 0)
print(psutil.pid_exists(os.getpid()), type(psutil.disk_usage("/").percent).__name__)
print(psutil._psplatform.__name__)
