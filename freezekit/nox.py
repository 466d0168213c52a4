"""The nox task library: one call in a noxfile declares the freeze sessions of every cell.

    from freezekit.nox import AppSpec, declare_freeze_sessions
    declare_freeze_sessions(AppSpec(name="hello", version="1.0", script=Path("hello.py")))

registers ``freeze-<cell>`` per matrix cell (tags ``freeze``, ``smoke``), ``freeze`` (every cell
this host can run, in turn, saying which it skipped and why), ``matrix`` and ``release``. Nox
sessions cannot call each other, so each cell's work is one function, ``freeze_cell``: it makes
the cell's venv with the interpreter freezekit.release.interpreters found, installs freezekit
and the app, and runs ``python -m freezekit.release.cell job.json`` there, which calls build()
and the smoke probes and publishes under ``dist/<cell>/``. nox is imported inside the functions.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from freezekit import __version__
from freezekit.errors import FreezekitError, OptionsError
from freezekit.platforms import Os
from freezekit.release.cell import AppSpec, CellJob
from freezekit.release.interpreters import (
    HostPlatform,
    Interpreter,
    find_interpreter,
    probe_interpreter,
)
from freezekit.release.matrix import (
    Cell,
    can_host,
    format_matrix_table,
    github_matrix,
    host_cells,
    interpreter_problem,
    load_matrix,
)
from freezekit.release.matrix import select_cells as _select

__all__ = [
    "AppSpec",
    "FreezeConfig",
    "app_from_pyproject",
    "declare_freeze_sessions",
    "freeze_all",
    "freeze_cell",
]

ROOT = Path(__file__).resolve().parent.parent


class Session(Protocol):
    """The part of nox.Session the task library uses (a fake one in unit tests)."""

    @property
    def posargs(self) -> list[str]: ...
    def log(self, *args: object) -> None: ...
    def warn(self, *args: object) -> None: ...
    def skip(self, *args: object) -> None: ...
    def error(self, *args: object) -> None: ...
    def run(self, *args: str, **kwargs: object) -> object: ...


@dataclass(frozen=True, kw_only=True)
class FreezeConfig:
    """Everything a cell session needs besides the cell."""

    app: AppSpec
    matrix: Path | None = None  # cells.toml; None: the repository's or the packaged one
    freezekit: str = ""  # pip argument that installs freezekit; "": this checkout or the version
    dist: Path = Path("dist")
    build: Path = Path("build") / "freeze"
    envs: Path = Path(".nox")
    smoke: bool = True

    def freezekit_requirement(self) -> list[str]:
        if self.freezekit:
            return [self.freezekit]
        if (ROOT / "pyproject.toml").is_file() and (ROOT / "freezekit").is_dir():
            return ["-e", str(ROOT)]
        return [f"freezekit=={__version__}"]


def app_from_pyproject(path: Path) -> AppSpec:
    """An AppSpec from a pyproject.toml: [project] name and version, [tool.freezekit] options."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised only on 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OptionsError(f"cannot read {path}: {exc}") from exc
    project = data.get("project", {})
    tool = data.get("tool", {}).get("freezekit", {})
    name = tool.get("name") or project.get("name")
    if not isinstance(name, str):
        raise OptionsError(f"{path}: no [project] name or [tool.freezekit] name")
    install = (str(path.parent),) if "build-system" in data else ()
    return AppSpec(
        name=name, version=str(project.get("version", "0.0.0")), pyproject=path, install=install
    )


