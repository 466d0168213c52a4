"""``PyInstaller.log``: the logger hooks write to (collected by the analysis worker)."""

from __future__ import annotations

import logging

TRACE = 5
DEBUG = logging.DEBUG
INFO = logging.INFO
WARN = logging.WARNING
WARNING = logging.WARNING
ERROR = logging.ERROR
CRITICAL = logging.CRITICAL
FATAL = logging.FATAL

logging.addLevelName(TRACE, "TRACE")

logger = logging.getLogger("PyInstaller")


def getLogger(name: str) -> logging.Logger:  # noqa: N802  # PyInstaller's name
    return logging.getLogger(name)
