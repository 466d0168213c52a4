"""No-change rebuilds return before the analysis runs; each kind of change builds again."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from freezekit.build import BuildResult, build
from freezekit.cli import main
from freezekit.log import StageNotes
from freezekit.options import BuildOptions, Mode

from .conftest import test_options

APP = """\
import os
import sys

import helper
import pkg

try:
    import plugin
except ImportError:
    plugin = None

assets = os.path.join(sys._MEIPASS, "assets")
print(helper.MESSAGE)
print("extra:", pkg.extra is not None, "plugin:", plugin is not None)
with open(os.path.join(assets, "greeting.txt")) as stream:
    print(sorted(os.listdir(assets)), stream.read().strip())
"""
PACKAGE = """\
try:
    from . import extra
except ImportError:
    extra = None
"""


class Stages:
    """A reporter that keeps the names of the stages that ran."""

    def __init__(self) -> None:
        self.names: list[str] = []

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[StageNotes]:
        yield StageNotes()
        self.names.append(name)


def project(tmp_path: Path) -> Path:
    """app/ (app.py, helper.py, pkg/), plugins/ (on --paths, empty) and assets/ (--add-data),
    their times set an hour back, as for files edited well before the build."""
    app = tmp_path / "app"
    (app / "pkg").mkdir(parents=True)
    (tmp_path / "plugins").mkdir()
    (tmp_path / "assets").mkdir()
    (app / "app.py").write_text(APP)
    (app / "helper.py").write_text("MESSAGE = 'one'\n")
    (app / "pkg" / "__init__.py").write_text(PACKAGE)
    (tmp_path / "assets" / "greeting.txt").write_text("hello\n")
    past = time.time_ns() - 3600 * 10**9
    for path in [*app.rglob("*"), app, *tmp_path.glob("[ap]*/**/*"), *tmp_path.glob("[ap]*")]:
        os.utime(path, ns=(past, past))
    return app / "app.py"


def options(tmp_path: Path, *, mode: Mode = Mode.ONEDIR) -> BuildOptions:
    """The options of a build of project(tmp_path)."""
    return test_options(
        tmp_path,
        tmp_path / "app" / "app.py",
        mode=mode,
        paths=(tmp_path / "plugins",),
        datas=((str(tmp_path / "assets"), "assets"),),
    )


def freeze(options: BuildOptions) -> tuple[BuildResult, list[str]]:
    stages = Stages()
    return build(options, reporter=stages), stages.names


def output(result: BuildResult) -> list[str]:
    done = subprocess.run([str(result.executable)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


FIRST = ["one", "extra: False plugin: False", "['greeting.txt'] hello"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [Mode.ONEDIR, Mode.ONEFILE], ids=["onedir", "onefile"])
def test_rebuild_unchanged_returns_before_the_analysis(tmp_path: Path, mode: Mode) -> None:
    project(tmp_path)
    first, stages = freeze(options(tmp_path, mode=mode))
    assert "analysis" in stages and output(first) == FIRST
    written = first.executable.stat().st_mtime_ns
    again, stages = freeze(options(tmp_path, mode=mode))
    assert stages == ["assemble", "size"] and again.up_to_date
    assert (again.executable, again.size, again.file_count) == (
        first.executable,
        first.size,
        first.file_count,
    )
    assert again.executable.stat().st_mtime_ns == written
    assert again.analysis == first.analysis and again.target == first.target
    assert output(again) == FIRST


@pytest.mark.slow
def test_rebuild_after_a_module_source_changes(tmp_path: Path) -> None:
    project(tmp_path)
    built, _ = freeze(options(tmp_path))
    (tmp_path / "app" / "helper.py").write_text("MESSAGE = 'two'\n")  # same size
    again, stages = freeze(options(tmp_path))
    assert "analysis" in stages and not again.up_to_date
    assert output(again)[0] == "two"


@pytest.mark.slow
def test_rebuild_after_a_module_appears_in_a_package(tmp_path: Path) -> None:
    project(tmp_path)
    freeze(options(tmp_path))
    (tmp_path / "app" / "pkg" / "extra.py").write_text("")
    again, stages = freeze(options(tmp_path))
    assert "analysis" in stages
    assert output(again)[1] == "extra: True plugin: False"


@pytest.mark.slow
def test_rebuild_after_a_module_appears_on_the_search_path(tmp_path: Path) -> None:
    project(tmp_path)
    freeze(options(tmp_path))
    (tmp_path / "plugins" / "plugin.py").write_text("")
    again, stages = freeze(options(tmp_path))
    assert "analysis" in stages
    assert output(again)[1] == "extra: False plugin: True"


@pytest.mark.slow
def test_rebuild_after_the_options_change(tmp_path: Path) -> None:
    project(tmp_path)
    built, _ = freeze(options(tmp_path))
    assert "colorsys" not in {m.name for m in built.analysis.pure}
    again, stages = freeze(replace(options(tmp_path), hidden_imports=("colorsys",)))
    assert "analysis" in stages
    assert "colorsys" in {m.name for m in again.analysis.pure}


@pytest.mark.slow
def test_rebuild_after_a_data_file_changes_or_appears(tmp_path: Path) -> None:
    project(tmp_path)
    freeze(options(tmp_path))
    (tmp_path / "assets" / "greeting.txt").write_text("howdy\n")
    again, stages = freeze(options(tmp_path))
    assert "analysis" in stages and output(again)[2] == "['greeting.txt'] howdy"
    (tmp_path / "assets" / "more.txt").write_text("")
    again, stages = freeze(options(tmp_path))
    assert "analysis" in stages and output(again)[2] == "['greeting.txt', 'more.txt'] howdy"


@pytest.mark.slow
def test_rebuild_after_an_output_file_is_deleted(tmp_path: Path) -> None:
    project(tmp_path)
    built, _ = freeze(options(tmp_path))
    library = built.output / "_internal" / "base_library.zip"
    library.unlink()
    again, stages = freeze(options(tmp_path))
    assert "assemble" in stages and not again.up_to_date
    assert library.is_file() and output(again) == FIRST


@pytest.mark.slow
def test_rebuild_after_the_executable_is_modified(tmp_path: Path) -> None:
    project(tmp_path)
    built, _ = freeze(options(tmp_path, mode=Mode.ONEFILE))
    with open(built.executable, "r+b") as stream:
        stream.truncate(built.size // 2)
    again, stages = freeze(options(tmp_path, mode=Mode.ONEFILE))
    assert "assemble" in stages and not again.up_to_date
    assert again.executable.stat().st_size == built.size and output(again) == FIRST


@pytest.mark.slow
def test_rebuild_from_the_command_line_says_it_is_up_to_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path)
    argv = [
        "build",
        str(tmp_path / "app" / "app.py"),
        *("--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "build")),
        *("--paths", str(tmp_path / "plugins"), "--add-data", f"{tmp_path / 'assets'}:assets"),
        "--noconfirm",
    ]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("analysis: ")
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == ["assemble", "size", "total"]
    assert lines[0].startswith(f"assemble: {tmp_path / 'dist' / 'app'} is up to date")
    assert lines[-1] == f"built {tmp_path / 'dist' / 'app' / 'app'}"
