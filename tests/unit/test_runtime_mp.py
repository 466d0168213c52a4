"""Recognising multiprocessing child command lines, captured from this Python's own code."""

from __future__ import annotations

import marshal
import multiprocessing.context
import multiprocessing.forkserver
import multiprocessing.resource_tracker
import multiprocessing.spawn
import multiprocessing.util
import sys
import types
from pathlib import Path

import pytest

from freezekit.runtime import main, mp

APP = "/opt/app/app"


class Captured(Exception):
    def __init__(self, args: list[str]) -> None:
        super().__init__("captured")
        self.argv = args


def _capture(monkeypatch: pytest.MonkeyPatch, start: types.MethodType) -> list[str]:
    """The command line ``start`` passes to multiprocessing.util.spawnv_passfds."""

    def spawnv_passfds(path: str, args: list[str], passfds: object) -> int:
        raise Captured([APP, *args[1:]])

    monkeypatch.setattr(multiprocessing.util, "spawnv_passfds", spawnv_passfds)
    with pytest.raises(Captured) as caught:
        start()
    return caught.value.argv


FLAG_SETS = [
    [],
    ["-B", "-S", "-I"],
    ["-OO", "-vv", "-Wignore::DeprecationWarning", "-X", "dev", "-X", "utf8", "-bb", "-E", "-s"],
    ["-d", "-q", "-P", "-Xfrozen_modules=on"],
]


@pytest.mark.parametrize("flags", FLAG_SETS)
def test_mp_recognises_the_resource_tracker(
    monkeypatch: pytest.MonkeyPatch, flags: list[str]
) -> None:
    monkeypatch.setattr(multiprocessing.util, "_args_from_interpreter_flags", lambda: list(flags))
    argv = _capture(monkeypatch, multiprocessing.resource_tracker.ResourceTracker().ensure_running)
    assert argv[: len(flags) + 2] == [APP, *flags, "-c"]
    kind, (code, rest) = mp.worker_command(argv)  # type: ignore[misc]
    assert (kind, rest) == ("exec", [])
    assert code.startswith("from multiprocessing.resource_tracker import main")


@pytest.mark.parametrize("flags", FLAG_SETS)
def test_mp_recognises_the_fork_server(monkeypatch: pytest.MonkeyPatch, flags: list[str]) -> None:
    monkeypatch.setattr(multiprocessing.util, "_args_from_interpreter_flags", lambda: list(flags))
    monkeypatch.setattr(multiprocessing.resource_tracker, "ensure_running", lambda: None)
    argv = _capture(monkeypatch, multiprocessing.forkserver.ForkServer().ensure_running)
    kind, (code, rest) = mp.worker_command(argv)  # type: ignore[misc]
    assert kind == "exec"
    assert code.startswith("from multiprocessing.forkserver import main")


def test_mp_recognises_the_frozen_spawn_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    argv = multiprocessing.spawn.get_command_line(tracker_fd=6, pipe_handle=8)
    assert argv[1] == "--multiprocessing-fork"
    assert mp.worker_command(argv) == ("spawn", {"tracker_fd": 6, "pipe_handle": 8})
    windows = [APP, "--multiprocessing-fork", "parent_pid=8752", "pipe_handle=1552"]
    assert mp.worker_command(windows) == ("spawn", {"parent_pid": 8752, "pipe_handle": 1552})
    assert mp.worker_command([APP, "--multiprocessing-fork", "parent_pid=None"]) == (
        "spawn",
        {"parent_pid": None},
    )


def test_mp_recognises_the_unfrozen_spawn_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", False, raising=False)
    argv = multiprocessing.spawn.get_command_line(tracker_fd=6, pipe_handle=8)
    kind, (code, rest) = mp.worker_command([APP, *argv[1:]])  # type: ignore[misc]
    assert kind == "exec"
    assert code.startswith("from multiprocessing.spawn import spawn_main")
    assert rest == ["--multiprocessing-fork"]


