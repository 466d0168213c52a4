"""A PyInstaller user's first hour: command forms, interpreter checks, quiet builds, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import APPS, run_cli

pytestmark = pytest.mark.slow
HELLO = APPS / "hello" / "hello.py"


def _fake_python(folder: Path, name: str, script: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


def test_flags_before_the_script_and_a_quiet_build(tmp_path: Path) -> None:
    app = tmp_path / "hello.py"
    shutil.copy(HELLO, app)
    built = run_cli("--onefile", "-q", "hello.py", cwd=tmp_path)
    assert (built.returncode, built.stdout, built.stderr) == (0, "", "")
    done = subprocess.run([str(tmp_path / "dist" / "hello")], capture_output=True, text=True)
    assert done.stdout == "hello [] True\n"
    quiet = run_cli("hello.py", "--onefile", "-y", "--log-level", "ERROR", cwd=tmp_path)
    assert (quiet.returncode, quiet.stdout) == (0, "")
    # the size report counts what the executable holds: compressed entries and PYZ modules
    report = json.loads((tmp_path / "build" / "hello" / "report-hello.json").read_text())
    stored = sum(package["bytes"] for package in report["packages"])
    assert 0.97 * report["output_bytes"] <= stored <= report["output_bytes"]
    libpython = next(b for b in report["binaries"] if b["name"].startswith("libpython"))
    assert libpython["bytes"] < libpython["unpacked_bytes"]


def test_makespec_then_build_the_spec(tmp_path: Path) -> None:
    shutil.copy(HELLO, tmp_path / "hello.py")
    wrote = run_cli("makespec", "--onefile", "hello.py", cwd=tmp_path)
    assert (wrote.returncode, wrote.stdout) == (0, "wrote hello.spec\n"), wrote.stderr
    built = run_cli("hello.spec", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert built.stdout.splitlines()[-1] == "built dist/hello"
    warnings = (tmp_path / "build" / "hello" / "warn-hello.txt").read_text()
    missing = warnings.count("\nmissing module named ")
    assert missing > 0 and f", {missing} missing (" in built.stdout
    refused = run_cli("hello.spec", "--onedir", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: --onedir/--onefile cannot be combined with hello.spec")


@pytest.mark.parametrize(
    ("script", "line"),
    [
        (None, "error: target Python {python} does not exist"),
        ('exec /bin/ls "$@"\n', "error: target Python {python} is not a Python interpreter"),
        (
            # an old Python: the full probe fails (as Python 2 does on -I) and X.Y is told
            'case "$1" in -I) echo "unknown option -I" >&2; exit 2;; esac\nprintf 3.7\n',
            "error: target Python {python} is Python 3.7, which freezekit does not support",
        ),
        (
            # a 3.7 that answers the full probe: the version is checked before the analysis
            "printf '%s' '" + '{"version": [3, 7], "platform": "linux", "shared": true}' + "'\n",
            "error: target Python {python} is Python 3.7, which freezekit does not support",
        ),
    ],
)
def test_a_bad_interpreter_is_one_line_before_existing_output(
    tmp_path: Path, script: str | None, line: str
) -> None:
    python = tmp_path / "python" if script is None else _fake_python(tmp_path, "python", script)
    (tmp_path / "dist" / "hello").mkdir(parents=True)  # "output exists" must not hide it
    result = run_cli(str(HELLO), "--python", str(python), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith(line.format(python=python)), result.stderr
    if "3.7" in line:
        assert lines[1] == "hint: freezekit builds for Python 3.10, 3.11, 3.12 and 3.13"


def test_an_interpreter_without_a_shared_libpython_says_how_to_get_one(tmp_path: Path) -> None:
    info = (
        '{"version": [3, 12], "platform": "linux", "bits": 64, "machine": "x86_64", '
        '"executable": "/x/python3.12", "shared": false, "ldlibrary": "libpython3.12.a", '
        '"instsoname": "", "libdir": "/x/lib", "stdlib": "/x/lib/python3.12", "dynload": "", '
        '"include": "", "ext_suffix": ".so", "prefix": "/x", "soabi": "", "magic": ""}'
    )
    python = _fake_python(tmp_path, "python3.12", f"printf '%s' '{info}'\n")
    result = run_cli(str(HELLO), "--python", str(python), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[1] == (
        "hint: use a Python built with --enable-shared "
        "(pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.12)"
    )


def test_a_work_path_that_cannot_be_written_is_one_line_not_a_bug(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_cli(str(HELLO), "--workpath", str(blocker / "build"), cwd=tmp_path)
    assert result.returncode == 9
    assert result.stderr.splitlines() == [
        f"error: {blocker / 'build' / 'hello'}: Not a directory",
        "hint: something else is in the way at that path: move it, or choose another folder",
    ]
    assert not (tmp_path / "dist" / "hello").exists()


def test_recursive_copy_metadata_bundles_the_requirements(tmp_path: Path) -> None:
    pytest.importorskip("jsonschema")
    app = APPS / "metadata_app" / "metadata_app.py"
    plain = run_cli(str(app), "--copy-metadata", "jsonschema", "--onefile", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    ran = subprocess.run([str(tmp_path / "dist" / "metadata_app")], capture_output=True, text=True)
    assert "jsonschema yes\nattrs no\n" in ran.stdout
    deep = run_cli(
        str(app), "--recursive-copy-metadata", "jsonschema", "--onefile", "-y", cwd=tmp_path
    )
    assert deep.returncode == 0, deep.stderr
    ran = subprocess.run([str(tmp_path / "dist" / "metadata_app")], capture_output=True, text=True)
    assert ran.stdout == (
        "jsonschema yes\nattrs yes\nreferencing yes\nrpds-py yes\njsonschema-specifications yes\n"
    )


def test_smoke_reports_skipped_probes_as_skipped(tmp_path: Path) -> None:
    built = run_cli(str(HELLO), "-q", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    report = tmp_path / "smoke.json"
    smoke = run_cli("smoke", "dist/hello/hello", "--json", str(report), cwd=tmp_path)
    assert smoke.returncode == 0, smoke.stdout
    rows = {line.split()[0]: line.split()[1] for line in smoke.stdout.splitlines()[1:-1]}
    # hello does not bundle multiprocessing: its probes have nothing to check
    assert rows["mp-spawn"] == "skipped" and rows["data"] == "ok"
    assert "the app does not bundle multiprocessing" in smoke.stdout
    skipped = sum(status == "skipped" for status in rows.values())
    assert smoke.stdout.splitlines()[-1] == (
        f"{len(rows)} probes: {len(rows) - skipped} ok, {skipped} skipped, 0 failed"
    )
    assert json.loads(report.read_text())["skipped"] == skipped


def test_explain_prints_every_hop_from_the_script(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import json\n")
    first = run_cli("explain", "json", "app.py", cwd=tmp_path)
    assert (first.returncode, first.stdout) == (0, "app.py -> json\n"), first.stderr
    deep = run_cli("explain", "json.scanner", "app.py", cwd=tmp_path)
    assert deep.stdout == "app.py -> json -> json.decoder -> json.scanner\n"
