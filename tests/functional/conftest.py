"""Functional fixtures: freeze a real app once per module and run the real executable."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from freezekit.build import BuildResult, build
from freezekit.options import BuildOptions, Mode

APPS = Path(__file__).resolve().parent / "apps"


def pyenv_pythons() -> list[Path]:
    """Every pyenv CPython 3.10-3.13 with a shared libpython (the local matrix cells)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found: dict[str, Path] = {}
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        candidates = sorted(
            root.glob(f"{minor}.*"),
            key=lambda p: [int(x) for x in p.name.split(".") if x.isdigit()],
        )
        for folder in reversed(candidates):
            exe = folder / "bin" / "python3"
            if exe.exists():
                found[minor] = exe
                break
    return list(found.values())


@dataclass(frozen=True)
class FrozenApp:
    result: BuildResult

    @property
    def executable(self) -> Path:
        return self.result.executable

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 60, **kw: object
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.executable), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            **kw,  # type: ignore[arg-type]
        )


FrozenAppFactory = Callable[..., FrozenApp]


def test_options(
    tmp: Path, script: Path, *, mode: Mode = Mode.ONEDIR, **kw: object
) -> BuildOptions:
    """Options for a test build of ``script`` into ``tmp`` (dist/ and build/ inside it)."""
    options = BuildOptions(
        scripts=(script,),
        name=script.stem,
        mode=mode,
        distpath=tmp / "dist",
        workpath=tmp / "build",
        noconfirm=True,
    )
    return replace(options, **kw)  # type: ignore[arg-type]


test_options.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def freeze(
    tmp: Path, script: Path, *, mode: Mode = Mode.ONEDIR, python: Path | None = None, **kw: object
) -> FrozenApp:
    options = test_options(tmp, script, mode=mode, python=python, **kw)
    return FrozenApp(build(options))


@pytest.fixture(scope="module")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrozenAppFactory]:
    cache: dict[tuple[object, ...], FrozenApp] = {}

    def factory(
        app: str,
        *,
        mode: Mode = Mode.ONEDIR,
        python: Path | None = None,
        script: str | None = None,
        **kw: object,
    ) -> FrozenApp:
        key = (app, mode, python, script, tuple(sorted(kw.items())))
        if key not in cache:
            tmp = tmp_path_factory.mktemp(f"{app}-{mode.value}")
            cache[key] = freeze(
                tmp, APPS / app / (script or f"{app}.py"), mode=mode, python=python, **kw
            )
        return cache[key]

    yield factory


def run_plain(python: Path | str, script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), str(script), *args], capture_output=True, text=True)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m freezekit ARGS`` in ``cwd``, without a terminal (stdin closed)."""
    return subprocess.run(
        [sys.executable, "-m", "freezekit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