@pytest.mark.parametrize(
    "argv",
    [
        [APP],
        [APP, "--verbose"],
        [APP, "-c", "config.ini"],
        [APP, "-B", "-c", "print('not multiprocessing')"],
        [APP, "input.txt", "-c", "from multiprocessing.forkserver import main; main()"],
        [APP, "-c"],
        [APP, "--multiprocessing-fork", "oops"],
        [APP, "--multiprocessing-fork", "pipe_handle=x"],
        [APP, "-Z", "-c", "from multiprocessing.resource_tracker import main;main(5)"],
    ],
)
def test_mp_ignores_other_command_lines(argv: list[str]) -> None:
    assert mp.worker_command(argv) is None


def test_mp_freeze_support_is_a_no_op_for_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [APP, "--name", "x"])
    assert mp.freeze_support() is None


def test_mp_on_import_replaces_freeze_support(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multiprocessing.context.BaseContext, "freeze_support", lambda self: None)
    package = types.SimpleNamespace(freeze_support=None)
    mp.on_import_multiprocessing(package)
    assert package.freeze_support is mp.freeze_support
    assert multiprocessing.context.BaseContext.freeze_support is mp._context_freeze_support


def _fake_freezekit(top: Path, scripts: dict[str, str]) -> types.SimpleNamespace:
    code = {name: marshal.dumps(compile(src, name, "exec")) for name, src in scripts.items()}
    return types.SimpleNamespace(
        top_dir=str(top),
        toc=lambda: [("PYZ", "pyz"), *((name, "script") for name in code)],
        read=code.__getitem__,
    )


def test_mp_finds_the_frozen_main_script(tmp_path: Path) -> None:
    fake = _fake_freezekit(tmp_path, {"app.py": "VALUE = 3\n"})
    code = mp.frozen_script_code(str(tmp_path / "app.py"), fake)
    namespace: dict[str, object] = {}
    exec(code, namespace)
    assert namespace["VALUE"] == 3
    assert mp.frozen_script_code(str(tmp_path / "other.py"), fake) is None
    assert mp.frozen_script_code("/elsewhere/app.py", fake) is None
    (tmp_path / "app.py").write_text("")  # a real file is left to runpy
    assert mp.frozen_script_code(str(tmp_path / "app.py"), fake) is None
    assert mp.frozen_script_code(None, fake) is None


def test_mp_runs_the_frozen_main_as_mp_main(monkeypatch: pytest.MonkeyPatch) -> None:
    current = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", current)
    monkeypatch.setitem(sys.modules, "__mp_main__", current)
    spawn = types.SimpleNamespace(old_main_modules=[])
    code = compile("def work():\n    return __name__\n", "app.py", "exec")
    mp._run_frozen_main(spawn, "/top/app.py", code)
    main = sys.modules["__main__"]
    assert main is sys.modules["__mp_main__"]
    assert (main.work(), main.__file__) == ("__mp_main__", "/top/app.py")
    assert spawn.old_main_modules == [current]


def test_mp_patch_spawn_uses_the_frozen_main_only_when_there_is_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    spawn = types.SimpleNamespace(
        _fixup_main_from_path=calls.append,
        set_executable=lambda exe: calls.append(f"exe:{exe}"),
        old_main_modules=[],
    )
    mp.patch_spawn(spawn)
    mp.patch_spawn(spawn)  # idempotent
    assert calls == [f"exe:{sys.executable}"]
    spawn._fixup_main_from_path("/nonexistent/script.py")
    assert calls[-1] == "/nonexistent/script.py"
    assert spawn.freeze_support is mp.freeze_support


def test_mp_children_find_the_frozen_main_by_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = types.SimpleNamespace(
        top_dir=str(tmp_path), toc=lambda: [("app.py", "script")], read=lambda name: b""
    )
    module = types.ModuleType("__main__")
    module.__file__ = str(tmp_path / "app.py")
    main.set_main_spec(module, fake)
    monkeypatch.setitem(sys.modules, "__main__", module)
    data = {"init_main_from_name": "__main__", "sys_path": []}
    assert mp.main_by_path(dict(data)) == {
        "init_main_from_path": str(tmp_path / "app.py"),
        "sys_path": [],
    }
    module.__spec__ = None  # anything else is left as multiprocessing made it
    assert mp.main_by_path(dict(data)) == data
