"""Sphinx: an HTML build of a two-page project (builders, domains, extensions and the theme
are found by name at run time; templates, static files and translations by path)."""

import sys
from pathlib import Path

from sphinx.cmd.build import build_main

source, out = sys.argv[1], sys.argv[2]
status = build_main(["-q", "-b", "html", "-D", "language=en", source, out])
print("status", status)
index = Path(out, "index.html").read_text(encoding="utf-8")
second = Path(out, "second.html").read_text(encoding="utf-8")
print("index", "Frozen docs" in index, "check the frozen build" in index)
print("second", '<span class="nb">print</span>' in second, "Second page" in index)
print(
    "static", Path(out, "_static", "alabaster.css").is_file(), Path(out, "searchindex.js").is_file()
)
