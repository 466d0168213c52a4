import os
import signal
import subprocess
import sys
import time


def lazy_modules():
    # inside a function, so not in the start-up set that temp mode unpacks while Python
    # starts: _decimal and _hashlib (with libcrypto) wait for this first import
    import decimal
    import hashlib

    return decimal, hashlib


def holders():
    """Other processes holding files of the folder open (the watchdog): pid -> their names."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds]
        except OSError:
            continue
        names = {os.path.basename(link) for link in links if link.startswith(sys._MEIPASS + "/")}
        if names and int(pid) != os.getpid():
            found[int(pid)] = names
    return found


def held_lazy_files():
    held = set().union(*holders().values())
    return [any(name.startswith(prefix) for name in held) for prefix in ("_decimal.", "libcrypto")]


def lazy_in_worker(text):
    decimal, hashlib = lazy_modules()
    return str(decimal.Decimal(text) * 2) + " " + hashlib.sha256(b"").hexdigest()[:8]


command = sys.argv[1] if len(sys.argv) > 1 else "hello"
if command == "hello":
    print("onefile hello")
elif command == "meipass":
    print(sys._MEIPASS)
elif command == "sleep":
    print(sys._MEIPASS, flush=True)
    time.sleep(60)
elif command == "restart":
    env = {**os.environ, "FREEZEKIT_RESET_ENVIRONMENT": "1"}
    child = subprocess.run([sys.executable, "meipass"], env=env, capture_output=True, text=True)
    worker = subprocess.run([sys.executable, "meipass"], capture_output=True, text=True)
    print(sys._MEIPASS)
    print(child.stdout.strip())
    print(worker.stdout.strip())
elif command == "link":
    path = os.path.join(sys._MEIPASS, "extra", "shared.txt")
    print(os.path.islink(path), open(path).read().strip())
elif command in ("lazy", "lazy-worker"):
    import glob

    def on_disk():
        patterns = ("lib-dynload/_decimal.*", "libcrypto*")
        return [bool(glob.glob(os.path.join(sys._MEIPASS, p))) for p in patterns]

    if command == "lazy":
        print("before", *on_disk())
        worker = subprocess.run([sys.executable, "lazy-worker"], capture_output=True, text=True)
        print(worker.stdout.strip(), worker.stderr.strip())
    decimal, hashlib = lazy_modules()
    print(
        command,
        *on_disk(),
        decimal.Decimal("0.1") + decimal.Decimal("0.2"),
        hashlib.sha256(b"").hexdigest()[:8],
    )
elif command == "digest":
    _, hashlib = lazy_modules()

    with open(os.path.join(sys._MEIPASS, sys.argv[2]), "rb") as file:
        print(hashlib.sha256(file.read()).hexdigest())
elif command in ("held", "kill-watchdog"):
    # the files unpacked while the app runs are handed to the watchdog, which holds them
    if command == "kill-watchdog":
        for pid in holders():
            os.kill(pid, signal.SIGKILL)
    decimal, hashlib = lazy_modules()
    deadline = time.monotonic() + 5
    while command == "held" and not all(held_lazy_files()) and time.monotonic() < deadline:
        time.sleep(0.02)
    print(sys._MEIPASS, *held_lazy_files(), decimal.Decimal("0.1") + decimal.Decimal("0.2"))
elif command == "workers" and __name__ == "__main__":
    # a forked child and a spawned worker unpack lazy files into the app's folder
    import multiprocessing

    import _freezekit

    print(sys._MEIPASS, flush=True)
    deadline = time.monotonic() + 20  # the start-up thread ends first: a fork without threads
    while time.monotonic() < deadline and any(
        state in ("waiting", "unpacking") for _, state in _freezekit.prefetch_state() or ()
    ):
        time.sleep(0.01)
    pid = os.fork()
    if pid == 0:
        print("fork", lazy_in_worker("1.5"), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        print("spawn", *pool.map(lazy_in_worker, ["2.5"]), flush=True)
elif command == "--multiprocessing-fork":
    import multiprocessing

    multiprocessing.freeze_support()
elif command == "exit":
    sys.exit(int(sys.argv[2]))
elif command == "raise":
    print(sys._MEIPASS, flush=True)
    raise RuntimeError("the app failed")
elif command == "os-exit":
    print(sys._MEIPASS, flush=True)
    os._exit(0)
elif command == "reap":
    # nothing of the launcher's (its watchdog) is a child of the app
    try:
        print("reaped", os.waitpid(-1, os.WNOHANG))
    except ChildProcessError:
        print("no child")
elif command == "leave-worker":
    # a worker through sys.executable that outlives the app (it holds the folder's lock)
    worker = subprocess.Popen(
        [sys.executable, "sleep"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    print(sys._MEIPASS, worker.pid, worker.stdout.readline().strip(), flush=True)
elif command == "exec-self":
    # a restart in place: the same process, the new image reuses the folder
    print(sys._MEIPASS, flush=True)
    os.execv(sys.executable, [sys.executable, "meipass"])
elif command == "close-own":
    # a daemon's close-all: the launcher's socket to its watchdog and the folder's lock go; the
    # watchdog still waits for this process's end
    closed = -1
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if int(name) > 2 and (target.startswith("socket:") or target == sys._MEIPASS):
            os.close(int(name))
            closed = int(name) if target.startswith("socket:") else closed
    # the socket's number comes back for a socket of the app's: an unpack sends nothing on it
    import socket

    pairs = [socket.socketpair() for _ in range(4)]
    peers = [
        b if a.fileno() == closed else a for a, b in pairs if closed in (a.fileno(), b.fileno())
    ]
    lazy_modules()
    time.sleep(0.5)
    print(sys._MEIPASS, os.path.isdir(sys._MEIPASS), len(peers), end=" ")
    for peer in peers:
        peer.setblocking(False)
    try:
        print(*(peer.recv(16) for peer in peers))
    except BlockingIOError:
        print("nothing")
elif command == "env":

    def shown(value):
        return value.replace(sys._MEIPASS, "<top>") if value else "<unset>"

    reset = {**os.environ, "FREEZEKIT_RESET_ENVIRONMENT": "1"}
    shell = 'printf "%s" "${LD_LIBRARY_PATH-<unset>}"'
    print("app", shown(os.environ.get("LD_LIBRARY_PATH")))
    print(
        "shell",
        shown(subprocess.run(["/bin/sh", "-c", shell], capture_output=True, text=True).stdout),
    )
    print(
        subprocess.run(
            [sys.executable, "env-child"], env=reset, capture_output=True, text=True
        ).stdout,
        end="",
    )
elif command == "env-child":
    print("reset", os.environ.get("LD_LIBRARY_PATH").replace(sys._MEIPASS, "<own top>"))
