"""``PyInstaller.depend`` (freezekit stand-in)."""
