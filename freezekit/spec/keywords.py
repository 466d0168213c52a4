"""The keywords each spec global accepts, and the checks on their values.

``bind`` matches a call's arguments to a table of known keywords and rejects an unknown one
with a "did you mean" hint; ``check_ignored`` warns about keywords accepted only for
compatibility (``Ignored``) when their value would matter. The tables (``*_KNOWN``,
``*_IGNORED``) are defined once here for Analysis, EXE, COLLECT and BUNDLE.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from freezekit.errors import OptionsError
from freezekit.option_table import check_python_option as check_python_option  # spec.api's
from freezekit.option_table import own_spec_keywords


class Warner(Protocol):
    """Where ``check_ignored`` sends its warnings: a ``SpecSession``, which adds the spec line."""

    def warn(self, message: str, *args: object) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Ignored:
    """A keyword accepted for compatibility: values in ``harmless`` pass silently."""

    why: str
    harmless: tuple[object, ...] = (None, False, (), "")


def bind(
    call: str,
    args: Sequence[object],
    kwargs: Mapping[str, object],
    *,
    positional: Sequence[str],
    known: Mapping[str, object],
) -> dict[str, object]:
    """Match a call's arguments to ``known`` (name → default); unknown names are an error."""
    if len(args) > len(positional):
        raise OptionsError(
            f"{call}() takes at most {len(positional)} positional arguments ({len(args)} given)",
            hint="pass the others by keyword",
        )
    values = dict(known)
    for name, value in zip(positional[: len(args)], args, strict=True):
        values[name] = value
    for name, value in kwargs.items():
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
            hint = (
                f"did you mean '{close[0]}'?" if close else f"{call}() accepts: {', '.join(known)}"
            )
            raise OptionsError(f"unknown keyword '{name}' in {call}()", hint=hint)
        if name in positional[: len(args)]:
            raise OptionsError(f"{call}() got '{name}' both by position and by keyword")
        values[name] = value
    return values


def check_ignored(
    session: Warner, call: str, values: Mapping[str, object], ignored: Mapping[str, Ignored]
) -> None:
    for name, rule in ignored.items():
        value = values.get(name)
        if isinstance(value, list):
            value = tuple(value)
        if isinstance(value, dict) and not value:
            continue
        if value not in rule.harmless:
            session.warn("ignoring %s(%s=%r): %s", call, name, values.get(name), rule.why)


