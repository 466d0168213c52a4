"""watchdog: the observer class picked for the platform (inotify) and a real file event."""

import os
import tempfile
import time

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

seen = []


class Handler(FileSystemEventHandler):
    def on_created(self, event):
        seen.append(os.path.basename(event.src_path))


with tempfile.TemporaryDirectory() as folder:
    observer = Observer()
    observer.schedule(Handler(), folder)
    observer.start()
    open(os.path.join(folder, "new.txt"), "w").close()
    for _ in range(100):
        if seen:
            break
        time.sleep(0.05)
    observer.stop()
    observer.join()
print(type(observer).__name__, seen[:1])
