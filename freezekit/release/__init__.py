"""The release side: the matrix of cells (OS x arch x Python) and what each cell does.

``matrix`` reads the cells, ``interpreters`` finds a Python for each, ``cell`` is the job run
inside a cell's venv (``python -m freezekit.release.cell job.json``: build, smoke, sign,
publish), ``sign`` signs executables and ``publish`` writes the archives and their manifest.
"""
