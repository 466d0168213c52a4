"""``freezekit makespec``: write ``<name>.spec`` from BuildOptions, and build nothing.

The layout follows the spec files PyInstaller generates (Analysis, PYZ, EXE, COLLECT), so a
user who knows those can read and edit it; freezekit-only settings appear as extra keyword
arguments only when they differ from their defaults. Paths are written relative to the spec
file's folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from freezekit.option_table import own_spec_lists
from freezekit.options import BuildOptions, Extract, Mode

HEADER = """\
# -*- mode: python ; coding: utf-8 -*-
# Written by `freezekit makespec`; build it with `freezekit build {spec}`.
# Paths are relative to the folder of this file.
"""


def relative(path: str | Path, spec_dir: Path) -> str:
    """``path`` (relative to the current folder, or absolute) relative to ``spec_dir``, with /.

    A path that shares only the filesystem root with ``spec_dir`` stays absolute: a chain of
    ``../`` up to ``/`` is harder to read and breaks just the same when the tree moves.
    """
    absolute = os.path.abspath(path)
    folder = os.path.abspath(spec_dir)
    try:
        common = os.path.commonpath([absolute, folder])
        value = absolute if common == os.path.dirname(common) else os.path.relpath(absolute, folder)
    except ValueError:  # another drive (Windows): keep it absolute
        value = absolute
    return value.replace(os.sep, "/")


def _list(items: Iterable[object]) -> str:
    return "[" + ", ".join(repr(item) for item in items) + "]"


def _call(name: str, positional: Sequence[str], keywords: Sequence[tuple[str, str]]) -> str:
    lines = [f"{name}("]
    lines += [f"    {value}," for value in positional]
    lines += [f"    {key}={value}," for key, value in keywords]
    lines.append(")")
    return "\n".join(lines)


def _analysis(options: BuildOptions, spec_dir: Path) -> str:
    def pairs(values: Sequence[tuple[str, str]]) -> str:
        return _list((relative(source, spec_dir), dest) for source, dest in values)

    keywords = [
        ("pathex", _list(relative(p, spec_dir) for p in options.paths)),
        ("binaries", pairs(options.binaries)),
        ("datas", pairs(options.datas)),
        ("hiddenimports", _list(options.hidden_imports)),
        ("hookspath", _list(relative(p, spec_dir) for p in options.hooks_dirs)),
        ("hooksconfig", "{}"),
        ("runtime_hooks", _list(relative(p, spec_dir) for p in options.runtime_hooks)),
        ("excludes", _list(options.excludes)),
        ("noarchive", "False"),
        ("optimize", str(options.bytecode_optimize)),
    ]
    # freezekit only: what PyInstaller's makespec turns into code using its hook utilities
    for key in own_spec_lists("Analysis"):  # collect_data=, copy_metadata=, ... (option table)
        values: tuple[str, ...] = getattr(options, key)
        if values:
            keywords.append((key, _list(values)))
    if not options.lean:
        keywords.append(("lean", "False"))
    scripts = _list(relative(script, spec_dir) for script in options.scripts)
    return "a = " + _call("Analysis", [scripts], keywords)


def _run_time_options(options: BuildOptions) -> str:
    return _list((option, None, "OPTION") for option in options.python_options)


def _exe(options: BuildOptions) -> str:
    onefile = options.mode is Mode.ONEFILE
    positional = ["pyz", "a.scripts"]
    positional += ["a.binaries", "a.datas"] if onefile else []
    positional.append(_run_time_options(options))
    keywords = [] if onefile else [("exclude_binaries", "True")]
    keywords += [
        ("name", repr(options.name)),
        ("debug", "False"),
        ("bootloader_ignore_signals", "False"),
        ("strip", repr(options.strip)),
        ("upx", "True"),
    ]
    if onefile:
        keywords += [("upx_exclude", "[]"), ("runtime_tmpdir", repr(options.runtime_tmpdir))]
    keywords += [
        ("console", repr(not options.windowed)),
        ("disable_windowed_traceback", "False"),
        ("argv_emulation", "False"),
        ("target_arch", "None"),
        ("codesign_identity", "None"),
        ("entitlements_file", "None"),
    ]
    if options.icon:
        keywords.append(("icon", _list([options.icon])))
    # freezekit only
    if onefile and options.onefile_extract is not Extract.TEMP:
        keywords.append(("onefile_extract", repr(options.onefile_extract.value)))
    if not onefile and options.runtime_tmpdir:
        keywords.append(("runtime_tmpdir", repr(options.runtime_tmpdir)))
    if not options.smoke_probes:
        keywords.append(("smoke_probes", "False"))
    if options.reset_subprocess_env:
        keywords.append(("reset_subprocess_env", "True"))
    if options.compression_level != BuildOptions.compression_level:
        keywords.append(("compression_level", repr(options.compression_level)))
    return "exe = " + _call("EXE", positional, keywords)


def _collect(options: BuildOptions) -> str:
    keywords = [
        ("strip", repr(options.strip)),
        ("upx", "True"),
        ("upx_exclude", "[]"),
        ("name", repr(options.name)),
    ]
    return "coll = " + _call("COLLECT", ["exe", "a.binaries", "a.datas"], keywords)


def render_spec(options: BuildOptions, spec_dir: Path) -> str:
    """The text of the spec file for ``options``, with paths relative to ``spec_dir``."""
    parts = [
        HEADER.format(spec=f"{options.name}.spec"),
        _analysis(options, spec_dir),
        "pyz = PYZ(a.pure)",
        "",
        _exe(options),
    ]
    if options.mode is Mode.ONEDIR:
        parts.append(_collect(options))
    return "\n".join(parts) + "\n"


def write_spec(options: BuildOptions) -> Path:
    """Write ``<specpath>/<name>.spec`` (replacing an older one); returns its path."""
    spec_dir = options.specpath
    spec_dir.mkdir(parents=True, exist_ok=True)
    path = spec_dir / f"{options.name}.spec"
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render_spec(options, spec_dir), encoding="utf-8")
    partial.replace(path)
    return path
