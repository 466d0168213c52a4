"""Hook discovery and execution (in process: hooks are plain Python files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from freezekit.analysis.hooks import BUILTIN_HOOKS_DIR, HookError, find_hooks, run_hook

PROJECTS = Path(__file__).resolve().parents[1] / "fixtures" / "projects"


def test_hooks_user_dirs_come_before_builtin(tmp_path: Path) -> None:
    (tmp_path / "hook-certifi.py").write_text("hiddenimports = []\n")
    hooks = find_hooks([tmp_path])
    assert hooks["certifi"] == (tmp_path / "hook-certifi.py").resolve()
    assert hooks["pygments"].parent == BUILTIN_HOOKS_DIR


def test_hooks_lists_are_read_and_paths_resolved() -> None:
    hook_file = PROJECTS / "hooks-ok" / "hooks" / "hook-plugpkg.py"
    package_dir = PROJECTS / "hooks-ok" / "plugpkg"
    outcome = run_hook(str(hook_file), "plugpkg", module_dir=package_dir)
    assert outcome.hiddenimports == ["plugpkg.plugin_a"]
    assert outcome.datas == [(str(package_dir / "notes.txt"), "plugpkg")]
    assert outcome.runtime_hooks == [str(hook_file.parent / "rthook.py")]


def test_hooks_function_receives_api(tmp_path: Path) -> None:
    hook_file = tmp_path / "hook-mod.py"
    hook_file.write_text(
        "def hook(api):\n"
        "    api.add_imports('a', 'b')\n"
        "    api.exclude_imports('tkinter')\n"
        "    api.collect_data()\n"
    )
    outcome = run_hook(str(hook_file), "mod", module_dir=None)
    assert outcome.hiddenimports == ["a", "b"]
    assert outcome.excludedimports == ["tkinter"]
    assert outcome.collect_data == ["mod"]


def test_hooks_error_names_the_hook_file() -> None:
    hook_file = PROJECTS / "hook-error" / "hooks" / "hook-hooked.py"
    with pytest.raises(HookError) as info:
        run_hook(str(hook_file), "hooked", module_dir=None)
    assert info.value.hook_file == str(hook_file)
    assert "RuntimeError: broken on purpose" in info.value.message


def test_hooks_wrong_type_is_an_error(tmp_path: Path) -> None:
    hook_file = tmp_path / "hook-mod.py"
    hook_file.write_text("hiddenimports = 'not-a-list'\n")
    with pytest.raises(HookError, match="hiddenimports must be a list"):
        run_hook(str(hook_file), "mod", module_dir=None)


def test_hooks_builtin_files_all_run(tmp_path: Path) -> None:
    for module, path in find_hooks([]).items():
        run_hook(str(path), module, module_dir=tmp_path)
