"""original_environ() and the opt-in subprocess environment reset, on fake environments."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from freezekit.runtime import environ

TOP = "/tmp/_MEIfk123456"


def test_environ_restores_ld_library_path_from_orig() -> None:
    frozen = {
        "LD_LIBRARY_PATH": f"{TOP}:/opt/lib",
        "LD_LIBRARY_PATH_ORIG": "/opt/lib",
        "_FREEZEKIT_TOP_DIR": f"abcd:{TOP}",
        "HOME": "/root",
    }
    assert environ.original_environ(frozen, top_dir=TOP) == {
        "LD_LIBRARY_PATH": "/opt/lib",
        "HOME": "/root",
    }


def test_environ_removes_ld_library_path_the_caller_did_not_have() -> None:
    frozen = {"LD_LIBRARY_PATH": TOP, "_FREEZEKIT_TOP_DIR": f"abcd:{TOP}"}
    assert environ.original_environ(frozen, top_dir=TOP) == {}


def test_environ_keeps_entries_outside_the_top_dir_without_orig() -> None:
    frozen = {"LD_LIBRARY_PATH": f"{TOP}:{TOP}/sub:/app/added"}
    assert environ.original_environ(frozen, top_dir=TOP) == {"LD_LIBRARY_PATH": "/app/added"}


def test_environ_drops_top_dir_entries_from_search_paths() -> None:
    frozen = {
        "PATH": f"{TOP}/bin:/usr/bin:{TOP}:/bin",
        "DYLD_LIBRARY_PATH": f"{TOP}/lib",
        "LIBPATH": f"/x:{TOP}",
        "OTHER": f"{TOP}/keep",
    }
    assert environ.original_environ(frozen, top_dir=TOP) == {
        "PATH": "/usr/bin:/bin",
        "LIBPATH": "/x",
        "OTHER": f"{TOP}/keep",
    }


def test_environ_does_not_mistake_a_sibling_for_the_top_dir() -> None:
    frozen = {"PATH": f"{TOP}-other/bin:{TOP}x"}
    assert environ.original_environ(frozen, top_dir=TOP) == frozen


def test_environ_matches_the_top_dir_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    frozen = {"PATH": f"{real}/bin:/usr/bin"}
    assert environ.original_environ(frozen, top_dir=str(link)) == {"PATH": "/usr/bin"}


def test_environ_uses_sys_meipass_and_os_environ_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", TOP, raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", TOP)
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG", raising=False)
    monkeypatch.setenv("PATH", f"{TOP}:/usr/bin")
    result = environ.original_environ()
    assert "LD_LIBRARY_PATH" not in result
    assert result["PATH"] == "/usr/bin"
    assert os.environ["LD_LIBRARY_PATH"] == TOP  # the app's own environment is untouched


def test_environ_not_frozen_only_undoes_a_frozen_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    env = {"LD_LIBRARY_PATH": "/a:/b", "PATH": "/usr/bin"}
    assert environ.original_environ(env) == env
    inherited = {"LD_LIBRARY_PATH": "/x:/b", "LD_LIBRARY_PATH_ORIG": "/b"}
    assert environ.original_environ(inherited) == {"LD_LIBRARY_PATH": "/b"}


def test_environ_sanitizes_bytes_environments() -> None:
    frozen = {b"LD_LIBRARY_PATH": TOP.encode(), b"X": b"\xff"}
    assert environ.sanitize_environ(frozen, top_dir=TOP) == {b"X": b"\xff"}


def test_environ_knows_what_is_inside_the_bundle(tmp_path: Path) -> None:
    top = tmp_path / "_internal"
    (top / "bin").mkdir(parents=True)
    helper = top / "bin" / "helper"
    helper.write_text("#!/bin/sh\n")
    helper.chmod(0o755)
    assert environ.is_inside_bundle(str(helper), top_dir=str(top))
    assert environ.is_inside_bundle("helper", search_path=str(top / "bin"), top_dir=str(top))
    assert environ.is_inside_bundle(sys.executable, top_dir=str(top))
    assert not environ.is_inside_bundle("/bin/sh", top_dir=str(top))
    assert not environ.is_inside_bundle("no-such-program", search_path="/bin", top_dir=str(top))


# -- install_subprocess_reset: the launch functions are replaced by recorders ---------------


class Launched(Exception):
    """Raised by the recorders instead of starting a program."""

    def __init__(self, program: object, env: object) -> None:
        super().__init__(program)
        self.program, self.env = program, env


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Frozen-looking environment, recorders for the launches, the reset installed."""
    top = tmp_path / "_internal"
    top.mkdir()
    monkeypatch.setattr(sys, "_MEIPASS", str(top), raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", f"{top}:/orig")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/orig")
    monkeypatch.setenv("_FREEZEKIT_TOP_DIR", f"00:{top}")
    real = subprocess.Popen._execute_child
    names = real.__code__.co_varnames[1 : real.__code__.co_argcount]

    def execute_child(self: object, *args: object, **kwargs: object) -> None:
        values = dict(zip(names, args, strict=False)) | kwargs
        raise Launched(values["executable"] or values["args"], values["env"])

    def execve(path: str, args: object, env: object) -> None:
        raise Launched(path, env)

    def execv(path: str, args: object) -> None:
        raise Launched(path, None)

    execute_child.__wrapped__ = real  # type: ignore[attr-defined]
    monkeypatch.setattr(subprocess.Popen, "_execute_child", execute_child)
    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.setattr(os, "execv", execv)
    environ.install_subprocess_reset()
    yield top
    environ.uninstall_subprocess_reset()


