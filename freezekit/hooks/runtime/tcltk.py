"""Runtime hook (added by hook-tkinter.py): Tcl and Tk use their bundled script libraries,
``_tcl_data`` and ``_tk_data`` in the top directory (PyInstaller's layout)."""

import os
import sys


def _point_tcl_tk_at_bundle() -> None:
    for variable, folder, landmark in (
        ("TCL_LIBRARY", "_tcl_data", "init.tcl"),
        ("TK_LIBRARY", "_tk_data", "tk.tcl"),
    ):
        path = os.path.join(sys._MEIPASS, folder)  # type: ignore[attr-defined]  # frozen app
        if os.path.isfile(os.path.join(path, landmark)):
            os.environ[variable] = path


_point_tcl_tk_at_bundle()
