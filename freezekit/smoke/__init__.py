"""Run the smoke probes of a produced executable (host side of ``freezekit smoke``).

The probes themselves live in the app (``freezekit/runtime/smoke.py``); this module starts
the executable once per probe with ``FREEZEKIT_SMOKE=<probe>``, under a timeout so that a
spawn loop fails instead of hanging, and reads the JSON line the probe prints.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from freezekit.archive.format import TRAILER_SIZE, Trailer, decode_trailer
from freezekit.errors import ArchiveFormatError, SmokeError
from freezekit.runtime import PROBES as RUNTIME_PROBES

logger = logging.getLogger(__name__)

PROBES: tuple[str, ...] = tuple(RUNTIME_PROBES)  # the probes built into every app
SMOKE_VARIABLE = "FREEZEKIT_SMOKE"
#: LD_LIBRARY_PATH given to the app by the env-reset probe: what an outside program must see.
MARKER_LIBRARY_PATH = "/nonexistent/freezekit-smoke-original-ld-library-path"
_KILL_GRACE = 3.0
_NEW_GROUP_FLAG: int = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)


SKIPPED_PREFIX = "skipped: "


@dataclass(frozen=True, kw_only=True)
class ProbeResult:
    """One probe's outcome. ``ok`` is "did not fail"; ``status`` tells a probe that ran and
    passed (ok) from one that had nothing to check in this app (skipped, ``detail`` says why)."""

    probe: str
    ok: bool
    detail: str
    seconds: float

    @property
    def status(self) -> str:
        """ok, skipped or failed."""
        if not self.ok:
            return "failed"
        return "skipped" if self.detail.startswith(SKIPPED_PREFIX) else "ok"


def check_is_freezekit_executable(path: Path) -> Trailer:
    """Return the trailer of ``path``; raise SmokeError if it is not a freezekit executable."""
    if path.is_dir():
        raise SmokeError(
            f"{path} is a folder, not a freezekit executable",
            hint=f"pass the executable inside it, e.g. {path / path.name}",
        )
    try:
        size = path.stat().st_size
        if size < TRAILER_SIZE:
            raise SmokeError(f"{path} is not a freezekit executable ({size} bytes, no trailer)")
        with path.open("rb") as file:
            file.seek(size - TRAILER_SIZE)
            trailer = decode_trailer(file.read(TRAILER_SIZE))
    except OSError as exc:
        raise SmokeError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ArchiveFormatError as exc:
        raise SmokeError(f"{path} is not a freezekit executable: {exc}") from exc
    if os.name == "posix" and not os.access(path, os.X_OK):
        raise SmokeError(f"{path} is not executable", hint=f"chmod +x {path}")
    return trailer


def check_probe_names(probes: Sequence[str]) -> tuple[str, ...]:
    unknown = [name for name in probes if name not in PROBES]
    if unknown:
        raise SmokeError(f"unknown smoke probe {unknown[0]!r}; the probes are: {', '.join(PROBES)}")
    return tuple(probes)


def run_smoke(
    executable: Path,
    *,
    probes: Sequence[str] | None = None,
    timeout: float = 60.0,
) -> list[ProbeResult]:
    """Run each probe (default: all) in its own process of ``executable``."""
    names = check_probe_names(PROBES if probes is None else probes)
    check_is_freezekit_executable(executable)
    results = []
    for name in names:
        result = run_probe(executable, name, timeout=timeout)
        logger.debug("smoke %s: %s (%.1f s) %s", name, result.status, result.seconds, result.detail)
        results.append(result)
    return results


def probe_environment(probe: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a probe runs with."""
    env = dict(os.environ if base is None else base)
    env[SMOKE_VARIABLE] = probe
    for name in (
        "LD_LIBRARY_PATH_ORIG",
        "_FREEZEKIT_TOP_DIR",
        "FREEZEKIT_RESET_ENVIRONMENT",
        "PYINSTALLER_RESET_ENVIRONMENT",
    ):
        env.pop(name, None)
    if probe == "env-reset":
        env["LD_LIBRARY_PATH"] = MARKER_LIBRARY_PATH
    return env


