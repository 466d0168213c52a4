"""The only code that writes dist/: executables and onedir folders, atomically.

Everything is written next to its final place under a ``.partial`` name and renamed on
success; on failure the partial output is removed and the previous dist output stays intact.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from freezekit.analysis.macho import (
    cover_appended_data,
    is_thin_macho64,
    sign_adhoc,
    strip_code_signature,
)
from freezekit.archive.pkg import window_log_of, write_pkg
from freezekit.archive.pyz import WINDOW_LOG, precompress_files
from freezekit.assemble.plan import TOP_DIR_NAME, CollectPlan
from freezekit.errors import AssembleError
from freezekit.options import Mode

logger = logging.getLogger(__name__)


def check_output_writable(distpath: Path) -> None:
    """Fail early, before any work, when the dist folder cannot be written."""
    try:
        distpath.mkdir(parents=True, exist_ok=True)
        probe = distpath / f".freezekit-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise AssembleError(
            f"cannot write to dist path {distpath}: {exc.strerror}",
            hint="choose a writable folder with --distpath",
        ) from exc


def write_executable(
    plan: CollectPlan,
    bootloader: Path,
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write bootloader + PKG + trailer to ``path``; returns the size. ``progress(done,
    total)``: bytes compressed so far."""
    items = plan.pkg_items()
    # the files' frames, compressed on every processor into the frame cache first
    sources = [i.source for i in items if i.compress and i.source]
    eager = {i.source for i in items if i.source and window_log_of(i, plan.header) != WINDOW_LOG}
    precompress_files(sources, level=plan.level, progress=progress, eager=eager)
    with open(bootloader, "rb") as stream:
        head = stream.read(4)
    macho = is_thin_macho64(head)
    with open(path, "wb") as out:
        if macho:  # its linker signature would not cover the archive: codesign signs later
            out.write(strip_code_signature(bytearray(bootloader.read_bytes())))
        else:
            with open(bootloader, "rb") as stream:
                shutil.copyfileobj(stream, out)
        write_pkg(out, items, plan.header, pkg_offset=out.tell(), level=plan.level)
        size = out.tell()
    os.chmod(path, 0o755)
    if macho:
        cover_appended_data(path)
        sign_adhoc([path])  # macOS hosts: arm64 runs nothing unsigned; a cell may sign again
        size = path.stat().st_size
    return size


def _write_top_dir(plan: CollectPlan, top: Path) -> None:
    top.mkdir()
    for item in plan.files:
        dest = top / item.dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.source, dest)
        os.chmod(dest, item.mode)
    for link in plan.links:
        dest = top / link.dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(link.target, dest)
        except OSError as exc:
            raise AssembleError(
                f"cannot create symbolic link {dest}: {exc.strerror}",
                hint="onedir builds need a filesystem that supports symbolic links",
            ) from exc


@contextlib.contextmanager
def _partial(final: Path) -> Iterator[Path]:
    partial = final.with_name(f".{final.name}.partial-{os.getpid()}")
    _remove(partial)
    try:
        yield partial
    except BaseException:
        _remove(partial)
        raise
    _replace(partial, final)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _replace(partial: Path, final: Path) -> None:
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists() or final.is_symlink():
        os.rename(final, old)
    os.rename(partial, final)
    _remove(old)


def assemble(
    plan: CollectPlan,
    bootloader: Path,
    distpath: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the output of ``plan`` under ``distpath``; returns the app's path. ``progress``:
    see write_executable."""
    distpath.mkdir(parents=True, exist_ok=True)
    try:
        if plan.mode is Mode.ONEFILE:
            final = distpath / plan.name
            with _partial(final) as partial:
                write_executable(plan, bootloader, partial, progress=progress)
            return final
        final = distpath / plan.name
        with _partial(final) as partial:
            partial.mkdir()
            _write_top_dir(plan, partial / TOP_DIR_NAME)
            write_executable(plan, bootloader, partial / plan.name, progress=progress)
        return final
    except OSError as exc:
        raise AssembleError(
            f"cannot write {distpath / plan.name}: {exc.strerror} ({exc.filename})",
            hint="check free space and permissions of the dist folder",
        ) from exc
