"""Logging helpers and the Reporter protocol through which progress is shown.

A stage says how far it is with ``notes.progress(12, 44, "binaries")`` or, for output being
written, ``notes.watch(path)`` (the reporter reads its size); ``ProgressReporter`` shows that on
one updating terminal line once a stage has run for a second, and, when the output is not a
terminal (CI logs), a plain line every ten seconds. Both end each stage with its one line.
"""

from __future__ import annotations

import _thread
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol, TextIO

logger = logging.getLogger(__name__)


class Reporter(Protocol):
    """Receives one line per stage; the CLI prints it, the task library logs it."""

    def stage(self, name: str) -> contextlib.AbstractContextManager[StageNotes]: ...


class StageNotes:
    """What a stage says about itself when it ends (``notes.summary = "412 modules"``) and,
    while it runs, how far it is (``progress``, ``watch``)."""

    def __init__(self) -> None:
        self.summary = ""
        self.done = 0
        self.total: int | None = None
        self.unit = ""
        self.watched: os.PathLike[str] | str | None = None
        self.polled: Callable[[], str] | None = None

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        """``done`` of ``total`` ``unit`` so far (read by the reporter from another thread)."""
        self.done, self.total, self.unit = done, total, unit or self.unit

    def poll(self, describe: Callable[[], str]) -> None:
        """A function the reporter calls for more progress text (``412 modules scanned``)."""
        self.polled = describe

    def watch(self, path: os.PathLike[str] | str) -> None:
        """A file or folder the stage is writing: the reporter shows how much is there."""
        self.watched = path

    def describe(self) -> str:
        """``12/44 binaries, 3.2 MB written``; empty when the stage said nothing."""
        parts = []
        if self.polled is not None:
            with contextlib.suppress(OSError, ValueError):  # a progress file being rewritten
                parts.append(self.polled())
        if self.unit:
            of = f"/{self.total}" if self.total is not None else ""
            parts.append(f"{self.done}{of} {self.unit}")
        if self.watched is not None:
            files, size = _written(self.watched)
            if files > 1:
                parts.append(f"{files} files")
            if size:
                parts.append(f"{size / 1e6:.1f} MB written")
        return ", ".join(part for part in parts if part)


def _written(path: os.PathLike[str] | str) -> tuple[int, int]:
    """(files, bytes) under ``path`` so far; (0, 0) when it is not there (yet, or any more)."""
    try:
        if os.path.isfile(path):
            return 1, os.path.getsize(path)
        files = size = 0
        for folder, _, names in os.walk(path):
            for name in names:
                with contextlib.suppress(OSError):
                    size += os.lstat(os.path.join(folder, name)).st_size
                    files += 1
        return files, size
    except OSError:
        return 0, 0


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


class ProgressReporter:
    """``LineReporter``, plus progress while a stage runs: after ``delay`` seconds, on a
    terminal, one line rewritten in place (``analysis: 3 s...``, with the stage's counts);
    elsewhere a plain line every ``every`` seconds. ``total()`` is the closing line."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interactive: bool,
        clock: Callable[[], float] = time.monotonic,
        delay: float = 1.0,
        every: float = 10.0,
        tick: float = 0.2,
    ) -> None:
        self._stream = stream
        self._interactive = interactive
        self._clock = clock
        self._delay, self._every, self._tick = delay, every, tick
        self._lock = threading.Lock()
        self._current: tuple[str, StageNotes, float] | None = None
        self._shown = False  # an updating line is on the terminal
        self._shown_line = ""
        self._last_plain = 0.0
        self._stop = threading.Event()
        self._ticking = False
        self._started = clock()
        self.times: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[StageNotes]:
        notes = StageNotes()
        start = self._clock()
        with self._lock:
            self._current = (name, notes, start)
            self._last_plain = start
        self._start_thread()
        try:
            yield notes
        finally:
            elapsed = self._clock() - start
            with self._lock:
                self._current = None
                self._clear()
        self.times[name] = self.times.get(name, 0.0) + elapsed
        summary = f"{notes.summary} " if notes.summary else ""
        self._write(f"{name}: {summary}({elapsed:.1f} s)\n")

    def show(self, now: float | None = None) -> None:
        """Show the running stage's progress, if it is due (the thread calls this)."""
        now = self._clock() if now is None else now
        with self._lock:
            if self._current is None:
                return
            name, notes, start = self._current
            elapsed = now - start
            if elapsed < self._delay:
                return
            counts = notes.describe()
            detail = f"{counts}, " if counts else ""
            if self._interactive:
                line = f"{name}: {detail}{elapsed:.0f} s..."
                if line != self._shown_line:  # redrawn only when it changes
                    self._stream.write(f"\r\x1b[K{line}")
                    self._stream.flush()
                    self._shown, self._shown_line = True, line
            elif now - self._last_plain >= self._every:
                self._last_plain = now
                self._stream.write(f"{name}: still running ({detail}{elapsed:.0f} s)\n")
                self._stream.flush()

    def total(self) -> str:
        """``total: 7.3 s (analysis 2.1 s, assemble 3.4 s)``: the two longest stages."""
        longest = sorted(self.times.items(), key=lambda kv: -kv[1])[:2]
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in longest)
        return f"total: {self._clock() - self._started:.1f} s" + (f" ({parts})" if parts else "")

    @property
    def interactive(self) -> bool:
        """True when progress is one updating line (a terminal)."""
        return self._interactive

    def clear_line(self) -> bool:
        """Take the updating line off the terminal (before a log line is written); True, so
        that it can serve as a logging filter."""
        with self._lock:
            self._clear()
            self._stream.flush()
        return True

    def close(self) -> None:
        """Stop the ticking thread (it writes nothing once no stage runs)."""
        self._stop.set()

    def _start_thread(self) -> None:
        # _thread, not threading.Thread: Thread.start() waits until the new thread runs, which
        # on a busy machine cost a no-change rebuild (two stages of microseconds) milliseconds
        if not self._ticking:
            self._ticking = True
            _thread.start_new_thread(self._run, ())

    def _run(self) -> None:
        while not self._stop.wait(self._tick):
            self.show()

    def _clear(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._shown, self._shown_line = False, ""

    def _write(self, text: str) -> None:
        with self._lock:
            self._stream.write(text)
            self._stream.flush()
