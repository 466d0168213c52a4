"""The option table (freezekit.option_table): every option round-trips through the command line,
[tool.freezekit], a spec file and a cell job into the same BuildOptions; a channel the table
says cannot set an option really cannot."""

from __future__ import annotations

import dataclasses
import enum
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from freezekit.cli import make_parser, options_from_args
from freezekit.errors import OptionsError
from freezekit.option_table import BUILD_FLAGS, OPTIONS, Option, field_options
from freezekit.options import BuildOptions, Extract, Mode
from freezekit.release.cell import AppSpec, CellJob, script_options
from freezekit.spec.api import SpecContext
from freezekit.spec.pyproject import options_from_pyproject, options_from_table
from freezekit.spec.run import plan_apps, run, spec_options
from tests.fixtures.specs.fakes import FakeAnalyzer, fake_target

NOT_OPTIONS = {"extra"}  # BuildOptions fields that no surface sets


def samples(tmp: Path) -> dict[str, object]:
    """A value other than the default for every option, as BuildOptions holds it."""
    (tmp / "data.txt").write_text("data\n")
    (tmp / "libfoo.so").write_bytes(b"\x7fELF foo")
    (tmp / "hooks").mkdir(exist_ok=True)
    (tmp / "rthook.py").write_text("")
    (tmp / "second.py").write_text("")
    return {
        "scripts": (tmp / "app.py", tmp / "second.py"),
        "name": "renamed",
        "mode": Mode.ONEFILE,
        "windowed": True,
        "distpath": tmp / "out",
        "workpath": tmp / "work",
        "specpath": tmp / "specs",
        "noconfirm": True,
        "clean": True,
        "python": Path(sys.executable),
        "target": "windows-x86_64-3.12",
        "hidden_imports": ("json", "email.mime"),
        "excludes": ("tkinter",),
        "paths": (tmp / "src", tmp / "lib"),
        "collect_submodules": ("pkg_a",),
        "collect_data": ("pkg_b",),
        "collect_binaries": ("pkg_c",),
        "collect_all": ("pkg_d",),
        "copy_metadata": ("dist_e",),
        "recursive_copy_metadata": ("dist_f",),
        "datas": ((str(tmp / "data.txt"), "assets"),),
        "binaries": ((str(tmp / "libfoo.so"), "libs"),),
        "hooks_dirs": (tmp / "hooks",),
        "runtime_hooks": (tmp / "rthook.py",),
        "hooks_config": {"gi": {"icons": ["Adwaita"]}},
        "ignore_hook_errors": True,
        "runtime_tmpdir": "/var/tmp",
        "onefile_extract": Extract.CACHE,
        "python_options": ("u", "W ignore"),
        "optimize": 1,
        "strip": False,
        "smoke_probes": False,
        "reset_subprocess_env": True,
        "lean": False,
        "icon": "app.ico",
        "bootloader": tmp / "my-bootloader",
        "compression_level": 7,
    }


def _script(tmp: Path) -> Path:
    script = tmp / "app.py"
    script.write_text("print('hi')\n")
    return script


def _row(field: str) -> Option:
    (row,) = [option for option in OPTIONS if option.field == field]
    return row


FIELDS = [str(option.field) for option in field_options()]


def _with(options: BuildOptions, field: str, value: object) -> BuildOptions:
    """``options`` with one field changed (the field named by a table row)."""
    return dataclasses.replace(options, **{field: value})  # type: ignore[arg-type]  # any field


# -- the table itself ----------------------------------------------------------------------------


def test_every_build_option_has_one_row_and_its_default() -> None:
    names = [f.name for f in dataclasses.fields(BuildOptions) if f.name not in NOT_OPTIONS]
    assert sorted(FIELDS) == sorted(names)
    defaults = BuildOptions(scripts=(), name="")
    for option in field_options():
        if option.field not in ("scripts", "name"):
            assert option.default == getattr(defaults, str(option.field)), option.field


def test_sample_values_are_not_the_defaults(tmp_path: Path) -> None:
    values = samples(tmp_path)
    assert sorted(values) == sorted(FIELDS)
    for option in field_options():
        assert values[str(option.field)] != option.default, option.field


def test_keys_flags_and_spec_keywords_are_unique() -> None:
    keys = [option.key for option in OPTIONS if option.key]
    spellings = [name for flag in BUILD_FLAGS for name in flag.names]
    keywords = [option.spec_keyword for option in OPTIONS if option.spec_keyword]
    assert len(keys) == len(set(keys))
    assert len(spellings) == len(set(spellings))
    assert len(keywords) == len(set(keywords))


def test_flags_of_one_option_set_one_attribute() -> None:
    for option in OPTIONS:
        assert len({flag.dest or option.dest for flag in option.flags}) <= 1, option.name


# -- writing one value for each channel ----------------------------------------------------------


