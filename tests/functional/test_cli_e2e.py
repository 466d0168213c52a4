"""The command line on real builds: bad input, smoke, windowed apps, publishing, release."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from freezekit.build import build
from freezekit.cli import main
from freezekit.options import BuildOptions
from freezekit.release.matrix import find_cell
from freezekit.release.publish import gather_release, publish_cell
from freezekit.smoke import run_smoke

from .conftest import APPS, FrozenAppFactory, run_cli

pytestmark = pytest.mark.slow
HELLO = APPS / "hello" / "hello.py"


def test_existing_output_needs_noconfirm_without_a_terminal(tmp_path: Path) -> None:
    first = run_cli("build", str(HELLO), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "built dist/hello/hello"
    before = (tmp_path / "dist" / "hello" / "hello").read_bytes()
    again = run_cli("build", str(HELLO), cwd=tmp_path)
    assert again.returncode == 5
    assert again.stderr.splitlines() == [
        "error: output dist/hello exists and would be replaced",
        "hint: pass --noconfirm (-y) to replace it",
    ]
    assert (tmp_path / "dist" / "hello" / "hello").read_bytes() == before
    replaced = run_cli("build", str(HELLO), "-y", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr


def test_unwritable_dist_path_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_cli("build", str(HELLO), "--distpath", str(blocker / "dist"), cwd=tmp_path)
    assert result.returncode == 5
    assert (
        result.stderr.splitlines()[0]
        == f"error: cannot write to dist path {blocker / 'dist'}: Not a directory"
    )


def test_smoke_cli_passes_on_a_good_app_and_fails_on_a_broken_hook(
    frozen_app: FrozenAppFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = frozen_app("hello")
    assert main(["smoke", str(good.executable), "--json", str(tmp_path / "smoke.json")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "8 probes: 5 ok, 3 skipped, 0 failed"
    assert '"ok": true' in (tmp_path / "smoke.json").read_text()
    broken = frozen_app("broken_hook", runtime_hooks=(APPS / "broken_hook" / "rthook_broken.py",))
    assert broken.run().returncode == 1
    results = run_smoke(broken.executable, probes=["data"], timeout=60)
    assert [(r.probe, r.ok) for r in results] == [("data", False)]
    assert "this runtime hook is broken on purpose" in results[0].detail
    assert main(["smoke", str(broken.executable), "--probe", "data"]) == 1


def test_smoke_cli_refuses_what_is_not_a_freezekit_executable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["smoke", "/bin/sh"]) == 7
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: /bin/sh is not a freezekit executable: no freezekit archive found "
        "(wrong magic at the end of the file)"
    ]
    assert main(["smoke", "/bin/sh", "--probe", "nope"]) == 7


def test_windowed_app_with_closed_descriptors(frozen_app: FrozenAppFactory, tmp_path: Path) -> None:
    app = frozen_app("windowed_app", windowed=True)
    report = tmp_path / "report.txt"
    script = 'exec 0<&- 1>&- 2>&-; exec "$0" "$1"'
    done = subprocess.run(["/bin/sh", "-c", script, str(app.executable), str(report)], timeout=60)
    assert done.returncode == 0
    assert report.read_text() == "ok TextIOWrapper True\n"


def test_published_archive_unpacks_and_runs(frozen_app: FrozenAppFactory, tmp_path: Path) -> None:
    app = frozen_app(
        "onefile_app",
        datas=(
            (str(APPS / "onefile_app" / "shared.txt"), "extra"),
            (str(APPS / "onefile_app" / "shared.txt"), "."),
        ),
    )
    cell = find_cell("linux-x86_64-3.11")
    published = publish_cell(
        app.result.output,
        executable=app.executable,
        app="onefile_app",
        version="1.0.0",
        cell=cell,
        python_version="3.11",
        smoke=run_smoke(app.executable, probes=["data", "imports"]),
        out_dir=tmp_path / "artifacts" / cell.name,
        env={"SOURCE_DATE_EPOCH": "1700000000"},
    )
    assert published.archive.name == "onefile_app-1.0.0-linux-x86_64-py311.tar.gz"
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"],
        cwd=published.archive.parent,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    unpack = tmp_path / "unpacked"
    with tarfile.open(published.archive) as tar:
        tar.extractall(unpack, filter="tar") if sys.version_info >= (3, 12) else tar.extractall(
            unpack
        )
    link = unpack / "onefile_app" / "_internal" / "extra" / "shared.txt"
    assert link.is_symlink() and os.readlink(link) == "../shared.txt"
    run = subprocess.run(
        [str(unpack / "onefile_app" / "onefile_app"), "link"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode, run.stdout) == (0, "True shared data\n")
    release = gather_release(
        tmp_path / "artifacts", tmp_path / "release", version="1.0.0", cells=[cell]
    )
    assert [p.name for p in release.archives] == [published.archive.name]
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "release", capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_missing_sibling_cell_refuses_a_release(tmp_path: Path) -> None:
    from freezekit.errors import PublishError

    (tmp_path / "artifacts").mkdir()
    with pytest.raises(PublishError):
        gather_release(
            tmp_path / "artifacts",
            tmp_path / "release",
            version="1.0.0",
            cells=[find_cell("linux-x86_64-3.11")],
        )


def test_build_api_options_dataclass(tmp_path: Path) -> None:
    result = build(
        BuildOptions(
            scripts=(HELLO,),
            name="hi",
            distpath=tmp_path / "d",
            workpath=tmp_path / "w",
            noconfirm=True,
        )
    )
    done = subprocess.run([str(result.executable)], capture_output=True, text=True, timeout=60)
    assert done.stdout == "hello [] True\n"


def test_explain_prints_the_import_chain(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    app = str(APPS / "stdlib_app" / "stdlib_app.py")
    assert main(["explain", "_ssl", app, "--workpath", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "stdlib_app.py -> ssl -> _ssl\n"
    assert main(["explain", "tkinter", app, "--workpath", str(tmp_path)]) == 1
    assert capsys.readouterr().out == "tkinter is not in the app\n"
