"""The built-in hooks (freezekit/hooks/): each runs, and asks for what its package needs.

Hooks run under the target Python. Those whose package is installed in a package venv
(build/test-venvs/<version>, made by tests/functional/test_packages.py) are run there; the
others are skipped. Every hook is also run against the host Python, where most packages are
absent, and must then ask for nothing rather than fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from freezekit.analysis.hooks import BUILTIN_HOOKS_DIR, HookError, find_hooks, run_hook

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / "build" / "test-venvs"
BUILTIN = sorted(BUILTIN_HOOKS_DIR.glob("hook-*.py"))


def _module_of(hook_file: Path) -> str:
    return hook_file.name[len("hook-") : -len(".py")]


def _venv_python() -> Path:
    for version in ("3.13", "3.11"):
        python = VENVS / version / "bin" / "python"
        if python.exists():
            return python
    pytest.skip("no package venv yet (run tests/functional/test_packages.py once)")


_RUNNER = """
import importlib.util, json, sys
from pathlib import Path
from freezekit.analysis.hooks import run_hook
module, hook_file = sys.argv[1], sys.argv[2]
spec = importlib.util.find_spec(module)
if spec is None:
    print(json.dumps(None)); sys.exit(0)
if spec.submodule_search_locations:
    folder = Path(list(spec.submodule_search_locations)[0])
else:
    folder = Path(spec.origin).parent
print(json.dumps(run_hook(hook_file, module, module_dir=folder).to_json()))
"""


def run_in_venv(module: str) -> dict[str, list[object]]:
    python = _venv_python()
    hook_file = BUILTIN_HOOKS_DIR / f"hook-{module}.py"
    proc = subprocess.run(
        [str(python), "-c", _RUNNER, module, str(hook_file)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    outcome = json.loads(proc.stdout)
    if outcome is None:
        pytest.skip(f"{module} is not installed in {python}")
    assert isinstance(outcome, dict)
    return outcome


def _pairs(outcome: dict[str, list[object]], key: str) -> list[tuple[str, str]]:
    return [(str(pair[0]), str(pair[1])) for pair in outcome[key]]  # type: ignore[index]


def _dest_names(outcome: dict[str, list[object]], key: str) -> set[str]:
    return {f"{d}/{Path(s).name}" for s, d in _pairs(outcome, key)}


@pytest.mark.parametrize("hook_file", BUILTIN, ids=[_module_of(p) for p in BUILTIN])
def test_hooks_builtin_run_without_their_package(hook_file: Path) -> None:
    """On the host (no numpy, no PySide6, ...) every hook runs and fails on nothing."""
    outcome = run_hook(str(hook_file), _module_of(hook_file), module_dir=None)
    assert outcome.hook_file == str(hook_file)
    for path in outcome.runtime_hooks:
        assert Path(path).is_file(), path


def test_hooks_builtin_are_found() -> None:
    hooks = find_hooks([])
    for module in ("tkinter", "PIL", "numpy", "cryptography", "PySide6.QtGui", "matplotlib"):
        assert hooks[module].parent == BUILTIN_HOOKS_DIR, module


def test_hooks_builtin_pillow_adds_lazy_plugins() -> None:
    outcome = run_in_venv("PIL")
    assert {"PIL.PngImagePlugin", "PIL.JpegImagePlugin"} <= set(outcome["hiddenimports"])
    assert "PIL.Image" not in outcome["hiddenimports"]
    assert "tkinter" in outcome["excludedimports"]


def test_hooks_builtin_numpy_adds_core_helpers() -> None:
    outcome = run_in_venv("numpy")
    names = set(outcome["hiddenimports"])
    assert {"numpy._core._exceptions", "numpy._core._dtype_ctypes"} <= names
    assert not any(".tests" in str(n) for n in names)
    # numpy's test extensions (_simd is 3 MB) are imported by its test suite only
    test_extensions = {"_simd", "_multiarray_tests", "_umath_tests", "_rational_tests"}
    assert not {n for n in names if str(n).rpartition(".")[2] in test_extensions}
    # numpy's lazy __getattr__ imports numpy.f2py for walks over dir(numpy) (scipy does one)
    assert "numpy.f2py" not in outcome["excludedimports"]
    assert "charset_normalizer" in outcome["excludedimports"]


def test_hooks_builtin_decimal_leaves_pydecimal_to_pythons_without_decimal() -> None:
    hook_file = BUILTIN_HOOKS_DIR / "hook-decimal.py"
    outcome = run_hook(str(hook_file), "decimal", module_dir=None)
    assert outcome.excludedimports == ["_pydecimal"]  # this Python has _decimal


def test_hooks_builtin_cryptography_adds_cffi_backend() -> None:
    assert run_in_venv("cryptography")["hiddenimports"] == ["_cffi_backend"]


def test_hooks_builtin_matplotlib_collects_data_and_agg() -> None:
    outcome = run_in_venv("matplotlib")
    assert outcome["collect_data"] == ["matplotlib"]
    assert "matplotlib.backends.backend_agg" in outcome["hiddenimports"]


def test_hooks_builtin_pyside6_bundles_platform_and_image_plugins() -> None:
    names = _dest_names(run_in_venv("PySide6.QtGui"), "binaries")
    assert "PySide6/Qt/plugins/platforms/libqoffscreen.so" in names
    assert "PySide6/Qt/plugins/platforms/libqxcb.so" in names
    assert "PySide6/Qt/plugins/imageformats/libqjpeg.so" in names
    assert "PySide6/Qt/plugins/imageformats/libqpdf.so" not in names
    assert not any("eglfs" in n for n in names)


def test_hooks_builtin_tkinter_bundles_tcl_and_tk_libraries() -> None:
    outcome = run_in_venv("tkinter")
    dests = {d for _s, d in _pairs(outcome, "datas")}
    assert {"_tcl_data", "_tk_data"} <= dests, dests  # PyInstaller's layout
    assert any(d.startswith("tcl8") for d in dests), dests  # Tcl modules: tcl8/8.x
    for source, _dest in _pairs(outcome, "datas"):
        assert Path(source).is_dir()
    assert [Path(str(p)).name for p in outcome["runtime_hooks"]] == ["tcltk.py"]


def test_hooks_builtin_tcltk_runtime_hook_sets_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder, marker in (("_tcl_data", "init.tcl"), ("_tk_data", "tk.tcl"), ("tcl8", "x")):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / marker).write_text("")
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setenv("TCL_LIBRARY", "before")  # restored after the test
    monkeypatch.setenv("TK_LIBRARY", "before")
    source = (BUILTIN_HOOKS_DIR / "runtime" / "tcltk.py").read_text()
    exec(compile(source, "tcltk.py", "exec"), {"__name__": "tcltk"})  # noqa: S102
    assert os.environ["TCL_LIBRARY"] == str(tmp_path / "_tcl_data")
    assert os.environ["TK_LIBRARY"] == str(tmp_path / "_tk_data")


def test_hooks_builtin_broken_hook_names_its_file(tmp_path: Path) -> None:
    broken = tmp_path / "hook-mypkg.py"
    broken.write_text("def hook(api):\n    raise RuntimeError('no such folder')\n")
    with pytest.raises(HookError) as info:
        run_hook(str(broken), "mypkg", module_dir=None)
    assert info.value.hook_file == str(broken)
    assert "RuntimeError: no such folder" in str(info.value)
