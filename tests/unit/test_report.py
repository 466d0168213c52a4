"""The build's size report: grouping by package, largest first, JSON file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from freezekit.inspect.report import (
    METADATA,
    SHARED_LIBRARIES,
    STDLIB_EXTENSIONS,
    Stored,
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


def _items(analysis: Analysis, *, compressed: float) -> list[Stored]:
    """What an output of ``analysis`` holds, each file stored at ``compressed`` of its size."""
    items = [
        Stored(name="app", kind=None, stored=100, unpacked=100),
        Stored(name="app.py", kind=EntryKind.SCRIPT, stored=10, unpacked=20),
    ]
    for entry in (*analysis.binaries, *analysis.datas):
        size = Path(str(entry.source)).stat().st_size
        kind = entry.kind if compressed < 1 else EntryKind.DATA  # onedir: files on disk
        items.append(
            Stored(name=entry.name, kind=kind, stored=int(size * compressed), unpacked=size)
        )
    for module in analysis.pure:
        if module.source is not None:
            size = module.source.stat().st_size
            items.append(
                Stored(name=module.name, kind=EntryKind.PYZ, stored=size // 5, unpacked=size)
            )
    return items


def test_report_onefile_counts_compressed_bytes_and_unpacked_ones(tmp_path: Path) -> None:
    analysis = _analysis(tmp_path / "src")
    output = _file(tmp_path / "dist" / "app", 12345)
    report = size_report(output, analysis, items=_items(analysis, compressed=0.5))
    assert report.output_bytes == 12345 and report.onefile
    assert [(i.name, i.bytes, i.unpacked) for i in report.packages] == [
        ("numpy", 12100, 24500),
        (SHARED_LIBRARIES, 4500, 9000),
        ("certifi", 1000, 2000),
        (STDLIB_EXTENSIONS, 150, 300),
        ("(bootloader and run time)", 100, 100),
        (METADATA, 20, 40),
        ("(python stdlib)", 14, 70),
        ("(scripts)", 10, 20),
    ]
    assert [(i.name, i.bytes) for i in report.binaries] == [
        ("numpy.libs/libopenblas-1234.so", 10000),
        ("libpython3.12.so.1.0", 4500),
        ("numpy/_core/_multiarray_umath.so", 2000),
        ("lib-dynload/_ssl.so", 150),
    ]
    lines = report.summary(top=1)
    assert lines[0] == f"size: 0.0 MB in {output}"
    assert lines[1] == "  largest packages: numpy 0.0 MB (0.0 MB unpacked)"


def test_report_onedir_counts_files_as_they_are(tmp_path: Path) -> None:
    analysis = _analysis(tmp_path / "src")
    output = tmp_path / "dist" / "app"
    _file(output / "app", 100)
    report = size_report(output, analysis, items=_items(analysis, compressed=1))
    assert not report.onefile
    assert {i.name: i.bytes for i in report.binaries}["libpython3.12.so.1.0"] == 9000
    assert report.summary(top=1)[2] == "  largest binaries: numpy.libs/libopenblas-1234.so 0.0 MB"


def test_report_json_is_written_atomically(tmp_path: Path) -> None:
    analysis = _analysis(tmp_path / "src")
    output = _file(tmp_path / "app", 10)
    report = size_report(output, analysis, items=_items(analysis, compressed=0.5), top=1)
    path = tmp_path / "build" / "app" / "report-app.json"
    write_report_json(report, path)
    data = json.loads(path.read_text())
    assert data["version"] == 2 and data["mode"] == "onefile"
    assert data["packages"] == [{"name": "numpy", "bytes": 12100, "unpacked_bytes": 24500}]
    assert [p.name for p in path.parent.iterdir()] == ["report-app.json"]


def test_report_finds_a_onedir_executable_named_otherwise(tmp_path: Path) -> None:
    from freezekit.inspect.report import _executable

    output = tmp_path / "dist" / "bundle"  # a spec's COLLECT(name="bundle") of EXE(name="tool")
    _file(output / "_internal" / "libx.so", 10)
    tool = _file(output / "tool", 10)
    tool.chmod(0o755)
    assert _executable(output) == tool
