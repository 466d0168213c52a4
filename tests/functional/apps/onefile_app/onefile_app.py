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
elif command == "exit":
    sys.exit(int(sys.argv[2]))
