"""Spec files built into real apps: makespec + edit, a PyInstaller-style spec, run-time options,
MERGE of three apps, BUNDLE."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from freezekit.build import BuildResult
from freezekit.cli import main, make_parser
from freezekit.log import NullReporter
from freezekit.spec.run import build_spec

pytestmark = pytest.mark.slow

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
PLAIN = "frozen True\nverbose 0\nwarnoptions []\nxoptions []\nreadme read me\n"

BuildSpec = Callable[..., list[BuildResult]]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> BuildSpec:
    cache: dict[tuple[str, ...], list[BuildResult]] = {}

    def factory(spec: Path, *flags: str) -> list[BuildResult]:
        key = (str(spec), *flags)
        if key not in cache:
            tmp = tmp_path_factory.mktemp(spec.stem)
            args = make_parser().parse_args(
                [
                    "build",
                    str(spec),
                    "--distpath",
                    str(tmp / "dist"),
                    "--workpath",
                    str(tmp / "build"),
                    "-y",
                    *flags,
                ]
            )
            cache[key] = build_spec(spec, args, reporter=NullReporter())
        return cache[key]

    return factory


def _run(exe: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=60, env={"PATH": "/nonexistent"}
    )


def test_makespec_then_edited_spec_builds_and_runs(tmp_path: Path, build: BuildSpec) -> None:
    project = tmp_path / "project"
    shutil.copytree(SPECS / "assets", project / "assets")
    shutil.copy(SPECS / "app.py", project / "app.py")
    assert (
        main(
            [
                "makespec",
                str(project / "app.py"),
                "--specpath",
                str(tmp_path / "specs"),
                "--name",
                "made",
            ]
        )
        == 0
    )
    spec = tmp_path / "specs" / "made.spec"
    text = spec.read_text()
    assert "    datas=[],\n" in text and "name='made'" in text
    spec.write_text(
        text.replace("    datas=[],\n", "    datas=[('../project/assets/readme.txt', 'assets')],\n")
    )
    (result,) = build(spec)
    assert result.executable == result.output / "made"
    run = _run(result.executable)
    assert (run.returncode, run.stdout, run.stderr) == (0, PLAIN, "")


def test_pyinstaller_style_spec_builds_unchanged(build: BuildSpec) -> None:
    (result,) = build(SPECS / "pyinstaller-style.spec", "--onefile")  # --onefile: ignored
    assert result.output.is_dir() and result.executable == result.output / "app"
    assert (result.output / "_internal" / "assets" / "readme.txt").read_text() == "read me\n"
    run = _run(result.executable)
    assert (run.returncode, run.stdout, run.stderr) == (0, PLAIN, "")


def test_run_time_options_reach_the_interpreter(build: BuildSpec) -> None:
    (result,) = build(SPECS / "run-time-options.spec")
    assert result.output.is_file()  # no COLLECT: onefile
    run = _run(result.executable)
    assert run.returncode == 0, run.stderr
    assert run.stdout == (
        "frozen True\nverbose 1\nwarnoptions ['ignore']\nxoptions ['utf8']\nreadme read me\n"
    )
    assert "import " in run.stderr  # -v reports imports on stderr


def test_merge_three_apps_share_the_first_apps_files(build: BuildSpec) -> None:
    foo, bar, zap = build(SPECS / "merge.spec")
    assert _run(foo.executable).stdout == PLAIN
    assert _run(bar.executable).stdout == "bar note\nbar read me\n"
    assert _run(zap.executable).stdout == "zap note\n"
    assert bar.size < foo.size / 2 and zap.size < foo.size / 2
    internal = bar.output / "_internal"
    libpython = bar.target.libpython_name
    assert os.readlink(internal / libpython) == f"../../foo/_internal/{libpython}"
    assert (
        os.readlink(internal / "assets" / "readme.txt")
        == "../../../foo/_internal/assets/readme.txt"
    )
    assert not (internal / "sub" / "note.txt").is_symlink()
    assert (
        os.readlink(zap.output / "_internal" / "sub" / "note.txt")
        == "../../../bar/_internal/sub/note.txt"
    )


def test_merge_without_its_sibling_names_the_missing_file(build: BuildSpec, tmp_path: Path) -> None:
    _, bar, _ = build(SPECS / "merge.spec")
    alone = tmp_path / "bar"
    shutil.copytree(bar.output, alone, symlinks=True)
    run = _run(alone / "bar")
    assert (run.returncode, run.stdout) == (1, "")
    assert "is missing (it comes from the sibling app foo, MERGE)" in run.stderr


def test_bundle_layout_and_plist(build: BuildSpec) -> None:
    app, bundle = build(SPECS / "bundle.spec")
    assert bundle.output == app.output.parent / "App.app"
    contents = bundle.output / "Contents"
    assert bundle.executable == contents / "MacOS" / "app"
    assert os.readlink(contents / "MacOS" / "_internal") == "../Frameworks"
    assert (contents / "Frameworks" / "assets" / "readme.txt").is_file()
    assert (contents / "Resources" / "logo.bin").is_file()
    plist = plistlib.loads((contents / "Info.plist").read_bytes())
    assert plist["CFBundleExecutable"] == "app"
    assert plist["CFBundleIdentifier"] == "org.example.app"
    assert plist["CFBundleShortVersionString"] == "1.2.3"
    assert plist["NSHighResolutionCapable"] == "True"
    assert plist["LSBackgroundOnly"] is False
    # the layout keeps the bootloader's <exe dir>/_internal rule, so it even starts here
    assert _run(bundle.executable).returncode == 0


def test_merge_onefile_extracts_shared_files_from_the_sibling(
    build: BuildSpec, tmp_path: Path
) -> None:
    foo, bar = build(SPECS / "merge-onefile.spec")
    assert foo.output.is_file() and bar.output.is_file()
    assert bar.size < foo.size / 2
    run = _run(bar.executable)
    assert (run.returncode, run.stdout, run.stderr) == (0, "bar note\nbar read me\n", "")
    alone = tmp_path / "bar"
    shutil.copy(bar.executable, alone)
    run = _run(alone)
    assert run.returncode == 1 and run.stdout == ""
    assert f"cannot read the sibling app {tmp_path / 'foo'} that holds shared files" in run.stderr


def test_warning_option_applies_without_start_up_errors(build: BuildSpec) -> None:
    # With a W option the interpreter imports `warnings` before the PYZ importer exists,
    # so `warnings` must be in the start-up set (base_library.zip).
    (result,) = build(SPECS / "warn-option.spec")
    run = _run(result.executable)
    assert (run.returncode, run.stdout, run.stderr) == (0, "filters ignore ['ignore']\n", "")
