"""PyInstaller's command forms and flags: each works, or is refused with one line."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest

from freezekit.cli import (
    BUILD_FLAGS,
    GROUPS,
    command_line,
    host_file_error,
    log_level,
    main,
    make_parser,
    options_from_args,
)
from freezekit.errors import FreezekitError, OptionsError


def _options(*argv: str):  # type: ignore[no-untyped-def]
    args = make_parser().parse_args(command_line(argv))
    return options_from_args(args, [Path(s) for s in args.scripts])


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--onefile", "hello.py"], ["build", "--onefile", "hello.py"]),
        (["hello.py", "--onefile"], ["build", "hello.py", "--onefile"]),
        (["-y", "--name", "x", "app.pyw"], ["build", "-y", "--name", "x", "app.pyw"]),
        (["app.spec"], ["build", "app.spec"]),
        (["--traceback", "-F", "app.py"], ["build", "-F", "app.py"]),
        (["build", "app.py", "--traceback"], ["build", "app.py"]),
        (["makespec", "--onefile", "app.py"], ["makespec", "--onefile", "app.py"]),
        (["--version"], ["--version"]),
        (["app.py", "--onefile", "--version"], ["--version"]),
        (["biuld", "app.py"], ["biuld", "app.py"]),  # a typo stays a typo
    ],
)
def test_command_line_takes_pyinstallers_forms(argv: list[str], expected: list[str]) -> None:
    assert command_line(argv) == expected


def test_flags_before_the_script_build_it() -> None:
    options = _options("--onefile", "-n", "tool", "hello.py")
    assert options.name == "tool" and options.mode.value == "onefile"
    assert options.scripts == (Path("hello.py"),)


def test_a_typo_in_the_command_names_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["biuld", "app.py"]) == 2
    assert "invalid choice: 'biuld'" in capsys.readouterr().err


def test_target_arch_of_another_machine_is_refused() -> None:
    with pytest.raises(OptionsError) as info:
        _options("app.py", "--target-arch", "riscv64")
    assert info.value.message.startswith("--target-arch riscv64: this build makes ")
    assert "--target" in str(info.value.hint)


def test_target_arch_of_this_machine_is_accepted() -> None:
    import platform

    _options("app.py", "--target-arch", platform.machine())


def test_debug_imports_is_python_option_v_and_the_rest_is_refused() -> None:
    assert _options("app.py", "-d", "imports").python_options == ("v",)
    for value in ("all", "bootloader", "noarchive"):
        with pytest.raises(OptionsError, match=f"--debug {value} is not supported"):
            _options("app.py", "--debug", value)


def test_recursive_copy_metadata_is_its_own_option() -> None:
    options = _options("app.py", "--recursive-copy-metadata", "jsonschema", "--copy-metadata", "x")
    assert options.copy_metadata == ("x",)
    assert options.recursive_copy_metadata == ("jsonschema",)


@pytest.mark.parametrize("flag", ["--bootloader-ignore-signals", "--win-private-assemblies"])
def test_pyinstaller_flags_without_an_equivalent_are_refused(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["app.py", flag]) == 2
    assert capsys.readouterr().err.startswith(f"error: {flag} is not supported: ")


def test_windows_only_flag_warns_on_linux_but_is_refused_for_a_windows_target(
    caplog: pytest.LogCaptureFixture,
) -> None:
    args = make_parser().parse_args(["build", "app.py", "--uac-admin"])
    options_from_args(args, [Path("app.py")])
    assert "ignoring --uac-admin: Windows only" in caplog.text
    args.target = "windows-x86_64-3.12"
    with pytest.raises(OptionsError, match="--uac-admin is not supported for Windows apps"):
        options_from_args(args, [Path("app.py")])


@pytest.mark.parametrize(
    ("argv", "level"),
    [
        ([], logging.INFO),
        (["-q"], logging.WARNING),
        (["--log-level", "WARN"], logging.WARNING),
        (["--log-level", "ERROR"], logging.ERROR),
        (["--log-level", "FATAL"], logging.CRITICAL),
        (["-v"], logging.DEBUG),
        (["-vv"], 5),
    ],
)
def test_quiet_verbose_and_log_level(argv: list[str], level: int) -> None:
    assert log_level(make_parser().parse_args(["build", "app.py", *argv])) == level


def test_a_spec_build_refuses_flags_the_spec_decides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "app.spec"
    spec.write_text("")
    assert main([str(spec), "--onefile"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --onedir/--onefile cannot be combined with app.spec: "
        "the app is described by the spec file",
        "hint: drop --onedir/--onefile and edit app.spec instead",
    ]


def test_every_flag_has_a_known_group() -> None:
    assert {flag.group for flag in BUILD_FLAGS} <= set(GROUPS)


def test_build_help_is_grouped_by_topic(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    out = capsys.readouterr().out
    out = out[out.index("\noptions:\n") :]  # past the usage lines
    positions = [out.index(f"\n{group}:\n") for group in GROUPS]
    assert positions == sorted(positions)
    assert out.index("--onefile") < out.index("\nwhat to bundle:\n") < out.index("--add-data")
    assert out.index("\nOS-specific:\n") < out.index("--uac-admin")


@pytest.mark.parametrize("command", ["smoke", "inspect", "explain", "matrix"])
def test_every_subcommand_argument_has_help(command: str) -> None:
    parser = make_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for action in sub.choices[command]._actions:  # type: ignore[union-attr]
        assert action.help, (command, action.dest)


def test_every_build_argument_has_help() -> None:
    parser = make_parser("build")
    sub = next(a for a in parser._actions if a.dest == "command")
    for action in sub.choices["build"]._actions:  # type: ignore[union-attr]
        assert action.help, action.dest


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.EROFS, "read-only"),
        (errno.EACCES, "access"),
        (errno.ENOSPC, "free some space"),
        (errno.ENOTDIR, "in the way"),
    ],
)
def test_os_errors_name_the_path_and_the_fix(code: int, words: str) -> None:
    error = host_file_error(OSError(code, "reason", "build/app"))
    assert error.message == "build/app: reason"
    assert words in str(error.hint)
    assert error.exit_code == 9
    others = {cls.exit_code for cls in FreezekitError.__subclasses__() if cls is not type(error)}
    assert error.exit_code not in others


def test_an_os_error_is_not_called_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from freezekit import cli

    def read_only(args: object) -> int:
        raise OSError(errno.EROFS, "Read-only file system", "/mnt/ro/build")

    monkeypatch.setitem(cli.COMMANDS, "inspect", read_only)
    assert main(["inspect", "app"]) == 9
    assert capsys.readouterr().err.splitlines() == [
        "error: /mnt/ro/build: Read-only file system",
        "hint: the disk is read-only: choose a writable folder with --distpath or --workpath",
    ]


#: Every option of `pyinstaller --help` (PyInstaller 6.22), but its -h/--help/-v/--version.
PYINSTALLER_OPTIONS = [
    "--add-binary",
    "--add-data",
    "--additional-hooks-dir",
    "--argv-emulation",
    "--bootloader-ignore-signals",
    "--clean",
    "--codesign-identity",
    "--collect-all",
    "--collect-binaries",
    "--collect-data",
    "--collect-datas",
    "--collect-submodules",
    "--console",
    "--contents-directory",
    "--copy-metadata",
    "--debug",
    "--disable-windowed-traceback",
    "--distpath",
    "--exclude-module",
    "--hidden-import",
    "--hiddenimport",
    "--hide-console",
    "--icon",
    "--key",
    "--log-level",
    "--manifest",
    "--name",
    "--no-embed-manifest",
    "--noconfirm",
    "--noconsole",
    "--noupx",
    "--nowindowed",
    "--onedir",
    "--onefile",
    "--optimize",
    "--osx-bundle-identifier",
    "--osx-entitlements-file",
    "--paths",
    "--python-option",
    "--recursive-copy-metadata",
    "--resource",
    "--runtime-hook",
    "--runtime-tmpdir",
    "--specpath",
    "--splash",
    "--splash-center",
    "--strip",
    "--target-arch",
    "--target-architecture",
    "--uac-admin",
    "--uac-uiaccess",
    "--upx-dir",
    "--upx-exclude",
    "--version-file",
    "--win-no-prefer-redirects",
    "--win-private-assemblies",
    "--windowed",
    "--workpath",
    "-D",
    "-F",
    "-c",
    "-d",
    "-i",
    "-m",
    "-n",
    "-p",
    "-r",
    "-s",
    "-w",
    "-y",
]


def test_every_pyinstaller_option_is_in_the_flag_table() -> None:
    spellings = {name for flag in BUILD_FLAGS for name in flag.names}
    assert sorted(set(PYINSTALLER_OPTIONS) - spellings) == []


def test_explain_of_a_missing_script_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "json", str(tmp_path / "nothere.py")]) == 2
    assert capsys.readouterr().err.startswith(f"error: script {tmp_path / 'nothere.py'} does not")
