from __future__ import annotations

from pathlib import Path

import pytest

from freezekit import __version__
from freezekit.cli import BUILD_FLAGS, main, make_parser, options_from_args
from freezekit.options import Extract, Mode


def _options(*argv: str):  # type: ignore[no-untyped-def]
    args = make_parser().parse_args(["build", *argv])
    return options_from_args(args, [Path(s) for s in args.scripts])


def test_unknown_flag_is_one_line_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "app.py", "--no-such-flag"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: unrecognized arguments: --no-such-flag",
        "hint: see `freezekit build --help`",
    ]


def test_missing_script_is_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["build", str(tmp_path / "nope.py"), "--distpath", str(tmp_path / "d")]) == 2
    assert (
        capsys.readouterr().err.splitlines()[0]
        == f"error: script {tmp_path / 'nope.py'} does not exist"
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"freezekit {__version__}\n"


def test_pyinstaller_spellings() -> None:
    options = _options(
        "app.py",
        "-F",
        "--noconsole",
        "-n",
        "tool",
        "--hiddenimport",
        "a",
        "--hidden-import",
        "b",
        "--add-data",
        "assets:assets",
        "--add-data",
        "C:\\x;y",
        "--python-option",
        "W ignore",
        "--python-option",
        "u",
        "--onefile-extract",
        "cache",
        "-y",
        "--no-strip",
    )
    assert options.mode is Mode.ONEFILE and options.windowed and options.name == "tool"
    assert options.hidden_imports == ("a", "b")
    assert options.datas == (("assets", "assets"), ("C:\\x", "y"))
    assert options.python_options == ("W ignore", "u")
    assert options.onefile_extract is Extract.CACHE
    assert options.noconfirm and not options.strip


def test_defaults() -> None:
    options = _options("dir/app.py")
    assert (options.name, options.mode, options.windowed, options.strip) == (
        "app",
        Mode.ONEDIR,
        False,
        True,
    )
    assert options.distpath == Path("dist") and options.workpath == Path("build")


def test_pyw_script_is_windowed() -> None:
    assert _options("gui.pyw").windowed


def test_bad_python_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "app.py", "--python-option", "OOO"]) == 2
    assert "run-time option 'OOO' is not supported" in capsys.readouterr().err


def test_optimize_sets_bytecode_and_run_time_levels() -> None:
    default = _options("app.py")
    assert (default.bytecode_optimize, default.run_time_options) == (0, ())
    two = _options("app.py", "--optimize", "2", "--python-option", "u")
    assert (two.optimize, two.bytecode_optimize, two.run_time_options) == (2, 2, ("u", "OO"))
    run_time = _options("app.py", "--python-option", "O")  # bytecode follows -O
    assert (run_time.bytecode_optimize, run_time.run_time_options) == (1, ("O",))
    both = _options("app.py", "--optimize", "2", "--python-option", "O")  # each as given
    assert (both.bytecode_optimize, both.run_time_options) == (2, ("O",))
    zero = _options("app.py", "--optimize", "0", "--python-option", "OO")
    assert (zero.bytecode_optimize, zero.run_time_options) == (0, ("OO",))


def test_bad_optimize_level(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "app.py", "--optimize", "3"]) == 2
    assert "--optimize" in capsys.readouterr().err


def test_unsupported_flag_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "app.py", "--splash", "x.png"]) == 2
    assert capsys.readouterr().err.startswith("error: --splash is not supported")


def test_ignored_flag_warns(caplog: pytest.LogCaptureFixture) -> None:
    _options("app.py", "--upx-dir", "/opt/upx")
    assert "ignoring --upx-dir" in caplog.text


def test_every_listed_flag_parses() -> None:
    """The README flag table comes from BUILD_FLAGS: each flag must really be accepted."""
    for flag in BUILD_FLAGS:
        for name in flag.names:
            argv = ["build", "app.py", name]
            if flag.action in ("store", "append"):
                argv.append(flag.choices[0] if flag.choices else "5")
            args = make_parser().parse_args(argv)
            assert args.scripts == ["app.py"], name


def test_shorthand_without_build(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing.py")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_readme_flag_table_is_current() -> None:
    from freezekit.cli import flags_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("<!-- flags:begin -->\n", 1)[1].split("<!-- flags:end -->", 1)[0]
    assert table.strip() == flags_markdown().strip()


@pytest.mark.parametrize("command", ["build", "makespec"])
def test_parser_for_one_command_reads_its_flags_like_the_whole_parser(command: str) -> None:
    argv = [command, "app.py", "--onefile", "--add-data", "a:b", "--hidden-import", "x", "-y"]
    assert make_parser(command).parse_args(argv) == make_parser().parse_args(argv)


def test_a_closed_pipe_on_stdout_is_not_reported_as_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from freezekit import cli

    def reader_went_away(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setitem(cli.COMMANDS, "inspect", reader_went_away)
    assert main(["inspect", "app"]) == 141
    assert "bug" not in capsys.readouterr().err