def _launch(call: object) -> Launched:
    with pytest.raises(Launched) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_reset_gives_outside_programs_the_original_environment(installed: Path) -> None:
    launched = _launch(lambda: subprocess.Popen(["/bin/sh", "-c", "true"]))
    assert launched.env["LD_LIBRARY_PATH"] == "/orig"  # type: ignore[index]
    assert "_FREEZEKIT_TOP_DIR" not in launched.env  # type: ignore[operator]
    launched = _launch(lambda: subprocess.Popen("echo hi", shell=True))
    assert launched.env["LD_LIBRARY_PATH"] == "/orig"  # type: ignore[index]


def test_reset_sanitizes_a_given_environment(installed: Path) -> None:
    given = {"LD_LIBRARY_PATH": f"{installed}:/orig", "LD_LIBRARY_PATH_ORIG": "/orig", "A": "1"}
    launched = _launch(lambda: subprocess.Popen(["/bin/true"], env=given))
    assert launched.env == {"LD_LIBRARY_PATH": "/orig", "A": "1"}


def test_reset_keeps_the_frozen_environment_inside_the_bundle(installed: Path) -> None:
    launched = _launch(lambda: subprocess.Popen([sys.executable, "-V"]))
    assert launched.env is None
    helper = installed / "helper"
    launched = _launch(lambda: subprocess.Popen([str(helper)], env={"K": "v"}))
    assert launched.env == {"K": "v"}


def test_reset_covers_os_exec_and_spawn(installed: Path) -> None:
    launched = _launch(lambda: os.execv("/bin/true", ["true"]))
    assert launched.env["LD_LIBRARY_PATH"] == "/orig"  # type: ignore[index]
    launched = _launch(lambda: os.execl("/bin/true", "true"))
    assert launched.env["LD_LIBRARY_PATH"] == "/orig"  # type: ignore[index]
    launched = _launch(lambda: os.execvp("/bin/true", ["true"]))
    assert launched.env["LD_LIBRARY_PATH"] == "/orig"  # type: ignore[index]
    launched = _launch(lambda: os.execve(sys.executable, ["x"], {"K": "v"}))
    assert launched.env == {"K": "v"}


def test_reset_covers_posix_spawn(installed: Path) -> None:
    assert os.posix_spawn.__wrapped__ is not None  # type: ignore[attr-defined]
    seen: list[object] = []
    recorder = environ._posix_spawn_wrapper(lambda p, a, e, **kw: seen.append(e), search=False)
    recorder("/bin/true", ["true"], {"LD_LIBRARY_PATH_ORIG": "/o", "LD_LIBRARY_PATH": "x"})
    recorder(sys.executable, ["app"], {"LD_LIBRARY_PATH_ORIG": "/o"})
    assert seen == [{"LD_LIBRARY_PATH": "/o"}, {"LD_LIBRARY_PATH_ORIG": "/o"}]


def test_reset_uninstall_restores_the_originals(installed: Path) -> None:
    patched = subprocess.Popen._execute_child
    environ.uninstall_subprocess_reset()
    assert subprocess.Popen._execute_child is not patched
    assert not environ.is_subprocess_reset_installed()
    launched = _launch(lambda: subprocess.Popen(["/bin/true"]))
    assert launched.env is None
