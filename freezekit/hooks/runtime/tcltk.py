"""Runtime hook (added by hook-tkinter.py): Tcl and Tk use their bundled script libraries."""

import os
import sys


def _point_tcl_tk_at_bundle():
    base = os.path.join(sys._MEIPASS, "_tcltk")
    if not os.path.isdir(base):
        return
    for entry in sorted(os.listdir(base)):
        path = os.path.join(base, entry)
        if entry.startswith("tcl") and os.path.isfile(os.path.join(path, "init.tcl")):
            os.environ["TCL_LIBRARY"] = path
        elif entry.startswith("tk") and os.path.isfile(os.path.join(path, "tk.tcl")):
            os.environ["TK_LIBRARY"] = path


_point_tcl_tk_at_bundle()