def run_probe(
    executable: Path,
    probe: str,
    *,
    timeout: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
) -> ProbeResult:
    """Run one probe; a timeout kills the whole process group and fails the probe."""
    from freezekit.platforms.executables import wine_launcher

    launcher, extra = wine_launcher(executable) or ([], {})  # a Windows app on Linux: wine64
    command = [*launcher, str(executable)]
    started = clock()
    with subprocess.Popen(
        command,
        env={**probe_environment(probe), **extra},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=sys.platform != "win32",
        creationflags=_NEW_GROUP_FLAG if sys.platform == "win32" else 0,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            stdout, stderr = process.communicate()
            return ProbeResult(
                probe=probe,
                ok=False,
                detail=f"timed out after {timeout:g} s (a spawn loop or a hang); process group "
                f"killed; stderr: {_tail(stderr)}",
                seconds=clock() - started,
            )
    return parse_probe_output(probe, process.returncode, stdout, stderr, seconds=clock() - started)


def parse_probe_output(
    probe: str, returncode: int, stdout: str, stderr: str, *, seconds: float
) -> ProbeResult:
    """Turn a probe process's exit status and output into a ProbeResult."""
    reported = _find_result_line(probe, stdout)
    if reported is None:
        detail = f"exit status {returncode} and no result line; stderr: {_tail(stderr)}"
        return ProbeResult(probe=probe, ok=False, detail=detail, seconds=seconds)
    ok = bool(reported.get("ok")) and returncode == 0
    detail = str(reported.get("detail", ""))
    if reported.get("status") == "skipped" and not detail.startswith(SKIPPED_PREFIX):
        detail = SKIPPED_PREFIX + detail
    if bool(reported.get("ok")) and returncode != 0:
        detail = f"{detail} (but exit status {returncode}; stderr: {_tail(stderr)})"
    return ProbeResult(probe=probe, ok=ok, detail=detail, seconds=seconds)


def _find_result_line(probe: str, stdout: str) -> dict[str, object] | None:
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("probe") == probe:
            return value
    return None


def _tail(text: str, limit: int = 400) -> str:
    text = " | ".join(line for line in text.strip().splitlines() if line.strip())
    if not text:
        return "(empty)"
    return text if len(text) <= limit else "..." + text[-limit:]


def _kill_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM the probe's process group (onefile parents clean up), then SIGKILL it."""
    if sys.platform == "win32":
        process.kill()
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(_KILL_GRACE)
    # Children of a spawn loop may outlive the leader: kill whatever is left of the group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def format_table(results: Sequence[ProbeResult]) -> str:
    """A plain-text table: probe, result (ok, skipped, FAILED), seconds, detail (a skipped
    probe's reason); then a summary line."""
    width = max([len("probe"), *(len(r.probe) for r in results)])
    lines = [f"{'probe':<{width}}  result   seconds  detail"]
    for r in results:
        status = "FAILED" if r.status == "failed" else r.status
        detail = r.detail.removeprefix(SKIPPED_PREFIX)
        lines.append(f"{r.probe:<{width}}  {status:<7}  {r.seconds:7.1f}  {detail}")
    lines.append(summary_line(results))
    return "\n".join(lines)


def summary_line(results: Sequence[ProbeResult]) -> str:
    """``9 probes: 7 ok, 2 skipped, 0 failed``."""
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    return f"{len(results)} probes: " + ", ".join(f"{n} {s}" for s, n in counts.items())


STATUSES = ("ok", "skipped", "failed")


def results_json(results: Sequence[ProbeResult]) -> str:
    """``{"ok": none failed, "passed"/"skipped"/"failed": counts, "results": [{"probe", "ok",
    "status", "detail", "seconds"}, ...]}``."""
    payload = {
        "ok": all(r.ok for r in results),
        **{status: sum(r.status == status for r in results) for status in ("skipped", "failed")},
        "passed": sum(r.status == "ok" for r in results),
        "results": [
            {**asdict(r), "status": r.status, "seconds": round(r.seconds, 3)} for r in results
        ],
    }
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"
