"""onefile: temp and cache extraction, clean-up after exits, signals and kills, symlinks."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from freezekit.archive.reader import open_archive
from freezekit.options import Extract, Mode

from .conftest import APPS, FrozenApp, FrozenAppFactory

pytestmark = pytest.mark.slow
SHARED = str(APPS / "onefile_app" / "shared.txt")
DATAS = ((SHARED, "extra"), (SHARED, "."))


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp), "HOME": str(tmp / "home"), **extra}


@pytest.fixture()
def app(frozen_app: FrozenAppFactory) -> FrozenApp:
    return frozen_app("onefile_app", mode=Mode.ONEFILE, datas=DATAS)


@pytest.fixture()
def cached(frozen_app: FrozenAppFactory) -> FrozenApp:
    return frozen_app("onefile_app", mode=Mode.ONEFILE, datas=DATAS, onefile_extract=Extract.CACHE)


def test_onefile_is_one_file_and_runs(app: FrozenApp, tmp_path: Path) -> None:
    assert app.executable.is_file() and app.executable == app.result.output
    result = app.run(env=_env(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "onefile hello\n", "")
    assert list(tmp_path.iterdir()) == []


def test_onefile_exit_status_passes_through(app: FrozenApp, tmp_path: Path) -> None:
    assert app.run("exit", "7", env=_env(tmp_path)).returncode == 7
    assert list(tmp_path.iterdir()) == []


def _removed_soon(path: Path, seconds: float = 10) -> bool:
    """Whether `path` disappears within `seconds` (the watchdog's removal is asynchronous)."""
    deadline = time.monotonic() + seconds
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return not path.exists()


def test_temp_folder_is_private_and_removed(app: FrozenApp, tmp_path: Path) -> None:
    # POSIX: the app runs in the launcher's process, so a signal's default action ends it
    # like onedir or `python app.py`; the watchdog removes the folder after it
    with subprocess.Popen(
        [str(app.executable), "sleep"], stdout=subprocess.PIPE, text=True, env=_env(tmp_path)
    ) as proc:
        assert proc.stdout is not None
        top = Path(proc.stdout.readline().strip())
        assert top.parent == tmp_path and top.name.startswith("_MEI")
        assert (top.stat().st_mode & 0o777) == 0o700
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == -signal.SIGTERM
    assert _removed_soon(top)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [(("exit", "3"), 3, ""), (("raise",), 1, "RuntimeError: the app failed\n")],
    ids=["sys-exit", "uncaught-exception"],
)
def test_folder_is_gone_when_the_app_returns(
    app: FrozenApp, tmp_path: Path, args: tuple[str, ...], code: int, error: str
) -> None:
    # the app's own process removes it before it exits (atexit for SystemExit)
    result = app.run(*args, env=_env(tmp_path))
    assert result.returncode == code and result.stderr.endswith(error), result.stderr
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_ends_like_python_and_removes_the_folder(app: FrozenApp, tmp_path: Path) -> None:
    with subprocess.Popen(
        [str(app.executable), "sleep"], stdout=subprocess.PIPE, text=True, env=_env(tmp_path)
    ) as proc:
        assert proc.stdout is not None
        top = Path(proc.stdout.readline().strip())
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == -signal.SIGINT  # KeyboardInterrupt, as python does
    assert not top.exists()  # removed before the death by SIGINT, not by the watchdog


@pytest.mark.parametrize("end", ["os-exit", "kill-group"])
def test_watchdog_removes_the_folder_after_an_abnormal_end(
    app: FrozenApp, tmp_path: Path, end: str
) -> None:
    command = "os-exit" if end == "os-exit" else "sleep"
    with subprocess.Popen(
        [str(app.executable), command],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
        start_new_session=True,
    ) as proc:
        assert proc.stdout is not None
        top = Path(proc.stdout.readline().strip())
        assert top.is_dir()
        if end == "kill-group":
            os.killpg(proc.pid, signal.SIGKILL)  # the watchdog is in a session of its own
        proc.wait(timeout=30)
    assert _removed_soon(top)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists /proc/self/fd")
