"""Release trust on real frozen apps: the app's own checks gate publishing, every archive has a
schema-valid SBOM that lists what the bundle holds, and ``freezekit diff`` shows a change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from freezekit.cli import main
from freezekit.errors import SmokeError
from freezekit.inspect.inventory import read_inventory
from freezekit.options import Mode
from freezekit.release.matrix import find_cell
from freezekit.release.publish import publish_cell
from freezekit.smoke import run_smoke
from freezekit.smoke.checks import parse_checks, run_checks

from .conftest import freeze

pytestmark = pytest.mark.slow

CELL = "linux-x86_64-3.11"
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}


def _publish(app_output: Path, executable: Path, out: Path, checks: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    return publish_cell(
        app_output,
        executable=executable,
        app=app_output.name,
        version="1.0.0",
        cell=find_cell(CELL),
        python_version="3.11",
        smoke=run_smoke(executable, probes=["data", "imports"]),
        checks=run_checks(executable, parse_checks(checks, where="test")),
        out_dir=out,
        env=EPOCH,
    )


def test_a_crashing_entry_point_fails_its_cell_and_publishes_nothing(tmp_path: Path) -> None:
    script = tmp_path / "src" / "crashes.py"
    script.parent.mkdir()
    script.write_text(
        "import json, sys\n"
        "with open('config.json') as f:  # missing: the app dies at start\n"
        "    print(json.load(f))\n"
    )
    app = freeze(tmp_path, script)
    # the built-in probes never run the app's code: they all pass
    assert all(r.ok for r in run_smoke(app.executable, probes=["data", "imports"]))
    out = tmp_path / "published"
    with pytest.raises(SmokeError, match="check: starts failed: exit code 1, expected 0"):
        _publish(app.result.output, app.executable, out, [{"name": "starts", "args": []}])
    assert not out.exists() or list(out.iterdir()) == []


def test_checks_report_output_files_and_hangs(tmp_path: Path) -> None:
    script = tmp_path / "src" / "tool.py"
    script.parent.mkdir()
    script.write_text(
        "import sys, time\n"
        "if sys.argv[1:] == ['hang']:\n"
        "    time.sleep(60)\n"
        "data = sys.stdin.read()\n"
        "open('out.txt', 'w').write(data.upper())\n"
        "print('wrote', len(data), 'chars')\n"
    )
    app = freeze(tmp_path, script)
    results = run_checks(
        app.executable,
        parse_checks(
            [
                {
                    "name": "writes",
                    "stdin": "abc",
                    "stdout-regex": r"^wrote 3 chars$",
                    "creates": ["out.txt"],
                },
                {"name": "missing file", "stdin": "", "creates": ["other.txt"]},
                {"name": "hangs", "args": ["hang"], "timeout": 2},
            ],
            where="test",
        ),
    )
    assert [(r.probe, r.ok) for r in results] == [
        ("check: writes", True),
        ("check: missing file", False),
        ("check: hangs", False),
    ]
    assert "other.txt was not created" in results[1].detail
    assert "killed after its 2 s timeout" in results[2].detail


def _inspect_files(executable: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    assert main(["inspect", str(executable)]) == 0
    names = set()
    for line in capsys.readouterr().out.splitlines()[1:]:
        kind, *_, name = line.split()
        if kind in ("binary", "extension", "data"):
            names.add(name)
    return names


def test_published_sbom_is_valid_and_lists_the_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    script = tmp_path / "src" / "zapp.py"
    script.parent.mkdir()
    script.write_text("import zstandard\nprint(len(zstandard.compress(b'x' * 100)))\n")
    app = freeze(tmp_path, script, mode=Mode.ONEFILE)
    published = _publish(app.result.output, app.executable, tmp_path / "out", [])
    assert published.sbom is not None
    text = published.sbom.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    sbom = json.loads(text)
    manifest = json.loads(published.manifest.read_text())
    assert manifest["sbom"]["name"] == published.sbom.name
    assert published.sbom.name in published.sums.read_text()
    files = {c["name"]: c for c in sbom["components"] if c["type"] == "file"}  # shared libraries
    # what `freezekit inspect` lists as shared libraries is exactly what the SBOM lists
    inspected = _inspect_files(app.executable, capsys)
    libraries = {n for n in inspected if read_inventory(app.executable).items[n].kind == "library"}
    assert {c["properties"][0]["value"] for c in files.values()} == libraries
    assert any(name.startswith("libpython3.11") for name in files)
    for component in files.values():
        assert len(component["hashes"][0]["content"]) == 64
    # distributions: each bundled .dist-info, with its version and a purl
    dist_infos = {n.split("/")[0] for n in inspected if n.endswith(".dist-info/METADATA")}
    libs = [c for c in sbom["components"] if c["type"] == "library"]
    assert {c["properties"][0]["value"] for c in libs} == dist_infos
    assert all(c["purl"].startswith("pkg:pypi/") and c["version"] for c in libs)
    names = {c["name"] for c in sbom["components"]}
    assert {"CPython", "freezekit"} <= names
    # reproducible: the same output gives the same document
    again = _publish(app.result.output, app.executable, tmp_path / "again", [])
    assert again.sbom is not None and again.sbom.read_bytes() == published.sbom.read_bytes()


def test_sbom_licence_is_noassertion_when_metadata_declares_none(tmp_path: Path) -> None:
    from freezekit.inspect.inventory import _parse_metadata

    bare = _parse_metadata(
        b"Metadata-Version: 2.1\nName: bare\nVersion: 1.0\n", "bare-1.0.dist-info"
    )
    assert (bare.license, bare.license_text) == (None, None)
    spdx = _parse_metadata(
        b"Metadata-Version: 2.4\nName: x\nVersion: 2\nLicense-Expression: MIT OR Apache-2.0\n",
        "x-2.dist-info",
    )
    assert spdx.license == "MIT OR Apache-2.0"


def test_diff_between_two_versions_of_an_app_shows_the_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    script = src / "app.py"
    script.write_text("print('v1')\n")
    old = freeze(tmp_path / "v1", script)
    script.write_text(
        "import sqlite3\nprint(sqlite3.connect(':memory:').execute('select 2').one())\n"
    )
    new = freeze(tmp_path / "v2", script)
    assert main(["diff", str(old.result.output), str(new.result.output), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    changed = {(c["name"], c["change"]) for c in report["changes"]}
    assert ("app.py", "changed") in changed
    assert ("sqlite3", "added") in changed
    assert any(n.startswith("lib-dynload/_sqlite3") and w == "added" for n, w in changed)
    assert report["size_delta"] > 0
    assert main(["diff", str(old.result.output), str(old.result.output)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no difference in content"
