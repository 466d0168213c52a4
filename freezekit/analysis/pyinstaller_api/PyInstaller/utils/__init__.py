"""``PyInstaller.utils`` (freezekit stand-in)."""
