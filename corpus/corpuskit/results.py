"""Pure parts of the corpus: comparing a frozen run with the unfrozen one, counting, the table.

Nothing here starts a process or reads a file, so tests/unit/test_corpus.py checks it directly.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

FREEZEKIT, PYINSTALLER = "freezekit", "pyinstaller"
ONEDIR, ONEFILE = "onedir", "onefile"
COLUMNS = ((FREEZEKIT, ONEDIR), (FREEZEKIT, ONEFILE), (PYINSTALLER, ONEDIR), (PYINSTALLER, ONEFILE))
HEADINGS = {
    (FREEZEKIT, ONEDIR): "freezekit onedir",
    (FREEZEKIT, ONEFILE): "freezekit onefile",
    (PYINSTALLER, ONEDIR): "PyInstaller onedir",
    (PYINSTALLER, ONEFILE): "PyInstaller onefile",
}

PASS = "pass"
BUILD_ERROR = "build-error"  # the freezer exited non-zero or made no executable
BUILD_TIMEOUT = "build-timeout"
TIMEOUT = "timeout"  # the frozen app ran past its time limit
CRASH = "crash"  # killed by a signal
EXIT = "exit"  # another exit status than the unfrozen run's
OUTPUT = "output"  # same exit status, different stdout
STATUSES = (PASS, BUILD_ERROR, BUILD_TIMEOUT, TIMEOUT, CRASH, EXIT, OUTPUT)


@dataclass(frozen=True, kw_only=True)
class RunOutput:
    """What one process did: its stdout, stderr and exit status (negative: killed by a signal)."""

    stdout: str
    stderr: str
    returncode: int
    timed_out: bool = False


@dataclass(frozen=True, kw_only=True)
class Verdict:
    status: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == PASS


@dataclass(frozen=True, kw_only=True)
class Result:
    """One app frozen by one freezer in one mode, built, run and compared."""

    app: str
    package: str
    freezer: str
    mode: str
    status: str
    detail: str
    build_seconds: float | None
    run_seconds: float | None
    log: str  # the build log, relative to the repository
    commit: str = ""  # the freezekit commit the job ran at (+dirty: uncommitted changes)

    @property
    def ok(self) -> bool:
        return self.status == PASS

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Result:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})  # type: ignore[arg-type]


def error_line(text: str) -> str:
    """The line that names the problem: the last non-empty line (a traceback's exception),
    passing over PyInstaller's closing `[PYI-NNNN:ERROR] Failed to execute script` line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    named = [line for line in lines if not re.match(r"\[PYI-\d+:ERROR\] Failed to execute", line)]
    chosen = named or lines
    return chosen[-1][:300] if chosen else ""


def first_difference(expected: str, actual: str) -> str:
    """`line N: expected '...', got '...'` for the first line where two outputs differ."""
    want, got = expected.splitlines(), actual.splitlines()
    for number, (a, b) in enumerate(zip(want, got, strict=False), start=1):
        if a != b:
            return f"line {number}: expected {a[:120]!r}, got {b[:120]!r}"
    if len(want) != len(got):
        number = min(len(want), len(got)) + 1
        missing = want[number - 1] if len(want) > len(got) else None
        if missing is not None:
            return f"line {number}: expected {missing[:120]!r}, got end of output"
        return f"line {number}: expected end of output, got {got[number - 1][:120]!r}"
    return "same lines, different line endings or final newline"


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def compare(expected: RunOutput, actual: RunOutput) -> Verdict:
    """The frozen run against the unfrozen one: same exit status and the same stdout, exactly.
    stderr is not compared (warnings differ between a venv and a bundle); it gives the detail."""
    if actual.timed_out:
        return Verdict(status=TIMEOUT, detail=error_line(actual.stderr))
    if actual.returncode < 0 and expected.returncode >= 0:
        detail = _signal_name(actual.returncode)
        line = error_line(actual.stderr)
        return Verdict(status=CRASH, detail=f"{detail}: {line}" if line else detail)
    if actual.returncode != expected.returncode:
        line = error_line(actual.stderr) or error_line(actual.stdout)
        return Verdict(status=EXIT, detail=f"exit {actual.returncode}: {line}")
    if actual.stdout != expected.stdout:
        return Verdict(status=OUTPUT, detail=first_difference(expected.stdout, actual.stdout))
    return Verdict(status=PASS)


# ---------------------------------------------------------------- counting and the table


@dataclass(frozen=True, kw_only=True)
class Count:
    passed: int
    ran: int

    def __str__(self) -> str:
        return f"{self.passed}/{self.ran}"


def count(results: Iterable[Result], freezer: str, mode: str) -> Count:
    chosen = [r for r in results if r.freezer == freezer and r.mode == mode]
    return Count(passed=sum(r.ok for r in chosen), ran=len(chosen))


def packages_passed(results: Iterable[Result], freezer: str) -> Count:
    """Apps that pass in every mode this freezer ran them in."""
    by_app: dict[str, list[bool]] = {}
    for r in results:
        if r.freezer == freezer:
            by_app.setdefault(r.app, []).append(r.ok)
    return Count(passed=sum(all(oks) for oks in by_app.values()), ran=len(by_app))


def merge(old: Iterable[Result], new: Iterable[Result]) -> list[Result]:
    """`old` with every (app, freezer, mode) that `new` ran replaced; sorted for stable files."""
    merged = {(r.app, r.freezer, r.mode): r for r in old}
    merged.update({(r.app, r.freezer, r.mode): r for r in new})
    return sorted(merged.values(), key=lambda r: (r.app, r.freezer, r.mode))


def _cell(result: Result | None) -> str:
    if result is None:
        return "–"
    return "pass" if result.ok else f"**{result.status}**"


def _escape(text: str) -> str:
    """Table-cell text: `|` and `_` escaped (`__init__` is no bold), one line."""
    return text.replace("|", "\\|").replace("_", "\\_").replace("\n", " ")


def freezekit_misses(results: Iterable[Result]) -> dict[str, list[Result]]:
    misses: dict[str, list[Result]] = {}
    for r in results:
        if r.freezer == FREEZEKIT and not r.ok:
            misses.setdefault(r.app, []).append(r)
    return misses


def summary_lines(results: Sequence[Result]) -> list[str]:
    lines = []
    for freezer, mode in COLUMNS:
        c = count(results, freezer, mode)
        if c.ran:
            lines.append(f"- {HEADINGS[freezer, mode]}: {c} pass")
    for freezer, name in ((FREEZEKIT, "freezekit"), (PYINSTALLER, "PyInstaller")):
        c = packages_passed(results, freezer)
        if c.ran:
            lines.append(f"- {name}, apps passing in every mode they ran: {c}")
    return lines


def markdown_table(
    results: Sequence[Result], tests: Mapping[str, str], reasons: Mapping[str, str]
) -> str:
    """One row per app: package, what it tests, a cell per (freezer, mode), and for a freezekit
    miss the written reason (from corpus/reasons.toml), else the failing line itself."""
    by_key = {(r.app, r.freezer, r.mode): r for r in results}
    apps = sorted({r.app for r in results})
    head = [
        "app",
        "package",
        "what it tests",
        *(HEADINGS[c] for c in COLUMNS),
        "freezekit miss: reason",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    misses = freezekit_misses(results)
    for app in apps:
        package = next(r.package for r in results if r.app == app)
        cells = [_cell(by_key.get((app, f, m))) for f, m in COLUMNS]
        reason = ""
        if app in misses:
            reason = reasons.get(app) or "undiagnosed: " + "; ".join(
                f"{r.mode} {r.status} {r.detail}" for r in misses[app]
            )
        rows.append(
            "| "
            + " | ".join([app, package, _escape(tests.get(app, "")), *cells, _escape(reason)])
            + " |"
        )
    return "\n".join(rows)
