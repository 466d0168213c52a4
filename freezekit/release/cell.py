"""The cell runner: ``python -m freezekit.release.cell job.json`` inside a cell's venv.

The nox task library writes a JSON job, then runs this module with the cell's interpreter. It
calls the Python API in order: bootloader, build, smoke probes, publish. A failed probe fails
the run and publishes nothing.
"""

from __future__ import annotations

import json
import logging
import platform
import struct
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from freezekit.errors import FreezekitError, OptionsError
from freezekit.log import LineReporter, Reporter
from freezekit.option_table import BadValue, Option, by_cell_key
from freezekit.options import BuildOptions
from freezekit.platforms import Target
from freezekit.release.matrix import Cell, find_cell, load_matrix
from freezekit.release.publish import (
    ProbeOutcome,
    PublishedCell,
    dump_json,
    git_commit,
    publish_cell,
)
from freezekit.smoke.checks import Check, parse_checks, run_checks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from freezekit.build import BuildResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class AppSpec:
    """What to freeze in every cell: one of ``script``, ``spec`` or ``pyproject``.

    ``install`` lists pip arguments that put the app's own dependencies into the cell's venv
    (e.g. ``(".",)`` or ``("-r", "requirements.txt")``). ``options`` sets BuildOptions fields for
    the ``script`` case: ``{"mode": "onefile", "hidden_imports": ["pkg.plugin"]}``.
    """

    name: str
    version: str = "0.0.0"
    script: Path | None = None
    spec: Path | None = None
    pyproject: Path | None = None
    install: tuple[str, ...] = ()
    options: Mapping[str, object] = field(default_factory=dict)
    # the app's own checks, as tables with the keys of [[tool.freezekit.checks]]
    checks: tuple[Mapping[str, object], ...] = ()

    def __post_init__(self) -> None:
        given = [s for s in (self.script, self.spec, self.pyproject) if s is not None]
        if len(given) != 1:
            raise OptionsError(
                f"app {self.name!r} needs exactly one of script, spec or pyproject",
                hint="e.g. AppSpec(name='hello', script=Path('hello.py'))",
            )

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "script": _path_str(self.script),
            "spec": _path_str(self.spec),
            "pyproject": _path_str(self.pyproject),
            "install": list(self.install),
            "options": dict(self.options),
            "checks": [dict(check) for check in self.checks],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> AppSpec:
        options = data.get("options") or {}
        install = data.get("install") or []
        checks = data.get("checks") or []
        if not isinstance(options, dict) or not isinstance(install, list):
            raise OptionsError("job: app.options must be a table and app.install a list")
        if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
            raise OptionsError("job: app.checks must be a list of tables")
        return cls(
            name=str(data["name"]),
            version=str(data.get("version", "0.0.0")),
            script=_opt_path(data.get("script")),
            spec=_opt_path(data.get("spec")),
            pyproject=_opt_path(data.get("pyproject")),
            install=tuple(str(item) for item in install),
            options=options,
            checks=tuple(checks),
        )


def app_checks(app: AppSpec) -> tuple[Check, ...]:
    """The app's own checks: ``AppSpec.checks`` and the pyproject's [[tool.freezekit.checks]]."""
    checks = parse_checks(list(app.checks), where=f"app {app.name!r}") if app.checks else ()
    if app.pyproject is not None:
        from freezekit.spec.pyproject import read_table

        path = app.pyproject / "pyproject.toml" if app.pyproject.is_dir() else app.pyproject
        table = read_table(path)
        if "checks" in table:
            checks += parse_checks(table["checks"], where=f"{path.name} [tool.freezekit]")
    return checks


