"""The printed table, the goal verdicts and the files written under build/bench/."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from benchkit.builds import Built
from benchkit.config import COLUMNS, CX_FREEZE, FREEZEKIT, OUT_DIR, PYINSTALLER, PYTHON
from benchkit.results import GoalResult, Measurement, ratio, results_json

# ---------------------------------------------------------------- report


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "bytes":
        return f"{value / 1e6:.1f} MB"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:.0f}"


def format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def format_table(measurements: Sequence[Measurement]) -> str:
    header = ("app", "mode", "metric", *COLUMNS, "fk/pyi", "fk/cx", "fk/py")
    lines: list[tuple[str, ...]] = [header]
    for m in measurements:
        fk = m.values.get(FREEZEKIT)
        lines.append(
            (
                m.app,
                m.mode,
                m.metric,
                *(format_value(m.values.get(c), m.unit) for c in COLUMNS),
                format_ratio(ratio(fk, m.values.get(PYINSTALLER))),
                format_ratio(ratio(fk, m.values.get(CX_FREEZE))),
                format_ratio(ratio(fk, m.values.get(PYTHON))),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def format_goals(results: Sequence[GoalResult]) -> str:
    return "\n".join(
        f"{r.verdict:4}  {r.app:11} {r.goal.title:42} {format_ratio(r.ratio)}" for r in results
    )


def format_problems(builds: Sequence[Built]) -> str:
    return "\n".join(
        f"BROKEN {b.job.app.name} {b.variant.label}: {b.problem}" for b in builds if not b.ok
    )


def write_results(
    measurements: Sequence[Measurement], builds: Sequence[Built], goals: Sequence[GoalResult]
) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / "results.json"
    path.write_text(results_json(measurements))
    status = [
        {"app": b.job.app.name, "variant": b.variant.label, "problem": b.problem} for b in builds
    ]
    (OUT_DIR / "builds.json").write_text(json.dumps(status, indent=2) + "\n")
    verdicts = [
        {
            "app": r.app,
            "goal": r.goal.title,
            "ratio": r.ratio,
            "limit": r.goal.limit,
            "verdict": r.verdict,
        }
        for r in goals
    ]
    (OUT_DIR / "goals.json").write_text(json.dumps(verdicts, indent=2) + "\n")
    return path
