"""[tool.freezekit] → BuildOptions: keys like the CLI flags, paths relative to the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from freezekit.errors import OptionsError
from freezekit.options import Extract, Mode
from freezekit.spec.pyproject import load_pyproject

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cliapp"


def _write(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n\n[tool.freezekit]\n" + table)
    return path


def test_example_cliapp_loads() -> None:
    options = load_pyproject(EXAMPLE / "pyproject.toml")
    assert options.scripts == (EXAMPLE / "cliapp" / "__main__.py",)
    assert (options.name, options.mode) == ("cliapp", Mode.ONEDIR)
    assert options.datas == ((str(EXAMPLE / "cliapp" / "data"), "cliapp/data"),)
    assert options.distpath == EXAMPLE / "dist"


def test_every_key_reaches_build_options(tmp_path: Path) -> None:
    _write(
        tmp_path,
        """
scripts = ["src/app.pyw"]
mode = "onefile"
datas = [["assets/*.png", "assets"]]
binaries = [["lib/libfoo.so", "."]]
hidden-imports = ["json"]
excludes = ["tkinter"]
paths = ["src"]
collect-submodules = ["email"]
collect-data = ["certifi"]
collect-binaries = ["numpy"]
collect-all = ["rich"]
copy-metadata = ["requests"]
runtime-hooks = ["hooks/rth.py"]
hooks-dirs = ["hooks"]
ignore-hook-errors = true
python-options = ["u", "W ignore"]
optimize = 2
runtime-tmpdir = "/var/tmp"
onefile-extract = "cache"
strip = false
lean = false
smoke-probes = false
reset-subprocess-env = true
compression-level = 5
distpath = "out"
""",
    )
    o = load_pyproject(tmp_path)
    assert o.scripts == (tmp_path / "src" / "app.pyw",)
    assert (o.name, o.mode, o.windowed) == ("app", Mode.ONEFILE, True)
    assert o.datas == ((str(tmp_path / "assets/*.png"), "assets"),)
    assert o.binaries == ((str(tmp_path / "lib/libfoo.so"), "."),)
    assert (o.hidden_imports, o.excludes, o.paths) == (("json",), ("tkinter",), (tmp_path / "src",))
    assert (
        o.collect_submodules,
        o.collect_data,
        o.collect_binaries,
        o.collect_all,
        o.copy_metadata,
    ) == (("email",), ("certifi",), ("numpy",), ("rich",), ("requests",))
    assert (o.runtime_hooks, o.hooks_dirs) == ((tmp_path / "hooks/rth.py",), (tmp_path / "hooks",))
    assert o.ignore_hook_errors
    assert (o.python_options, o.optimize) == (("u", "W ignore"), 2)
    assert (o.runtime_tmpdir, o.onefile_extract) == ("/var/tmp", Extract.CACHE)
    assert (o.strip, o.lean, o.smoke_probes, o.reset_subprocess_env) == (False, False, False, True)
    assert (o.compression_level, o.distpath, o.workpath) == (
        5,
        tmp_path / "out",
        tmp_path / "build",
    )


@pytest.mark.parametrize(
    ("table", "message", "hint"),
    [
        (
            'scripts = "app.py"\n',
            "[tool.freezekit] scripts = 'app.py' is not a list of strings",
            None,
        ),
        (
            'scripts = ["a.py"]\nwindowed = "yes"\n',
            "[tool.freezekit] windowed = 'yes' is not true or false",
            None,
        ),
        (
            'scripts = ["a.py"]\nmode = "one-file"\n',
            "[tool.freezekit] mode = 'one-file' is not 'onedir' or 'onefile'",
            None,
        ),
        (
            'scripts = ["a.py"]\ndatas = [["a"]]\n',
            '[tool.freezekit] datas = [[\'a\']] is not a list of ["source", "destination"] pairs',
            None,
        ),
        (
            'scripts = ["a.py"]\nhidden-import = ["x"]\n',
            "unknown key 'hidden-import' in [tool.freezekit]",
            "did you mean 'hidden-imports'?",
        ),
        (
            'scripts = ["a.py"]\npython-options = ["OOO"]\n',
            "[tool.freezekit] python-options: run-time option 'OOO' is not supported",
            None,
        ),
        (
            'scripts = ["a.py"]\noptimize = 3\n',
            "[tool.freezekit] optimize = 3 is not 0, 1 or 2",
            None,
        ),
        ('name = "x"\n', "[tool.freezekit] has no scripts", 'add scripts = ["app.py"]'),
    ],
)
def test_bad_values_name_the_key(
    tmp_path: Path, table: str, message: str, hint: str | None
) -> None:
    path = _write(tmp_path, table)
    with pytest.raises(OptionsError) as info:
        load_pyproject(path)
    assert info.value.message == f"{path}: {message}"
    if hint:
        assert info.value.hint == hint


def test_missing_table_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n")
    with pytest.raises(OptionsError, match=r"has no \[tool.freezekit\] table"):
        load_pyproject(path)


def test_command_line_takes_only_build_environment_flags(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import argparse

    from freezekit.spec.pyproject import options_from_pyproject

    path = _write(tmp_path, 'scripts = ["app.py"]\nmode = "onefile"\n')
    args = argparse.Namespace(
        command="build",
        scripts=[str(path)],
        traceback=False,
        distpath="out",
        noconfirm=True,
        mode="onedir",
    )
    with caplog.at_level("WARNING"):
        options = options_from_pyproject(path, args)
    assert (options.distpath, options.noconfirm, options.mode) == (Path("out"), True, Mode.ONEFILE)
    assert [r.getMessage() for r in caplog.records] == [
        "ignoring --onefile/--onedir: building from pyproject.toml uses its [tool.freezekit] table "
        "(edit the table to change it)"
    ]
