"""Files that are not modules: package data, --add-data / --add-binary, hook datas.

Every function returns TOC entries whose ``name`` is the path under the top directory.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath

from freezekit.errors import AnalysisError
from freezekit.toc import EntryKind, TocEntry, check_relative_name

_CODE_SUFFIXES = (".py", ".pyc", ".pyo")
_SKIPPED_DIRS = frozenset({"__pycache__"})

logger = logging.getLogger(__name__)


def is_shared_library(name: str) -> bool:
    return name.endswith(".so") or ".so." in name


def package_files(
    package: str, folders: Sequence[str], *, data: bool, binaries: bool, ext_suffix: str
) -> list[TocEntry]:
    """Non-Python files of a package (``data``) and/or its shared libraries (``binaries``),
    placed under the package's path (``a.b`` → ``a/b/...``)."""
    prefix = PurePosixPath(*package.split("."))
    entries = []
    for folder in folders:
        root = Path(folder)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
            for file_name in sorted(filenames):
                if file_name.endswith(_CODE_SUFFIXES):
                    continue
                source = Path(dirpath, file_name)
                name = (prefix / source.relative_to(root).as_posix()).as_posix()
                if is_shared_library(file_name):
                    if binaries:
                        kind = (
                            EntryKind.EXTENSION
                            if file_name.endswith((ext_suffix, ".abi3.so"))
                            else EntryKind.BINARY
                        )
                        entries.append(
                            TocEntry(name=name, kind=kind, source=str(source), mode=0o755)
                        )
                elif data:
                    entries.append(
                        TocEntry(
                            name=name, kind=EntryKind.DATA, source=str(source), mode=_mode(source)
                        )
                    )
    return entries


#: Files in a package folder that are never read at run time: source, stubs, build inputs.
_NOT_DATA_SUFFIXES = (
    *_CODE_SUFFIXES,
    ".pyi",
    ".pyx",
    ".pxd",
    ".pxi",
    ".c",
    ".h",
    ".cpp",
    ".hpp",
    ".a",
    ".lib",
    ".o",
    ".po",  # gettext sources: the .mo next to them is what is read
    ".pot",
)
_NOT_DATA_NAMES = frozenset({"py.typed"})
#: Folders of a package that are not its run-time data: test suites without __init__.py,
#: headers and examples for building against the package, binding generators' inputs.
_NOT_DATA_DIRS = frozenset(
    {"__pycache__", "tests", "test", "testing", "include", "examples", "_examples"}
    | {"typesystems", "glue"}
)


def package_data(package: str, folder: str) -> list[TocEntry]:
    """The data files of a bundled package: every file of its folder that is not code, a stub,
    a build input, a program or a shared library, and those of its subfolders that are not
    packages themselves (a subpackage brings its own when it is bundled). Code reads these by
    path (``Path(__file__).parent / "schemas"``, locale folders, grammar files), which no
    import reveals. A subfolder holding a shared library anywhere below is a vendored native
    tree (``PySide6/Qt``: libraries, plugins, QML, translations): its files are left to hooks
    and the dependency walk."""
    prefix = PurePosixPath(*package.split("."))
    root = Path(folder)
    found: list[Path] = []
    native: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in _NOT_DATA_DIRS
            and not d.startswith(".")  # .mypy_cache, .git, ...
            and not d.endswith((".dist-info", ".egg-info"))
            and not os.path.exists(os.path.join(dirpath, d, "__init__.py"))
        )
        here = Path(dirpath).relative_to(root)
        for file_name in sorted(filenames):
            if is_shared_library(file_name):
                native.update(p for p in (here, *here.parents) if p != Path("."))
            elif _stub_read_at_run_time(Path(dirpath, file_name)) or not (
                file_name.startswith(".")
                or file_name.endswith(_NOT_DATA_SUFFIXES)
                or file_name in _NOT_DATA_NAMES
                or _is_program(Path(dirpath, file_name))
            ):
                found.append(here / file_name)
    entries = []
    for relative in found:
        if native.intersection(relative.parents):
            continue
        source = root / relative
        entries.append(
            TocEntry(
                name=(prefix / relative.as_posix()).as_posix(),
                kind=EntryKind.DATA,
                source=str(source),
                mode=_mode(source),
            )
        )
    return entries


def _stub_read_at_run_time(path: Path) -> bool:
    """The ``__init__.pyi`` of a package whose ``__init__`` calls ``lazy_loader.attach_stub(
    __name__, __file__)``: the stub lists the lazy attributes and is read at run time
    (scikit-image)."""
    if path.name != "__init__.pyi":
        return False
    try:
        return b"attach_stub(" in path.with_suffix(".py").read_bytes()
    except OSError:
        return False


def _is_program(path: Path) -> bool:
    """An executable file (a tool shipped in the wheel: PySide6's designer, lupdate)."""
    return os.access(path, os.X_OK)


def _mode(source: Path) -> int:
    return 0o755 if os.access(source, os.X_OK) else 0o644


def _dest_name(dest_dir: str, relative: str) -> str:
    dest = PurePosixPath(dest_dir.replace("\\", "/").strip("/") or ".")
    return str(dest / relative) if str(dest) != "." else relative


