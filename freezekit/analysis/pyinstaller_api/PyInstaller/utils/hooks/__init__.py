"""``PyInstaller.utils.hooks``: what hook files call to compute their lists.

Everything queries the interpreter it runs in, which inside the analysis worker is the
*target* interpreter with the app's ``sys.path``. Files are found on disk (``find_spec`` and
folder walks, which import at most the parent packages); a package is only imported in a child
interpreter (``PyInstaller.isolated``), by ``get_module_attribute``, ``can_import_module`` and
``get_pyextension_imports``. Pairs are ``(source path, destination folder)`` like the
module-level ``datas``/``binaries`` lists of a hook.
"""

from __future__ import annotations

import fnmatch
import importlib.machinery
import importlib.metadata
import importlib.util
import logging
import os
import pkgutil
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ... import compat, isolated

logger = logging.getLogger("PyInstaller.utils.hooks")

#: Glob patterns of shared libraries that ``collect_dynamic_libs`` looks for.
PY_DYLIB_PATTERNS = ["*.dll", "*.dylib", "lib*.so"]
#: Suffixes of files that are modules, never data.
PY_IGNORE_EXTENSIONS = set(compat.ALL_SUFFIXES)

Pairs = list[tuple[str, str]]

__all__ = [
    "PY_DYLIB_PATTERNS",
    "PY_IGNORE_EXTENSIONS",
    "can_import_module",
    "check_requirement",
    "collect_all",
    "collect_data_files",
    "collect_delvewheel_libs_directory",
    "collect_dynamic_libs",
    "collect_entry_point",
    "collect_submodules",
    "collect_system_data_files",
    "copy_metadata",
    "get_all_package_paths",
    "get_hook_config",
    "get_installer",
    "get_module_attribute",
    "get_module_file_attribute",
    "get_package_paths",
    "get_pyextension_imports",
    "get_pywin32_module_file_attribute",
    "include_or_exclude_file",
    "is_module_or_submodule",
    "is_module_satisfies",
    "is_package",
    "logger",
    "remove_file_extension",
    "remove_prefix",
    "remove_suffix",
    "requirements_for_package",
]


# -- finding packages ------------------------------------------------------------------------


def _spec(name: str) -> importlib.machinery.ModuleSpec | None:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None
    except Exception as exc:  # a parent package that fails to import
        logger.debug("cannot find %s: %s: %s", name, type(exc).__name__, exc)
        return None


def is_package(module_name: str) -> bool:
    spec = _spec(module_name)
    return spec is not None and spec.submodule_search_locations is not None


def get_all_package_paths(package: str) -> list[str]:
    """Every folder of ``package`` (several for a namespace package); [] if not a package."""
    spec = _spec(package)
    if spec is None or spec.submodule_search_locations is None:
        return []
    return [str(p) for p in spec.submodule_search_locations]


def _base_of(package: str, package_dir: str) -> str:
    """The ``sys.path`` entry ``package_dir`` (the folder of ``package``) is found under."""
    base = package_dir
    for _ in package.split("."):
        base = os.path.dirname(base)
    return base


def get_package_paths(package: str) -> tuple[str, str]:
    """``(folder holding the top-level package, folder of package)``."""
    paths = get_all_package_paths(package)
    if not paths:
        raise ValueError(f"package {package!r} does not exist or is not a package")
    return _base_of(package, paths[0]), paths[0]


def get_module_file_attribute(package: str) -> str:
    """``__file__`` of a module or package, found without importing it."""
    spec = _spec(package)
    if spec is None or not spec.has_location or not spec.origin:
        raise ImportError(f"cannot find the file of module {package!r}")
    return str(spec.origin)


