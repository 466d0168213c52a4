"""start(): null streams, worker pre-check, smoke dispatch, subprocess reset, runtime hooks."""

from __future__ import annotations

import io
import marshal
import sys
import types
from pathlib import Path

import pytest

from freezekit.runtime import environ, main


def fake_freezekit(
    top: Path, *, options: tuple[str, ...] = (), hooks: dict[str, str] | None = None
) -> types.SimpleNamespace:
    entries = [(name, "runtime_hook", marshal.dumps(compile(src, name, "exec")))
               for name, src in (hooks or {}).items()]  # fmt: skip
    entries.insert(1, ("app.py", "script", b"not run by start()"))
    return types.SimpleNamespace(
        top_dir=str(top),
        windowed=False,
        options=options,
        toc=lambda: [(name, kind) for name, kind, _ in entries],
        read=lambda name: {n: d for n, _, d in entries}[name],
    )


def test_main_replaces_missing_streams_with_null_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__"):
        monkeypatch.setattr(sys, name, None)
    main.ensure_stdio()
    try:
        print("goes nowhere")
        sys.stderr.flush()
        assert sys.stdin.read() == ""
        assert sys.__stderr__ is sys.stderr
    finally:
        for stream in (sys.stdin, sys.stdout, sys.stderr):
            stream.close()


def test_main_windowed_replaces_unusable_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    good = io.StringIO()  # fileno() raises: unusable
    monkeypatch.setattr(sys, "stdout", good)
    main.ensure_stdio(windowed=False)
    assert sys.stdout is good
    main.ensure_stdio(windowed=True)
    try:
        assert sys.stdout is not good
        assert sys.stdout.name == ("nul" if sys.platform == "win32" else "/dev/null")
    finally:
        sys.stdout.close()


def test_main_keeps_usable_streams(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with open(tmp_path / "out", "w") as stream:
        monkeypatch.setattr(sys, "stdout", stream)
        main.ensure_stdio(windowed=True)
        assert sys.stdout is stream


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["app"], False),
        (["app", "--multiprocessing-fork", "pipe_handle=3"], True),
        (["app", "-B", "-S", "-I", "-c", "from multiprocessing.x import main"], True),
        (["app", "-c", "x"], True),  # only a pre-check: mp.worker_command decides
        (["app", "file.txt", "-v"], False),
    ],
)
def test_main_worker_precheck(argv: list[str], expected: bool) -> None:
    assert main.looks_like_worker(argv) is expected


def test_main_runs_runtime_hooks_in_toc_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(sys, "_fk_test_calls", calls, raising=False)
    source = "import sys\nsys._fk_test_calls.append((__name__, __file__))\nX = 1\n"
    fake = fake_freezekit(tmp_path, hooks={"rthook-00-b.py": source, "rthook-01-a.py": source})
    main.start(freezekit_module=fake, argv=["app"])
    assert calls == [
        ("rthook-00-b", str(tmp_path / "rthook-00-b.py")),
        ("rthook-01-a", str(tmp_path / "rthook-01-a.py")),
    ]


def test_main_runs_the_smoke_probe_instead_of_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FREEZEKIT_SMOKE", "no-such-probe")
    with pytest.raises(SystemExit) as caught:
        main.start(freezekit_module=fake_freezekit(tmp_path), argv=["app"])
    assert caught.value.code == 2
    assert (
        "unknown smoke probe 'no-such-probe'; the probes are: mp-spawn" in capsys.readouterr().err
    )


def test_main_no_smoke_option_refuses_probes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FREEZEKIT_SMOKE", "data")
    fake = fake_freezekit(tmp_path, options=("freezekit:no-smoke",))
    with pytest.raises(SystemExit) as caught:
        main.start(freezekit_module=fake, argv=["app"])
    assert caught.value.code == 2
    assert "smoke probes disabled" in capsys.readouterr().err


def test_main_installs_the_subprocess_reset_on_option(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[str] = []
    monkeypatch.delenv("FREEZEKIT_SMOKE", raising=False)
    monkeypatch.setattr(environ, "install_subprocess_reset", lambda: calls.append("installed"))
    main.start(freezekit_module=fake_freezekit(tmp_path), argv=["app"])
    assert calls == []
    fake = fake_freezekit(tmp_path, options=("freezekit:reset-subprocess-env",))
    main.start(freezekit_module=fake, argv=["app"])
    assert calls == ["installed"]


def test_main_getenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FK_TEST_VARIABLE", "välue")
    assert main.getenv("FK_TEST_VARIABLE") == "välue"
    monkeypatch.delenv("FK_TEST_VARIABLE")
    assert main.getenv("FK_TEST_VARIABLE") is None


def test_main_getenv_without_os(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FK_TEST_VARIABLE", "x")
    monkeypatch.setitem(sys.modules, "os", None)  # start() runs before anything imports os
    assert main.getenv("FK_TEST_VARIABLE") == "x"
    assert main.getenv("FK_TEST_MISSING") is None


def test_main_spec_answers_find_spec_and_get_data(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_bytes(b"next to the script")
    module = types.ModuleType("__main__")
    module.__file__ = str(tmp_path / "app.py")
    main.set_main_spec(module, fake_freezekit(tmp_path))
    spec = module.__spec__
    assert (spec.name, spec.origin, spec.has_location) == ("__main__", module.__file__, True)
    assert module.__loader__ is spec.loader
    assert spec.loader.get_data(str(tmp_path / "data.txt")) == b"next to the script"
    assert spec.loader.get_filename("__main__") == module.__file__
    assert spec.loader.is_package("__main__") is False
    reader = spec.loader.get_resource_reader("__main__")
    assert (reader.files() / "data.txt").read_bytes() == b"next to the script"