def _path_str(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _opt_path(value: object) -> Path | None:
    return None if value is None else Path(str(value))


@dataclass(frozen=True, kw_only=True)
class CellJob:
    """One cell's work, as the task library hands it over (JSON)."""

    cell: str
    app: AppSpec
    work_dir: Path  # build/freeze/<cell>: the frozen output and analysis caches
    publish_dir: Path  # dist/<cell>: archive, SHA256SUMS, manifest.json
    matrix: Path | None = None
    smoke: bool = True

    def to_json(self) -> str:
        return dump_json(
            {
                "cell": self.cell,
                "app": self.app.to_json(),
                "work_dir": str(self.work_dir),
                "publish_dir": str(self.publish_dir),
                "matrix": _path_str(self.matrix),
                "smoke": self.smoke,
            }
        )

    @classmethod
    def from_json(cls, text: str, *, source: str = "job") -> CellJob:
        try:
            data = json.loads(text)
            app = data["app"]
            return cls(
                cell=str(data["cell"]),
                app=AppSpec.from_json(app),
                work_dir=Path(str(data["work_dir"])),
                publish_dir=Path(str(data["publish_dir"])),
                matrix=_opt_path(data.get("matrix")),
                smoke=bool(data.get("smoke", True)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise OptionsError(f"{source}: not a freezekit cell job ({exc})") from exc


def check_interpreter(cell: Cell) -> None:
    """The running interpreter must be the cell's Python, bitness, OS and machine."""
    import os
    import sysconfig

    from freezekit.platforms import os_of_platform
    from freezekit.release.interpreters import interpreter_arch

    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    bits = struct.calcsize("P") * 8
    os_ = os_of_platform(sys.platform)
    arch = (
        interpreter_arch(
            os_,
            bits,
            sysconfig_platform=sysconfig.get_platform(),
            uname_machine=os.uname().machine if hasattr(os, "uname") else "",
        )
        if os_ is not None
        else "?"
    )
    here = f"{os_.value if os_ else sys.platform}-{arch}"
    if (running, bits, os_, arch) != (cell.python, cell.bits, cell.os, cell.arch):
        raise OptionsError(
            f"cell {cell.name} runs under Python {running} ({bits}-bit, {here}) "
            f"at {sys.executable}",
            hint=f"run it with a {cell.os.value}-{cell.arch} Python {cell.python} "
            f"({cell.bits}-bit) venv",
        )


def script_options(app: AppSpec, *, distpath: Path, workpath: Path) -> BuildOptions:
    """BuildOptions for the ``script`` case from ``app.options``: its keys are the fields of the
    option table's app options (``by_cell_key``), each value checked as [tool.freezekit] checks
    it; paths stay as given (relative to the folder the cell runs in)."""
    assert app.script is not None
    known = by_cell_key()
    values: dict[str, object] = {}
    for key, value in app.options.items():
        option = known.get(key)
        if option is None:
            raise OptionsError(
                f"app {app.name!r}: unknown option {key!r}",
                hint=f"use {', '.join(sorted(known))}",
            )
        values[key] = _convert(app.name, key, option, value)
    values.setdefault("windowed", app.script.suffix == ".pyw")
    return BuildOptions(
        scripts=(app.script,),
        name=app.name,
        distpath=distpath,
        workpath=workpath,
        noconfirm=True,
        **values,  # type: ignore[arg-type]  # each value converted by its row's kind
    )


def _convert(app: str, key: str, option: Option, value: object) -> object:
    assert option.kind is not None
    try:
        return option.kind.data(value, Path())
    except BadValue as exc:
        raise OptionsError(
            f"app {app!r}: option {key!r} = {value!r} is not {exc.expected}",
            hint=f"set {key} to {exc.expected} (the [tool.freezekit] key is {option.key!r})",
        ) from None
    except OptionsError as exc:
        raise OptionsError(f"app {app!r}: option {key!r}: {exc.message}", hint=exc.hint) from exc


def app_options(app: AppSpec, *, distpath: Path, workpath: Path) -> BuildOptions:
    """BuildOptions of a ``script`` or ``pyproject`` app, built into ``distpath``/``workpath``
    (the cell runner's and the Windows cross path's; a spec app plans its own)."""
    if app.pyproject is None:
        return script_options(app, distpath=distpath, workpath=workpath)
    from freezekit.spec.pyproject import options_from_pyproject

    return replace(
        options_from_pyproject(app.pyproject), distpath=distpath, workpath=workpath, noconfirm=True
    )


def find_bootloader_for(target: Target, *, windowed: bool) -> Path:
    """The bootloader for this cell (built on first use by freezekit.assemble.bootloader)."""
    from freezekit.assemble.bootloader import find_bootloader

    path: Path = find_bootloader(target, windowed=windowed)
    return path


def library_sources(result: BuildResult) -> dict[str, str]:
    """Entry name -> file on the build machine, for the shared libraries (the SBOM's owners)."""
    from freezekit.toc import EntryKind

    return {
        entry.name: entry.source
        for entry in result.analysis.binaries
        if entry.kind is EntryKind.BINARY and entry.source
    }


def freeze_app(job: CellJob, *, reporter: Reporter) -> list[tuple[Path, Path, dict[str, str]]]:
    """Freeze the job's app; returns (output, executable, library sources) for each app."""
    from freezekit.build import build
    from freezekit.platforms import resolve_target

    distpath, workpath = job.work_dir / "dist", job.work_dir / "work"
    app = job.app
    if app.spec is not None:
        from freezekit.cli import make_parser
        from freezekit.spec.run import build_spec

        args = make_parser().parse_args(
            ["build", str(app.spec), "--distpath", str(distpath), "--workpath", str(workpath), "-y"]
        )
        results = build_spec(app.spec, args, reporter=reporter)
        return [(r.output, r.executable, library_sources(r)) for r in results]
    options = app_options(app, distpath=distpath, workpath=workpath)
    target = resolve_target(options.python)
    bootloader = options.bootloader or find_bootloader_for(target, windowed=options.windowed)
    result = build(replace(options, bootloader=bootloader), reporter=reporter)
    return [(result.output, result.executable, library_sources(result))]


def run_probes(executable: Path) -> list[ProbeOutcome]:
    from freezekit.smoke import run_smoke

    return list(run_smoke(executable))


def sign_executable(executable: Path, cell: Cell, env: Mapping[str, str] | None = None) -> None:
    """Sign the cell's executable when a certificate is configured (freezekit.release.sign); else
    one log line says why not. A configured signature that fails fails the cell."""
    from freezekit.platforms import Os
    from freezekit.release.sign import macos_identity, sign_macos, sign_windows, windows_signing

    if cell.os is Os.WINDOWS:
        config = windows_signing(env)
        if isinstance(config, str):
            logger.info("%s", config)
            return
        sign_windows(executable, config, description=executable.stem)
        logger.info("signed %s (Authenticode)", executable.name)
    elif cell.os is Os.MACOS:
        identity = macos_identity(env)
        if identity is None:
            logger.info("macOS signing skipped: FREEZEKIT_CODESIGN_IDENTITY is not set")
            return
        sign_macos(executable, identity)
        logger.info("signed %s (codesign, hardened runtime)", executable.name)


def run_job(job: CellJob, *, reporter: Reporter) -> list[PublishedCell]:
    """Freeze, smoke-test and publish one cell."""
    cell = find_cell(job.cell, load_matrix(job.matrix))
    check_interpreter(cell)
    checks = app_checks(job.app)  # a bad check table fails before the freeze
    published = []
    for output, executable, libraries in freeze_app(job, reporter=reporter):
        sign_executable(executable, cell)  # before the probes: they run what is published
        smoke: Sequence[ProbeOutcome] = run_probes(executable) if job.smoke else []
        checked = run_checks(executable, checks)
        for what, results in (("smoke", smoke), ("app", checked)):
            for result in results:
                status = "ok" if result.ok else "FAILED"
                logger.info("%s %s: %s %s", what, result.probe, status, result.detail)
        out_dir = job.publish_dir if output.name == job.app.name else job.publish_dir / output.name
        published.append(
            publish_cell(
                output,
                executable=executable,
                app=output.name,
                version=job.app.version,
                cell=cell,
                python_version=platform.python_version(),
                smoke=smoke,
                checks=checked,
                library_sources=libraries,
                out_dir=out_dir,
                commit=git_commit(),
            )
        )
    return published


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if len(argv) != 1:
        print("usage: python -m freezekit.release.cell JOB.json", file=sys.stderr)
        return 2
    try:
        job = CellJob.from_json(Path(argv[0]).read_text(encoding="utf-8"), source=argv[0])
        run_job(job, reporter=LineReporter(print))  # publish logs each archive it writes
    except FreezekitError as exc:
        print(
            f"error: {exc.message}" + (f"\nhint: {exc.hint}" if exc.hint else ""), file=sys.stderr
        )
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
