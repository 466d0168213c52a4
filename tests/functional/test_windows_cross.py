"""Windows apps cross-frozen on this Linux host and run under wine64 (slow).

Each app is frozen for windows-x86_64 from python.org's embeddable CPython (checked by
scripts/install-windows-python.sh) and its .exe run under wine64: the output must equal what
the unfrozen app prints under the same Windows python, exit codes must come through, a onefile
app must leave no temp folder behind, and the smoke probes must pass.

CI runs one case (3.12 stdlib_app onefile); the full grid (hello,
stdlib_app and cliapp x 3.11, 3.12, 3.13 x onedir, onefile) runs with FREEZEKIT_WINDOWS_GRID=1
(`nox -s windows-cross`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from freezekit.analysis.imports import modulegraph_version
from freezekit.build import BuildResult
from freezekit.crossbuild import windows, windows_cross, windows_python
from freezekit.options import BuildOptions, Extract, Mode
from freezekit.smoke import run_probe, run_smoke

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
APPS = Path(__file__).resolve().parent / "apps"
CLIAPP = ROOT / "examples" / "cliapp"
GRID = bool(os.environ.get("FREEZEKIT_WINDOWS_GRID"))
# CI also runs freeze-windows-x86_64-3.12: cliapp onedir frozen, smoke-tested, its checks (exit
# codes 0 and 2, spawn workers) run; here one more case within CI's time budget
CI_SUBSET = {("stdlib_app", "3.12", "onefile")}
CASES = [
    (app, minor, mode)
    for app in ("hello", "stdlib_app", "cliapp")
    for minor in ("3.11", "3.12", "3.13")
    for mode in ("onedir", "onefile")
    if GRID or (app, minor, mode) in CI_SUBSET
]
# (arguments, what the app is asked to do) for each app
RUNS = {
    # quotes, trailing backslashes, an empty argument: the bootloader passes argv as the C
    # runtime of python.exe parses it
    "hello": [["a", "b c", 'q"uote', "tr\\ail\\", "", 'back\\\\"x'], ["exit3"], ["raise"]],
    "stdlib_app": [[]],
    "cliapp": [["3", "4", "--workers", "2"], ["three"]],
}


def _ready(minor: str) -> None:
    problems = windows_cross.cross_problems(minor)
    if problems:
        message = f"the Windows cross path is not installed: {'; '.join(problems)}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI runs scripts/install-mingw.sh and install-windows-python)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def prefix() -> Iterator[Path]:
    path = windows_cross.apps_prefix()
    if windows.find_wine() is None:
        _ready("3.12")
    with windows_cross.wine_running(path):  # one wineserver for the module's many starts
        yield path


_BUILT: dict[tuple[str, str, str], BuildResult] = {}


def _options(app: str, mode: str, out: Path) -> tuple[BuildOptions, Path | None]:
    common = {"distpath": out / "dist", "workpath": out / "work", "noconfirm": True}
    if app == "cliapp":
        from dataclasses import replace

        from freezekit.spec.pyproject import options_from_pyproject

        options = options_from_pyproject(CLIAPP / "pyproject.toml")
        return replace(options, mode=Mode(mode), **common), CLIAPP / "pyproject.toml"  # type: ignore[arg-type]
    datas: tuple[tuple[str, str], ...] = ()
    if app == "stdlib_app":
        datas = ((str(APPS / "stdlib_app" / "mypkg" / "data.txt"), "mypkg"),)
    script = APPS / app / f"{app}.py"
    return BuildOptions(
        scripts=(script,),
        name=app,
        mode=Mode(mode),
        datas=datas,
        **common,  # type: ignore[arg-type]
    ), None


def frozen(app: str, minor: str, mode: str, tmp_factory: pytest.TempPathFactory) -> BuildResult:
    key = (app, minor, mode)
    if key not in _BUILT:
        _ready(minor)
        options, pyproject = _options(app, mode, tmp_factory.mktemp(f"win-{app}-{minor}-{mode}"))
        _BUILT[key] = windows_cross.build_windows(
            options,
            windows_python.load(minor),
            requirements=windows_cross.project_requirements(pyproject),
        )
    return _BUILT[key]


def unfrozen(
    app: str, minor: str, args: list[str], prefix: Path
) -> subprocess.CompletedProcess[str]:
    """The app's source run by the same Windows python under wine."""
    py = windows_python.load(minor)
    if app == "cliapp":  # by path: spawn children re-import a __main__ file, not pkg.__main__
        folder, script = CLIAPP, CLIAPP / "cliapp" / "__main__.py"
    else:
        script = APPS / app / f"{app}.py"
        folder = script.parent
    code = (
        f"import runpy, sys; sys.path.insert(0, {str(folder)!r}); "
        f"sys.argv = [{str(script)!r}, *{args!r}]; "
        f"runpy.run_path({str(script)!r}, run_name='__main__')"
    )
    return windows.run_wine(py.exe, ["-c", code], prefix=prefix, cwd=folder, timeout=120)


