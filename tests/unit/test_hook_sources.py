"""Where hooks come from and which one wins, through the real analysis worker.

``tests/fixtures/pyi_plugin_site`` holds ``fkprec`` and a distribution registering a hook folder
through the ``pyinstaller40`` entry point (``fkprec_hooks``, with an ``rthooks.dat``); the
project ``pyi-precedence`` has its own hook folder. pyinstaller-hooks-contrib is a freezekit
dependency, so it is there too.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from freezekit.analysis import imports
from freezekit.analysis.hooks import BUILTIN_HOOKS_DIR, find_hooks
from freezekit.analysis.imports import ImportGraph
from freezekit.errors import AnalysisError
from freezekit.options import BuildOptions
from freezekit.platforms import Target, host_target

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PLUGIN_SITE = FIXTURES / "pyi_plugin_site"
PROJECT = FIXTURES / "projects" / "pyi-precedence"
EP_HOOKS = PLUGIN_SITE / "fkprec_hooks" / "hooks"


@functools.cache
def target() -> Target:
    return host_target()


def options(**changes: object) -> BuildOptions:
    base = BuildOptions(
        scripts=(PROJECT / "main.py",),
        name="main",
        paths=(PLUGIN_SITE,),
        hooks_dirs=(PROJECT / "hooks",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def reply_for(opts: BuildOptions) -> dict[str, object]:
    request = imports.build_request(opts, target(), hooks=find_hooks(opts.hooks_dirs), startup=())
    return imports.run_worker(request, target())


def applied(graph: ImportGraph) -> dict[str, str]:
    """Module -> the hook file that ran for it (runtime hooks of rthooks.dat aside)."""
    return {
        str(o["module"]): str(o["hook_file"])
        for o in graph.hooks
        if not str(o["hook_file"]).endswith("rthooks.dat")
    }


@functools.cache
def precedence_graph() -> ImportGraph:
    return imports.parse_reply(reply_for(options()))


def test_user_folder_beats_entry_point_folder() -> None:
    graph = precedence_graph()
    assert applied(graph)["fkprec"] == str((PROJECT / "hooks" / "hook-fkprec.py").resolve())
    assert "fkprec.from_user" in graph.nodes
    assert "fkprec.from_entry_point" not in graph.nodes  # exactly one hook per module


def test_priority_line_beats_user_folder() -> None:
    graph = precedence_graph()
    assert applied(graph)["fkprec.marked"] == str(EP_HOOKS / "hook-fkprec.marked.py")
    assert "fkprec.from_marked_ep" in graph.nodes
    assert "fkprec.from_marked_user" not in graph.nodes


def test_package_hook_beats_contrib_and_builtin() -> None:
    # certifi has a hook in contrib (-1000), in freezekit (-2000) and in fkprec_hooks (0)
    graph = precedence_graph()
    assert applied(graph)["certifi"] == str(EP_HOOKS / "hook-certifi.py")
    assert "fkprec.from_ep_certifi" in graph.nodes


def test_rthooks_dat_adds_runtime_hooks_and_their_imports() -> None:
    graph = precedence_graph()
    runtime = [o for o in graph.hooks if str(o["hook_file"]).endswith("rthooks.dat")]
    assert [o["module"] for o in runtime] == ["fkprec"]
    assert runtime[0]["runtime_hooks"] == [str(EP_HOOKS / "rthooks" / "pyi_rth_fkprec.py")]
    assert "fkprec.rt_only" in graph.nodes  # imported by the runtime hook only


def test_contrib_beats_builtin_unless_the_builtin_says_otherwise(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text("import certifi\nimport zoneinfo\n")
    graph = imports.parse_reply(
        reply_for(BuildOptions(scripts=(script,), name="app", hooks_dirs=()))
    )
    hooks = applied(graph)
    assert "_pyinstaller_hooks_contrib" in hooks["certifi"]
    # freezekit's zoneinfo hook carries '$PyInstaller-Hook-Priority: -500' (contrib: -1000)
    assert hooks["zoneinfo"] == str(BUILTIN_HOOKS_DIR / "hook-zoneinfo.py")


def _broken_hooks(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "hooks"
    folder.mkdir()
    (folder / "hook-fkprec.py").write_text(body)
    return folder


def test_a_failing_hook_stops_the_build_with_one_line(tmp_path: Path) -> None:
    folder = _broken_hooks(tmp_path, "hiddenimports = ['fkprec.from_user']\nraise KeyError('x')\n")
    reply = reply_for(options(hooks_dirs=(folder,)))
    with pytest.raises(AnalysisError) as info:
        imports.parse_reply(reply)
    message = str(info.value)
    assert message == f"hook {folder / 'hook-fkprec.py'} (for fkprec) failed: KeyError: 'x'"
    assert info.value.exit_code == 3
    assert "--ignore-hook-errors" in (info.value.hint or "")


def test_ignore_hook_errors_skips_only_that_hook(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _broken_hooks(
        tmp_path, "from PyInstaller.utils.hooks import collect_everything_fk\nhiddenimports = []\n"
    )
    reply = reply_for(options(hooks_dirs=(folder,), ignore_hook_errors=True))
    with caplog.at_level(logging.WARNING, logger="freezekit.analysis.imports"):
        graph = imports.parse_reply(reply)
    assert "fkprec" not in applied(graph)  # nothing of the failed hook is applied
    assert "fkprec.from_user" not in graph.nodes and "fkprec.from_entry_point" not in graph.nodes
    assert "fkprec.marked" in applied(graph)  # the other hooks ran
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "PyInstaller.utils.hooks.collect_everything_fk" in w
        and "hook-fkprec.py" in w
        and "skipped" in w
        for w in warnings
    ), warnings


FAKE_PYINSTALLER = FIXTURES / "pyi_fake_pyinstaller"


def test_an_installed_pyinstaller_is_not_what_hooks_get(tmp_path: Path) -> None:
    """Hooks always get freezekit's API (the same behaviour with or without PyInstaller in the
    environment); the app's own ``import PyInstaller`` still finds the installed one."""
    folder = tmp_path / "hooks"
    folder.mkdir()
    (folder / "hook-fkprec.py").write_text(
        "import PyInstaller\n"
        "from PyInstaller.utils.hooks import collect_submodules\n"
        "assert PyInstaller.FREEZEKIT_SHIM\n"
        "hiddenimports = [m for m in collect_submodules('fkprec') if m.endswith('from_user')]\n"
    )
    script = tmp_path / "app.py"
    script.write_text("import fkprec\nimport PyInstaller\n")
    opts = BuildOptions(
        scripts=(script,), name="app", paths=(PLUGIN_SITE, FAKE_PYINSTALLER), hooks_dirs=(folder,)
    )
    graph = imports.parse_reply(reply_for(opts))
    assert applied(graph)["fkprec"] == str(folder / "hook-fkprec.py")
    assert "fkprec.from_user" in graph.nodes
    node = graph.nodes["PyInstaller"]
    assert node.file == str(FAKE_PYINSTALLER / "PyInstaller" / "__init__.py")


