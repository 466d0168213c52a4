"""Lists the bundled ``tree`` folder as it is on disk: links, their targets, file contents."""

import json
import os
import sys

top = os.path.join(sys._MEIPASS, "tree")
found = {}
for folder, dirnames, filenames in os.walk(top):  # links to folders are listed, not entered
    for name in sorted(dirnames + filenames):
        path = os.path.join(folder, name)
        rel = os.path.relpath(path, top)
        if os.path.islink(path):
            found[rel] = ["link", os.readlink(path), os.path.isdir(path)]
        elif os.path.isfile(path):
            with open(path, encoding="utf-8") as file:
                found[rel] = ["file", file.read()]
        else:
            found[rel] = ["dir"]
# reading through the links
found["via-dir-link"] = open(os.path.join(top, "sub-link", "inner.txt"), encoding="utf-8").read()
print(json.dumps(found, sort_keys=True))
