"""The three freezers behind one Freezer protocol, and what one build is."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from benchkit.config import CX_FREEZE, FREEZEKIT, ONEDIR, ONEFILE, PYINSTALLER, ROOT


@dataclass(frozen=True, kw_only=True)
class App:
    name: str
    script: Path
    expected_stdout: str


@dataclass(frozen=True, kw_only=True)
class BuildJob:
    """One build of one app: where it works and where it writes."""

    app: App
    mode: str
    root: Path
    clean: bool = True
    cache_extract: bool = False  # freezekit's onefile_extract=cache

    @property
    def workpath(self) -> Path:
        return self.root / "work"

    @property
    def distpath(self) -> Path:
        return self.root / "dist"


# ---------------------------------------------------------------- freezers


class Freezer(Protocol):
    name: str
    modes: tuple[str, ...]

    def command(self, job: BuildJob) -> list[str]: ...

    def executable(self, job: BuildJob) -> Path: ...

    def output(self, job: BuildJob) -> Path: ...


class _DistLayout:
    """dist/<name>/<name> for onedir, dist/<name> for onefile (freezekit and PyInstaller)."""

    def output(self, job: BuildJob) -> Path:
        return job.distpath / job.app.name

    def executable(self, job: BuildJob) -> Path:
        out = self.output(job)
        return out / job.app.name if job.mode == ONEDIR else out


class FreezekitFreezer(_DistLayout):
    name: str = FREEZEKIT
    modes: tuple[str, ...] = (ONEDIR, ONEFILE)

    def command(self, job: BuildJob) -> list[str]:
        return [
            sys.executable, str(ROOT / "bench" / "freezekit_build.py"), str(job.app.script),
            "--distpath", str(job.distpath), "--workpath", str(job.workpath),
            *(["--onefile"] if job.mode == ONEFILE else []),
            *(["--extract", "cache"] if job.cache_extract else []),
            *(["--clean"] if job.clean else []),
        ]  # fmt: skip


class PyInstallerFreezer(_DistLayout):
    name: str = PYINSTALLER
    modes: tuple[str, ...] = (ONEDIR, ONEFILE)

    def command(self, job: BuildJob) -> list[str]:
        return [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--distpath", str(job.distpath), "--workpath", str(job.workpath),
            "--specpath", str(job.workpath),
            *(["--onefile"] if job.mode == ONEFILE else []),
            *(["--clean"] if job.clean else []),
            str(job.app.script),
        ]  # fmt: skip


class CxFreezeFreezer:
    """cx_Freeze has no onefile mode; its folder build is compared with onedir. It has no
    build cache either: a rebuild is the same command into the same target folder."""

    name: str = CX_FREEZE
    modes: tuple[str, ...] = (ONEDIR,)

    def command(self, job: BuildJob) -> list[str]:
        cxfreeze = Path(sys.executable).parent / "cxfreeze"
        return [
            str(cxfreeze),
            "--script",
            str(job.app.script),
            "--target-dir",
            str(self.output(job)),
            "build_exe",
            "--silent",
        ]

    def output(self, job: BuildJob) -> Path:
        return job.distpath / job.app.name

    def executable(self, job: BuildJob) -> Path:
        return self.output(job) / job.app.name


FREEZERS: tuple[Freezer, ...] = (FreezekitFreezer(), PyInstallerFreezer(), CxFreezeFreezer())
