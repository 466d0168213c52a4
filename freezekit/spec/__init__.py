"""The spec side: what to build, read from a PyInstaller-style ``.spec`` file or ``pyproject.toml``.

``run`` executes a spec file and builds what it recorded; ``api`` holds the globals a spec sees
(``Analysis``, ``PYZ``, ``EXE``, ...), ``keywords`` their keyword tables and ``toc`` the ``TOC``
and ``Tree`` classes; ``makespec`` writes a spec; ``pyproject`` reads ``[tool.freezekit]``.
"""
