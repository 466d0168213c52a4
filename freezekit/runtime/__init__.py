"""Code that runs inside the frozen app. Standard library only; nothing here imports freezekit.

``_bootstrap.py`` is the bootloader's ``bootstrap`` entry (executed, never imported);
``main.start()`` prepares the process; ``environ`` is the public environment helper;
``mp`` handles multiprocessing children; ``smoke`` holds the in-app smoke probes.
"""
