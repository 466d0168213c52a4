"""Which files of a onefile app wait in the archive until first needed (temp mode).

A onefile app in temp mode unpacks its files before Python starts, on every run. Most of
that time goes to shared libraries, and an app rarely imports every extension module it
bundles (numpy's random and fft, the CJK codecs, ssl's libcrypto in an app that never opens
a connection). Extension modules are loaded through the import system, so they, and the
bundled libraries only they load, can be unpacked on first import instead: the runtime's
importer asks the bootloader for a module's files just before the path finder looks for it.

Everything else stays eager: data files, libpython, libraries collected on purpose (by a
hook or ``--add-binary``, which may be opened with ctypes or dlopen by path), and every
library such an eager file loads.

The lazy modules the app imports as it starts (``start_modules``: the analysis follows the
module-level imports of the scripts and runtime hooks) are the start-up set: their rows lead
the table, and the bootloader unpacks their files on a background thread while Python starts;
small modules that the modules imported at start import in their functions from their sibling
modules (the analysis' ``later_imports``) follow them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence

from freezekit.assemble.plan import FileItem, LinkItem
from freezekit.toc import EntryKind

STDLIB_EXTENSIONS = "lib-dynload"


def extension_module(dest: str) -> str | None:
    """The module an extension file at ``dest`` provides, or None if ``dest`` is not where
    the path finder would look for one (``numpy/_core/_umath.cpython-311-x86_64-linux-gnu.so``
    gives ``numpy._core._umath``; ``lib-dynload/math.cpython-311-x86_64-linux-gnu.so``,
    ``math``)."""
    parts = dest.split("/")
    if parts[0] == STDLIB_EXTENSIONS:
        parts = parts[1:]
    if not parts:
        return None
    stem = parts[-1].split(".", 1)[0]
    names = parts[:-1] if stem == "__init__" else [*parts[:-1], stem]
    if not names or not all(name.isidentifier() for name in names):
        return None
    return ".".join(names)


def _resolve_links(links: Sequence[LinkItem]) -> dict[str, str]:
    """Link dest -> the file it ends at (links point at kept files, maybe through links)."""
    direct = {
        link.dest: posixpath.normpath(posixpath.join(posixpath.dirname(link.dest), link.target))
        for link in links
    }
    resolved = {}
    for dest in direct:
        seen = {dest}
        end = direct[dest]
        while end in direct and end not in seen:
            seen.add(end)
            end = direct[end]
        resolved[dest] = end
    return resolved


def _closure(roots: Iterable[str], needs: Mapping[str, Sequence[str]]) -> set[str]:
    found: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in found:
            continue
        found.add(name)
        stack.extend(needs.get(name, ()))
    return found


def lazy_table(
    files: Sequence[FileItem],
    links: Sequence[LinkItem],
    library_needs: Iterable[tuple[str, Sequence[str]]],
    *,
    eager: Iterable[str] = (),
) -> dict[str, tuple[str, ...]]:
    """``{module: (file, ...)}``: for every extension module, the files to unpack before it
    is imported (its own file first, then the libraries it needs that nothing eager needs).

    ``library_needs`` are the analysis' DT_NEEDED edges by entry name; ``eager`` names files
    that must be unpacked before the app starts whatever they are (libpython).
    """
    by_dest = {item.dest: item for item in files}
    link_ends = _resolve_links(links)

    def real(name: str) -> str:
        return link_ends.get(name, name)

    needs: dict[str, list[str]] = {}
    for name, libraries in library_needs:
        needs.setdefault(real(name), []).extend(
            real(lib) for lib in libraries if real(lib) in by_dest
        )
    needed = {lib for libs in needs.values() for lib in libs}
    modules = {
        item.dest: module
        for item in files
        if item.kind is EntryKind.EXTENSION and (module := extension_module(item.dest))
    }
    candidates = set(modules) | {d for d in needed if by_dest[d].kind is EntryKind.BINARY}
    roots = (set(by_dest) - candidates) | {real(name) for name in eager if real(name) in by_dest}
    lazy = candidates - _closure(roots, needs)
    table: dict[str, tuple[str, ...]] = {}
    for dest, module in sorted(modules.items()):
        own = [dest] if dest in lazy else []
        libraries = sorted(_closure([dest], needs) & lazy - {dest})
        if own or libraries:
            table[module] = (*own, *libraries)
    return table


# The largest a module reached only through a function's import (``later_imports``) may be,
# with the libraries it would unpack, to join the end of the start-up set: 128 KiB decodes in
# ~0.1 ms on the idle core, about what creating its file costs, so one the app never imports
# costs little (a file made and removed), while one it imports is not unpacked by the app's
# own thread (~1 ms each of stdlib_app's _queue and _multiprocessing); larger files (_ctypes
# with libffi, _decimal, a module that needs libcrypto) are only unpacked when imported.
LATER_MAX = 128 * 1024


def start_modules(
    table: Mapping[str, Sequence[str]],
    imported: Iterable[str],
    later: Iterable[str] = (),
    sizes: Mapping[str, int] | None = None,
) -> tuple[str, ...]:
    """The lazy modules of ``table`` among ``imported`` (the extension modules the app imports
    as it starts, in that order: the analysis' ``start_imports``), in that order, then those
    of ``later`` (the analysis' ``later_imports``) whose files not in the set yet are at most
    ``LATER_MAX`` bytes by ``sizes`` (file -> size; a file without one is too large): the
    start-up set, which the bootloader unpacks on a background thread while Python starts."""
    found = [module for module in dict.fromkeys(imported) if module in table]
    files = set(start_files(table, found))
    for module in dict.fromkeys(later):
        if module in table and module not in found:
            new = [name for name in table[module] if name not in files]
            if sum((sizes or {}).get(name, LATER_MAX + 1) for name in new) <= LATER_MAX:
                found.append(module)
                files.update(new)
    return tuple(found)


def start_files(table: Mapping[str, Sequence[str]], modules: Iterable[str]) -> list[str]:
    """The files of the start-up set ``modules``, in the order the bootloader unpacks them:
    each module's own file, then the libraries it needs, each file once."""
    return list(dict.fromkeys(file for module in modules for file in table.get(module, ())))