def strings(call: str, name: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise OptionsError(f"{call}({name}=...) must be a list of strings, not {value!r}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise OptionsError(f"{call}({name}=...) must be a list of strings; {item!r} is not")
    return items


def flag(call: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise OptionsError(f"{call}({name}=...) must be True or False, not {value!r}")
    return value


def optional_string(call: str, name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise OptionsError(f"{call}({name}=...) must be a string or None, not {value!r}")
    return value


def hooks_config(call: str, value: object) -> dict[str, dict[str, object]]:
    """``hooksconfig=``: ``{module: {key: value}}`` read by hooks (``get_hook_config``); the
    values must be plain data (they are handed to the analysis as JSON)."""
    import json

    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, dict) for k, v in value.items()
    ):
        raise OptionsError(f"{call}(hooksconfig=...) must be a dict of module name -> dict")
    try:
        return json.loads(json.dumps(value))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise OptionsError(
            f"{call}(hooksconfig=...) must hold strings, numbers, lists and dicts only: {exc}"
        ) from exc


def optimize_level(call: str, value: object) -> int | None:
    """``optimize=``: 0, 1 or 2; None or -1 (PyInstaller's "as the building Python") is unset."""
    if value is None or value == -1:
        return None
    if isinstance(value, bool) or value not in (0, 1, 2):
        raise OptionsError(f"{call}(optimize=...) must be 0, 1, 2 or -1, not {value!r}")
    return int(value)


# -- keyword tables ----------------------------------------------------------------------------

ANALYSIS_KNOWN: dict[str, object] = {
    "scripts": None,
    "pathex": None,
    "binaries": None,
    "datas": None,
    "hiddenimports": None,
    "hookspath": None,
    "hooksconfig": None,
    "excludes": None,
    "runtime_hooks": None,
    "cipher": None,
    "win_no_prefer_redirects": False,
    "win_private_assemblies": False,
    "noarchive": False,
    "module_collection_mode": None,
    "optimize": None,
    **own_spec_keywords("Analysis"),  # freezekit only: collect_data=, lean=, ... (option table)
}
ANALYSIS_IGNORED = {
    "cipher": Ignored(why="bytecode encryption is not supported (it protected nothing)"),
    "win_no_prefer_redirects": Ignored(why="Windows only"),
    "win_private_assemblies": Ignored(why="Windows only"),
    "noarchive": Ignored(why="modules always go into the PYZ"),
    "module_collection_mode": Ignored(why="modules are always collected as bytecode"),
}


EXE_KNOWN: dict[str, object] = {
    "name": None,
    "console": True,
    "debug": False,
    "strip": None,
    "upx": False,
    "upx_exclude": None,
    "runtime_tmpdir": None,
    "exclude_binaries": False,
    "bootloader_ignore_signals": False,
    "disable_windowed_traceback": False,
    "argv_emulation": False,
    "target_arch": None,
    "codesign_identity": None,
    "entitlements_file": None,
    "icon": None,
    "version": None,
    "uac_admin": False,
    "uac_uiaccess": False,
    "manifest": None,
    "embed_manifest": True,
    "resources": None,
    "contents_directory": None,
    "hide_console": None,
    "append_pkg": True,
    "win_no_prefer_redirects": False,
    "win_private_assemblies": False,
    "cipher": None,
    **own_spec_keywords("EXE"),  # freezekit only: onefile_extract=, smoke_probes=, ... (table)
}
_WINDOWS_ONLY = "Windows only"
EXE_IGNORED = {
    "debug": Ignored(why="use the run-time option ('v', None, 'OPTION') and --log-level DEBUG"),
    "upx": Ignored(why="UPX is never used", harmless=(None, False, True)),
    "upx_exclude": Ignored(why="UPX is never used", harmless=(None, False, (), "")),
    "bootloader_ignore_signals": Ignored(why="the onefile parent always forwards signals"),
    "disable_windowed_traceback": Ignored(why="windowed tracebacks go to the null stream"),
    "argv_emulation": Ignored(why="macOS only"),
    "codesign_identity": Ignored(why="macOS only"),
    "entitlements_file": Ignored(why="macOS only"),
    "icon": Ignored(
        why="icons are used on Windows and macOS only (BUNDLE(icon=...))",
        harmless=(None, "", "NONE"),
    ),
    "version": Ignored(why=_WINDOWS_ONLY),
    "uac_admin": Ignored(why=_WINDOWS_ONLY),
    "uac_uiaccess": Ignored(why=_WINDOWS_ONLY),
    "manifest": Ignored(why=_WINDOWS_ONLY),
    "embed_manifest": Ignored(why=_WINDOWS_ONLY, harmless=(None, True, False)),
    "resources": Ignored(why=_WINDOWS_ONLY),
    "hide_console": Ignored(why=_WINDOWS_ONLY),
    "win_no_prefer_redirects": Ignored(why=_WINDOWS_ONLY),
    "win_private_assemblies": Ignored(why=_WINDOWS_ONLY),
    "append_pkg": Ignored(why="the archive is always appended", harmless=(True,)),
    "contents_directory": Ignored(
        why="the top directory is always _internal", harmless=(None, "_internal")
    ),
    "cipher": Ignored(why="bytecode encryption is not supported (it protected nothing)"),
}


COLLECT_KNOWN: dict[str, object] = {"name": None, "strip": None, "upx": False, "upx_exclude": None}
COLLECT_IGNORED = {"upx": EXE_IGNORED["upx"], "upx_exclude": EXE_IGNORED["upx_exclude"]}

BUNDLE_KNOWN: dict[str, object] = {
    "name": None,
    "icon": None,
    "bundle_identifier": None,
    "info_plist": None,
    "version": None,
    "codesign_identity": None,
    "entitlements_file": None,
    "strip": None,
    "upx": False,
    "upx_exclude": None,
}
BUNDLE_IGNORED = {
    "codesign_identity": Ignored(why="signing is done after the build (codesign)"),
    "entitlements_file": Ignored(why="signing is done after the build (codesign)"),
    "upx": EXE_IGNORED["upx"],
    "upx_exclude": EXE_IGNORED["upx_exclude"],
}
