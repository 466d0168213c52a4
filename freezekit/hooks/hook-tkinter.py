"""tkinter: Tcl and Tk read their script libraries (init.tcl, clock.tcl, tk.tcl, msgcat...)
from folders found at run time, outside the app. Bundle the ones the target's Tcl uses and
point TCL_LIBRARY / TK_LIBRARY at the copies (runtime hook runtime/tcltk.py).

Layout in the app, under the top directory (the same as PyInstaller's)::

    _tcl_data/      [info library] of the target's Tcl (init.tcl, encoding/, msgs/, ...)
    _tk_data/       Tk's library, the sibling folder tk<TkVersion>
    tcl8/8.x/       Tcl modules (msgcat, http, platform): ::tcl::tm looks in
                    [file dirname [info library]]/tcl8/8.x
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freezekit.analysis.hooks import HookApi


def _tcl_library() -> tuple[str, str]:
    import tkinter

    return tkinter.Tcl().eval("info library"), str(tkinter.TkVersion)


def hook(api: HookApi) -> None:
    library, tk_version = _tcl_library()
    if not os.path.isfile(os.path.join(library, "init.tcl")):
        return  # a Tcl built with its library inside the binary (zipfs): nothing to add
    name = os.path.basename(library)  # tcl8.6
    api.add_datas([(library, "_tcl_data")])
    tk_library = os.path.join(os.path.dirname(library), f"tk{tk_version}")
    if os.path.isfile(os.path.join(tk_library, "tk.tcl")):
        api.add_datas([(tk_library, "_tk_data")])
    upstream_modules = os.path.join(os.path.dirname(library), "tcl8")  # tcl8/8.4, 8.5, 8.6
    debian_modules = os.path.join(library, "tcl8")  # flat: msgcat-1.6.1.tm, ...
    if os.path.isdir(upstream_modules):
        api.add_datas([(upstream_modules, "tcl8")])
    elif os.path.isdir(debian_modules):
        version = name[len("tcl") :]
        api.add_datas([(debian_modules, f"tcl8/{version}")])
    api.add_runtime_hooks("runtime/tcltk.py")
