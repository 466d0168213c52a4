"""Test app for tests/functional/test_prefetch.py: extension modules imported at module level
(in the start-up set: unpacked on the launcher's background thread) and inside a function."""

import _csv  # module level: in the start-up set, needed at once
import glob
import multiprocessing
import os
import sys
import time

import _freezekit

if len(sys.argv) > 99:
    import _bz2  # noqa: F401  module level but never run here: only the thread unpacks it


def later() -> str:
    import _lzma  # inside a function: unpacked on its first import only

    return _lzma.__name__


def on_disk(pattern: str) -> bool:
    return bool(glob.glob(os.path.join(sys._MEIPASS, "lib-dynload", pattern)))


def wait_for_the_set() -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(
        s in ("waiting", "unpacking") for _, s in _freezekit.prefetch_state() or ()
    ):
        time.sleep(0.01)


def state_of(pattern: str) -> str:
    states = [s for name, s in _freezekit.prefetch_state() or () if pattern in name]
    return states[0] if states else "absent"


CONCURRENT = ("_ssl", "_hashlib", "_decimal", "_codecs_jp", "_codecs_kr", "pyexpat", "_sqlite3")


def bundle_them() -> None:  # never called: makes the analysis bundle them (lazy, not at start)
    import _codecs_jp  # noqa: F401
    import _codecs_kr  # noqa: F401
    import _decimal  # noqa: F401
    import _hashlib  # noqa: F401
    import _sqlite3  # noqa: F401
    import _ssl  # noqa: F401
    import pyexpat  # noqa: F401


def import_together() -> list[str]:
    """Threads importing lazy modules at once (_ssl and _hashlib both need libcrypto): the
    unpacks run without the GIL, side by side."""
    import importlib
    import threading

    barrier = threading.Barrier(len(CONCURRENT))
    done: list[str] = []

    def run(name: str) -> None:
        barrier.wait()
        importlib.import_module(name)
        done.append(name)

    threads = [threading.Thread(target=run, args=(name,)) for name in CONCURRENT]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(done)


def square(value: int) -> int:
    return value * value + len(later())


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "run":
        wait_for_the_set()
        print("_csv", _csv.QUOTE_ALL, state_of("_csv"))
        print("_bz2", state_of("_bz2"), on_disk("_bz2.*"))
        print("_lzma", state_of("_lzma"), on_disk("_lzma.*"), later(), on_disk("_lzma.*"))
        # imported only inside multiprocessing.pool, which multiprocessing's Pool() imports
        print("_queue", state_of("_queue"), "_queue" in sys.modules)
    elif command == "exit":  # sys.exit ends the process inside Python (atexit removes the folder)
        sys.exit(3)
    elif command == "fork":  # the child has no prefetch thread: it unpacks by itself
        wait_for_the_set()  # then the thread has ended: this process has no other thread
        pid = os.fork()
        if pid == 0:
            print("child", later(), on_disk("_lzma.*"), flush=True)
            os._exit(0)
        print("parent", os.waitpid(pid, 0)[1], on_disk("_lzma.*"))
    elif command == "threads":
        print(*import_together())
    elif command == "spawn":
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            print("workers", pool.map(square, [2, 3]))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