def is_ci(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("CI", "").lower() not in ("", "0", "false", "no")


def _fail_or_skip(session: Session, message: str) -> None:
    """A cell that cannot run here: a failure in CI, a skip on a developer's machine."""
    if is_ci():
        session.error(f"{message} (CI is set: a cell that cannot run is a failure)")
    session.skip(message)


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(session: Session, interpreter: Interpreter, venv: Path) -> Path:
    """The cell's venv, made with ``interpreter``; reused while it still matches."""
    python = _venv_python(venv)
    found = probe_interpreter([str(python)]) if python.exists() else None
    if found is None or (found.version, found.bits, found.os, found.arch) != (
        interpreter.version,
        interpreter.bits,
        interpreter.os,
        interpreter.arch,
    ):
        session.log(f"creating {venv} with {interpreter.path}")
        session.run(str(interpreter.path), "-m", "venv", "--clear", str(venv), external=True)
    return python


def freeze_cell(
    session: Session,
    cell: Cell,
    config: FreezeConfig,
    *,
    find: Callable[[str, int], Interpreter | None] | None = None,
    host: HostPlatform | None = None,
) -> Path:
    """One cell: venv, install, then freezekit.release.cell (bootloader, build, smoke, publish).

    A cell of another OS or machine than the host's is skipped (a failure under CI) with the
    reason; its interpreter must be built for the cell's OS and machine, not only be the
    right version and bitness."""
    from freezekit.release.interpreters import host_platform

    host = host or host_platform()
    reason = can_host(cell, host)
    if reason is not None and cell.os is Os.WINDOWS and host.os is Os.LINUX:
        return freeze_windows_cross(session, cell, config, reason=reason)
    reason = reason or interpreter_problem(cell, host, find)
    if reason is not None:
        _fail_or_skip(session, f"{cell.name}: {reason}")
        raise AssertionError("unreachable: skip and error raise")  # pragma: no cover
    interpreter = (
        find(cell.python, cell.bits)
        if find is not None
        else find_interpreter(cell.python, cell.bits, host=host, os_=cell.os, arch=cell.arch)
    )
    assert interpreter is not None  # interpreter_problem found it
    session.log(
        f"{cell.name}: Python {'.'.join(map(str, interpreter.version))} at {interpreter.path}"
    )
    env_dir = config.envs / f"freeze-{cell.name}"
    python = ensure_venv(session, interpreter, env_dir / "venv")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    session.run(*pip, *config.freezekit_requirement(), *config.app.install, external=True)
    job = CellJob(
        cell=cell.name,
        app=config.app,
        work_dir=config.build / cell.name,
        publish_dir=config.dist / cell.name,
        matrix=config.matrix,
        smoke=config.smoke,
    )
    job_file = env_dir / "job.json"
    job_file.write_text(job.to_json(), encoding="utf-8")
    session.run(str(python), "-m", "freezekit.release.cell", str(job_file), external=True)
    return job.publish_dir


def freeze_windows_cross(
    session: Session, cell: Cell, config: FreezeConfig, *, reason: str
) -> Path:
    """A windows-x86_64 cell on a Linux host: the cross path (python.org's CPython under
    wine64, Windows wheels, the mingw-w64 bootloader), smoke probes and app checks under wine,
    then publish. Skipped (a failure under CI) with the missing piece named."""
    from freezekit.crossbuild import windows_cross, windows_python
    from freezekit.log import LineReporter
    from freezekit.release.cell import app_checks, app_options
    from freezekit.release.publish import git_commit, publish_cell
    from freezekit.smoke import run_smoke
    from freezekit.smoke.checks import run_checks

    if cell.arch != "x86_64" or cell.python not in windows_python.PACKAGES:
        _fail_or_skip(
            session,
            f"{cell.name}: {reason}; the cross path from Linux covers windows-x86_64 with "
            f"CPython {', '.join(windows_python.PACKAGES)} only",
        )
    problems = windows_cross.cross_problems(cell.python)
    if problems:
        _fail_or_skip(
            session,
            f"{cell.name}: {reason}, or the cross path from Linux, which needs "
            f"{'; '.join(problems)}",
        )
    app = config.app
    if app.spec is not None:
        _fail_or_skip(session, f"{cell.name}: the cross path does not take .spec files yet")
    work = config.build / cell.name
    distpath, workpath = work / "dist", work / "work"
    options = app_options(app, distpath=distpath, workpath=workpath)
    checks = app_checks(app)
    py = windows_cross.load_cross_python(f"windows-x86_64-{cell.python}")
    session.log(f"{cell.name}: cross path, CPython {py.python} (python.org, checked) under wine64")
    result = windows_cross.build_windows(
        options,
        py,
        requirements=windows_cross.project_requirements(app.pyproject),
        reporter=LineReporter(session.log),
    )
    smoke = run_smoke(result.executable) if config.smoke else []
    checked = run_checks(result.executable, checks)
    for what, results in (("smoke", smoke), ("app", checked)):
        for outcome in results:
            status = "ok" if outcome.ok else "FAILED"
            session.log(f"{what} {outcome.probe}: {status} {outcome.detail}")
    published = publish_cell(
        result.output,
        executable=result.executable,
        app=options.name,
        version=app.version,
        cell=cell,
        python_version=py.python,
        smoke=smoke,
        checks=checked,
        out_dir=config.dist / cell.name,
        commit=git_commit(),
    )
    session.log(f"published {published.archive} (sha256 {published.sha256})")
    return published.archive.parent


def freeze_all(
    session: Session,
    cells: Sequence[Cell],
    config: FreezeConfig,
    *,
    run_cell: Callable[[Session, Cell, FreezeConfig], object] | None = None,
    find: Callable[[str, int], Interpreter | None] | None = None,
) -> list[str]:
    """Every cell this host can run, in turn; returns the names of the cells frozen.

    Cells of another OS or arch are listed as skipped. A cell of this host's own architecture
    without its Python is skipped locally and fails the session in CI (the runner was meant to
    have it); a cell of a secondary architecture this host could also run (i686 on x86_64)
    without a 32-bit Python is only skipped. One failed cell does not stop the others.
    """
    from freezekit.release.interpreters import host_platform

    native = host_platform().arch
    run = run_cell or (lambda s, c, cfg: freeze_cell(s, c, cfg, find=find))
    runnable, missing, done, failed = [], [], [], []
    for cell, reason in host_cells(cells, find=find):
        if reason is None:
            runnable.append(cell)
        else:
            session.log(f"skipped {cell.name}: {reason}")
            if reason.startswith("no Python") and cell.arch == native:
                missing.append(cell.name)
    for cell in runnable:
        session.log(f"=== {cell.name}")
        try:
            run(session, cell, config)
            done.append(cell.name)
        except FreezekitError as exc:
            session.warn(f"{cell.name} failed: {exc}")
            failed.append(cell.name)
        except Exception as exc:  # nox's CommandFailed: the cell's own output is already shown
            if type(exc).__name__ not in ("CommandFailed", "_SessionQuit"):
                raise
            failed.append(cell.name)
    session.log(f"frozen: {', '.join(done) or 'none'}")
    if failed:
        session.error(f"cells failed: {', '.join(failed)}")
    if missing and is_ci():
        session.error(f"no interpreter for {', '.join(missing)} (CI is set)")
    if not done:
        session.skip("no cell of the matrix can run on this host")
    return done


def show_matrix(session: Session, cells: Sequence[Cell]) -> None:
    """``nox -s matrix [-- --format github]``: the cells; github writes GITHUB_OUTPUT too."""
    import json

    if "--format" in session.posargs and "github" in session.posargs:
        text = json.dumps(github_matrix(cells), separators=(",", ":"))
        output = os.environ.get("GITHUB_OUTPUT")
        if output:
            with open(output, "a", encoding="utf-8") as handle:
                handle.write(f"matrix={text}\n")
        session.log(text)
        return
    reasons = {cell.name: reason for cell, reason in host_cells(cells)}
    session.log("\n" + format_matrix_table(cells, reasons))


RELEASE_USAGE = "usage: nox -s release -- VERSION [--allow-missing] [--from DIR] [--upload]"


def release(session: Session, cells: Sequence[Cell], config: FreezeConfig) -> None:
    """``nox -s release -- VERSION [--allow-missing] [--from DIR] [--upload]``: gather dist/
    into a release; with ``--upload``, create the GitHub release from what was gathered."""
    from freezekit.release.publish import gather_release, git_commit, upload_command

    args = list(session.posargs)
    allow = "--allow-missing" in args
    source = Path(args[args.index("--from") + 1]) if "--from" in args else config.dist
    versions = [a for a in args if not a.startswith("--") and str(source) != a]
    if len(versions) != 1:
        session.error(RELEASE_USAGE)
    tag = versions[0]
    version = tag.removeprefix("v")
    if "--upload" in args:  # the bytes gathered (and attested) before, checked, never rebuilt
        session.run(*upload_command(source / "release", tag=tag, version=version), external=True)
        return
    result = gather_release(
        source,
        source / "release",
        version=version,
        cells=cells,
        allow_missing=allow,
        commit=git_commit(),
    )
    session.log(f"release {version}: {len(result.archives)} archives in {result.out_dir}")


def check_reproducible(session: Session, cells: Sequence[Cell], config: FreezeConfig) -> None:
    """Freeze one cell twice, each time from empty work and publish folders, and compare every
    published file byte for byte (archive, SBOM, manifest, SHA256SUMS)."""
    import shutil

    from freezekit.release.interpreters import host_platform

    wanted = list(session.posargs)
    if wanted:
        chosen = [cell for cell in cells if cell.name in wanted]
        if len(chosen) != len(wanted):
            session.error(f"unknown cell among {', '.join(wanted)}: see `nox -s matrix`")
    else:
        host = host_platform()
        chosen = [c for c in cells if can_host(c, host) is None][:1]
        if not chosen:
            session.error("no cell of the matrix runs on this host")
    root = config.build.parent / "reproducible"
    for cell in chosen:
        runs = []
        for run in ("1", "2"):
            shutil.rmtree(root / run, ignore_errors=True)
            runs.append(
                freeze_cell(
                    session,
                    cell,
                    replace(config, build=root / run / "build", dist=root / run / "dist"),
                )
            )
        first = sorted(p.relative_to(runs[0]) for p in runs[0].rglob("*") if p.is_file())
        second = sorted(p.relative_to(runs[1]) for p in runs[1].rglob("*") if p.is_file())
        if first != second:
            session.error(f"{cell.name}: the two runs published different files")
        differ = [p for p in first if (runs[0] / p).read_bytes() != (runs[1] / p).read_bytes()]
        if differ:
            session.error(
                f"{cell.name}: not reproducible: {', '.join(map(str, differ))} differ between "
                f"{runs[0]} and {runs[1]} (`freezekit diff` shows what changed)"
            )
        session.log(f"{cell.name}: reproducible ({len(first)} files byte-identical in two runs)")


def declare_freeze_sessions(
    app: AppSpec | Path | str,
    *,
    cells: Sequence[str] | None = None,
    matrix: Path | None = None,
    freezekit: str = "",
    dist: Path = Path("dist"),
    smoke: bool = True,
) -> list[str]:
    """Register ``freeze-<cell>``, ``freeze``, ``matrix`` and ``release`` with nox.

    ``app`` is an AppSpec, a pyproject.toml with [tool.freezekit], or a .spec / .py path.
    ``cells`` are glob patterns (``linux-*``) choosing cells of the matrix. Returns the names.
    """
    import logging

    import nox

    logging.getLogger("freezekit").setLevel(logging.INFO)  # nox shows DEBUG from every logger
    spec = _app_of(app)
    release_version = os.environ.get("FREEZEKIT_RELEASE_VERSION", "").removeprefix("v")
    if release_version:  # a tag build: the artifacts carry the tag's version
        spec = replace(spec, version=release_version)
    config = FreezeConfig(app=spec, matrix=matrix, freezekit=freezekit, dist=dist, smoke=smoke)
    chosen = load_matrix(matrix)
    if cells is not None:
        chosen = _select(chosen, cells)
    names = []
    for cell in chosen:
        names.append(f"freeze-{cell.name}")
        nox.session(name=names[-1], venv_backend="none", tags=["freeze", "smoke"])(
            _described(
                f"Freeze, smoke-test and publish {config.app.name} for {cell.name}.",
                _cell_runner(cell, config),
            )
        )
    sessions: dict[str, tuple[str, Callable[[Session], object]]] = {
        "freeze": (
            "Freeze every cell this host can run (lists the ones skipped and why).",
            lambda session: freeze_all(session, chosen, config),
        ),
        "matrix": (
            "Show the matrix cells; `-- --format github` gives the workflow JSON.",
            lambda session: show_matrix(session, chosen),
        ),
        "release": (
            "Gather every cell's artifact into a release: -- VERSION [--allow-missing].",
            lambda session: release(session, chosen, config),
        ),
        "reproducible": (
            "Freeze a cell twice from empty work folders; its files must be byte-identical: "
            "-- [CELL] (default: the first cell this host runs).",
            lambda session: check_reproducible(session, chosen, config),
        ),
    }
    for name, (doc, func) in sessions.items():
        nox.session(name=name, venv_backend="none")(_described(doc, func))
        names.append(name)
    return names


def declare_wheel_sessions(
    *, matrix: Path | None = None, cibuildwheel: str = "cibuildwheel"
) -> list[str]:
    """Register ``wheels-<cell>`` (cibuildwheel --only <cibw_id>) and ``sdist`` with nox.

    freezekit's own platform wheels; the configuration is [tool.cibuildwheel] in pyproject.toml.
    """
    import nox

    names = []
    for cell in load_matrix(matrix):
        names.append(f"wheels-{cell.name}")
        nox.session(name=names[-1], tags=["wheels"])(
            _described(
                f"Build freezekit's wheel {cell.cibw_id}.", _wheel_runner(cell, cibuildwheel)
            )
        )

    def sdist(session: Session) -> None:
        session.install("build")  # type: ignore[attr-defined]  # nox.Session has install
        session.run("python", "-m", "build", "--sdist", "--outdir", "wheelhouse")

    nox.session(name="sdist", tags=["wheels"])(_described("Build freezekit's sdist.", sdist))
    return [*names, "sdist"]


def _wheel_runner(cell: Cell, cibuildwheel: str) -> Callable[[Session], object]:
    def run(session: Session) -> object:
        session.install(cibuildwheel)  # type: ignore[attr-defined]  # nox.Session has install
        return session.run(
            "cibuildwheel", "--only", cell.cibw_id, "--output-dir", "wheelhouse", "."
        )

    return run


def _cell_runner(cell: Cell, config: FreezeConfig) -> Callable[[Session], object]:
    def run(session: Session) -> object:
        return freeze_cell(session, cell, config)

    return run


def _described(doc: str, func: Callable[[Session], object]) -> Callable[[Session], None]:
    def session_func(session: Session) -> None:
        func(session)

    session_func.__doc__ = doc
    return session_func


def _app_of(app: AppSpec | Path | str) -> AppSpec:
    if isinstance(app, AppSpec):
        return app
    path = Path(app)
    if path.name == "pyproject.toml":
        return app_from_pyproject(path)
    if path.suffix == ".spec":
        return AppSpec(name=path.stem, spec=path)
    if path.suffix in (".py", ".pyw"):
        return AppSpec(name=path.stem, script=path)
    raise OptionsError(
        f"cannot freeze {path}", hint="give a pyproject.toml, an app.spec or a script"
    )
