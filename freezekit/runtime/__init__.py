"""Code that runs inside the frozen app. Standard library only; nothing here imports freezekit.

``_bootstrap.py`` is the bootloader's ``bootstrap`` entry (executed, never imported);
``main.start()`` prepares the process; ``environ`` is the public environment helper;
``mp`` handles multiprocessing children; ``smoke`` holds the in-app smoke probes.
"""

# The smoke probes built into every app (``FREEZEKIT_SMOKE=<probe>``); the host-side runner
# (freezekit.smoke) lists the same names from here.
PROBES = (
    "mp-spawn",
    "mp-forkserver",
    "mp-fork",
    "windowed-stdio",
    "env-reset",
    "restart",
    "data",
    "imports",
)