def test_hooksconfig_reaches_get_hook_config(tmp_path: Path) -> None:
    folder = tmp_path / "hooks"
    folder.mkdir()
    (folder / "hook-fkprec.py").write_text(
        "from PyInstaller.utils.hooks import get_hook_config\n"
        "def hook(hook_api):\n"
        "    wanted = get_hook_config(hook_api, 'fkprec', 'modules') or []\n"
        "    hook_api.add_imports(*('fkprec.' + m for m in wanted))\n"
    )
    config = {"fkprec": {"modules": ["from_marked_user"]}}
    graph = imports.parse_reply(reply_for(options(hooks_dirs=(folder,), hooks_config=config)))
    assert "fkprec.from_marked_user" in graph.nodes
    assert "fkprec.from_user" not in graph.nodes


def test_pre_safe_import_module_alias_bundles_the_real_module(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text("try:\n    import fkprec.alias_fk\nexcept ImportError:\n    pass\n")
    graph = imports.parse_reply(
        reply_for(BuildOptions(scripts=(script,), name="app", paths=(PLUGIN_SITE,)))
    )
    pre = EP_HOOKS / "pre_safe_import_module" / "hook-fkprec.alias_fk.py"
    assert applied(graph)["fkprec.alias_fk"] == str(pre)
    assert "fkprec.aliased_target" in graph.nodes


def test_an_edited_hook_file_is_not_answered_from_the_analysis_cache(tmp_path: Path) -> None:
    import os

    from freezekit.analysis import analyze

    folder = tmp_path / "hooks"
    folder.mkdir()
    hook = folder / "hook-fkprec.py"
    hook.write_text("hiddenimports = ['fkprec.from_user']\n")
    script = tmp_path / "app.py"
    script.write_text("import fkprec\n")
    opts = BuildOptions(scripts=(script,), name="app", paths=(PLUGIN_SITE,), hooks_dirs=(folder,))
    names = lambda result: {m.name for m in result.pure}  # noqa: E731
    assert "fkprec.from_user" in names(analyze(opts, target(), cache_dir=tmp_path / "cache"))
    hook.write_text("hiddenimports = ['fkprec.marked']\n")
    stat = hook.stat()
    os.utime(hook, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a later edit, surely
    again = names(analyze(opts, target(), cache_dir=tmp_path / "cache"))
    assert "fkprec.marked" in again and "fkprec.from_user" not in again


#: Built-in hooks that contrib's hook for the same module may replace: contrib's does as much.
CONTRIB_MAY_REPLACE = {"certifi", "cryptography", "rich", "tzdata"}


def test_a_builtin_hook_shadowed_by_contrib_is_a_decision() -> None:
    """A built-in hook loses to contrib's for the same module unless it says a priority; each
    overlap is either listed above (contrib's hook is as good) or carries a priority line."""
    import importlib.util

    spec = importlib.util.find_spec("_pyinstaller_hooks_contrib")
    assert spec is not None and spec.submodule_search_locations
    stdhooks = Path(list(spec.submodule_search_locations)[0]) / "stdhooks"
    undecided = []
    for path in sorted(BUILTIN_HOOKS_DIR.glob("hook-*.py")):
        module = path.name[len("hook-") : -len(".py")]
        if not (stdhooks / path.name).exists() or module in CONTRIB_MAY_REPLACE:
            continue
        if "$PyInstaller-Hook-Priority:" not in path.read_text(encoding="utf-8"):
            undecided.append(path.name)
    assert undecided == []


def test_warn_on_missing_hiddenimports_false_drops_missing_ones(tmp_path: Path) -> None:
    folder = tmp_path / "hooks"
    folder.mkdir()
    hook = folder / "hook-fkprec.py"
    hook.write_text("hiddenimports = ['fkprec.from_user', 'fk_missing_one']\n")
    script = tmp_path / "app.py"
    script.write_text("import fkprec\n")
    opts = BuildOptions(scripts=(script,), name="app", paths=(PLUGIN_SITE,), hooks_dirs=(folder,))
    missing = {m.name for m in imports.find_missing(imports.parse_reply(reply_for(opts)))}
    assert "fk_missing_one" in missing
    hook.write_text(hook.read_text() + "warn_on_missing_hiddenimports = False\n")
    graph = imports.parse_reply(reply_for(opts))
    assert "fk_missing_one" not in {m.name for m in imports.find_missing(graph)}
    assert "fkprec.from_user" in graph.nodes


def _find_hooks(tmp_path: Path, hooks: dict[str, str]) -> Path:
    folder = tmp_path / "hooks"
    (folder / "pre_find_module_path").mkdir(parents=True)
    for module, body in hooks.items():
        (folder / "pre_find_module_path" / f"hook-{module}.py").write_text(body)
    return folder


def test_pre_find_module_path_hooks_choose_where_modules_are_found(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """search_dirs replaced (a top-level module and a package's submodule found elsewhere),
    emptied (not found), left alone (found as usual); a hook for a module the analysis process
    has already imported cannot be honoured and says so in one line."""
    site, other = tmp_path / "site", tmp_path / "other"
    for folder in (site, other):
        (folder / "fkpkg").mkdir(parents=True)
        for name in ("fkmoved.py", "fkgone.py", "fkkept.py", "fkpkg/sub.py", "fkpkg/gone.py"):
            (folder / name).write_text(f"WHERE = {folder.name!r}\n")
    (site / "fkpkg" / "__init__.py").write_text("")
    script = tmp_path / "app.py"
    script.write_text(
        "import fkmoved, fkkept, fkpkg.sub, json\n"
        "try:\n    import fkgone, fkpkg.gone\nexcept ImportError:\n    pass\n"
    )
    moved = f"def pre_find_module_path(api):\n    api.search_dirs = [{str(other)!r}]\n"
    sub = (
        "def pre_find_module_path(api):\n"
        f"    assert api.search_dirs == [{str(site / 'fkpkg')!r}], api.search_dirs\n"
        f"    api.search_dirs = [{str(other / 'fkpkg')!r}]\n"
    )
    empty = "def pre_find_module_path(api):\n    api.search_dirs = []\n"
    kept = (
        "def pre_find_module_path(api):\n"
        f"    assert {str(site)!r} in api.search_dirs and api.module_name == 'fkkept'\n"
    )
    folder = _find_hooks(
        tmp_path,
        {
            "fkmoved": moved,
            "fkpkg.sub": sub,
            "fkgone": empty,
            "fkpkg.gone": empty,
            "fkkept": kept,
            "json": empty,
        },
    )
    opts = BuildOptions(scripts=(script,), name="app", paths=(site,), hooks_dirs=(folder,))
    with caplog.at_level(logging.WARNING, logger="freezekit.analysis.imports"):
        graph = imports.parse_reply(reply_for(opts))
    assert graph.nodes["fkmoved"].file == str(other / "fkmoved.py")
    assert graph.nodes["fkpkg.sub"].file == str(other / "fkpkg" / "sub.py")
    assert graph.nodes["fkkept"].file == str(site / "fkkept.py")
    for name in ("fkgone", "fkpkg.gone"):
        assert graph.nodes[name].file is None, name  # missing: nothing bundled
    assert graph.nodes["json"].file is not None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"pre_find_module_path hook {folder / 'pre_find_module_path' / 'hook-json.py'} not run: "
        "the analysis has already imported json, so where it is found cannot change"
    ]


def test_a_failing_pre_find_module_path_hook_names_itself(tmp_path: Path) -> None:
    folder = _find_hooks(tmp_path, {"fkprec": "def pre_find_module_path(api):\n    1 / 0\n"})
    with pytest.raises(AnalysisError) as info:
        imports.parse_reply(reply_for(options(hooks_dirs=(folder,))))
    hook = folder / "pre_find_module_path" / "hook-fkprec.py"
    assert (
        str(info.value) == f"hook {hook} (for fkprec) failed: ZeroDivisionError: division by zero"
    )
