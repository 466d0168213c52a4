"""Run-time parity with what PyInstaller's own test scripts check, in onedir and onefile.

Each test freezes a real app and runs the executable: optimisation level, ``sys._stdlib_dir``,
the main script's spec, multiprocessing with functions of the main script, Tcl data,
symbolic links in --add-data folders, and where a onefile app unpacks itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.options import Mode

from .conftest import APPS, FrozenApp, FrozenAppFactory

pytestmark = pytest.mark.slow
PARITY = APPS / "parity"
MODES = [Mode.ONEDIR, Mode.ONEFILE]


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp), "HOME": str(tmp), **extra}


def _report(app: FrozenApp, tmp: Path, *args: str, **env: str) -> dict[str, object]:
    result = app.run(*args, env=_env(tmp, **env), timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# onedir is built with --optimize 2, onefile with --python-option O (level 1 for both)
OPTIMIZE: dict[Mode, dict[str, object]] = {
    Mode.ONEDIR: {"optimize": 2},
    Mode.ONEFILE: {"python_options": ("O",)},
}


@pytest.fixture(params=MODES, ids=[m.value for m in MODES])
def mode(request: pytest.FixtureRequest) -> Mode:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture()
def parity(mode: Mode, frozen_app: FrozenAppFactory) -> FrozenApp:
    datas = ((str(PARITY / "parity-data.txt"), "."),)
    return frozen_app("parity", mode=mode, datas=datas, **OPTIMIZE[mode])


def test_optimize_level_takes_effect(mode: Mode, parity: FrozenApp, tmp_path: Path) -> None:
    report = _report(parity, tmp_path)
    level = 2 if mode is Mode.ONEDIR else 1
    assert report["optimize"] == level  # sys.flags.optimize
    assert report["asserts"] is False  # the script's bytecode has no assert
    # -OO: docstrings gone from the script and from a bundled stdlib module (json)
    assert report["docstring"] == (None if level == 2 else "A docstring that -OO removes.")
    assert report["stdlib_docstring"] is (level < 2)


def test_main_module_has_a_spec_and_get_data_works(parity: FrozenApp, tmp_path: Path) -> None:
    report = _report(parity, tmp_path)
    top = report["meipass"]
    assert report["main_spec"] == ["__main__", f"{top}/parity.py", "ScriptLoader"]
    assert report["get_data"] == "data next to the script\n"
    if sys.version_info >= (3, 11):
        assert report["stdlib_dir"] == top


def test_multiprocessing_runs_functions_of_the_main_script(
    parity: FrozenApp, tmp_path: Path
) -> None:
    report = _report(parity, tmp_path, "spawn", "fork", "forkserver")
    for method in ("spawn", "fork", "forkserver"):
        child_main = "__main__" if method == "fork" else "__mp_main__"
        assert report[f"mp-{method}"] == {
            "squares": [0, 1, 4, 9, 16],
            "child": [child_main, 42],
            "exitcode": 0,
            "executor": 49,  # concurrent.futures.ProcessPoolExecutor
        }, method


# -- Tcl/Tk -----------------------------------------------------------------------------------


@pytest.fixture()
def tclapp(mode: Mode, frozen_app: FrozenAppFactory) -> FrozenApp:
    pytest.importorskip("tkinter", reason="the target Python has no tkinter")
    return frozen_app("tclapp", mode=mode)


def _check_tcl(report: dict[str, object]) -> None:
    top = str(report["meipass"])
    assert report["library"] == report["TCL_LIBRARY"] == f"{top}/_tcl_data"
    assert report["TK_LIBRARY"] == f"{top}/_tk_data"
    assert str(report["msgcat_file"]).startswith(f"{top}/tcl8/8.")  # a Tcl module (tcl8/8.x)
    assert (report["clock"], report["encoding"]) == ("1970-01-02", True)  # clock.tcl, encoding/


def test_tcl_runs_from_the_bundled_library_without_a_display(
    tclapp: FrozenApp, tmp_path: Path
) -> None:
    _check_tcl(_report(tclapp, tmp_path))  # no DISPLAY in _env()


def test_tk_window_under_xvfb(tclapp: FrozenApp, tmp_path: Path) -> None:
    if not shutil.which("xvfb-run"):
        pytest.skip("Xvfb is not installed (apt-get install xvfb xauth)")
    result = subprocess.run(
        ["xvfb-run", "-a", str(tclapp.executable), "tk"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    _check_tcl(report)
    assert report["tk_library"] == f"{report['meipass']}/_tk_data"


# -- symbolic links in --add-data folders ----------------------------------------------------


@pytest.fixture(scope="module")
def link_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tree/ with links to a file, up a level, to a whole folder, absolute, and out of it."""
    root = tmp_path_factory.mktemp("links")
    tree, outside = root / "tree", root / "outside"
    (tree / "sub").mkdir(parents=True)
    outside.mkdir()
    (tree / "real.txt").write_text("real\n")
    (tree / "sub" / "inner.txt").write_text("inner\n")
    (outside / "o.txt").write_text("outside\n")
    (tree / "link.txt").symlink_to("real.txt")
    (tree / "sub" / "up.txt").symlink_to("../real.txt")
    (tree / "sub-link").symlink_to("sub", target_is_directory=True)
    (tree / "abs.txt").symlink_to(tree / "real.txt")  # absolute, inside: made relative
    (tree / "out.txt").symlink_to("../outside/o.txt")  # out of the tree: a copy
    (tree / "sub" / "dätä.txt").write_text("ü\n")  # non-ASCII names survive (onefile too)
    (tree / "lïnk").symlink_to("sub/dätä.txt")
    return tree