def add_files(
    pairs: Iterable[tuple[str, str]],
    *,
    kind: EntryKind,
    base: Path,
    origin: str,
    keep_links: bool = False,
) -> list[TocEntry]:
    """Expand ``(source, destination folder)`` pairs: a file goes into the folder, a folder's
    contents go into it (recursively), a glob adds each matching file.

    With ``keep_links``, a symbolic link inside an added folder that points into that folder
    (a file or a whole folder) stays a link (a ``symlink`` entry whose source is the link);
    one that points out of it is bundled as a copy, with a warning."""
    entries: list[TocEntry] = []
    for source, dest_dir in pairs:
        pattern = source if os.path.isabs(source) else str(base / source)
        matches = (
            sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        )
        matches = [m for m in matches if os.path.exists(m)]
        if not matches:
            raise AnalysisError(
                f"{origin}: {source!r} matches no file",
                hint=f"paths are taken relative to {base}; check the spelling",
            )
        for match in matches:
            path = Path(match)
            if path.is_dir() and keep_links:
                for rel_name, found, is_link in tree_with_links(path, origin):
                    name = _dest_name(dest_dir, rel_name.replace(os.sep, "/"))
                    if is_link:
                        entries.append(TocEntry(name=name, kind=EntryKind.SYMLINK, source=found))
                    else:
                        entries.append(_entry(name, kind, Path(found), origin))
            elif path.is_dir():
                for file in sorted(p for p in path.rglob("*") if p.is_file()):
                    if _SKIPPED_DIRS.intersection(file.relative_to(path).parts):
                        continue
                    rel = file.relative_to(path).as_posix()
                    entries.append(_entry(_dest_name(dest_dir, rel), kind, file, origin))
            else:
                entries.append(_entry(_dest_name(dest_dir, path.name), kind, path, origin))
    return entries


def tree_with_links(root: Path, origin: str) -> Iterator[tuple[str, str, bool]]:
    """``(relative name, path, is_link)`` for the files and kept links under ``root``."""
    real_root = os.path.realpath(root)

    def inside(path: str) -> bool:
        real = os.path.realpath(path)
        return real == real_root or real.startswith(os.path.join(real_root, ""))

    for dirpath, dirnames, filenames in os.walk(root):  # does not descend into linked folders
        rel_dir = os.path.relpath(dirpath, root)
        dirnames.sort()
        for name in list(dirnames):
            full = os.path.join(dirpath, name)
            if name in _SKIPPED_DIRS:
                dirnames.remove(name)
            elif os.path.islink(full):
                dirnames.remove(name)
                yield from _linked(full, os.path.join(rel_dir, name), inside(full), origin)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if not os.path.islink(full):
                yield rel, full, False
            else:
                yield from _linked(full, rel, inside(full), origin)


def _linked(link: str, rel: str, inside: bool, origin: str) -> Iterator[tuple[str, str, bool]]:
    rel = os.path.normpath(rel)
    target = os.path.realpath(link)
    if inside and os.path.exists(link):
        yield rel, link, True
        return
    if not os.path.exists(link):
        logger.warning("%s: skipping %s, a symbolic link to a missing %s", origin, link, target)
        return
    if os.path.isfile(link):
        logger.warning(
            "%s: %s is a symbolic link out of the added folder (to %s): bundled as a copy",
            origin,
            link,
            target,
        )
        yield rel, link, False
        return
    if os.path.commonpath([target, os.path.realpath(os.path.dirname(link))]) == target:
        logger.warning(
            "%s: skipping %s, a symbolic link to its own parent %s", origin, link, target
        )
        return
    logger.warning(
        "%s: %s is a symbolic link out of the added folder (to %s): its files are bundled as "
        "copies",
        origin,
        link,
        target,
    )
    for dirpath, dirnames, filenames in os.walk(link, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if os.path.isfile(full):
                yield os.path.normpath(os.path.join(rel, os.path.relpath(full, link))), full, False


def link_target(link: str) -> str:
    """The relative target a kept link gets in the app: its own target when that is relative
    and goes through no other link, else the path from its folder to what it resolves to."""
    folder = os.path.realpath(os.path.dirname(link))
    real = os.path.realpath(link)
    raw = os.readlink(link)
    if not os.path.isabs(raw) and os.path.normpath(os.path.join(folder, raw)) == real:
        return raw.replace(os.sep, "/")
    return os.path.relpath(real, folder).replace(os.sep, "/")


def added_folders(pairs: Iterable[tuple[str, str]], *, base: Path) -> list[str]:
    """Every folder under the sources of ``(source, destination folder)`` pairs (under a glob's
    fixed part): a file appearing in one of them is added to the app."""
    folders = []
    for source, _ in pairs:
        path = source if os.path.isabs(source) else str(base / source)
        while glob.has_magic(path):
            path = os.path.dirname(path)
        for folder, dirnames, _ in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
            folders.append(folder)
    return folders


def _entry(name: str, kind: EntryKind, source: Path, origin: str) -> TocEntry:
    try:
        check_relative_name(name)
    except ValueError as exc:
        raise AnalysisError(
            f"{origin}: destination {name!r} is not allowed: {exc}",
            hint="use a relative folder such as 'data' or '.'",
        ) from exc
    mode = 0o755 if kind is not EntryKind.DATA else _mode(source)
    return TocEntry(name=name, kind=kind, source=str(source), mode=mode)


def merge_entries(groups: Iterable[Iterable[TocEntry]]) -> tuple[TocEntry, ...]:
    """One entry per name (the first wins), sorted by name."""
    merged: dict[str, TocEntry] = {}
    for group in groups:
        for entry in group:
            merged.setdefault(entry.name, entry)
    return tuple(merged[k] for k in sorted(merged))
