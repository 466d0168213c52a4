"""The corpus's files: build/corpus/<version>/results.json (merged across runs, so a re-run of
a subset updates its rows) and the markdown page (docs/corpus.md with --write-docs)."""

from __future__ import annotations

import fcntl
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from corpuskit.catalog import REASONS, CorpusApp
from corpuskit.results import (
    FREEZEKIT,
    PYINSTALLER,
    Result,
    freezekit_misses,
    markdown_table,
    merge,
    summary_lines,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def load_results(path: Path) -> tuple[dict[str, object], list[Result]]:
    if not path.exists():
        return {}, []
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("run", {}), [Result.from_json(r) for r in data.get("results", [])]


def write_results(path: Path, run: Mapping[str, object], results: Sequence[Result]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"run": dict(run), "results": [r.to_json() for r in results]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def update_results(
    path: Path,
    run: Mapping[str, object],
    new: Sequence[Result],
    *,
    add_run: Mapping[str, object] | None = None,
) -> tuple[dict[str, object], list[Result]]:
    """Merge `new` rows and `run` facts into the file, under a lock: two runs (freezekit's and
    PyInstaller's baseline) may write the same file; `add_run` appends to the run history."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old_run, old = load_results(path)
        merged_run = {**old_run, **run}
        if add_run is not None:
            history = old_run.get("runs")
            merged_run["runs"] = [*(history if isinstance(history, list) else []), dict(add_run)]
        results = merge(old, new)
        write_results(path, merged_run, results)
    return merged_run, results


def load_reasons(path: Path = REASONS) -> dict[str, str]:
    """corpus/reasons.toml: `app = "why freezekit misses it"` under [freezekit]."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(k): " ".join(str(v).split()) for k, v in data.get("freezekit", {}).items()}


def markdown_page(
    run: Mapping[str, object], results: Sequence[Result], apps: Sequence[CorpusApp]
) -> str:
    tests = {a.name: f"{a.tests}" for a in apps}
    reasons = load_reasons()
    runs = [r for r in run.get("runs", []) if isinstance(r, dict)]  # type: ignore[attr-defined]
    commits = sorted({r.commit for r in results if r.freezer == FREEZEKIT and r.commit})
    lines = [
        "# Package corpus: freezekit and PyInstaller on popular PyPI packages",
        "",
        "`nox -s corpus` freezes one tiny app per package (corpus/apps/: a few lines that use "
        "the package's data files, plugins or compiled extensions and print a deterministic "
        "result) with NO flags, runs it, and compares its stdout and exit status with "
        "`python app.py` run by the same interpreter. PyInstaller with its contrib hooks "
        "freezes the same apps side by side in the same run, from a venv of its own. All apps "
        "are frozen onedir; about a third onefile as well. corpus/README.md says how to run it.",
        "",
        f"Run: Python {run.get('python', '?')}, PyInstaller {run.get('pyinstaller', '?')} with "
        f"pyinstaller-hooks-contrib {run.get('contrib', '?')}, on a shared 2-core machine. "
        "Runs (a re-run of a subset replaces those rows only):",
        "",
        *[
            f"- run {r.get('started')}: {r.get('what', '')} {r.get('ran')} jobs, "
            f"{r.get('jobs', '?')} at a time, in {r.get('wall_seconds')} s (freezekit "
            f"{r.get('commit')})"
            for r in runs
        ],
        "",
        f"freezekit commit(s) the numbers were taken at: {', '.join(commits) or '?'} "
        "(`+dirty`: with uncommitted changes of the shared work tree).",
        "",
        *summary_lines(results),
        "",
        "A cell is `pass` or the failure: `build-error` (the freezer failed), `exit` (another "
        "exit status), `output` (different stdout), `crash` (killed by a signal), `timeout`; "
        "`–`: not frozen in that mode.",
        "",
        markdown_table(results, tests, reasons),
        "",
    ]
    misses = freezekit_misses(results)
    if misses:
        lines += ["## freezekit misses: the failing line", ""]
        for app, failed in sorted(misses.items()):
            for r in failed:
                lines.append(f"- {app} ({r.mode}, {r.status}): `{r.detail}`")
        lines.append("")
    pyi = [r for r in results if r.freezer == PYINSTALLER and not r.ok]
    if pyi:
        lines += ["## PyInstaller misses: the failing line", ""]
        lines += [f"- {r.app} ({r.mode}, {r.status}): `{r.detail}`" for r in pyi]
        lines.append("")
    return "\n".join(lines)