EXPECTED_TREE = {
    "abs.txt": ["link", "real.txt", False],
    "link.txt": ["link", "real.txt", False],
    "lïnk": ["link", "sub/dätä.txt", False],
    "out.txt": ["file", "outside\n"],
    "real.txt": ["file", "real\n"],
    "sub": ["dir"],
    "sub-link": ["link", "sub", True],
    "sub/dätä.txt": ["file", "ü\n"],
    "sub/inner.txt": ["file", "inner\n"],
    "sub/up.txt": ["link", "../real.txt", False],
    "via-dir-link": "inner\n",
}


def test_add_data_keeps_symbolic_links(
    mode: Mode, link_tree: Path, frozen_app: FrozenAppFactory, tmp_path: Path
) -> None:
    app = frozen_app("linkapp", mode=mode, datas=((str(link_tree), "tree"),))
    assert _report(app, tmp_path) == EXPECTED_TREE
    if mode is Mode.ONEDIR:
        top = app.result.output / "_internal" / "tree"
        assert os.readlink(top / "sub" / "up.txt") == "../real.txt"
        assert (top / "real.txt").is_file() and not (top / "real.txt").is_symlink()


# -- where a onefile app unpacks: TMPDIR fallback, non-ASCII paths ---------------------------


def _unusable_tmpdirs(tmp: Path) -> list[Path]:
    missing = tmp / "missing"
    a_file = tmp / "a-file"
    a_file.write_text("")
    found = [missing, a_file]
    if os.geteuid() != 0:  # root writes into read-only folders
        read_only = tmp / "read-only"
        read_only.mkdir(mode=0o555)
        found.append(read_only)
    return found


def test_unusable_tmpdir_falls_back_like_tempfile(
    mode: Mode, parity: FrozenApp, tmp_path: Path
) -> None:
    fallback = tmp_path / "fallback"
    fallback.mkdir()
    for tmpdir in _unusable_tmpdirs(tmp_path):
        report = _report(parity, tmp_path, TMPDIR=str(tmpdir), TEMP=str(fallback))
        top = Path(str(report["meipass"]))
        if mode is Mode.ONEFILE:  # TEMP is next after TMPDIR, as in tempfile.gettempdir()
            assert top.parent == fallback and top.name.startswith("_MEI"), tmpdir
        else:
            assert top == parity.result.output / "_internal"
    assert list(fallback.iterdir()) == []  # removed at exit


@pytest.mark.parametrize(
    "names",
    [("dïr ünïcødé", "tëmp ü"), (os.fsdecode(b"lat\xe9in-1"), os.fsdecode(b"t\xe9mp"))],
    ids=["utf-8", "not-utf-8"],
)
def test_non_ascii_paths_with_the_c_locale(
    mode: Mode, parity: FrozenApp, tmp_path: Path, names: tuple[str, str]
) -> None:
    """The executable's folder and TMPDIR named in UTF-8, or in bytes that are not UTF-8."""
    home = tmp_path / names[0]
    tmpdir = tmp_path / names[1]
    tmpdir.mkdir()
    if mode is Mode.ONEFILE:
        executable = home / "äpp"
        home.mkdir()
        shutil.copy2(parity.executable, executable)
    else:
        shutil.copytree(parity.result.output, home, symlinks=True)
        executable = home / parity.executable.name
    result = subprocess.run(
        [str(executable)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmpdir, LC_ALL="C"),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    top = Path(str(report["meipass"]))
    assert top.parent == (tmpdir if mode is Mode.ONEFILE else home)
    assert report["get_data"] == "data next to the script\n"


def test_no_writable_temp_folder_is_one_line(mode: Mode, parity: FrozenApp, tmp_path: Path) -> None:
    """/tmp and /var/tmp read-only (private mount namespace), TMPDIR missing, cwd read-only:
    onefile names what it tried; onedir needs no temp folder and starts."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for read-only bind mounts")
    read_only = "; ".join(
        f"mount --bind {d} {d} && mount -o remount,bind,ro {d}" for d in ("/tmp", "/var/tmp")
    )
    script = f'{read_only} || exit 99; cd /tmp && exec "$0"'
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path / "missing"), "HOME": str(tmp_path)}
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, str(parity.executable)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    if result.returncode == 99:
        pytest.skip(f"cannot make read-only bind mounts here: {result.stderr.strip()}")
    if mode is Mode.ONEDIR:
        assert result.returncode == 0, result.stderr
        return
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"freezekit: cannot start {parity.executable}: found no folder to unpack into: TMPDIR "
        f"({tmp_path / 'missing'}), TEMP, TMP, /tmp, /var/tmp, /usr/tmp and the current folder "
        "are not writable folders; set TMPDIR to one\n"
    )
