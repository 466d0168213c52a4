"""Logging helpers and the Reporter protocol through which progress is shown."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Protocol

logger = logging.getLogger(__name__)


class Reporter(Protocol):
    """Receives one line per stage; the CLI prints it, the task library logs it."""

    def stage(self, name: str) -> contextlib.AbstractContextManager[StageNotes]: ...


class StageNotes:
    """What a stage says about itself when it ends: ``notes.summary = "412 modules"``."""

    def __init__(self) -> None:
        self.summary = ""


class NullReporter:
    """Reports nothing; the default in library code."""

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[StageNotes]:
        yield StageNotes()


class LineReporter:
    """Prints ``name: summary (1.8 s)`` when each stage ends."""

    def __init__(
        self, write: Callable[[str], None], *, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self._write = write
        self._clock = clock

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[StageNotes]:
        notes = StageNotes()
        start = self._clock()
        yield notes
        elapsed = self._clock() - start
        summary = f"{notes.summary} " if notes.summary else ""
        self._write(f"{name}: {summary}({elapsed:.1f} s)")
