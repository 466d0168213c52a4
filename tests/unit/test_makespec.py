"""makespec: a readable PyInstaller-layout spec that runs back into the same options."""

from __future__ import annotations

from pathlib import Path

from freezekit.options import BuildOptions, Extract, Mode
from freezekit.spec.makespec import render_spec, write_spec
from freezekit.spec.run import plan_apps, run
from tests.fixtures.specs.fakes import fake_context

ONEDIR = """\
# -*- mode: python ; coding: utf-8 -*-
# Written by `freezekit makespec`; build it with `freezekit build hello.spec`.
# Paths are relative to the folder of this file.

a = Analysis(
    ['../src/hello.py'],
    pathex=[],
    binaries=[],
    datas=[('../src/assets', 'assets')],
    hiddenimports=['json'],
    hookspath=[],
    hooksconfig={},
    runtime_hooks=[],
    excludes=['tkinter'],
    noarchive=False,
    optimize=0,
)
pyz = PYZ(a.pure)

exe = EXE(
    pyz,
    a.scripts,
    [],
    exclude_binaries=True,
    name='hello',
    debug=False,
    bootloader_ignore_signals=False,
    strip=True,
    upx=True,
    console=True,
    disable_windowed_traceback=False,
    argv_emulation=False,
    target_arch=None,
    codesign_identity=None,
    entitlements_file=None,
)
coll = COLLECT(
    exe,
    a.binaries,
    a.datas,
    strip=True,
    upx=True,
    upx_exclude=[],
    name='hello',
)
"""


def _project(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "assets").mkdir(parents=True)
    (src / "assets" / "a.txt").write_text("a")
    (src / "hello.py").write_text("print('hello')\n")
    return src


def test_onedir_spec_has_pyinstallers_layout(tmp_path: Path) -> None:
    src = _project(tmp_path)
    options = BuildOptions(
        scripts=(src / "hello.py",),
        name="hello",
        specpath=tmp_path / "specs",
        datas=((str(src / "assets"), "assets"),),
        hidden_imports=("json",),
        excludes=("tkinter",),
    )
    path = write_spec(options)
    assert path == tmp_path / "specs" / "hello.spec"
    assert path.read_text() == ONEDIR


def test_onefile_spec_passes_files_to_exe_and_has_no_collect(tmp_path: Path) -> None:
    src = _project(tmp_path)
    options = BuildOptions(
        scripts=(src / "hello.py",),
        name="hi",
        mode=Mode.ONEFILE,
        windowed=True,
        python_options=("u", "W ignore"),
        onefile_extract=Extract.CACHE,
        runtime_tmpdir="/var/tmp",
        collect_submodules=("email",),
        lean=False,
        strip=False,
    )
    text = render_spec(options, tmp_path)
    assert "COLLECT" not in text
    assert (
        "    a.binaries,\n    a.datas,\n"
        "    [('u', None, 'OPTION'), ('W ignore', None, 'OPTION')],\n" in text
    )
    assert "    runtime_tmpdir='/var/tmp',\n" in text
    assert "    console=False,\n" in text
    assert "    onefile_extract='cache',\n" in text
    assert "    collect_submodules=['email'],\n    lean=False,\n)" in text
    assert "exclude_binaries" not in text


def test_written_spec_runs_back_into_the_same_options(tmp_path: Path) -> None:
    src = _project(tmp_path)
    options = BuildOptions(
        scripts=(src / "hello.py",),
        name="hi",
        mode=Mode.ONEFILE,
        specpath=tmp_path / "specs",
        datas=((str(src / "assets" / "*.txt"), "assets"),),
        hidden_imports=("json",),
        paths=(src,),
        python_options=("v",),
        onefile_extract=Extract.CACHE,
        strip=False,
        smoke_probes=False,
        reset_subprocess_env=True,
        compression_level=3,
        windowed=True,
        collect_data=("certifi",),
    )
    spec = write_spec(options)
    context, analyzer = fake_context(tmp_path, spec)
    (app,) = plan_apps(run(spec, context))[0]
    (seen,) = analyzer.calls
    assert seen.scripts == (src / "hello.py",)
    assert (seen.hidden_imports, seen.paths, seen.collect_data) == (("json",), (src,), ("certifi",))
    got = app.options
    for field in (
        "name",
        "mode",
        "python_options",
        "onefile_extract",
        "strip",
        "smoke_probes",
        "reset_subprocess_env",
        "compression_level",
        "windowed",
    ):
        assert getattr(got, field) == getattr(options, field), field
    assert [e.name for e in app.analysis.datas] == ["assets/a.txt"]


def test_paths_sharing_only_the_root_stay_absolute(tmp_path: Path) -> None:
    from freezekit.spec.makespec import relative

    assert relative(tmp_path / "src" / "a.py", tmp_path / "specs") == "../src/a.py"
    assert relative(tmp_path / "a.py", tmp_path) == "a.py"
    assert relative("/opt/other/a.py", tmp_path) == "/opt/other/a.py"


def test_optimize_is_written_and_runs_back_to_the_same_levels(tmp_path: Path) -> None:
    src = _project(tmp_path)
    for given in ({"optimize": 2}, {"python_options": ("O",)}, {"optimize": 0}):
        options = BuildOptions(
            scripts=(src / "hello.py",), name="hi", specpath=tmp_path / "specs", **given
        )
        path = write_spec(options)
        context, analyzer = fake_context(tmp_path, path)
        (app,) = plan_apps(run(path, context))[0]
        assert (app.options.bytecode_optimize, app.options.run_time_options) == (
            options.bytecode_optimize,
            options.run_time_options,
        ), given
    assert "    optimize=0,\n" in path.read_text()
