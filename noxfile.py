"""The project's own sessions. Thin callers: the work is in freezekit's Python API.

`tests` and `lint` run in the environment nox itself is installed in (the .venv that
setup.sh makes), so CI does not install everything twice.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
# Sessions without a venv of their own run with the interpreter nox runs in (setup.sh's .venv),
# whatever `python` on PATH is.
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))

from freezekit.nox import declare_freeze_sessions, declare_wheel_sessions  # noqa: E402

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "tests"]

# freeze-<cell> for every matrix cell, `freeze` (every cell this host can run), matrix, release
declare_freeze_sessions(ROOT / "examples" / "cliapp" / "pyproject.toml")
# wheels-<cell> (cibuildwheel) and sdist: freezekit's own platform wheels
declare_wheel_sessions()


@nox.session(venv_backend="none", tags=["test"])
def tests(session: nox.Session) -> None:
    """Unit tests and the slow functional tests that freeze and run real apps."""
    args = session.posargs or ["-m", "slow or not slow", "--durations=25"]
    session.run(PYTHON, "-m", "pytest", *args, env={"PYTHONHASHSEED": "0"}, external=True)


@nox.session(venv_backend="none", tags=["lint"])
def lint(session: nox.Session) -> None:
    """Formatting, lint, types, the layering rule and the archive-header drift check."""
    paths = ["freezekit", "tests", "bench", "corpus", "noxfile.py", "tasks.py"]
    session.run(PYTHON, "-m", "ruff", "format", "--check", *paths, external=True)
    session.run(PYTHON, "-m", "ruff", "check", *paths, external=True)
    session.run(PYTHON, "-m", "mypy", external=True)
    session.run(
        PYTHON,
        "-m",
        "pytest",
        "-q",
        "tests/unit/test_layering.py",
        "tests/unit/test_archive_roundtrip.py::test_c_header_matches_format",
        external=True,
    )


@nox.session(venv_backend="none", tags=["bootloader"])
def bootloader(session: nox.Session) -> None:
    """Build the bootloader for every local Python and run the C archive tests."""
    from freezekit.assemble.bootloader import build_bootloader
    from freezekit.platforms import headers_target

    sys.path.insert(0, str(ROOT / "tests" / "functional"))
    from conftest import pyenv_pythons  # type: ignore[import-not-found]

    if sys.platform == "darwin" and not Path("/opt/homebrew/lib/libzstd.a").exists():
        session.run("brew", "install", "zstd", external=True)  # the static libzstd
    # every local matrix Python; a CI runner without pyenv builds for the one running nox
    for python in pyenv_pythons() or [Path(sys.executable)]:
        target = headers_target(python)
        for windowed in (False, True):
            path = build_bootloader(
                target,
                windowed=windowed,
                debug=False,
                build_dir=ROOT / "build" / "bootloader" / f"{target.tag}{'-w' if windowed else ''}",
            )
            session.log(f"bootloader {target.tag}{' windowed' if windowed else ''}: {path}")
    session.run(
        PYTHON,
        "-m",
        "pytest",
        "-q",
        "tests/functional/test_bootloader_archives.py",
        env={"CI": os.environ.get("CI", "")},
        external=True,
    )


@nox.session(venv_backend="none", tags=["fuzz"])
def fuzz(session: nox.Session) -> None:
    """libFuzzer (ASan + UBSan) over the bootloader's archive reader and extraction
    (`-- --seconds N`, `-- --runs N`); needs clang: `bash scripts/install-fuzz.sh`."""
    import shutil

    if not any(shutil.which(f"clang{v}") for v in ("", "-14", "-15", "-16", "-17", "-18")):
        _missing(session, "clang is not installed; run `bash scripts/install-fuzz.sh`")
    session.run(
        PYTHON, str(ROOT / "bootloader" / "fuzz" / "fuzz.py"), *session.posargs, external=True
    )


@nox.session(python=False, tags=["bench"])
def bench(session: nox.Session) -> None:
    """freezekit vs PyInstaller vs cx_Freeze, side by side in one run (`-- --quick`: hello only)."""
    venv = ROOT / ".nox" / "bench-env"
    python = venv / "bin" / "python"
    if not python.exists():
        session.run(sys.executable, "-m", "venv", str(venv), external=True)
    session.run(
        str(python),
        "-m",
        "pip",
        "install",
        "-q",
        # a plain path entry, as a regular install has: the default editable mode adds an
        # import hook that costs every freezekit process ~12 ms at start (PyInstaller and
        # cx_Freeze are regular installs in the same venv)
        "--config-settings",
        "editable_mode=compat",
        "-e",
        str(ROOT),
        "-r",
        str(ROOT / "bench" / "requirements.txt"),
        external=True,
    )
    # freezekit as a platform wheel installs it (PyInstaller's wheel ships its bootloaders too):
    # the bootloaders for this Python compiled now, not in a timed first build
    prebuild = "from freezekit.assemble.bootloader import prebuild; prebuild()"
    session.run(str(python), "-c", prebuild, external=True)
    session.run(str(python), str(ROOT / "bench" / "run.py"), *session.posargs, external=True)


@nox.session(venv_backend="none", tags=["corpus"])
def corpus(session: nox.Session) -> None:
    """Popular PyPI packages frozen with no flags by freezekit and PyInstaller, side by side
    (`-- --only babel,pytz --no-pyinstaller --jobs N --python 3.13 --smoke --write-docs`)."""
    session.run(PYTHON, str(ROOT / "corpus" / "run.py"), *session.posargs, external=True)


# -- beyond linux-x86_64: cross-bitness freeze and the Windows bootloader ----------------------


def _missing(session: nox.Session, message: str) -> None:
    """A prerequisite is missing: a failure under CI (CI set), a skip on a developer machine."""
    from freezekit.nox import is_ci

    if is_ci():
        session.error(f"{message} (CI is set: a session that cannot run is a failure)")
    session.skip(message)


@nox.session(name="freeze-linux-i686-3.11-cross", venv_backend="none", tags=["cross"])
def freeze_linux_i686_cross(session: nox.Session) -> None:
    """Freeze the example for linux-i686-3.11 on this x86_64 host (Debian's i386 libpython)."""
    from freezekit import crossbuild
    from freezekit.errors import FreezekitError
    from freezekit.log import LineReporter
    from freezekit.nox import app_from_pyproject

    problems = crossbuild.i386_problems("3.11")
    if problems:
        _missing(
            session,
            f"linux-i686-3.11: missing {', '.join(problems)}; install them with "
            f"`{crossbuild.INSTALL_I386}` as root, which does: "
            f"{crossbuild.i386_apt_command('3.11')}",
        )
    pyproject = ROOT / "examples" / "cliapp" / "pyproject.toml"
    version = os.environ.get("FREEZEKIT_RELEASE_VERSION", "").removeprefix("v")
    try:
        published = crossbuild.freeze_cell_cross(
            pyproject,
            "linux-i686-3.11",
            target=crossbuild.debian_i386_target("3.11"),
            work_dir=ROOT / "build" / "freeze" / "linux-i686-3.11",
            publish_dir=ROOT / "dist" / "linux-i686-3.11",
            version=version or app_from_pyproject(pyproject).version,
            reporter=LineReporter(session.log),
        )
    except FreezekitError as exc:
        session.error(f"{exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""))
    session.log(f"published {published.archive} (sha256 {published.sha256})")


@nox.session(name="bootloader-windows", venv_backend="none", tags=["cross", "bootloader"])
def bootloader_windows(session: nox.Session) -> None:
    """Cross-compile the Windows bootloader (mingw-w64) and check it under wine64."""
    from freezekit.crossbuild import windows
    from freezekit.errors import FreezekitError

    problems = windows.windows_problems("3.11")
    if problems:
        _missing(
            session,
            f"bootloader-windows: missing {', '.join(problems)}; install them with "
            f"`{windows.INSTALL_MINGW}` as root, which does: "
            f"{windows.mingw_apt_command('3.11')}",
        )
    try:
        built, checks = windows.build_and_check(
            include=windows.windows_root() / "include" / "python3.11",
            fixtures=ROOT / "tests" / "fixtures" / "archives",
            work=ROOT / "build" / "bootloader" / "windows",
            python=(3, 11),
        )
    except FreezekitError as exc:
        session.error(f"{exc.message}" + (f" (hint: {exc.hint})" if exc.hint else ""))
    for build in built:
        session.log(f"{build.name}: {build.run} ({build.run.stat().st_size} bytes)")
    for check in checks:
        session.log(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    failed = [check.name for check in checks if not check.ok]
    session.log(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    if failed:
        session.error(f"Windows bootloader checks failed: {', '.join(failed)}")
    session.log(
        "not run: the i686 builds (wine64 runs 64-bit programs only); apps end to end: "
        "nox -s freeze-windows-x86_64-3.12 and windows-cross"
    )


@nox.session(name="windows-cross", venv_backend="none", tags=["cross"])
def windows_cross_grid(session: nox.Session) -> None:
    """The Windows cross path's full grid under wine64: hello, stdlib_app and cliapp x 3.11,
    3.12 x onedir, onefile, each compared with its unfrozen run, and their smoke probes."""
    from freezekit.crossbuild import windows_cross

    problems = [p for minor in ("3.11", "3.12") for p in windows_cross.cross_problems(minor)]
    if problems:
        _missing(session, f"windows-cross: missing {'; '.join(dict.fromkeys(problems))}")
    session.run(
        PYTHON,
        "-m",
        "pytest",
        "-q",
        "tests/functional/test_windows_cross.py",
        *session.posargs,
        env={"FREEZEKIT_WINDOWS_GRID": "1"},
        external=True,
    )
