import os
import sys

for name in ("LD_LIBRARY_PATH", "LD_LIBRARY_PATH_ORIG"):
    print(name, os.environ.get(name, "<unset>").replace(sys._MEIPASS, "<top>"))
