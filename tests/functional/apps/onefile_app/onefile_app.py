import os
import subprocess
import sys
import time

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
    import decimal
    import hashlib

    print(
        command,
        *on_disk(),
        decimal.Decimal("0.1") + decimal.Decimal("0.2"),
        hashlib.sha256(b"").hexdigest()[:8],
    )
elif command == "digest":
    import hashlib

    with open(os.path.join(sys._MEIPASS, sys.argv[2]), "rb") as file:
        print(hashlib.sha256(file.read()).hexdigest())
elif command == "exit":
    sys.exit(int(sys.argv[2]))
