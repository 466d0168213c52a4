"""``[tool.freezekit]`` in pyproject.toml → BuildOptions.

Keys are the command-line flags in kebab-case (``hidden-imports``, ``onefile-extract``, ...);
``mode = "onefile"`` is ``--onefile``. Paths (scripts, datas and binaries sources, paths,
runtime-hooks, hooks-dirs, distpath, workpath) are relative to the pyproject's folder.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from freezekit.errors import OptionsError
from freezekit.options import BuildOptions, Extract, Mode
from freezekit.spec.api import check_python_option

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover  # Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]  # 3.10 only

logger = logging.getLogger(__name__)

TABLE = "[tool.freezekit]"

Convert = Callable[[str, object, Path], object]


def _fail(key: str, value: object, expected: str) -> OptionsError:
    return OptionsError(
        f"{TABLE} {key} = {value!r} is not {expected}",
        hint=f"set {key} to {expected} (see `freezekit build --help` for the matching flag)",
    )


def _string(key: str, value: object, base: Path) -> object:
    if not isinstance(value, str):
        raise _fail(key, value, "a string")
    return value


def _boolean(key: str, value: object, base: Path) -> object:
    if not isinstance(value, bool):
        raise _fail(key, value, "true or false")
    return value


def _strings(key: str, value: object, base: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(key, value, "a list of strings")
    return tuple(value)


def _paths(key: str, value: object, base: Path) -> object:
    return tuple(base / v for v in _strings(key, value, base))


def _path(key: str, value: object, base: Path) -> object:
    return base / str(_string(key, value, base))


def _pairs(key: str, value: object, base: Path) -> object:
    if not isinstance(value, list) or not all(
        isinstance(v, list) and len(v) == 2 and all(isinstance(s, str) for s in v) for v in value
    ):
        raise _fail(key, value, 'a list of ["source", "destination"] pairs')
    return tuple((str(base / source), dest) for source, dest in value)


def _choice(*choices: str) -> Convert:
    def convert(key: str, value: object, base: Path) -> object:
        if value not in choices:
            raise _fail(key, value, " or ".join(repr(c) for c in choices))
        return value

    return convert


def _level(key: str, value: object, base: Path) -> object:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 22:
        raise _fail(key, value, "a number from 1 to 22")
    return value


def _python_options(key: str, value: object, base: Path) -> object:
    try:
        return tuple(check_python_option(v) for v in _strings(key, value, base))
    except OptionsError as exc:
        raise OptionsError(f"{TABLE} {key}: {exc.message}", hint=exc.hint) from exc


def _optimize(key: str, value: object, base: Path) -> object:
    if not isinstance(value, int) or isinstance(value, bool) or value not in (0, 1, 2):
        raise _fail(key, value, "0, 1 or 2")
    return value


# key → (BuildOptions field, conversion)
KEYS: dict[str, tuple[str, Convert]] = {
    "scripts": ("scripts", _paths),
    "name": ("name", _string),
    "mode": ("mode", _choice("onedir", "onefile")),
    "windowed": ("windowed", _boolean),
    "distpath": ("distpath", _path),
    "workpath": ("workpath", _path),
    "datas": ("datas", _pairs),
    "binaries": ("binaries", _pairs),
    "hidden-imports": ("hidden_imports", _strings),
    "excludes": ("excludes", _strings),
    "paths": ("paths", _paths),
    "collect-submodules": ("collect_submodules", _strings),
    "collect-data": ("collect_data", _strings),
    "collect-binaries": ("collect_binaries", _strings),
    "collect-all": ("collect_all", _strings),
    "copy-metadata": ("copy_metadata", _strings),
    "recursive-copy-metadata": ("recursive_copy_metadata", _strings),
    "hooks-dirs": ("hooks_dirs", _paths),
    "runtime-hooks": ("runtime_hooks", _paths),
    "ignore-hook-errors": ("ignore_hook_errors", _boolean),
    "runtime-tmpdir": ("runtime_tmpdir", _string),
    "onefile-extract": ("onefile_extract", _choice("temp", "temp-all", "cache")),
    "python-options": ("python_options", _python_options),
    "target": ("target", _string),
    "optimize": ("optimize", _optimize),
    "strip": ("strip", _boolean),
    "lean": ("lean", _boolean),
    "smoke-probes": ("smoke_probes", _boolean),
    "reset-subprocess-env": ("reset_subprocess_env", _boolean),
    "icon": ("icon", _string),
    "compression-level": ("compression_level", _level),
}


#: keys of the table that are not build options: the app's own checks (freezekit.smoke.checks),
#: read by the cell job
NOT_OPTIONS = ("checks",)


def read_table(path: Path) -> Mapping[str, object]:
    """The ``[tool.freezekit]`` table of ``path``."""
    try:
        with open(path, "rb") as stream:
            data = tomllib.load(stream)
    except OSError as exc:
        raise OptionsError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OptionsError(f"{path} is not valid TOML: {exc}") from exc
    table = data.get("tool", {}).get("freezekit")
    if not isinstance(table, dict):
        raise OptionsError(
            f"{path} has no {TABLE} table",
            hint='add one, e.g. [tool.freezekit] scripts = ["app.py"]',
        )
    return table


def options_from_table(table: Mapping[str, object], base: Path) -> BuildOptions:
    """BuildOptions from a ``[tool.freezekit]`` table whose paths are relative to ``base``."""
    values: dict[str, object] = {}
    for key, value in table.items():
        if key in NOT_OPTIONS:
            continue
        if key not in KEYS:
            close = difflib.get_close_matches(key, list(KEYS), n=1, cutoff=0.6)
            raise OptionsError(
                f"unknown key {key!r} in {TABLE}",
                hint=f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(KEYS)}",
            )
        field, convert = KEYS[key]
        values[field] = convert(key, value, base)
    scripts = values.get("scripts")
    if not scripts:
        raise OptionsError(f"{TABLE} has no scripts", hint='add scripts = ["app.py"]')
    assert isinstance(scripts, tuple)
    values.setdefault("name", Path(scripts[0]).stem)
    values["mode"] = Mode(values.get("mode", "onedir"))
    values["onefile_extract"] = Extract(values.get("onefile_extract", "temp"))
    if "distpath" not in values:
        values["distpath"] = base / "dist"
    if "workpath" not in values:
        values["workpath"] = base / "build"
    values.setdefault("windowed", Path(scripts[0]).suffix == ".pyw")
    return BuildOptions(**values)  # type: ignore[arg-type]  # each value converted above


def options_from_pyproject(path: Path, args: argparse.Namespace | None = None) -> BuildOptions:
    """``freezekit build pyproject.toml``: the table, with the build-environment flags of the
    command line (the ones a spec build takes: --distpath, --workpath, -y, --clean, --python,
    --bootloader) applied over it; other flags are ignored with a warning, as for spec files."""
    from freezekit.spec.run import SPEC_EFFECTIVE, ignored_flags

    options = load_pyproject(path)
    if args is None:
        return options
    for spelling in ignored_flags(args):
        logger.warning(
            "ignoring %s: building from %s uses its [tool.freezekit] table "
            "(edit the table to change it)",
            spelling,
            path.name,
        )
    given = {k: v for k, v in vars(args).items() if k in SPEC_EFFECTIVE}
    changes: dict[str, object] = {}
    for key in ("distpath", "workpath", "python", "bootloader"):
        if given.get(key):
            changes[key] = Path(str(given[key]))
    if getattr(args, "target", None):
        changes["target"] = str(args.target)
    for key in ("noconfirm", "clean"):
        if key in given:
            changes[key] = bool(given[key])
    return replace(options, **changes)  # type: ignore[arg-type]  # fields checked above


def load_pyproject(path: Path) -> BuildOptions:
    """BuildOptions from the ``[tool.freezekit]`` table of the pyproject.toml at ``path``."""
    if path.is_dir():
        path = path / "pyproject.toml"
    table = read_table(path)
    try:
        return options_from_table(table, path.absolute().parent)
    except OptionsError as exc:
        raise OptionsError(f"{path}: {exc.message}", hint=exc.hint) from exc