def _plain(value: object) -> object:
    """The TOML/JSON form of a BuildOptions value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def cli_argv(option: Option, value: object) -> list[str]:
    """The flags that give ``value``."""
    for flag in option.flags:
        name = flag.names[-1]
        if flag.action == "store_const" and flag.const == _plain(value):
            return [name]
        if flag.action in ("store_true", "store_false"):
            if value is (flag.action == "store_true"):
                return [name]
            continue
        if flag.action == "append":
            assert isinstance(value, tuple)
            argv: list[str] = []
            for item in value:
                text = ":".join(item) if isinstance(item, tuple) else str(item)
                argv += [name, text]
            return argv
        if flag.action == "store":
            return [name, str(_plain(value))]
    raise AssertionError(f"no flag of {option.name} gives {value!r}")


def from_cli(script: Path, argv: list[str]) -> BuildOptions:
    args = make_parser("build").parse_args(["build", str(script), *argv])
    return options_from_args(args, [Path(s) for s in args.scripts])


def from_pyproject(tmp: Path, script: Path, table: dict[str, object]) -> BuildOptions:
    return options_from_table({"scripts": [str(script)], **table}, tmp)


def from_cell(tmp: Path, script: Path, options: dict[str, object]) -> BuildOptions:
    app = AppSpec(name="app", script=script, options=options)
    job = CellJob(cell="linux-x86_64-3.12", app=app, work_dir=tmp, publish_dir=tmp / "publish")
    app = CellJob.from_json(job.to_json()).app  # the job as the cell runner reads it
    return script_options(app, distpath=tmp / "dist", workpath=tmp / "work")


def _spec_value(value: object) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return repr(list(value))  # (source, destination) pairs stay tuples
    return repr(_plain(value))


#: Options a spec sets other than by one keyword: what the spec says for a non-default value.
SPEC_FORMS: dict[str, Callable[[object], dict[str, str]]] = {
    "mode": lambda value: {"collect": ""},  # no COLLECT: onefile
    "windowed": lambda value: {"EXE": f"console={not value!r}"},
    "python_options": lambda value: {
        "options": repr([(o, None, "OPTION") for o in value])  # type: ignore[attr-defined]
    },
    "strip": lambda value: {"EXE": f"strip={value!r}"},
}


def spec_text(script: Path, settings: dict[str, object]) -> str:
    analysis: list[str] = []
    exe: list[str] = []
    options = "[]"
    collect = "coll = COLLECT(exe, a.binaries, a.datas, name='app')\n"
    scripts = settings.get("scripts", (script,))
    for field, value in settings.items():
        if field == "scripts":
            continue
        row = _row(field)
        keyword = row.spec_keyword
        if keyword is not None:
            call, name = keyword
            (analysis if call == "Analysis" else exe).append(f"{name}={_spec_value(value)}")
            continue
        form = SPEC_FORMS[field](value)
        exe += [form["EXE"]] if "EXE" in form else []
        options = form.get("options", options)
        collect = form.get("collect", collect)
    analysis.insert(0, _spec_value(scripts))
    files = "a.binaries, a.datas, " if not collect else ""
    exe.insert(0, f"pyz, a.scripts, {files}{options}")
    if collect:
        exe.append("exclude_binaries=True")
    return (
        f"a = Analysis({', '.join(analysis)})\n"
        "pyz = PYZ(a.pure)\n"
        f"exe = EXE({', '.join(exe)})\n"
        f"{collect}"
    )


def from_spec(tmp: Path, script: Path, settings: dict[str, object], argv: list[str] = []):  # type: ignore[no-untyped-def]  # noqa: B006
    """The app a spec plans (through a fake analysis), with ``argv`` on the command line."""
    spec = tmp / "app.spec"
    spec.write_text(spec_text(script, settings))
    args = make_parser("build").parse_args(["build", str(spec), *argv])
    context = SpecContext(
        spec=spec.resolve(),
        options=spec_options(spec, args),
        target=fake_target(tmp),
        analyze=FakeAnalyzer(tmp),
    )
    (app,) = plan_apps(run(spec, context))[0]
    return app


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", [o.field for o in field_options() if o.flags])
def test_command_line_sets_the_option(tmp_path: Path, field: str) -> None:
    script = _script(tmp_path)
    value = samples(tmp_path)[field]
    with_option = from_cli(script, cli_argv(_row(field), value))
    assert with_option == _with(from_cli(script, []), field, value)


@pytest.mark.parametrize("field", [o.field for o in field_options() if o.key])
def test_pyproject_key_sets_the_option(tmp_path: Path, field: str) -> None:
    script = _script(tmp_path)
    value = samples(tmp_path)[field]
    row = _row(field)
    assert row.key is not None
    with_option = from_pyproject(tmp_path, script, {row.key: _plain(value)})
    assert with_option == _with(from_pyproject(tmp_path, script, {}), field, value)


@pytest.mark.parametrize("field", [o.field for o in field_options() if o.cell_key])
def test_cell_job_sets_the_option(tmp_path: Path, field: str) -> None:
    script = _script(tmp_path)
    value = samples(tmp_path)[field]
    row = _row(field)
    assert row.cell_key is not None
    with_option = from_cell(tmp_path, script, {row.cell_key: _plain(value)})
    assert with_option == _with(from_cell(tmp_path, script, {}), field, value)


@pytest.mark.parametrize("field", [o.field for o in field_options() if o.spec])
def test_spec_sets_the_option(tmp_path: Path, field: str) -> None:
    script = _script(tmp_path)
    value = samples(tmp_path)[field]
    baseline = from_spec(tmp_path, script, {})
    app = from_spec(tmp_path, script, {field: value})
    if field == "datas":  # a spec's datas become the analysis' entries, as PyInstaller's do
        assert app.options == baseline.options
        assert [e.name for e in app.analysis.datas] == ["assets/data.txt"]
        return
    if field == "name":
        assert app.folder == "app"  # COLLECT's name, the folder; EXE's names the executable
    assert app.options == _with(baseline.options, field, value)


@pytest.mark.parametrize("field", [o.field for o in field_options() if o.machine])
def test_spec_and_pyproject_builds_take_machine_options_from_the_command_line(
    tmp_path: Path, field: str
) -> None:
    script = _script(tmp_path)
    value = samples(tmp_path)[field]
    argv = cli_argv(_row(field), value)
    app = from_spec(tmp_path, script, {}, argv)
    assert app.options == _with(from_spec(tmp_path, script, {}).options, field, value)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[tool.freezekit]\nscripts = ["{script}"]\n')
    args = make_parser("build").parse_args(["build", str(pyproject), *argv])
    assert options_from_pyproject(pyproject, args) == _with(
        options_from_pyproject(pyproject), field, value
    )


def test_all_options_at_once_agree_across_channels(tmp_path: Path) -> None:
    """The same settings through every channel that can say them give one BuildOptions."""
    script = _script(tmp_path)
    values = samples(tmp_path)
    app_values = {f: v for f, v in values.items() if not _row(f).machine and f != "icon"}
    argv = [a for f, v in app_values.items() if _row(f).flags for a in cli_argv(_row(f), v)]
    cli = from_cli(script, argv)
    table = {str(_row(f).key): _plain(v) for f, v in app_values.items() if _row(f).key}
    pyproject = from_pyproject(tmp_path, script, table)
    cell = from_cell(
        tmp_path,
        script,
        {str(_row(f).cell_key): _plain(v) for f, v in app_values.items() if _row(f).cell_key},
    )
    spec = from_spec(
        tmp_path, script, {f: v for f, v in app_values.items() if _row(f).spec and f != "scripts"}
    ).options

    def same(options: BuildOptions, *fields: str) -> dict[str, object]:
        return {f: getattr(options, f) for f in fields}

    everywhere = [f for f in app_values if _row(f).flags and _row(f).key and f != "scripts"]
    assert same(cli, *everywhere) == same(pyproject, *everywhere)
    in_cells = [f for f in everywhere if _row(f).cell_key]
    assert same(cli, *in_cells) == same(cell, *in_cells)
    in_specs = [f for f in everywhere if _row(f).spec and f != "datas"]
    assert same(cli, *in_specs) == same(spec, *in_specs)
    assert {f: v for f, v in app_values.items() if f in everywhere} == same(cli, *everywhere)


# -- what a channel cannot say -------------------------------------------------------------------


def test_only_the_table_rows_without_flags_have_no_flag() -> None:
    dests = {option.dest for option in OPTIONS if option.flags}
    for option in field_options():
        if not option.flags:
            assert option.field in ("scripts", "hooks_config")  # SCRIPT arguments; spec only
            assert option.field not in dests


@pytest.mark.parametrize("field", [o.field for o in field_options() if not o.key])
def test_pyproject_refuses_a_key_for_an_option_it_cannot_set(tmp_path: Path, field: str) -> None:
    script = _script(tmp_path)
    with pytest.raises(OptionsError, match=r"unknown key '.*' in \[tool.freezekit\]"):
        from_pyproject(tmp_path, script, {field.replace("_", "-"): True})


@pytest.mark.parametrize("field", [o.field for o in field_options() if not o.cell_key])
def test_cell_job_refuses_an_option_it_sets_itself_or_cannot_set(
    tmp_path: Path, field: str
) -> None:
    script = _script(tmp_path)
    with pytest.raises(OptionsError, match=f"unknown option '{field}'"):
        from_cell(tmp_path, script, {field: True})
    options = from_cell(tmp_path, script, {})  # what the job sets itself
    assert (options.scripts, options.name, options.noconfirm) == ((script,), "app", True)
    assert (options.distpath, options.workpath) == (tmp_path / "dist", tmp_path / "work")


@pytest.mark.parametrize(
    "field", [o.field for o in field_options() if not o.spec and not o.machine]
)
def test_spec_refuses_a_keyword_for_an_option_it_cannot_set(tmp_path: Path, field: str) -> None:
    script = _script(tmp_path)
    spec = tmp_path / "app.spec"
    spec.write_text(f"a = Analysis([{str(script)!r}], {field}=True)\n")
    args = make_parser("build").parse_args(["build", str(spec)])
    context = SpecContext(
        spec=spec.resolve(),
        options=spec_options(spec, args),
        target=fake_target(tmp_path),
        analyze=FakeAnalyzer(tmp_path),
    )
    with pytest.raises(OptionsError, match=f"unknown keyword '{field}' in Analysis"):
        run(spec, context)


# -- the cell job checks its values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "one-file"}, "option 'mode' = 'one-file' is not 'onedir' or 'onefile'"),
        ({"strip": "no"}, "option 'strip' = 'no' is not true or false"),
        ({"compression_level": 30}, "option 'compression_level' = 30 is not a number from 1 to 22"),
        ({"datas": [["a"]]}, "option 'datas' = [['a']] is not a list of"),
        ({"hidden_imports": "x"}, "option 'hidden_imports' = 'x' is not a list of strings"),
        ({"python_options": ["OOO"]}, "option 'python_options': run-time option 'OOO'"),
    ],
)
def test_cell_job_refuses_a_bad_value_naming_the_option(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(OptionsError) as info:
        from_cell(tmp_path, _script(tmp_path), options)
    assert info.value.message.startswith(f"app 'app': {message}")


def test_cell_job_takes_paths_from_a_noxfile_as_path_values(tmp_path: Path) -> None:
    app = AppSpec(
        name="app",
        script=Path("app.py"),
        options={"paths": [Path("src")], "datas": [(Path("a"), "b")], "hooks_dirs": ("h",)},
    )
    options = script_options(app, distpath=tmp_path, workpath=tmp_path)
    assert (options.paths, options.datas, options.hooks_dirs) == (
        (Path("src"),),
        (("a", "b"),),
        (Path("h"),),
    )


def test_a_pyproject_build_does_not_warn_about_target(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """--target describes the build machine: a pyproject build takes it without a warning."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.freezekit]\nscripts = ["app.py"]\n')
    args = make_parser("build").parse_args(
        ["build", str(pyproject), "--target", "windows-x86_64-3.12"]
    )
    with caplog.at_level(logging.WARNING):
        options = options_from_pyproject(pyproject, args)
    assert options.target == "windows-x86_64-3.12"
    assert caplog.records == []


