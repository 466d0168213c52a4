"""Pure result handling: medians, ratios, results.json rows and the goals."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from benchkit.config import (
    COLUMNS,
    FREEZEKIT,
    ONEDIR,
    ONEFILE,
    PYINSTALLER,
    PYTHON,
    VS_PYTHON_METRICS,
)

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """One row of results.json: one metric of one app in one mode, per freezer."""

    app: str
    mode: str
    metric: str
    unit: str
    values: Mapping[str, float | None]

    @property
    def ratio_to(self) -> str:
        """freezekit is compared with PyInstaller, except in the one row made for python."""
        return PYTHON if self.metric in VS_PYTHON_METRICS else PYINSTALLER

    @property
    def ratio(self) -> float | None:
        return ratio(self.values.get(FREEZEKIT), self.values.get(self.ratio_to))

    def to_row(self) -> dict[str, object]:
        row: dict[str, object] = {"app": self.app, "mode": self.mode, "metric": self.metric}
        row.update({column: self.values.get(column) for column in COLUMNS})
        row["ratio"] = self.ratio
        row["unit"] = self.unit
        return row


@dataclass(frozen=True, kw_only=True)
class Ref:
    """A value in the results: column `column` of metric `metric` in mode `mode`."""

    metric: str
    mode: str
    column: str


@dataclass(frozen=True, kw_only=True)
class Goal:
    title: str
    numerator: Ref
    denominator: Ref
    limit: float


@dataclass(frozen=True, kw_only=True)
class GoalResult:
    app: str
    goal: Goal
    ratio: float | None

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return "n/a"
        return "PASS" if self.ratio <= self.goal.limit else "MISS"


def _fk(metric: str, mode: str) -> Ref:
    return Ref(metric=metric, mode=mode, column=FREEZEKIT)


def _pyi(metric: str, mode: str) -> Ref:
    return Ref(metric=metric, mode=mode, column=PYINSTALLER)


GOALS = (
    Goal(
        title="onedir start <= 1.3x plain python",
        numerator=_fk("onedir_start", ONEDIR),
        denominator=Ref(metric="onedir_start", mode=ONEDIR, column=PYTHON),
        limit=1.3,
    ),
    Goal(
        title="onefile cold start <= 0.3x PyInstaller",
        numerator=_fk("onefile_start", ONEFILE),
        denominator=_pyi("onefile_start", ONEFILE),
        limit=0.3,
    ),
    Goal(
        title="onefile warm start <= 1.1x our onedir",
        numerator=_fk("onefile_warm_start", ONEFILE),
        denominator=_fk("onedir_start", ONEDIR),
        limit=1.1,
    ),
    Goal(
        title="onefile size <= 0.5x PyInstaller",
        numerator=_fk("onefile_size", ONEFILE),
        denominator=_pyi("onefile_size", ONEFILE),
        limit=0.5,
    ),
    *(
        Goal(
            title=f"clean build ({mode}) <= 0.5x PyInstaller",
            numerator=_fk("build_time", mode),
            denominator=_pyi("build_time", mode),
            limit=0.5,
        )
        for mode in (ONEDIR, ONEFILE)
    ),
    *(
        Goal(
            title=f"rebuild ({mode}) <= 0.1x PyInstaller",
            numerator=_fk("rebuild_time", mode),
            denominator=_pyi("rebuild_time", mode),
            limit=0.1,
        )
        for mode in (ONEDIR, ONEFILE)
    ),
    *(
        Goal(
            title=f"first build ({mode}) <= 0.5x PyInstaller",
            numerator=_fk("first_build_time", mode),
            denominator=_pyi("first_build_time", mode),
            limit=0.5,
        )
        for mode in (ONEDIR, ONEFILE)
    ),
    *(
        Goal(
            title=f"build peak memory ({mode}) <= 1.0x PyInstaller",
            numerator=_fk("build_peak_rss", mode),
            denominator=_pyi("build_peak_rss", mode),
            limit=1.0,
        )
        for mode in (ONEDIR, ONEFILE)
    ),
    Goal(
        title="onefile cold start <= 1.5x our onedir",
        numerator=_fk("onefile_start", ONEFILE),
        denominator=_fk("onedir_start", ONEDIR),
        limit=1.5,
    ),
    *(
        Goal(
            title=f"peak memory ({mode}) <= 1.0x PyInstaller",
            numerator=_fk("peak_rss", mode),
            denominator=_pyi("peak_rss", mode),
            limit=1.0,
        )
        for mode in (ONEDIR, ONEFILE)
    ),
)


def round_order(items: Sequence[T], round_index: int) -> list[T]:
    """The order of one round: every item once, rotated by one place per round, so no variant
    always runs right after the same other one (a onefile run's temp-folder writes and
    deletions can slow the run after it)."""
    if not items:
        return []
    shift = round_index % len(items)
    return [*items[shift:], *items[:shift]]


def median(values: Iterable[float]) -> float | None:
    """Median of the values, or None when there are none (a broken or missing variant)."""
    collected = list(values)
    return statistics.median(collected) if collected else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def lookup(measurements: Iterable[Measurement], app: str, ref: Ref) -> float | None:
    for m in measurements:
        if (m.app, m.mode, m.metric) == (app, ref.mode, ref.metric):
            return m.values.get(ref.column)
    return None


def evaluate_goals(
    measurements: Sequence[Measurement], goals: Sequence[Goal] = GOALS
) -> list[GoalResult]:
    apps = list(dict.fromkeys(m.app for m in measurements))
    return [
        GoalResult(
            app=app,
            goal=goal,
            ratio=ratio(
                lookup(measurements, app, goal.numerator),
                lookup(measurements, app, goal.denominator),
            ),
        )
        for goal in goals
        for app in apps
    ]


def results_json(measurements: Iterable[Measurement]) -> str:
    return json.dumps([m.to_row() for m in measurements], indent=2) + "\n"


def tree_peak(*, tree_maxrss: int, samples: Iterable[int]) -> int:
    """Peak memory of a run: the largest sampled sum over the process tree (a onefile launcher
    and its child live side by side), never less than the largest single process."""
    return max([tree_maxrss, *samples])