def _temp_leftovers(prefix: Path) -> set[str]:
    return {str(p) for folder in windows.windows_temp_dirs(prefix) for p in folder.glob("_MEI*")}


@pytest.mark.parametrize(("app", "minor", "mode"), CASES, ids=["-".join(c) for c in CASES])
def test_windows_cross_app_runs_like_the_unfrozen_app(
    app: str, minor: str, mode: str, prefix: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    result = frozen(app, minor, mode, tmp_path_factory)
    assert result.executable.name == f"{app}.exe"
    if mode == "onedir":
        internal = result.output / "_internal"
        names = {p.name for p in internal.iterdir()}
        tag = minor.replace(".", "")
        assert {f"python{tag}.dll", "vcruntime140.dll", "base_library.zip"} <= names
        assert not any(p.suffix == ".so" for p in internal.rglob("*"))
    for args in RUNS[app]:
        before = _temp_leftovers(prefix)
        got = windows.run_wine(result.executable, args, prefix=prefix, cwd=result.output.parent)
        want = unfrozen(app, minor, args, prefix)
        assert got.returncode == want.returncode, (args, got.stderr, want.stderr)
        expected = want.stdout
        if app == "hello":  # it prints sys.frozen: the one intended difference
            expected = expected.replace("] False\n", "] True\n")
        assert got.stdout == expected, args
        if args == ["raise"]:
            assert "ValueError: boom" in got.stderr and "ValueError: boom" in want.stderr
        if mode == "onefile":
            assert _temp_leftovers(prefix) == before, "the onefile temp folder was left behind"
    if app == "hello":
        assert windows.run_wine(result.executable, ["exit3"], prefix=prefix).returncode == 3


@pytest.mark.parametrize(("app", "minor", "mode"), CASES, ids=["-".join(c) for c in CASES])
def test_windows_cross_smoke_probes_pass_under_wine(
    app: str, minor: str, mode: str, prefix: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if not GRID:
        pytest.skip("CI's freeze-windows-x86_64-3.12 runs them (FREEZEKIT_WINDOWS_GRID=1 here)")
    result = frozen(app, minor, mode, tmp_path_factory)
    outcomes = run_smoke(result.executable)
    failed = [(o.probe, o.detail) for o in outcomes if not o.ok]
    assert not failed
    ran = {o.probe for o in outcomes if not o.detail.startswith("skipped")}
    assert {"mp-spawn", "windowed-stdio", "restart", "data", "imports", "env-reset"} <= ran


def _cache_folders(prefix: Path, pattern: str) -> set[Path]:
    return set((prefix / "drive_c" / "users").glob(f"*/AppData/Local/{pattern}"))


def test_windows_cross_onefile_cache_mode_unpacks_under_localappdata(
    prefix: Path, tmp_path: Path
) -> None:
    """Cache mode on Windows unpacks into %LOCALAPPDATA%\\freezekit\\<app>-<content id> (not a
    Unix-style .cache folder), and a second start reuses that folder."""
    _ready("3.12")
    name = f"cachehello{os.getpid()}"
    built = windows_cross.build_windows(
        BuildOptions(
            scripts=(APPS / "hello" / "hello.py",),
            name=name,
            mode=Mode.ONEFILE,
            onefile_extract=Extract.CACHE,
            distpath=tmp_path / "dist",
            workpath=tmp_path / "work",
            noconfirm=True,
        ),
        windows_python.load("3.12"),
    )
    environment = {"XDG_CACHE_HOME": ""}  # the host's value must not reach the app
    try:
        first = windows.run_wine(built.executable, ["x"], prefix=prefix, env=environment)
        assert first.returncode == 0, first.stderr
        made = _cache_folders(prefix, f"freezekit/{name}-*")
        assert len(made) == 1, made
        folder = made.pop()
        assert (folder / ".freezekit-complete").is_file()
        assert not _cache_folders(prefix, f".cache/freezekit/{name}-*")
        marker = (folder / ".freezekit-complete").stat().st_mtime_ns
        again = windows.run_wine(built.executable, ["x"], prefix=prefix, env=environment)
        assert (again.returncode, again.stdout) == (0, first.stdout)
        assert _cache_folders(prefix, f"freezekit/{name}-*") == {folder}
        assert (folder / ".freezekit-complete").stat().st_mtime_ns == marker  # reused
    finally:
        for old in _cache_folders(prefix, f"freezekit/{name}-*"):
            shutil.rmtree(old, ignore_errors=True)


def test_windows_cross_env_reset_probe_checks_path_and_dll_directory(
    prefix: Path, tmp_path: Path
) -> None:
    """The env-reset probe under wine: cmd.exe started with original_environ() and with the
    automatic reset sees the caller's PATH (not the bundle's folders a runtime hook may add)
    and no freezekit variables; the reset creates it with no DLL directory and gives the app
    its DLL directory (the top directory) back. ctypes is bundled so the probe can read it.
    The analysis under wine keys its scan cache by the host's modulegraph2 version (the
    Windows python has no modulegraph2 metadata: it used to be "mgunknown")."""
    _ready("3.12")
    started = time.time()
    script = tmp_path / "envhello.py"
    # a module the scan cache has not seen: the analysis saves the cache file
    (tmp_path / "envhelper.py").write_text("VALUE = 1\n")
    script.write_text("import envhelper\n\n" + (APPS / "hello" / "hello.py").read_text())
    built = windows_cross.build_windows(
        BuildOptions(
            scripts=(script,),
            name="envhello",
            mode=Mode.ONEFILE,
            hidden_imports=("ctypes",),
            distpath=tmp_path / "dist",
            workpath=tmp_path / "work",
            noconfirm=True,
        ),
        windows_python.load("3.12"),
    )
    scans = prefix / "drive_c" / "users"
    name = f"py312-cpython-312-mg{modulegraph_version()}.marshal"
    written = [
        p for p in scans.glob(f"*/.cache/freezekit/scan/{name}") if p.stat().st_mtime >= started
    ]
    assert written, f"no {name} written by the analysis under wine"
    outcome = run_probe(built.executable, "env-reset", timeout=180)
    assert (outcome.status, outcome.ok) == ("ok", True), outcome.detail
    assert "caller's PATH" in outcome.detail and "DLL directory ''" in outcome.detail
    restart = run_probe(built.executable, "restart", timeout=180)
    assert restart.status == "ok", restart.detail


def test_windows_cross_no_windows_wheel_is_one_line(tmp_path: Path) -> None:
    _ready("3.12")
    with pytest.raises(windows_cross.AnalysisError) as caught:
        # uvloop publishes no Windows wheels
        windows_cross.fetch_windows_wheels(["uvloop==0.19.0"], "3.12", tmp_path / "site")
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith("no Windows wheel of uvloop==0.19.0 for CPython 3.12")
    assert "win_amd64" in message
    assert not (tmp_path / "site").exists()


def test_windows_cross_utf8_option_sets_utf8_mode(prefix: Path, tmp_path: Path) -> None:
    """`--python-option "X utf8"` is UTF-8 mode (pre-configuration): without it a Windows app
    writes pipes in the ANSI code page (cp1252), as python.exe does."""
    if not GRID:
        pytest.skip("FREEZEKIT_WINDOWS_GRID=1 runs it")
    _ready("3.12")
    script = tmp_path / "uni.py"
    script.write_text(
        "import sys\nprint(sys.stdout.encoding, sys.flags.utf8_mode)\nprint('h\\u00e9 \\u2713')\n",
        encoding="utf-8",
    )
    for options, expected in (
        ((), b"cp1252 0\r\n"),
        (("X utf8",), "utf-8 1\r\nh\u00e9 \u2713\r\n".encode()),
    ):
        built = windows_cross.build_windows(
            BuildOptions(
                scripts=(script,),
                name="uni",
                distpath=tmp_path / "dist",
                workpath=tmp_path / "work",
                noconfirm=True,
                python_options=options,
            ),
            windows_python.load("3.12"),
        )
        launcher, extra = (
            [str(windows.find_wine())],
            {"WINEPREFIX": str(prefix), "WINEDEBUG": "-all"},
        )
        done = subprocess.run(
            [*launcher, str(built.executable)],
            capture_output=True,
            env={**os.environ, **extra},
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        assert done.stdout.startswith(expected), (options, done.stdout, done.stderr)


DEP_APP = """\
import attrs
import markupsafe
from markupsafe import _speedups


@attrs.define
class P:
    x: int


print(P(3), markupsafe.escape("<b>"), _speedups.__file__.replace("\\\\", "/").rsplit("/", 1)[-1])
"""


def test_windows_cross_app_with_windows_wheels(prefix: Path, tmp_path: Path) -> None:
    """[project] dependencies come as win_amd64 wheels: a pure one (attrs) and one with an
    extension module (markupsafe's _speedups.pyd), which lands in its package folder."""
    if not GRID:
        pytest.skip("FREEZEKIT_WINDOWS_GRID=1 runs it")
    _ready("3.12")
    (tmp_path / "app.py").write_text(DEP_APP)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "depapp"\nversion = "1"\n'
        'dependencies = ["attrs", "markupsafe==2.1.5"]\n'
        '[tool.freezekit]\nscripts = ["app.py"]\nname = "depapp"\n'
    )
    from dataclasses import replace

    from freezekit.spec.pyproject import options_from_pyproject

    options = replace(
        options_from_pyproject(pyproject),
        distpath=tmp_path / "dist",
        workpath=tmp_path / "work",
        noconfirm=True,
    )
    built = windows_cross.build_windows(
        options,
        windows_python.load("3.12"),
        requirements=windows_cross.project_requirements(pyproject),
    )
    assert (built.output / "_internal" / "markupsafe" / "_speedups.cp312-win_amd64.pyd").is_file()
    got = windows.run_wine(built.executable, prefix=prefix)
    site = tmp_path / "work" / "depapp" / "windows-site"
    code = (
        f"import runpy, sys; sys.path[:0] = [{str(site)!r}]; "
        f"runpy.run_path({str(tmp_path / 'app.py')!r}, run_name='__main__')"
    )
    want = windows.run_wine(windows_python.load("3.12").exe, ["-c", code], prefix=prefix)
    assert (got.returncode, got.stdout) == (0, want.stdout)
    assert got.stdout == "P(x=3) &lt;b&gt; _speedups.cp312-win_amd64.pyd\n"
