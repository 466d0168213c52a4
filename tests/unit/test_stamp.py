"""The build stamp: what makes a rebuild return before the analysis, and what does not."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from freezekit import stages, stamp
from freezekit.analysis import AnalysisResult, PureModule
from freezekit.build import PRODUCTS_FILE, Products, build
from freezekit.log import StageNotes
from freezekit.options import BuildOptions
from freezekit.platforms import Os, Target

LATER = time.time_ns() + 3600 * 10**9  # a build start after every file of the test


class Stages:
    """A reporter that keeps the name and summary of each stage."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[StageNotes]:
        notes = StageNotes()
        yield notes
        self.lines.append((name, notes.summary))


@dataclass(frozen=True, kw_only=True)
class Built:
    options: BuildOptions
    script: Path
    module: Path
    package: Path
    executable: Path
    record: dict[str, object]


def fake_products(script: Path) -> tuple[Target, AnalysisResult]:
    target = Target(
        os=Os.LINUX,
        machine="x86_64",
        bits=64,
        python=Path(sys.executable),
        version=(3, 11),
        libpython=Path("/usr/lib/libpython3.11.so.1.0"),
        stdlib=Path("/usr/lib/python3.11"),
        dynload=Path("/usr/lib/python3.11/lib-dynload"),
        include=Path("/usr/include/python3.11"),
        ext_suffix=".cpython-311-x86_64-linux-gnu.so",
    )
    analysis = AnalysisResult(
        scripts=(script,),
        pure=(PureModule(name="helper", source=script.with_name("helper.py"), is_package=False),),
        startup=(),
        binaries=(),
        datas=(),
        runtime_hooks=(),
        missing=(),
        excluded_libraries=(),
    )
    return target, analysis


def built(tmp_path: Path, *, started: int = LATER) -> Built:
    """What a build of app/app.py (importing helper and pkg) leaves: output, work dir, stamp."""
    project = tmp_path / "app"
    (project / "pkg").mkdir(parents=True)
    script, module = project / "app.py", project / "helper.py"
    script.write_text("import helper, pkg\n")
    module.write_text("X = 1\n")
    (project / "pkg" / "__init__.py").write_text("")
    options = BuildOptions(
        scripts=(script,),
        name="app",
        distpath=tmp_path / "dist",
        workpath=tmp_path / "build",
        noconfirm=True,
    )
    executable = options.dist_dir / "app"
    executable.parent.mkdir(parents=True)
    executable.write_bytes(b"\x7fELF")
    workdir = options.workpath / "app"
    workdir.mkdir(parents=True)
    Products(workdir / PRODUCTS_FILE, fake_products(script)).save()
    record = stamp.record(
        stamp.inputs(options),
        files=[str(script), str(module), str(project / "pkg" / "__init__.py")],
        folders=[str(project), str(project / "pkg")],
        started=started,
        output=str(options.dist_dir),
        work=[str(workdir / PRODUCTS_FILE)],
    )
    record.update(size=4, file_count=1, summary="0.0 MB in 1 files")
    stamp.write(str(workdir), record)
    return Built(
        options=options,
        script=script,
        module=module,
        package=project / "pkg",
        executable=executable,
        record=record,
    )


def changed(build: Built, options: BuildOptions | None = None) -> str | None:
    loaded = stamp.load(str(build.options.workpath / "app"))
    assert loaded is not None
    return stamp.changed(loaded, stamp.inputs(options or build.options))


def test_stamp_nothing_changed(tmp_path: Path) -> None:
    assert changed(built(tmp_path)) is None


def test_stamp_build_returns_before_the_stages_when_nothing_changed(tmp_path: Path) -> None:
    last = built(tmp_path)
    stages = Stages()
    result = build(last.options, reporter=stages)
    assert result.up_to_date
    assert [name for name, _ in stages.lines] == ["assemble", "size"]  # no analysis
    assert stages.lines[1] == ("size", "0.0 MB in 1 files")
    assert (result.output, result.executable) == (last.options.dist_dir, last.executable)
    assert (result.size, result.file_count) == (4, 1)
    assert (result.target, result.analysis) == fake_products(last.script)  # read when asked


def test_stamp_module_source_edited(tmp_path: Path) -> None:
    last = built(tmp_path)
    last.module.write_text("X = 2\n")  # same size
    assert changed(last) == str(last.module)


def test_stamp_module_source_touched(tmp_path: Path) -> None:
    last = built(tmp_path)
    os.utime(last.module, ns=(0, 10**9))
    assert changed(last) == str(last.module)


def test_stamp_new_module_in_a_package_folder(tmp_path: Path) -> None:
    last = built(tmp_path)
    (last.package / "extra.py").write_text("")
    assert changed(last) == str(last.package)


def test_stamp_new_module_in_a_search_path_folder(tmp_path: Path) -> None:
    last = built(tmp_path)
    (last.script.parent / "optional_dependency.py").write_text("")
    assert changed(last) == str(last.script.parent)


