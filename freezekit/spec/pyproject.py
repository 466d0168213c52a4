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
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from freezekit.errors import OptionsError
from freezekit.option_table import BadValue, Option, by_key
from freezekit.options import BuildOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover  # Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]  # 3.10 only

logger = logging.getLogger(__name__)

TABLE = "[tool.freezekit]"

#: key -> the row of the option table it sets (freezekit.option_table: one row per option)
KEYS: dict[str, Option] = by_key()


def _fail(key: str, value: object, expected: str) -> OptionsError:
    return OptionsError(
        f"{TABLE} {key} = {value!r} is not {expected}",
        hint=f"set {key} to {expected} (see `freezekit build --help` for the matching flag)",
    )


def convert(key: str, option: Option, value: object, base: Path) -> object:
    """The field's value for ``key = value``; relative paths are under ``base``."""
    assert option.kind is not None
    try:
        return option.kind.data(value, base)
    except BadValue as exc:
        raise _fail(key, value, exc.expected) from None
    except OptionsError as exc:
        raise OptionsError(f"{TABLE} {key}: {exc.message}", hint=exc.hint) from exc


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
        option = KEYS[key]
        values[str(option.field)] = convert(key, option, value, base)
    scripts = values.get("scripts")
    if not scripts:
        raise OptionsError(f"{TABLE} has no scripts", hint='add scripts = ["app.py"]')
    assert isinstance(scripts, tuple)
    values.setdefault("name", Path(scripts[0]).stem)
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
    from freezekit.spec.run import ignored_flags, machine_options

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
    return replace(options, **machine_options(args))  # type: ignore[arg-type]  # by the table


def load_pyproject(path: Path) -> BuildOptions:
    """BuildOptions from the ``[tool.freezekit]`` table of the pyproject.toml at ``path``."""
    if path.is_dir():
        path = path / "pyproject.toml"
    table = read_table(path)
    try:
        return options_from_table(table, path.absolute().parent)
    except OptionsError as exc:
        raise OptionsError(f"{path}: {exc.message}", hint=exc.hint) from exc
