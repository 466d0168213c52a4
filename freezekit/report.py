"""The size report printed at the end of a build: where the bytes of the app come from.

``size_report(output, analysis)`` adds up the bundled files by *package* (the top-level
import name; a wheel's vendored ``<name>.libs`` folder counts for ``<name>``) and lists the
largest single binaries. A file's bytes are its size in the onedir output when it is there
(after stripping), else its source's size (onefile, where everything is inside the
executable). Python modules count with the size of their source: the PYZ holds them
compressed, so the report ranks packages rather than predicting the download.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from freezekit.toc import TocEntry

#: Groups for files that belong to no package.
SHARED_LIBRARIES = "(shared libraries)"
STDLIB_EXTENSIONS = "(stdlib extensions)"
STDLIB = "(python stdlib)"
METADATA = "(metadata)"
REPORT_VERSION = 1


class _Module(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> Path | None: ...


class _Analysis(Protocol):
    @property
    def pure(self) -> tuple[_Module, ...]: ...
    @property
    def binaries(self) -> tuple[TocEntry, ...]: ...
    @property
    def datas(self) -> tuple[TocEntry, ...]: ...


@dataclass(frozen=True, kw_only=True)
class SizeItem:
    name: str
    bytes: int


@dataclass(frozen=True, kw_only=True)
class SizeReport:
    output: str
    output_bytes: int  # what was written (the onedir folder, or the onefile executable)
    packages: tuple[SizeItem, ...]  # largest first
    binaries: tuple[SizeItem, ...]  # largest first

    def summary(self, top: int = 5) -> list[str]:
        """A few lines for the end of a build."""
        lines = [f"size: {_mb(self.output_bytes)} in {self.output}"]
        lines.append(
            "  largest packages: "
            + ", ".join(f"{i.name} {_mb(i.bytes)}" for i in self.packages[:top])
        )
        lines.append(
            "  largest binaries: "
            + ", ".join(f"{i.name} {_mb(i.bytes)}" for i in self.binaries[:top])
        )
        return lines

    def to_json(self) -> dict[str, object]:
        return {
            "version": REPORT_VERSION,
            "output": self.output,
            "output_bytes": self.output_bytes,
            "packages": [{"name": i.name, "bytes": i.bytes} for i in self.packages],
            "binaries": [{"name": i.name, "bytes": i.bytes} for i in self.binaries],
        }


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def size_report(result_output: Path, analysis: _Analysis, *, top: int = 20) -> SizeReport:
    """Top packages and top binaries by bytes, for a build's output and its analysis."""
    top_dir = result_output / "_internal" if result_output.is_dir() else None
    packages: Counter[str] = Counter()
    binaries: dict[str, int] = {}
    for entry in (*analysis.binaries, *analysis.datas):
        size = _entry_size(entry, top_dir)
        packages[package_of(entry.name)] += size
        if entry in analysis.binaries:
            binaries[entry.name] = size
    for module in analysis.pure:
        if module.source is not None and module.source.is_file():
            packages[_module_group(module.name, module.source)] += module.source.stat().st_size
    return SizeReport(
        output=str(result_output),
        output_bytes=_tree_size(result_output),
        packages=_largest(packages, top),
        binaries=_largest(binaries, top),
    )


def package_of(name: str) -> str:
    """The group of a file placed at ``name`` under the top directory."""
    parts = PurePosixPath(name).parts
    if len(parts) == 1:
        return (
            SHARED_LIBRARIES
            if ".so" in parts[0] or parts[0].endswith((".dll", ".dylib", ".pyd"))
            else parts[0]
        )
    first = parts[0]
    if first == "lib-dynload":
        return STDLIB_EXTENSIONS
    if first.endswith((".dist-info", ".egg-info")):
        return METADATA
    if first.endswith(".libs"):  # auditwheel's vendored libraries: numpy.libs -> numpy
        return first[: -len(".libs")]
    return first


def _module_group(name: str, source: Path) -> str:
    if {"site-packages", "dist-packages"} & set(source.parts):
        return name.split(".")[0]
    return STDLIB if "lib" in source.parts else name.split(".")[0]


def _entry_size(entry: TocEntry, top_dir: Path | None) -> int:
    if top_dir is not None:
        built = top_dir / entry.name
        if built.is_file() and not built.is_symlink():
            return built.stat().st_size
    if entry.source and os.path.isfile(entry.source):
        return os.stat(entry.source).st_size
    return 0


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _largest(sizes: dict[str, int], top: int) -> tuple[SizeItem, ...]:
    ranked = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return tuple(SizeItem(name=k, bytes=v) for k, v in ranked)


def write_report_json(report: SizeReport, path: Path) -> None:
    """Write ``report-<name>.json`` (atomically: a partial file is never left)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
