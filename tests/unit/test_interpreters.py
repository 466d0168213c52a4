"""Finding a Python X.Y of a given bitness: pyenv, PATH, setup-python, the py launcher."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from freezekit.platforms import Os
from freezekit.release.interpreters import (
    HostPlatform,
    Interpreter,
    find_interpreter,
    normalize_arch,
    py_launcher_argv,
    pyenv_candidates,
    pyenv_roots,
)

LINUX = HostPlatform(os=Os.LINUX, arch="x86_64")
WINDOWS = HostPlatform(os=Os.WINDOWS, arch="x86_64")


def _pyenv(root: Path, *versions: str, windows: bool = False) -> None:
    for version in versions:
        folder = root / "versions" / version
        exe = folder / "python.exe" if windows else folder / "bin" / f"python{version[:4]}"
        exe.parent.mkdir(parents=True, exist_ok=True)
        exe.write_text("")


def test_interpreters_normalize_arch() -> None:
    assert normalize_arch("AMD64", Os.WINDOWS) == "x86_64"
    assert normalize_arch("x86", Os.WINDOWS) == "i686"
    assert normalize_arch("aarch64", Os.MACOS) == "arm64"
    assert normalize_arch("arm64", Os.LINUX) == "aarch64"


def test_interpreters_pyenv_root_from_env_or_home(tmp_path: Path) -> None:
    assert pyenv_roots({"PYENV_ROOT": "/opt/pyenv"}, tmp_path)[0] == Path("/opt/pyenv")
    assert pyenv_roots({}, tmp_path)[0] == tmp_path / ".pyenv"


def test_interpreters_pyenv_newest_patch_first(tmp_path: Path) -> None:
    _pyenv(tmp_path, "3.12.1", "3.12.10", "3.12.3", "3.11.9", "3.12.0rc1", "3.120.1")
    found = pyenv_candidates("3.12", 64, [tmp_path], windows=False)
    assert [p.parent.parent.name for p in found] == ["3.12.10", "3.12.3", "3.12.1"]


def test_interpreters_pyenv_win_bitness_by_suffix(tmp_path: Path) -> None:
    _pyenv(tmp_path, "3.12.1", "3.12.1-win32", windows=True)
    assert [p.parent.name for p in pyenv_candidates("3.12", 32, [tmp_path], windows=True)] == [
        "3.12.1-win32"
    ]
    assert [p.parent.name for p in pyenv_candidates("3.12", 64, [tmp_path], windows=True)] == [
        "3.12.1"
    ]


def test_interpreters_find_checks_version_and_bits(tmp_path: Path) -> None:
    _pyenv(tmp_path, "3.12.1")
    asked: list[Sequence[str]] = []

    def probe(argv: Sequence[str]) -> Interpreter | None:
        asked.append(argv)
        return Interpreter(
            path=Path(argv[0]), version=(3, 12, 1), bits=64, os=Os.LINUX, arch="x86_64"
        )

    found = find_interpreter(
        "3.12",
        64,
        host=LINUX,
        env={"PYENV_ROOT": str(tmp_path)},
        home=tmp_path,
        probe=probe,
        which=lambda name: None,
    )
    assert found is not None and found.path.name == "python3.12"
    assert (
        find_interpreter(
            "3.12",
            32,
            host=LINUX,
            env={"PYENV_ROOT": str(tmp_path)},
            home=tmp_path,
            probe=probe,
            which=lambda name: None,
        )
        is None
    )


def test_interpreters_find_uses_path_then_py_launcher_on_windows(tmp_path: Path) -> None:
    asked: list[list[str]] = []

    def probe(argv: Sequence[str]) -> Interpreter | None:
        asked.append(list(argv))
        if argv[0] == "py":
            return Interpreter(
                path=Path("C:/Python312-32/python.exe"),
                version=(3, 12, 4),
                bits=32,
                os=Os.WINDOWS,
                arch="i686",
            )
        return Interpreter(
            path=Path(argv[0]), version=(3, 12, 4), bits=64, os=Os.WINDOWS, arch="x86_64"
        )

    found = find_interpreter(
        "3.12",
        32,
        host=WINDOWS,
        env={},
        home=tmp_path,
        probe=probe,
        which=lambda name: f"C:/bin/{name}.exe",
    )
    assert asked == [["C:/bin/python3.12.exe"], ["py", "-3.12-32"]]
    assert found is not None and found.bits == 32 and found.minor == "3.12"
    assert py_launcher_argv("3.10", 64) == ["py", "-3.10-64"]