def test_folder_stays_while_the_app_runs_after_a_close_all(app: FrozenApp, tmp_path: Path) -> None:
    # and the socket's number, reused by the app for a socket of its own, gets no file
    result = app.run("close-own", env=_env(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split()[1:] == ["True", "1", "nothing"]
    assert list(tmp_path.iterdir()) == []


def _released_soon(top: str, seconds: float = 10) -> bool:
    """Whether no process holds a file of the folder `top` open within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        held = []
        for fd_dir in Path("/proc").glob("[0-9]*/fd"):
            try:
                held += [
                    link
                    for fd in fd_dir.iterdir()
                    if (link := os.readlink(fd)).startswith(top + "/")
                ]
            except OSError:
                continue
        if not held or time.monotonic() > deadline:
            return not held
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists /proc/*/fd")
def test_watchdog_holds_what_the_app_unpacks_and_lets_it_go(app: FrozenApp, tmp_path: Path) -> None:
    # each file unpacked on demand is handed to the watchdog: the app's removal at its end
    # only unlinks the names (gone when it returns); the watchdog lets the files go after it
    result = app.run("held", env=_env(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    top, *rest = result.stdout.split()
    assert rest == ["True", "True", "0.3"]
    assert list(tmp_path.iterdir()) == []
    assert _released_soon(top)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists /proc/*/fd")
def test_app_whose_watchdog_was_killed_still_unpacks_and_cleans_up(
    app: FrozenApp, tmp_path: Path
) -> None:
    result = app.run("kill-watchdog", env=_env(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    top, *rest = result.stdout.split()
    assert rest == ["False", "False", "0.3"]  # nobody to hand the files to
    assert list(tmp_path.iterdir()) == []
    assert _released_soon(top)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists /proc/*/fd")
def test_forked_and_spawned_workers_unpack_into_the_folder(app: FrozenApp, tmp_path: Path) -> None:
    # a fork shares the socket to the watchdog (its files are handed over too); a spawned
    # worker has none (it frees its files through the app's removal)
    result = app.run("workers", env=_env(tmp_path), timeout=120)
    assert (result.returncode, result.stderr) == (0, "")
    top, *rest = result.stdout.splitlines()
    assert rest == ["fork 3.0 e3b0c442", "spawn 5.0 e3b0c442"]
    assert _removed_soon(Path(top))
    assert _released_soon(top)


def test_exec_of_itself_reuses_the_folder_and_the_watchdog_removes_it(
    app: FrozenApp, tmp_path: Path
) -> None:
    # exec skips atexit and closes the pipe (close-on-exec) while the process lives on
    result = app.run("exec-self", env=_env(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    before, after = result.stdout.split()
    assert before == after and Path(before).parent == tmp_path
    assert _removed_soon(Path(before))
    assert list(tmp_path.iterdir()) == []


def test_leftover_folder_is_swept_by_the_next_start(app: FrozenApp, tmp_path: Path) -> None:
    # the last resort when even the watchdog was killed: nobody holds the folder's lock
    leftover = tmp_path / "_MEIfkLeft01"
    (leftover / "lib").mkdir(parents=True)
    (leftover / "lib" / "x.so").write_bytes(b"x")
    assert app.run(env=_env(tmp_path)).returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_worker_outliving_the_app_keeps_the_folder(app: FrozenApp, tmp_path: Path) -> None:
    # captured output ends with the app (the watchdog holds no copy of the pipes) while a
    # worker through sys.executable still uses the folder; the watchdog removes it after it
    result = app.run("leave-worker", env=_env(tmp_path), timeout=30)
    assert (result.returncode, result.stderr) == (0, "")
    top, worker, worker_top = result.stdout.split()
    assert worker_top == top and Path(top).is_dir()
    time.sleep(0.3)
    assert Path(top).is_dir()
    os.kill(int(worker), signal.SIGKILL)
    assert _removed_soon(Path(top))
    assert list(tmp_path.iterdir()) == []


def test_app_has_no_child_of_the_launcher(app: FrozenApp, tmp_path: Path) -> None:
    result = app.run("reap", env=_env(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == (0, "no child\n", "")


def test_children_see_the_environment_as_before(app: FrozenApp, tmp_path: Path) -> None:
    # the app runs in the launcher's process: what it sets is what the app and its children
    # see; FREEZEKIT_RESET_ENVIRONMENT gives a new instance the caller's LD_LIBRARY_PATH back
    result = app.run("env", env=_env(tmp_path, LD_LIBRARY_PATH="/opt/x"))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "app <top>:/opt/x",
        "shell <top>:/opt/x",
        "reset <own top>:/opt/x",
    ]
    assert list(tmp_path.iterdir()) == []


def test_folder_in_use_is_never_swept(app: FrozenApp, tmp_path: Path) -> None:
    with subprocess.Popen(
        [str(app.executable), "sleep"], stdout=subprocess.PIPE, text=True, env=_env(tmp_path)
    ) as proc:
        assert proc.stdout is not None
        top = Path(proc.stdout.readline().strip())
        assert app.run(env=_env(tmp_path)).returncode == 0
        assert top.is_dir()
        proc.terminate()
        proc.wait(timeout=30)


def test_runtime_tmpdir_is_baked_in(frozen_app: FrozenAppFactory, tmp_path: Path) -> None:
    where = tmp_path / "unpack-here"
    where.mkdir()
    app = frozen_app("onefile_app", mode=Mode.ONEFILE, runtime_tmpdir=str(where))
    result = app.run("meipass", env=_env(tmp_path / "elsewhere"))
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).parent == where
    assert list(where.iterdir()) == []


def test_symlinks_are_recreated_as_links(app: FrozenApp, tmp_path: Path) -> None:
    archive = open_archive(app.executable)
    assert [e.name for e in archive.entries if e.kind.value == "symlink"] == ["extra/shared.txt"]
    result = app.run("link", env=_env(tmp_path))
    assert (result.returncode, result.stdout) == (0, "True shared data\n")


def test_restart_with_reset_variable_is_an_independent_instance(
    app: FrozenApp, tmp_path: Path
) -> None:
    result = app.run("restart", env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    parent, independent, worker = result.stdout.splitlines()
    assert worker == parent  # a plain child through sys.executable reuses the extraction
    assert independent != parent and Path(independent).parent == tmp_path


def test_cache_mode_reuses_the_extraction(cached: FrozenApp, tmp_path: Path) -> None:
    env = _env(tmp_path, XDG_CACHE_HOME=str(tmp_path / "cache"))
    first = cached.run("meipass", env=env)
    assert first.returncode == 0, first.stderr
    top = Path(first.stdout.strip())
    assert top.parent == tmp_path / "cache" / "freezekit"
    assert top.name.startswith("onefile_app-")
    assert cached.run("meipass", env=env).stdout == first.stdout
    # A copy whose payload is zeroed is refused before the cache is used (the payload
    # digest is checked on every start), with or without a cache folder.
    broken = tmp_path / "broken"
    data = bytearray(cached.executable.read_bytes())
    archive = open_archive(cached.executable)
    entry = archive.entry(archive.trailer.libpython)
    start = archive.trailer.pkg_offset + entry.data_offset
    data[start : start + entry.stored_size] = bytes(entry.stored_size)
    broken.write_bytes(bytes(data))
    broken.chmod(0o755)
    second = subprocess.run(
        [str(broken), "meipass"], env=env, capture_output=True, text=True, timeout=60
    )
    assert (second.returncode, second.stdout) == (1, "")
    assert "payload checksum mismatch" in second.stderr
    fresh = _env(tmp_path, XDG_CACHE_HOME=str(tmp_path / "fresh"))
    third = subprocess.run(
        [str(broken), "meipass"], env=fresh, capture_output=True, text=True, timeout=60
    )
    assert third.returncode == 1
    assert third.stderr.startswith(f"freezekit: cannot start {broken}")
    assert len(third.stderr.splitlines()) == 1
    assert not (tmp_path / "fresh").exists()  # refused before the cache folder is made


def test_cache_mode_without_xdg_cache_home_uses_home_dot_cache(
    cached: FrozenApp, tmp_path: Path
) -> None:
    """POSIX keeps ~/.cache when XDG_CACHE_HOME is unset or relative (Windows uses
    %LOCALAPPDATA% itself: tests/functional/test_windows_cross.py)."""
    for extra in ({}, {"XDG_CACHE_HOME": "relative/cache"}):
        result = cached.run("meipass", env=_env(tmp_path, **extra))
        assert result.returncode == 0, result.stderr
        top = Path(result.stdout.strip())
        assert top.parent == tmp_path / "home" / ".cache" / "freezekit", extra


def test_sixteen_concurrent_first_starts(cached: FrozenApp, tmp_path: Path) -> None:
    env = _env(tmp_path, XDG_CACHE_HOME=str(tmp_path / "cache"))
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: cached.run("meipass", env=env, timeout=120), range(16)))
    assert [r.returncode for r in results] == [0] * 16, [r.stderr for r in results if r.returncode]
    assert len({r.stdout for r in results}) == 1
    assert sorted(p.name for p in (tmp_path / "cache" / "freezekit").iterdir()) == [
        Path(results[0].stdout.strip()).name
    ]


def test_cache_writable_by_others_is_refused(cached: FrozenApp, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "freezekit"
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    result = cached.run("meipass", env=_env(tmp_path, XDG_CACHE_HOME=str(tmp_path / "cache")))
    assert result.returncode == 1
    assert "is writable by other users (mode 777)" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_full_disk_during_extraction_is_clean(app: FrozenApp, tmp_path: Path) -> None:
    """A write that fails part-way (a 1 MB file-size limit) gives one line and no leftovers."""
    import resource

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write with EFBIG, don't kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    result = subprocess.run(
        [str(app.executable)],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"freezekit: cannot start {app.executable}")
    assert "File too large" in result.stderr and len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_truncated_onefile_is_refused_cleanly(app: FrozenApp, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.write_bytes(app.executable.read_bytes()[:-5000])
    broken.chmod(0o755)
    work = tmp_path / "tmp"
    work.mkdir()
    result = subprocess.run(
        [str(broken)], env=_env(work), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"freezekit: cannot start {broken}")
    assert len(result.stderr.splitlines()) == 1
    assert list(work.iterdir()) == []


def test_noexec_temp_folder_is_explained(app: FrozenApp, tmp_path: Path) -> None:
    """Needs a private mount namespace (root, unshare); skipped where that is not allowed."""
    mount = tmp_path / "noexec"
    mount.mkdir()
    script = (
        f"mount -t tmpfs -o noexec,size=64m tmpfs {mount} || exit 99; "
        f"TMPDIR={mount} {app.executable}; status=$?; ls -A {mount}; exit $status"
    )
    try:
        result = subprocess.run(
            ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError:
        pytest.skip("unshare is not installed")
    if result.returncode == 99 or "unshare failed" in result.stderr:
        pytest.skip(f"cannot mount a noexec tmpfs here: {result.stderr.strip()}")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"freezekit: cannot start {app.executable}: {mount} is on a filesystem mounted noexec, so "
        "the bundled libraries cannot be loaded from it; set TMPDIR to another folder, or build "
        "the app with --runtime-tmpdir"
    ]
    assert result.stdout == ""  # nothing left in the temp folder


def test_extension_modules_are_unpacked_on_first_import(app: FrozenApp, tmp_path: Path) -> None:
    # temp mode: _decimal and _hashlib (with the libcrypto it loads) wait for their import;
    # a worker started through sys.executable shares the folder and unpacks on its own
    result = app.run("lazy", env=_env(tmp_path))
    assert result.stdout.splitlines() == [
        "before False False",
        "lazy-worker True True 0.3 e3b0c442 ",
        "lazy True True 0.3 e3b0c442",
    ], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cache_mode_unpacks_everything_before_the_start(cached: FrozenApp, tmp_path: Path) -> None:
    result = cached.run("lazy", env=_env(tmp_path))
    assert result.stdout.splitlines()[0] == "before True True", result.stderr


@pytest.mark.parametrize("extract", [Extract.TEMP, Extract.CACHE])
def test_a_large_file_is_unpacked_chunk_by_chunk_intact(
    frozen_app: FrozenAppFactory, tmp_path_factory: pytest.TempPathFactory, extract: Extract
) -> None:
    # over fmt.CHUNKED_MIN_SIZE: stored as two zstd frames, written by two threads
    big = tmp_path_factory.mktemp("big") / "big.bin"
    content = bytes(range(256)) * (16 << 12) + b"end"
    big.write_bytes(content)
    app = frozen_app(
        "onefile_app",
        mode=Mode.ONEFILE,
        datas=((str(big), "."),),
        onefile_extract=extract,
        compression_level=3,
    )
    tmp = tmp_path_factory.mktemp("run")
    result = app.run("digest", "big.bin", env=_env(tmp))
    assert result.stdout.strip() == hashlib.sha256(content).hexdigest(), result.stderr


def test_temp_all_unpacks_everything_before_the_start(
    frozen_app: FrozenAppFactory, tmp_path: Path
) -> None:
    app = frozen_app("onefile_app", mode=Mode.ONEFILE, onefile_extract=Extract.TEMP_ALL)
    result = app.run("lazy", env=_env(tmp_path))
    assert result.stdout.splitlines()[0] == "before True True", result.stderr
    assert list(tmp_path.iterdir()) == []