def get_pywin32_module_file_attribute(module_name: str) -> str:
    """pywin32 keeps ``pythoncom``/``pywintypes`` DLLs in ``pywin32_system32``."""
    try:
        return get_module_file_attribute(module_name)
    except ImportError:
        pass
    for folder in sys.path:
        candidate = os.path.join(folder, "pywin32_system32")
        if os.path.isdir(candidate):
            for name in os.listdir(candidate):
                if name.lower().startswith(module_name.lower()) and name.endswith(".dll"):
                    return os.path.join(candidate, name)
    raise ImportError(f"cannot find the file of module {module_name!r}")


def _get_attribute(module_name: str, attr_name: str) -> tuple[bool, Any]:
    import importlib

    module = importlib.import_module(module_name)
    if not hasattr(module, attr_name):
        return False, None
    return True, getattr(module, attr_name)


def get_module_attribute(module_name: str, attr_name: str) -> Any:
    """``module.attr`` read in a child interpreter (the module is imported there)."""
    try:
        found, value = isolated.call(_get_attribute, module_name, attr_name)
    except Exception as exc:
        raise AttributeError(
            f"failed to read attribute {attr_name!r} of module {module_name!r}: {exc}"
        ) from exc
    if not found:
        raise AttributeError(f"module {module_name!r} has no attribute {attr_name!r}")
    return value


def _can_import(module_name: str) -> bool:
    import importlib

    try:
        importlib.import_module(module_name)
    except Exception:
        return False
    return True


def can_import_module(module_name: str) -> bool:
    """Whether ``import module_name`` works (tried in a child interpreter)."""
    try:
        return bool(isolated.call(_can_import, module_name))
    except Exception:
        return False


def _new_modules(module_name: str) -> list[str]:
    import importlib
    import sys

    before = set(sys.modules)
    importlib.import_module(module_name)
    return sorted(set(sys.modules) - before - {module_name})


def get_pyextension_imports(module_name: str) -> list[str]:
    """Modules an (extension) module imports while it is imported, found in a child."""
    try:
        names: list[str] = isolated.call(_new_modules, module_name)
    except Exception as exc:
        logger.warning("cannot import %s to list its imports: %s", module_name, exc)
        return []
    return names


# -- module names ----------------------------------------------------------------------------


def is_module_or_submodule(name: str, mod_or_submod: str) -> bool:
    return name == mod_or_submod or name.startswith(mod_or_submod + ".")


def remove_prefix(string: str, prefix: str) -> str:
    return string[len(prefix) :] if string.startswith(prefix) else string


def remove_suffix(string: str, suffix: str) -> str:
    return string[: -len(suffix)] if suffix and string.endswith(suffix) else string


def remove_file_extension(filename: str) -> str:
    for suffix in sorted(compat.ALL_SUFFIXES, key=len, reverse=True):
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return os.path.splitext(filename)[0]


def _walk(paths: list[str], prefix: str, keep: Callable[[str], bool]) -> list[str]:
    names: list[str] = []
    for info in pkgutil.iter_modules(paths, prefix):
        if not keep(info.name):
            continue
        names.append(info.name)
        if info.ispkg:
            leaf = info.name.rpartition(".")[2]
            sub = [os.path.join(p, leaf) for p in paths if os.path.isdir(os.path.join(p, leaf))]
            names.extend(_walk(sub, info.name + ".", keep))
    return names


def collect_submodules(
    package: str,
    filter: Callable[[str], bool] | None = None,  # noqa: A002  # PyInstaller's keyword
    on_error: str = "warn once",
) -> list[str]:
    """``package`` and every module below it found on disk, as names. ``filter(name)`` false
    leaves a module out (and everything below it). Nothing is imported but the parents."""
    if not isinstance(package, str):
        raise TypeError("package must be a str")
    if on_error not in ("ignore", "warn once", "warn", "raise"):
        raise ValueError(f"invalid on_error value {on_error!r}")
    keep = filter or (lambda _name: True)
    spec = _spec(package)
    if spec is None:
        if on_error != "ignore":
            logger.warning("collect_submodules: module %r cannot be found", package)
        return []
    if not keep(package):
        return []
    names = [package]
    if spec.submodule_search_locations is not None:
        locations = [str(p) for p in spec.submodule_search_locations]
        names.extend(_walk(locations, package + ".", keep))
    return sorted(set(names))