def test_stamp_file_modified_while_the_build_ran_never_matches(tmp_path: Path) -> None:
    last = built(tmp_path, started=0)  # every file is newer than the build's start
    assert changed(last) is not None


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_imports": ("json",)},
        {"excludes": ("ssl",)},
        {"compression_level": 3},
        {"datas": (("assets", "assets"),)},
    ],
    ids=["hidden-import", "exclude", "compression", "add-data"],
)
def test_stamp_options_changed(tmp_path: Path, change: dict[str, object]) -> None:
    last = built(tmp_path)
    assert changed(last, replace(last.options, **change)) == "build inputs (options)"  # type: ignore[arg-type]


def test_stamp_clean_and_noconfirm_do_not_count(tmp_path: Path) -> None:
    last = built(tmp_path)
    assert changed(last, replace(last.options, clean=True, noconfirm=False)) is None


def test_stamp_environment_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    last = built(tmp_path)
    monkeypatch.setenv("FREEZEKIT_NO_CACHE", "1")
    assert changed(last) == "build inputs (env)"
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    assert changed(last) == "build inputs (env)"


def test_stamp_unrelated_environment_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = built(tmp_path)
    monkeypatch.setenv("TERM", "dumb-and-different")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")  # another shell
    assert changed(last) is None


def test_stamp_working_folder_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    last = built(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert (changed(last) or "").startswith("build inputs (cwd")  # and relative sys.path entries


def test_stamp_output_file_deleted(tmp_path: Path) -> None:
    last = built(tmp_path)
    last.executable.unlink()
    assert changed(last) == str(last.options.dist_dir)  # the folder changed first


def test_stamp_output_file_modified(tmp_path: Path) -> None:
    last = built(tmp_path)
    with open(last.executable, "ab") as stream:
        stream.write(b"!")
    assert changed(last) == str(last.executable)


def test_stamp_pickled_analysis_deleted(tmp_path: Path) -> None:
    last = built(tmp_path)
    pickled = last.options.workpath / "app" / PRODUCTS_FILE
    pickled.unlink()
    assert changed(last) == str(pickled)


def test_stamp_of_another_format_is_ignored(tmp_path: Path) -> None:
    last = built(tmp_path)
    stamp.write(str(last.options.workpath / "app"), {**last.record, "format": 1})
    assert stamp.load(str(last.options.workpath / "app")) is None


def test_stamp_records_racy_files_and_missing_ones_apart(tmp_path: Path) -> None:
    present, missing = tmp_path / "present.py", tmp_path / "missing.py"
    present.write_text("")
    record = stamp.record(
        {}, files=[str(present), str(missing)], folders=[], started=0, output="", work=[]
    )
    assert record["files"] == {str(tmp_path): {"missing.py": None, "present.py": stamp.RACY}}


def test_stamp_tree_states_see_edits_and_new_files_not_pycache(tmp_path: Path) -> None:
    (tmp_path / "runtime" / "__pycache__").mkdir(parents=True)
    (tmp_path / "runtime" / "boot.py").write_text("A = 1\n")
    before = stamp._tree_states(str(tmp_path))
    (tmp_path / "runtime" / "__pycache__" / "boot.cpython-311.pyc").write_bytes(b"")
    assert stamp._tree_states(str(tmp_path)) == before
    (tmp_path / "runtime" / "boot.py").write_text("A = 2\n")
    edited = stamp._tree_states(str(tmp_path))
    assert edited != before
    (tmp_path / "hook.py").write_text("")
    assert set(stamp._tree_states(str(tmp_path))) - set(edited) == {"./hook.py"}


def test_stamp_follows_symbolic_links_to_what_the_build_read(tmp_path: Path) -> None:
    last = built(tmp_path)
    real = tmp_path / "elsewhere.py"
    real.write_text("X = 1\n")
    last.module.unlink()
    last.module.symlink_to(real)
    workdir = str(last.options.workpath / "app")
    stamp.write(
        workdir,
        stamp.record(
            stamp.inputs(last.options),
            files=[str(last.module)],
            folders=[],
            started=LATER,
            output=str(last.options.dist_dir),
            work=[],
        ),
    )
    assert changed(last) is None
    real.write_text("X = 2\n")  # the link itself is untouched
    assert changed(last) == str(last.module)


def test_stamp_watches_what_the_build_read_and_searched(tmp_path: Path) -> None:
    last = built(tmp_path)
    target, analysis = fake_products(last.script)
    analysis = replace(analysis, search_path=(str(last.script.parent), str(tmp_path / "none")))
    options = replace(last.options, hooks_dirs=(tmp_path / "hooks",))
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "hook-helper.py").write_text("")
    files, folders = stages.watched(options, analysis, target, tmp_path / "run")
    assert {str(last.script), str(last.module), str(tmp_path / "run")} <= set(files)
    assert str(tmp_path / "hooks" / "hook-helper.py") in files
    runtime = os.path.join(stamp.PACKAGE_DIR, "runtime", "_bootstrap.py")
    assert runtime in files  # read from disk by every build, whatever this process imported
    assert {str(last.script.parent), str(tmp_path / "none"), str(tmp_path / "hooks")} <= set(
        folders
    )
