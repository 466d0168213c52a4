"""The build's size report: grouping by package, largest first, JSON file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from freezekit.report import (
    METADATA,
    SHARED_LIBRARIES,
    STDLIB_EXTENSIONS,
    package_of,
    size_report,
    write_report_json,
)
from freezekit.toc import EntryKind, TocEntry


@dataclass(frozen=True)
class Module:
    name: str
    source: Path | None


@dataclass(frozen=True)
class Analysis:
    pure: tuple[Module, ...]
    binaries: tuple[TocEntry, ...]
    datas: tuple[TocEntry, ...]


def _file(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def _analysis(src: Path) -> Analysis:
    def binary(name: str, size: int) -> TocEntry:
        source = _file(src / "bin" / name, size)
        return TocEntry(name=name, kind=EntryKind.BINARY, source=str(source), mode=0o755)

    def data(name: str, size: int) -> TocEntry:
        source = _file(src / "data" / name, size)
        return TocEntry(name=name, kind=EntryKind.DATA, source=str(source))

    site = src / "lib" / "python3.12" / "site-packages"
    return Analysis(
        pure=(
            Module("numpy", _file(site / "numpy" / "__init__.py", 500)),
            Module("json", _file(src / "lib" / "python3.12" / "json" / "__init__.py", 70)),
            Module("ns", None),
        ),
        binaries=(
            binary("libpython3.12.so.1.0", 9000),
            binary("numpy/_core/_multiarray_umath.so", 4000),
            binary("numpy.libs/libopenblas-1234.so", 20000),
            binary("lib-dynload/_ssl.so", 300),
        ),
        datas=(
            data("numpy-2.0.dist-info/METADATA", 40),
            data("certifi/cacert.pem", 2000),
        ),
    )


def test_report_package_of_groups_files() -> None:
    assert package_of("libssl.so.3") == SHARED_LIBRARIES
    assert package_of("lib-dynload/_ssl.cpython-312-x86_64-linux-gnu.so") == STDLIB_EXTENSIONS
    assert package_of("numpy.libs/libgfortran-1.so.5") == "numpy"
    assert package_of("rich-13.0.dist-info/METADATA") == METADATA
    assert package_of("PySide6/Qt/lib/libQt6Core.so.6") == "PySide6"
    assert package_of("base_library.zip") == "base_library.zip"


def test_report_ranks_packages_and_binaries(tmp_path: Path) -> None:
    analysis = _analysis(tmp_path / "src")
    output = _file(tmp_path / "dist" / "app", 12345)  # onefile: sizes come from sources
    report = size_report(output, analysis)
    assert report.output_bytes == 12345
    assert [(i.name, i.bytes) for i in report.packages] == [
        ("numpy", 24500),
        (SHARED_LIBRARIES, 9000),
        ("certifi", 2000),
        (STDLIB_EXTENSIONS, 300),
        ("(python stdlib)", 70),
        (METADATA, 40),
    ]
    assert [i.name for i in report.binaries] == [
        "numpy.libs/libopenblas-1234.so",
        "libpython3.12.so.1.0",
        "numpy/_core/_multiarray_umath.so",
        "lib-dynload/_ssl.so",
    ]
    lines = report.summary(top=2)
    assert lines[0] == f"size: 0.0 MB in {output}"
    assert lines[1] == "  largest packages: numpy 0.0 MB, (shared libraries) 0.0 MB"


def test_report_prefers_built_onedir_sizes(tmp_path: Path) -> None:
    analysis = _analysis(tmp_path / "src")
    output = tmp_path / "dist" / "app"
    _file(output / "app", 100)
    _file(output / "_internal" / "libpython3.12.so.1.0", 7000)  # stripped copy
    report = size_report(output, analysis)
    assert {i.name: i.bytes for i in report.binaries}["libpython3.12.so.1.0"] == 7000
    assert report.output_bytes == 7100


def test_report_json_is_written_atomically(tmp_path: Path) -> None:
    report = size_report(_file(tmp_path / "app", 10), _analysis(tmp_path / "src"), top=1)
    path = tmp_path / "build" / "app" / "report-app.json"
    write_report_json(report, path)
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert data["packages"] == [{"name": "numpy", "bytes": 24500}]
    assert [p.name for p in path.parent.iterdir()] == ["report-app.json"]
