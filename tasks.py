"""invoke tasks for work in the current environment: bootloader, clean, matrix, header, release.

Thin callers of freezekit's Python API; every import of freezekit happens inside a task.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from invoke import Context, task  # type: ignore[attr-defined]  # invoke exports these lazily

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))


@task(
    help={"python": "target Python X.Y (default: the one running invoke)", "debug": "debug build"}
)
def bootloader(c: Context, python: str = "", debug: bool = False) -> None:
    """Compile the bootloader (console and windowed) for one Python."""
    from freezekit.assemble.bootloader import build_bootloader
    from freezekit.platforms import resolve_target
    from freezekit.release.interpreters import find_interpreter

    interpreter = None
    if python:
        found = find_interpreter(python, 64 if sys.maxsize > 2**32 else 32)
        if found is None:
            raise SystemExit(f"error: no Python {python} found (pyenv, PATH, py launcher)")
        interpreter = found.path
    target = resolve_target(interpreter)
    for windowed in (False, True):
        suffix = "-w" if windowed else ""
        path = build_bootloader(
            target,
            windowed=windowed,
            debug=debug,
            build_dir=ROOT / "build" / "bootloader" / f"{target.tag}{suffix}",
        )
        print(f"bootloader {target.tag}{' windowed' if windowed else ''}: {path}")


@task
def clean(c: Context) -> None:
    """Remove build/, dist/ and the cells' venvs under .nox/freeze-*."""
    for path in [ROOT / "build", ROOT / "dist", *sorted((ROOT / ".nox").glob("freeze-*"))]:
        if path.exists():
            shutil.rmtree(path)
            print(f"removed {path.relative_to(ROOT)}")


@task(help={"format": "table or github"})
def matrix(c: Context, format: str = "table") -> None:
    """Show the matrix cells declared in matrix/cells.toml."""
    import json

    from freezekit.release.matrix import format_matrix_table, github_matrix, host_cells, load_matrix

    cells = load_matrix()
    if format == "github":
        print(json.dumps(github_matrix(cells)))
    else:
        print(format_matrix_table(cells, {cell.name: why for cell, why in host_cells(cells)}))


@task(name="archive-header")
def archive_header(c: Context) -> None:
    """Write bootloader/src/archive_format.h from freezekit/archive/format.py."""
    from freezekit.archive.format import render_c_header

    header = ROOT / "bootloader" / "src" / "archive_format.h"
    header.write_text(render_c_header(), encoding="utf-8", newline="\n")
    print(f"wrote {header.relative_to(ROOT)}")


@task(
    help={
        "version": "the release version, e.g. 1.2.3",
        "artifacts": "folder holding every cell's published folder (default dist)",
        "allow_missing": "release without cells that are missing or failed their smoke probes",
    }
)
def release(c: Context, version: str, artifacts: str = "dist", allow_missing: bool = False) -> None:
    """Gather every cell's artifact, check it, write SHA256SUMS and release notes."""
    from freezekit.errors import FreezekitError
    from freezekit.release.matrix import load_matrix
    from freezekit.release.publish import gather_release, git_commit

    version = version.removeprefix("v")
    source = Path(artifacts)
    try:
        result = gather_release(
            source,
            source / "release",
            version=version,
            cells=load_matrix(),
            allow_missing=allow_missing,
            commit=git_commit(ROOT),
        )
    except FreezekitError as exc:
        hint = f"\nhint: {exc.hint}" if exc.hint else ""
        raise SystemExit(f"error: {exc.message}{hint}") from exc
    for name in (*result.missing, *result.failed):
        print(f"left out: {name}")
    print(f"release {version}: {len(result.archives)} archives, {result.sums}, {result.notes}")
