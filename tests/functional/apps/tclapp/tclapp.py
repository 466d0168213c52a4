"""A tkinter app that needs Tcl's (and with 'tk', Tk's) script libraries from the bundle."""

import json
import os
import sys
import tkinter

tcl = tkinter.Tcl()
report = {
    "library": tcl.eval("info library"),
    "TCL_LIBRARY": os.environ.get("TCL_LIBRARY"),
    "TK_LIBRARY": os.environ.get("TK_LIBRARY"),
    "meipass": getattr(sys, "_MEIPASS", None),
    # clock.tcl, a Tcl module from tcl8/8.x, an encoding file
    "clock": tcl.eval("clock format 86400 -gmt 1 -format %Y-%m-%d"),
    "msgcat": tcl.eval("package require msgcat"),
    "msgcat_file": tcl.eval("lindex [package ifneeded msgcat [package require msgcat]] end"),
    "encoding": tcl.eval("encoding convertto iso8859-2 \\u0141") == "\xa3",
}
if sys.argv[1:] == ["tk"]:  # needs a display (xvfb-run)
    root = tkinter.Tk()
    root.withdraw()
    report["tk_library"] = root.tk.eval("set tk_library")
    report["tk_patchlevel"] = root.tk.eval("info patchlevel")
    root.destroy()
print(json.dumps(report))