# -- files -----------------------------------------------------------------------------------


def _expand_patterns(folder: Path, patterns: Iterable[str]) -> set[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        for path in folder.glob(pattern):
            if path.is_dir():
                found.update(p for p in path.rglob("*") if p.is_file())
            elif path.is_file():
                found.add(path)
    return found


def include_or_exclude_file(
    filename: str,
    include_list: Sequence[str] | None = None,
    exclude_list: Sequence[str] | None = None,
) -> bool:
    """Whether ``filename`` matches an include pattern (or there are none) and no exclude."""
    if include_list is not None and not any(fnmatch.fnmatch(filename, p) for p in include_list):
        return False
    return not (exclude_list and any(fnmatch.fnmatch(filename, p) for p in exclude_list))


def _is_module_file(name: str, *, include_py_files: bool) -> bool:
    if include_py_files:
        return name.endswith(tuple(compat.EXTENSION_SUFFIXES))
    return name.endswith(tuple(PY_IGNORE_EXTENSIONS))


def collect_data_files(
    package: str,
    include_py_files: bool = False,
    subdir: str | os.PathLike[str] | None = None,
    excludes: Sequence[str] | None = None,
    includes: Sequence[str] | None = None,
) -> Pairs:
    """Every non-module file under ``package`` (or its ``subdir``), as
    ``(file, folder relative to the top directory)``. ``includes``/``excludes`` are glob
    patterns relative to the package folder; a pattern naming a folder means its files."""
    if not isinstance(package, str):
        raise TypeError("package must be a str")
    folders = get_all_package_paths(package)
    if not folders:
        logger.warning("collect_data_files: %r is not a package; no data files", package)
        return []
    pairs: Pairs = []
    for folder in folders:
        base = _base_of(package, folder)
        root = Path(folder, subdir) if subdir else Path(folder)
        if not root.is_dir():
            continue
        files = _expand_patterns(root, includes or ["**/*"])
        files -= _expand_patterns(root, excludes or [])
        for path in sorted(files):
            if "__pycache__" in path.parts or _is_module_file(
                path.name, include_py_files=include_py_files
            ):
                continue
            pairs.append((str(path), os.path.relpath(path.parent, base)))
    return pairs


def collect_system_data_files(
    path: str, destdir: str | os.PathLike[str] | None = None, include_py_files: bool = False
) -> Pairs:
    """Every file under folder ``path``, below ``destdir`` keeping its relative place."""
    if not isinstance(path, str):
        raise TypeError("path must be a str")
    pairs: Pairs = []
    for root, _dirs, files in os.walk(path):
        for name in sorted(files):
            if not include_py_files and _is_module_file(name, include_py_files=False):
                continue
            rel = os.path.relpath(root, path)
            dest = os.path.normpath(os.path.join(str(destdir or "."), rel))
            pairs.append((os.path.join(root, name), dest))
    return pairs


def collect_dynamic_libs(
    package: str,
    destdir: str | None = None,
    search_patterns: Sequence[str] = PY_DYLIB_PATTERNS,
) -> Pairs:
    """Shared libraries (``search_patterns``) under ``package``; extension modules excluded."""
    if not isinstance(package, str):
        raise TypeError("package must be a str")
    pairs: Pairs = []
    for folder in get_all_package_paths(package):
        base = _base_of(package, folder)
        files: set[Path] = set()
        for pattern in search_patterns:
            files.update(p for p in Path(folder).rglob(pattern) if p.is_file())
        for path in sorted(files):
            if path.name.endswith(tuple(compat.EXTENSION_SUFFIXES)) and not path.name.startswith(
                "lib"
            ):
                continue
            dest = destdir if destdir is not None else os.path.relpath(path.parent, base)
            pairs.append((str(path), dest))
    return pairs


def collect_delvewheel_libs_directory(
    package_name: str,
    libdir_name: str | None = None,
    datas: Pairs | None = None,
    binaries: Pairs | None = None,
) -> tuple[Pairs, Pairs]:
    """The ``<distribution>.libs`` folder delvewheel puts next to a package (Windows wheels),
    added to ``binaries`` (``.load-order`` files to ``datas``); unchanged lists when absent."""
    datas = list(datas or [])
    binaries = list(binaries or [])
    try:
        base, _folder = get_package_paths(package_name)
    except ValueError:
        return datas, binaries
    name = libdir_name or f"{package_name.split('.')[0]}.libs"
    libs = os.path.join(base, name)
    if not os.path.isdir(libs):
        return datas, binaries
    for entry in sorted(os.listdir(libs)):
        full = os.path.join(libs, entry)
        if not os.path.isfile(full):
            continue
        if entry.startswith(".load-order"):
            datas.append((full, name))
        else:
            binaries.append((full, name))
    return datas, binaries


# -- distributions ---------------------------------------------------------------------------


def _normalize(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _dist_dest(path: str) -> str:
    """Where a distribution's metadata folder goes: its place relative to the sys.path entry
    it is found under (just its name for a ``site-packages`` ``.dist-info``)."""
    folders = sorted((p for p in sys.path if p and os.path.isdir(p)), key=len, reverse=True)
    for folder in folders:
        prefix = os.path.join(os.path.abspath(folder), "")
        if path.startswith(prefix):
            return os.path.relpath(path, folder)
    return os.path.basename(path.rstrip(os.sep))


def _requirements(dist: importlib.metadata.Distribution, extras: Iterable[str]) -> list[Any]:
    from packaging.requirements import InvalidRequirement, Requirement

    wanted = []
    for text in dist.requires or ():
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is None:
            wanted.append(req)
            continue
        envs = [{"extra": ""}] + [{"extra": e} for e in extras]
        if any(req.marker.evaluate(env) for env in envs):
            wanted.append(req)
    return wanted


def copy_metadata(package_name: str, recursive: bool = False) -> Pairs:
    """``[(metadata folder, destination)]`` of distribution ``package_name`` (and, with
    ``recursive``, of every distribution it requires that is installed, following the
    requirements whose environment markers hold). A missing distribution raises
    ``importlib.metadata.PackageNotFoundError``; a missing requirement is skipped."""
    pairs: Pairs = []
    seen: set[str] = set()
    todo: list[tuple[str, tuple[str, ...], bool]] = [(package_name, (), True)]
    while todo:
        name, extras, first = todo.pop(0)
        key = _normalize(name)
        if key in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if first:
                raise
            logger.debug("copy_metadata: %s, required by %s, is not installed", name, package_name)
            continue
        seen.add(key)
        path = getattr(dist, "_path", None)
        if path is None:
            raise importlib.metadata.PackageNotFoundError(name)
        src = str(path)
        if os.path.basename(src) == "EGG-INFO":  # an .egg folder
            dest = os.path.join(os.path.basename(os.path.dirname(src)), "EGG-INFO")
        else:
            dest = _dist_dest(os.path.abspath(src))
        pairs.append((src, dest))
        if recursive:
            for req in _requirements(dist, extras):
                todo.append((req.name, tuple(sorted(req.extras)), False))
    return pairs


def requirements_for_package(package_name: str) -> list[str]:
    """Names of the installed distributions ``package_name`` requires (markers held)."""
    dist = importlib.metadata.distribution(package_name)
    names = []
    for req in _requirements(dist, ()):
        try:
            importlib.metadata.distribution(req.name)
        except importlib.metadata.PackageNotFoundError:
            continue
        names.append(req.name)
    return names


def collect_entry_point(name: str) -> tuple[Pairs, list[str]]:
    """Metadata of every distribution with entry points in group ``name``, and the modules
    those entry points name: ``(datas, hiddenimports)``."""
    datas: Pairs = []
    imports: list[str] = []
    for dist in importlib.metadata.distributions():
        points = [ep for ep in dist.entry_points if ep.group == name]
        if not points:
            continue
        dist_name = dist.metadata["Name"]
        if dist_name:
            for pair in copy_metadata(dist_name):
                if pair not in datas:
                    datas.append(pair)
        for ep in points:
            module = ep.value.split(":")[0].strip()
            if module and module not in imports:
                imports.append(module)
    return datas, imports


def collect_all(
    package_name: str,
    include_py_files: bool = True,
    filter_submodules: Callable[[str], bool] | None = None,
    exclude_datas: Sequence[str] | None = None,
    include_datas: Sequence[str] | None = None,
    on_error: str = "warn once",
) -> tuple[Pairs, Pairs, list[str]]:
    """``(datas, binaries, hiddenimports)``: the package's data files, the metadata of the
    distributions that provide it, its shared libraries and its submodules."""
    datas = collect_data_files(
        package_name, include_py_files, excludes=exclude_datas, includes=include_datas
    )
    top = package_name.split(".")[0]
    dist_names = importlib.metadata.packages_distributions().get(top) or [package_name]
    for dist_name in dict.fromkeys(dist_names):
        try:
            datas += copy_metadata(dist_name)
        except importlib.metadata.PackageNotFoundError:
            logger.debug("collect_all: no distribution named %s", dist_name)
    binaries = collect_dynamic_libs(package_name)
    hiddenimports = collect_submodules(package_name, filter=filter_submodules, on_error=on_error)
    return datas, binaries, hiddenimports


def _version_of(name: str, version_attr: str | None) -> str | None:
    if _normalize(name) == "pyinstaller":
        from ... import __version__

        return __version__
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        pass
    if _spec(name) is None:  # no such module either: no child interpreter needed
        return None
    try:
        value = get_module_attribute(name, version_attr or "__version__")
    except (AttributeError, ImportError):
        return None
    return str(value) if value is not None else None


def check_requirement(requirement: str) -> bool:
    """Whether an installed distribution satisfies ``requirement`` (PEP 508 text)."""
    from packaging.requirements import Requirement

    req = Requirement(requirement)
    if _normalize(req.name) == "pyinstaller":
        from ... import __version__ as version
    else:
        try:
            version = importlib.metadata.version(req.name)
        except importlib.metadata.PackageNotFoundError:
            return False
    return req.specifier.contains(version, prereleases=True)


def is_module_satisfies(
    requirements: str, version: str | None = None, version_attr: str | None = None
) -> bool:
    """Whether the distribution (or, failing that, the module's ``__version__``) named in
    ``requirements`` is present and satisfies it."""
    from packaging.requirements import Requirement

    req = Requirement(requirements)
    found = version if version is not None else _version_of(req.name, version_attr)
    if found is None:
        return False
    return req.specifier.contains(found, prereleases=True)


def get_installer(module: str) -> str | None:
    """The installer (``pip``, ``conda``, ...) that installed the distribution providing
    ``module``, from its ``INSTALLER`` file; None if unknown."""
    top = module.split(".")[0]
    names = importlib.metadata.packages_distributions().get(top, [])
    for name in names or [module]:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        text = dist.read_text("INSTALLER")
        if text:
            return text.strip()
        if compat.is_conda:
            return "conda"
    return None


# -- hook options ----------------------------------------------------------------------------


def get_hook_config(hook_api: Any, module_name: str, key: str) -> Any:
    """``hooksconfig[module_name][key]`` of the spec file, or None."""
    analysis = getattr(hook_api, "analysis", None)
    config = getattr(analysis, "hooksconfig", None) or {}
    section = config.get(module_name) or {}
    return section.get(key)
