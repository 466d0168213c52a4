"""The analysis result: plain values handed to the archive and assemble stages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from freezekit.toc import EntryKind, TocEntry


@dataclass(frozen=True, kw_only=True)
class PureModule:
    """A Python module for the PYZ (or base_library.zip). ``source`` None = namespace package.

    ``source`` normally ends in ``.py``; a module shipped without source ends in ``.pyc``.
    """

    name: str
    source: Path | None
    is_package: bool


@dataclass(frozen=True, kw_only=True)
class MissingModule:
    """A module some bundled code imports but which was not found.

    ``optional``: every import of it is guarded (try/except ImportError) or it only exists on
    another platform (``nt``, ``winreg``, ...); such modules are not counted as problems.
    """

    name: str
    importers: tuple[str, ...]
    optional: bool = False


@dataclass(frozen=True, kw_only=True)
class AnalysisResult:
    scripts: tuple[Path, ...]
    pure: tuple[PureModule, ...]  # sorted by name; everything to put in the PYZ
    startup: tuple[PureModule, ...]  # imported by the interpreter's own init: base_library.zip
    binaries: tuple[TocEntry, ...]  # EXTENSION / BINARY: name = path under the top dir
    datas: tuple[TocEntry, ...]  # DATA: data files, dist-info files, hook datas, --add-data
    runtime_hooks: tuple[Path, ...]
    missing: tuple[MissingModule, ...]
    excluded_libraries: tuple[str, ...]  # system libraries left out (sonames)
    # entry name of a binary -> entry names of the bundled libraries it loads (DT_NEEDED)
    library_needs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # where modules were looked for: the target's sys.path with --paths and the scripts'
    # folders (a module appearing there can change the result)
    search_path: tuple[str, ...] = ()
    # the extension modules the app imports as it starts, in that order (imports.start_imports)
    start_imports: tuple[str, ...] = ()
    # small parts of those packages their functions import (imports.later_imports)
    later_imports: tuple[str, ...] = ()

    @property
    def problems(self) -> tuple[MissingModule, ...]:
        """Missing modules worth a warning (not optional)."""
        return tuple(m for m in self.missing if not m.optional)

    def summary(self) -> str:
        """``412 modules, 37 binaries, 2 data files, 5 missing (4 optional)``: the INFO line of
        the stage; the missing count is the number of lines of the warnings file."""
        modules = len(self.pure) + len(self.startup)
        optional = len(self.missing) - len(self.problems)
        return (
            f"{modules} modules, {len(self.binaries)} binaries, {len(self.datas)} data files, "
            f"{len(self.missing)} missing ({optional} optional)"
        )


def write_warnings(result: AnalysisResult, path: Path) -> None:
    """Write ``warn-<name>.txt``: one line per missing module, problems first."""
    lines = [
        "This file lists modules the analysis could not find.",
        "'optional' ones are imported inside try/except ImportError or exist only on other",
        "platforms; the others may make the app fail when that code runs.",
        "",
    ]
    for missing in sorted(result.missing, key=lambda m: (m.optional, m.name)):
        importers = ", ".join(missing.importers) or "(hidden import)"
        suffix = " (optional)" if missing.optional else ""
        lines.append(f"missing module named {missing.name} - imported by {importers}{suffix}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


# -- JSON form, for the analysis cache ------------------------------------------------------


def _entry_json(entry: TocEntry) -> list[object]:
    return [entry.name, entry.kind.value, entry.source, entry.mode]


def _entry_from(value: list[object]) -> TocEntry:
    name, kind, source, mode = value
    return TocEntry(
        name=str(name),
        kind=EntryKind(kind),
        source=None if source is None else str(source),
        mode=int(str(mode)),
    )


def _module_json(module: PureModule) -> list[object]:
    return [module.name, None if module.source is None else str(module.source), module.is_package]


def _module_from(value: list[object]) -> PureModule:
    name, source, is_package = value
    return PureModule(
        name=str(name),
        source=None if source is None else Path(str(source)),
        is_package=bool(is_package),
    )


def result_to_json(result: AnalysisResult) -> dict[str, object]:
    return {
        "scripts": [str(p) for p in result.scripts],
        "pure": [_module_json(m) for m in result.pure],
        "startup": [_module_json(m) for m in result.startup],
        "binaries": [_entry_json(e) for e in result.binaries],
        "datas": [_entry_json(e) for e in result.datas],
        "runtime_hooks": [str(p) for p in result.runtime_hooks],
        "missing": [[m.name, list(m.importers), m.optional] for m in result.missing],
        "excluded_libraries": list(result.excluded_libraries),
        "library_needs": [[name, list(needs)] for name, needs in result.library_needs],
        "search_path": list(result.search_path),
        "start_imports": list(result.start_imports),
        "later_imports": list(result.later_imports),
    }


def result_from_json(data: dict[str, list[list[object]]]) -> AnalysisResult:
    return AnalysisResult(
        scripts=tuple(Path(str(p)) for p in data["scripts"]),
        pure=tuple(_module_from(m) for m in data["pure"]),
        startup=tuple(_module_from(m) for m in data["startup"]),
        binaries=tuple(_entry_from(e) for e in data["binaries"]),
        datas=tuple(_entry_from(e) for e in data["datas"]),
        runtime_hooks=tuple(Path(str(p)) for p in data["runtime_hooks"]),
        missing=tuple(
            MissingModule(name=str(n), importers=tuple(str(i) for i in imp), optional=bool(o))  # type: ignore[attr-defined]
            for n, imp, o in data["missing"]
        ),
        excluded_libraries=tuple(str(s) for s in data["excluded_libraries"]),
        library_needs=tuple(
            (str(name), tuple(str(n) for n in needs))  # type: ignore[attr-defined]
            for name, needs in data.get("library_needs", [])
        ),
        search_path=tuple(str(p) for p in data["search_path"]),
        start_imports=tuple(str(n) for n in data.get("start_imports", [])),
        later_imports=tuple(str(n) for n in data.get("later_imports", [])),
    )
