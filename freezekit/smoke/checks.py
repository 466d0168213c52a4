"""The app's own checks: commands run against the frozen executable before a cell publishes.

The built-in smoke probes show that the bootloader and the interpreter work; they never run the
app's own code path. Checks do: each runs the executable with its arguments, standard input and
environment, in a fresh working folder, and compares the exit code, the output and the files the
run must create. They are declared as ``[[tool.freezekit.checks]]`` tables in pyproject.toml (or
``AppSpec(checks=[...])`` with the same keys)::

    [[tool.freezekit.checks]]
    name = "greets"
    args = ["3", "4"]
    stdout-contains = "squares: [9, 16]"
    stdout-regex = "^Hello"
    exit-code = 0
    timeout = 60
    stdin = ""
    env = { LANG = "C.UTF-8" }
    creates = ["out.txt"]
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from freezekit.errors import OptionsError

KEYS = (
    "name",
    "args",
    "stdin",
    "env",
    "timeout",
    "exit-code",
    "stdout-contains",
    "stdout-regex",
    "stderr-contains",
    "creates",
)
_TAIL = 400


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    args: tuple[str, ...] = ()
    stdin: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    exit_code: int = 0
    stdout_contains: str | None = None
    stdout_regex: str | None = None
    stderr_contains: str | None = None
    creates: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """Has the attributes publishing reads from a smoke probe's result."""

    probe: str
    ok: bool
    detail: str
    seconds: float = 0.0
    status: str = "ok"  # ok or failed


def _fail(where: str, index: int, message: str) -> OptionsError:
    return OptionsError(
        f"{where}: check {index + 1}: {message}",
        hint="see the checks section of the README for the keys a check takes",
    )


def parse_check(table: Mapping[str, object], *, index: int, where: str) -> Check:
    """One check from its table; every key and type is checked, with one line per error."""
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise _fail(where, index, f"unknown key {unknown[0]!r} (keys: {', '.join(KEYS)})")
    args = table.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise _fail(where, index, "args must be a list of strings")
    env = table.get("env", {})
    if not isinstance(env, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise _fail(where, index, "env must be a table of strings")
    creates = table.get("creates", [])
    if (
        not isinstance(creates, list)
        or not all(isinstance(c, str) for c in creates)
        or any(os.path.isabs(c) or ".." in Path(c).parts for c in creates)
    ):
        raise _fail(where, index, "creates must be a list of relative paths")
    timeout = table.get("timeout", 60)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise _fail(where, index, "timeout must be a positive number of seconds")
    exit_code = table.get("exit-code", 0)
    if isinstance(exit_code, bool) or not isinstance(exit_code, int):
        raise _fail(where, index, "exit-code must be an integer")
    texts: dict[str, str | None] = {}
    for key in ("name", "stdin", "stdout-contains", "stdout-regex", "stderr-contains"):
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise _fail(where, index, f"{key} must be a string")
        texts[key] = value
    if texts["stdout-regex"] is not None:
        try:
            re.compile(texts["stdout-regex"])
        except re.error as exc:
            raise _fail(where, index, f"stdout-regex does not compile: {exc}") from exc
    return Check(
        name=texts["name"] or f"check {index + 1} ({' '.join(args) or 'no arguments'})",
        args=tuple(args),
        stdin=texts["stdin"],
        env=dict(env),
        timeout=float(timeout),
        exit_code=exit_code,
        stdout_contains=texts["stdout-contains"],
        stdout_regex=texts["stdout-regex"],
        stderr_contains=texts["stderr-contains"],
        creates=tuple(creates),
    )


def parse_checks(value: object, *, where: str) -> tuple[Check, ...]:
    """Checks from a list of tables (``[[tool.freezekit.checks]]``)."""
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise OptionsError(
            f"{where}: checks must be a list of tables",
            hint="write each as [[tool.freezekit.checks]] with args = [...] and what to expect",
        )
    return tuple(parse_check(table, index=i, where=where) for i, table in enumerate(value))


def _tail(text: str) -> str:
    text = text.strip()
    return ("..." + text[-_TAIL:]) if len(text) > _TAIL else text


def _kill(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        process.kill()


def _problems(check: Check, code: int, out: str, err: str, cwd: Path) -> list[str]:
    problems = []
    if code != check.exit_code:
        problems.append(f"exit code {code}, expected {check.exit_code}")
    if check.stdout_contains is not None and check.stdout_contains not in out:
        problems.append(f"stdout lacks {check.stdout_contains!r}")
    if check.stdout_regex is not None and not re.search(check.stdout_regex, out, re.MULTILINE):
        problems.append(f"stdout does not match {check.stdout_regex!r}")
    if check.stderr_contains is not None and check.stderr_contains not in err:
        problems.append(f"stderr lacks {check.stderr_contains!r}")
    problems += [f"{name} was not created" for name in check.creates if not (cwd / name).exists()]
    return problems


def run_check(executable: Path, check: Check) -> CheckResult:
    """Run one check in a fresh working folder; a hang is killed at its timeout."""
    from freezekit.platforms.executables import wine_launcher

    start = time.monotonic()
    launcher, extra = wine_launcher(executable) or ([], {})  # a Windows app on Linux: wine64
    with tempfile.TemporaryDirectory(prefix="freezekit-check-") as scratch:
        cwd = Path(scratch)
        process = subprocess.Popen(
            [*launcher, str(executable.resolve()), *check.args],
            cwd=cwd,
            env={**os.environ, **extra, **check.env},
            stdin=subprocess.PIPE if check.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=os.name == "posix",
        )
        try:
            out, err = process.communicate(check.stdin, timeout=check.timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            out, err = process.communicate()
            detail = (
                f"killed after its {check.timeout:g} s timeout; output tail: "
                f"{_tail(out + err) or '(none)'}"
            )
            return CheckResult(
                probe=f"check: {check.name}",
                ok=False,
                detail=detail,
                seconds=time.monotonic() - start,
                status="failed",
            )
        problems = _problems(check, process.returncode, out, err, cwd)
    seconds = time.monotonic() - start
    if problems:
        detail = "; ".join(problems) + f"; output tail: {_tail(out + err) or '(none)'}"
        return CheckResult(
            probe=f"check: {check.name}", ok=False, detail=detail, seconds=seconds, status="failed"
        )
    return CheckResult(
        probe=f"check: {check.name}", ok=True, detail=f"exit {process.returncode}", seconds=seconds
    )


def run_checks(executable: Path, checks: Sequence[Check]) -> list[CheckResult]:
    return [run_check(executable, check) for check in checks]