def test_readme_option_table_is_current() -> None:
    from freezekit.option_table import options_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("<!-- options:begin -->\n", 1)[1].split("<!-- options:end -->", 1)[0]
    assert table.strip() == options_markdown().strip()


def test_makespec_writes_every_option_a_spec_can_say(tmp_path: Path) -> None:
    """freezekit makespec of every app option runs back into the same options."""
    from freezekit.spec.makespec import write_spec

    script = _script(tmp_path)
    values = samples(tmp_path)
    app_values = {f: v for f, v in values.items() if not _row(f).machine and _row(f).flags}
    argv = [a for f, v in app_values.items() for a in cli_argv(_row(f), v)]
    options = from_cli(script, argv)
    spec = write_spec(options)
    args = make_parser("build").parse_args(["build", str(spec)])
    context = SpecContext(
        spec=spec.resolve(),
        options=spec_options(spec, args),
        target=fake_target(tmp_path),
        analyze=FakeAnalyzer(tmp_path),
    )
    (app,) = plan_apps(run(spec, context))[0]
    said = [f for f in app_values if _row(f).spec and f != "datas"]
    assert len(said) > 20
    assert {f: getattr(app.options, f) for f in said} == {f: getattr(options, f) for f in said}
    assert [e.name for e in app.analysis.datas] == ["assets/data.txt"]


def test_flags_a_spec_or_pyproject_build_ignores_are_named_as_spelled() -> None:
    """``ignored_flags`` (the warnings of a spec or pyproject build run from the API) names
    flags that exist: --no-lean, --additional-hooks-dir, not --lean, --hooks-dir."""
    import argparse

    from freezekit.spec.run import ignored_flags

    spellings = {name for flag in BUILD_FLAGS for name in flag.names}
    for option in OPTIONS:
        if option.machine or option.dest is None:
            continue
        (named,) = ignored_flags(argparse.Namespace(**{option.dest: True}))
        assert set(named.split("/")) <= spellings, named
