"""build(options): the one public entry point; calls the stages in order, nothing else.

A rebuild in which nothing changed returns here, after comparing the build stamp
(``freezekit.stamp``), without importing the stages: this module and what it imports at the top
stay light (no analysis, archive, logging, typing or dataclasses), and ``freezekit.stages`` is
imported only when something has to be built.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from freezekit import stamp
from freezekit._record import dataclass, field  # not dataclasses: a rebuild's quick path
from freezekit.options import BuildOptions, Mode

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from freezekit.analysis import AnalysisResult
    from freezekit.log import Reporter
    from freezekit.platforms import Target

PRODUCTS_FILE = "build-products.pickle"


class Products:
    """A build's target and analysis result: in memory after a build that ran the analysis,
    read from the work dir on first use after a rebuild that changed nothing (which therefore
    never imports the analysis package unless asked)."""

    def __init__(self, path: Path, value: tuple[Target, AnalysisResult] | None = None) -> None:
        self.path = path
        self._value = value

    def get(self) -> tuple[Target, AnalysisResult]:
        if self._value is None:
            import pickle

            from freezekit.errors import AssembleError

            try:
                with open(self.path, "rb") as stream:
                    self._value = pickle.load(stream)
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
                raise AssembleError(
                    f"cannot read the last build's analysis from {self.path}: {exc}",
                    hint="build again with --clean",
                ) from exc
        assert self._value is not None
        return self._value

    def save(self) -> None:
        import pickle

        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        with open(tmp, "wb") as stream:
            pickle.dump(self.get(), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.path)


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    """What a build produced (or, ``up_to_date``, found produced by the last build)."""

    output: Path  # dist/app (a folder for onedir, the file for onefile)
    executable: Path
    size: int  # bytes of everything produced
    file_count: int
    up_to_date: bool = False  # nothing had changed since the last build: nothing was written
    products: Products = field(repr=False, compare=False)

    @property
    def target(self) -> Target:
        return self.products.get()[0]

    @property
    def analysis(self) -> AnalysisResult:
        return self.products.get()[1]


def build(options: BuildOptions, *, reporter: Reporter | None = None) -> BuildResult:
    """Freeze ``options.scripts`` into ``options.distpath``; the one public entry point."""
    check_scripts(options.scripts)
    check_existing_output(options)
    workdir = options.workpath / options.name
    inputs = stamp.inputs(options)
    record = None if options.clean else stamp.load(str(workdir))
    changed = None if record is None else stamp.changed(record, inputs)
    if record is not None and changed is None:
        return unchanged(options, record, reporter=reporter)
    from freezekit import stages

    reason = f"{changed} changed since the last build" if changed else "no build stamp"
    if options.clean:
        reason = "--clean"
    return stages.run(options, inputs, previous=record, reason=reason, reporter=reporter)


def executable_of(options: BuildOptions, output: Path) -> Path:
    return output if options.mode is Mode.ONEFILE else output / options.name


def unchanged(
    options: BuildOptions, record: dict[str, object], *, reporter: Reporter | None
) -> BuildResult:
    """The result of a rebuild in which nothing changed, from the stamp of the last build."""
    output = options.dist_dir
    if reporter is not None:
        with reporter.stage("assemble") as notes:
            notes.summary = f"{output} is up to date (nothing changed since the last build)"
        with reporter.stage("size") as notes:
            notes.summary = str(record.get("summary", ""))
    size, count = record.get("size"), record.get("file_count")
    return BuildResult(
        output=output,
        executable=executable_of(options, output),
        size=size if isinstance(size, int) else 0,
        file_count=count if isinstance(count, int) else 0,
        up_to_date=True,
        products=Products(options.workpath / options.name / PRODUCTS_FILE),
    )


def check_scripts(scripts: Sequence[Path]) -> None:
    missing = [script for script in scripts if not script.is_file()]
    if scripts and not missing:
        return
    from freezekit.errors import OptionsError  # errors imports typing: only when failing

    if not scripts:
        raise OptionsError("no script to freeze", hint="give the app's main script, e.g. app.py")
    raise OptionsError(
        f"script {missing[0]} does not exist", hint="check the path of the app's main script"
    )


def check_existing_output(options: BuildOptions) -> None:
    """Refuse to replace existing output unless told to (the CLI asks on a terminal)."""
    output = options.dist_dir
    if (output.exists() or output.is_symlink()) and not options.noconfirm:
        from freezekit.errors import AssembleError
        from freezekit.platforms import resolve_target

        resolve_target(options.python)  # a bad interpreter is the first thing to fix

        raise AssembleError(
            f"output {output} exists and would be replaced",
            hint="pass --noconfirm (-y) to replace it",
        )
