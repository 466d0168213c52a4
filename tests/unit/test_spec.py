"""Running spec files: globals, errors with file and line, apps planned from the records."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

from freezekit.errors import OptionsError
from freezekit.options import Extract, Mode
from freezekit.spec.api import SpecSession, make_globals
from freezekit.spec.run import ignored_flags, plan_apps, run, spec_options
from tests.fixtures.specs.fakes import SPECS, fake_context


def _run(tmp_path: Path, name: str):  # type: ignore[no-untyped-def]
    context, analyzer = fake_context(tmp_path, SPECS / name)
    return run(SPECS / name, context), analyzer


def test_pyinstaller_style_spec_plans_one_onedir_app(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        session, analyzer = _run(tmp_path, "pyinstaller-style.spec")
    assert caplog.records == []  # PyInstaller's defaults pass silently
    (options,) = analyzer.calls
    assert options.scripts == ((SPECS / "app.py").absolute(),)
    apps, bundles = plan_apps(session)
    assert bundles == []
    (app,) = apps
    assert (app.options.name, app.options.mode, app.options.windowed) == ("app", Mode.ONEDIR, False)
    assert app.options.strip is False
    assert app.options.python_options == ()
    assert [m.name for m in app.analysis.pure] == ["helper"]
    assert [m.name for m in app.analysis.startup] == ["encodings"]
    assert [e.name for e in app.analysis.datas] == ["assets/readme.txt"]
    assert app.analysis.datas[0].source == str(SPECS / "assets" / "readme.txt")
    assert [e.name for e in app.analysis.binaries] == ["libpython3.12.so.1.0", "libX11.so.6"]
    assert app.externals == ()


def test_analysis_lists_are_pyinstaller_style_tuples(tmp_path: Path) -> None:
    session, _ = _run(tmp_path, "pyinstaller-style.spec")
    (a,) = session.analyses
    assert a.scripts == [("app", str((SPECS / "app.py").resolve()), "PYSOURCE")]
    assert a.pure == [("helper", str(tmp_path / "helper.py"), "PYMODULE")]
    assert a.binaries[1] == ("libX11.so.6", str(tmp_path / "libX11.so.6"), "BINARY")
    assert a.datas == [("assets/readme.txt", str(SPECS / "assets" / "readme.txt"), "DATA")]
    assert a.zipped_data == [] and a.zipfiles == [] and a.dependencies == []
    name, path, typecode = a.binaries[0]
    assert typecode == "BINARY"


def test_filtered_lists_and_tree_reach_the_app(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        session, _ = _run(tmp_path, "filtered.spec")
    (app,) = plan_apps(session)[0]
    assert app.options.mode is Mode.ONEFILE
    assert app.options.onefile_extract is Extract.CACHE
    assert [e.name for e in app.analysis.binaries] == ["libpython3.12.so.1.0", "bin/logo.bin"]
    assert [e.name for e in app.analysis.datas] == [
        "assets/logo.bin",
        "assets/readme.txt",
        "extra/note.txt",
    ]
    assert app.analysis.datas[-1].source == str(SPECS / "assets" / "sub" / "note.txt")
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "filtered.spec:7: ignoring EXE(icon='app.ico'): icons are used on Windows and macOS only "
        "(BUNDLE(icon=...))",
        "filtered.spec:7: ignoring EXE(uac_admin=True): Windows only",
    ]


def test_run_time_options_become_python_options(tmp_path: Path) -> None:
    session, _ = _run(tmp_path, "run-time-options.spec")
    (app,) = plan_apps(session)[0]
    assert app.options.python_options == ("v", "W ignore", "X utf8")
    assert app.options.name == "options-app"
    assert app.options.mode is Mode.ONEFILE


def test_unknown_keyword_names_the_closest_and_the_line(tmp_path: Path) -> None:
    with pytest.raises(OptionsError) as info:
        _run(tmp_path, "bad-unknown-option.spec")
    assert info.value.message == "bad-unknown-option.spec:3: unknown keyword 'consol' in EXE()"
    assert info.value.hint == "did you mean 'console'?"


def test_spec_that_raises_names_file_line_and_exception(tmp_path: Path) -> None:
    with pytest.raises(OptionsError) as info:
        _run(tmp_path, "bad-raises.spec")
    assert info.value.message == "bad-raises.spec:3: the spec raised KeyError: 'name'"
    assert isinstance(info.value.__cause__, KeyError)


def test_missing_data_source_is_named(tmp_path: Path) -> None:
    with pytest.raises(OptionsError) as info:
        _run(tmp_path, "bad-missing-data.spec")
    assert info.value.message == (
        f"bad-missing-data.spec:1: datas source 'assets/missing.txt' not found "
        f"({SPECS / 'assets' / 'missing.txt'})"
    )


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(OptionsError) as info:
        _run(tmp_path, "bad-syntax.spec")
    assert info.value.message.startswith("bad-syntax.spec:1: invalid spec file:")


def test_wrong_type_names_the_keyword(tmp_path: Path) -> None:
    with pytest.raises(OptionsError) as info:
        _run(tmp_path, "bad-wrong-type.spec")
    assert info.value.message == (
        "bad-wrong-type.spec:1: Analysis(hiddenimports=...) must be a list of strings, not 'json'"
    )


def test_merge_keeps_shared_files_in_the_first_app(tmp_path: Path) -> None:
    session, _ = _run(tmp_path, "merge.spec")
    foo, bar, zap = plan_apps(session)[0]
    assert [e.name for e in foo.analysis.binaries] == ["libpython3.12.so.1.0", "libX11.so.6"]
    assert [e.name for e in foo.analysis.datas] == ["assets/readme.txt"]
    assert foo.externals == ()
    assert bar.analysis.binaries == () and [e.name for e in bar.analysis.datas] == ["sub/note.txt"]
    assert [(e.dest, e.sibling) for e in bar.externals] == [
        ("assets/readme.txt", "foo"),
        ("libX11.so.6", "foo"),
        ("libpython3.12.so.1.0", "foo"),
    ]
    assert zap.analysis.datas == ()
    assert [(e.dest, e.sibling) for e in zap.externals] == [
        ("libX11.so.6", "foo"),
        ("libpython3.12.so.1.0", "foo"),
        ("sub/note.txt", "bar"),
    ]
    a = session.analyses[2]
    assert ("sub/note.txt", "bar", "DEPENDENCY") in a.dependencies


def test_bundle_is_recorded(tmp_path: Path) -> None:
    session, _ = _run(tmp_path, "bundle.spec")
    apps, (bundle,) = plan_apps(session)
    assert apps[0].options.windowed is True
    assert bundle.app == "app"
    assert bundle.settings.name == "App.app"
    assert bundle.settings.bundle_identifier == "org.example.app"
    assert bundle.settings.icon == SPECS / "assets" / "logo.bin"
    assert bundle.settings.info_plist == {
        "NSHighResolutionCapable": "True",
        "LSBackgroundOnly": False,
    }


def test_globals_describe_the_build(tmp_path: Path) -> None:
    spec = SPECS / "pyinstaller-style.spec"
    context, _ = fake_context(tmp_path, spec)
    namespace = make_globals(SpecSession(context=context))
    assert namespace["DISTPATH"] == str(tmp_path / "dist")
    assert namespace["SPEC"] == str(spec)
    assert namespace["SPECPATH"] == str(SPECS)
    assert namespace["specnm"] == "pyinstaller-style"
    assert namespace["workpath"] == str(tmp_path / "build" / "pyinstaller-style")
    assert namespace["WARNFILE"] == str(
        tmp_path / "build" / "pyinstaller-style" / "warn-pyinstaller-style.txt"
    )
    assert Path(str(namespace["HOMEPATH"]), "freezekit", "spec", "run.py").is_file()
    for name in ("Analysis", "PYZ", "EXE", "COLLECT", "MERGE", "BUNDLE", "TOC", "Tree"):
        assert callable(namespace[name])


def test_command_line_flags_other_than_the_effective_ones_are_reported() -> None:
    args = argparse.Namespace(
        command="build",
        scripts=["app.spec"],
        traceback=False,
        distpath="d",
        noconfirm=True,
        mode="onefile",
        hidden_import=["x"],
    )
    assert ignored_flags(args) == ["--hidden-import", "--onefile/--onedir"]
    options = spec_options(Path("app.spec"), args)
    assert (options.distpath, options.noconfirm, options.mode) == (Path("d"), True, Mode.ONEDIR)


def test_merge_onefile_references_name_the_sibling_executable(tmp_path: Path) -> None:
    session, _ = _run(tmp_path, "merge-onefile.spec")
    foo, bar = plan_apps(session)[0]
    assert (foo.options.mode, bar.options.mode) == (Mode.ONEFILE, Mode.ONEFILE)
    assert [e.name for e in bar.analysis.datas] == ["sub/note.txt"]
    assert {e.sibling for e in bar.externals} == {"foo"}
    assert len(bar.externals) == 3


def test_analysis_keywords_reach_the_analysis_stage(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "hooks").mkdir(parents=True)
    (project / "lib").mkdir()
    (project / "app.py").write_text("print(1)\n")
    (project / "rth.py").write_text("")
    spec = project / "app.spec"
    spec.write_text(
        "a = Analysis(['app.py'], pathex=['lib'], hiddenimports=['json'], excludes=['tkinter'],\n"
        "             hookspath=['hooks'], runtime_hooks=['rth.py'], collect_all=['rich'],\n"
        "             lean=False, optimize=1)\n"
    )
    context, analyzer = fake_context(tmp_path, spec)
    run(spec, context)
    (options,) = analyzer.calls
    assert options.scripts == (project / "app.py",)
    assert (options.paths, options.hooks_dirs, options.runtime_hooks) == (
        (project / "lib",),
        (project / "hooks",),
        (project / "rth.py",),
    )
    assert (options.hidden_imports, options.excludes, options.collect_all, options.lean) == (
        ("json",),
        ("tkinter",),
        ("rich",),
        False,
    )
    assert options.optimize == 1
    assert options.distpath == tmp_path / "dist"


def test_collect_may_name_the_folder_unlike_the_executable(tmp_path: Path) -> None:
    spec = tmp_path / "app.spec"
    (tmp_path / "app.py").write_text("print(1)\n")
    spec.write_text(
        "a = Analysis(['app.py'])\n"
        "exe = EXE(PYZ(a.pure), a.scripts, exclude_binaries=True, name='app')\n"
        "COLLECT(exe, a.binaries, a.datas, name='My App')\n"
    )
    context, _ = fake_context(tmp_path, spec)
    (app,) = plan_apps(run(spec, context))[0]
    assert (app.folder, app.options.name, app.options.mode) == ("My App", "app", Mode.ONEDIR)


def test_hooksconfig_reaches_the_analysis_and_is_checked(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    spec = tmp_path / "app.spec"
    spec.write_text("a = Analysis(['app.py'], hooksconfig={'matplotlib': {'backends': ['Agg']}})\n")
    context, analyzer = fake_context(tmp_path, spec)
    run(spec, context)
    (options,) = analyzer.calls
    assert options.hooks_config == {"matplotlib": {"backends": ["Agg"]}}
    spec.write_text("a = Analysis(['app.py'], hooksconfig={'m': {'k': object()}})\n")
    context, analyzer = fake_context(tmp_path, spec)
    with pytest.raises(OptionsError, match="hooksconfig"):
        run(spec, context)


def test_spec_datas_folders_keep_their_symbolic_links(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "tree" / "sub").mkdir(parents=True)
    (project / "app.py").write_text("print(1)\n")
    (project / "tree" / "sub" / "real.txt").write_text("real")
    (project / "tree" / "link.txt").symlink_to("sub/real.txt")
    (project / "tree" / "sub-link").symlink_to("sub", target_is_directory=True)
    spec = project / "app.spec"
    spec.write_text(
        "a = Analysis(['app.py'], datas=[('tree', 'tree')])\n"
        "exe = EXE(PYZ(a.pure), a.scripts, exclude_binaries=True, name='app')\n"
        "COLLECT(exe, a.binaries, a.datas, name='app')\n"
    )
    context, _ = fake_context(tmp_path, spec)
    (app,) = plan_apps(run(spec, context))[0]
    kinds = {e.name: e.kind.value for e in app.analysis.datas if e.name.startswith("tree/")}
    assert kinds == {
        "tree/link.txt": "symlink",
        "tree/sub-link": "symlink",
        "tree/sub/real.txt": "data",
    }
    assert not any(e.name.startswith("tree/") for e in app.analysis.binaries)
