"""PyInstaller hook files, run unchanged: from --additional-hooks-dir, from a package's
``pyinstaller40`` entry point (with its rthooks.dat), from pyinstaller-hooks-contrib. Each app is
frozen and the real executable run."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import pytest

from freezekit.options import Mode

from .conftest import APPS, FrozenAppFactory

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SITE = FIXTURES / "pyi_site"
PLUGIN_SITE = FIXTURES / "pyi_plugin_site"
PRECEDENCE = FIXTURES / "projects" / "pyi-precedence"


def _report(frozen_app: FrozenAppFactory, **kw: object) -> dict[str, object]:
    app = frozen_app("pyi_hooks", paths=(SITE,), **kw)
    ran = app.run()
    assert ran.returncode == 0, ran.stderr
    report: dict[str, object] = json.loads(ran.stdout)
    return report


def test_pyinstaller_hook_from_additional_hooks_dir(frozen_app: FrozenAppFactory) -> None:
    """collect_data_files, collect_submodules, copy_metadata(recursive=True), hook(hook_api),
    module_collection_mode."""
    report = _report(frozen_app, hooks_dirs=(APPS / "pyi_hooks" / "hooks",))
    assert report == {
        "a": "alpha",
        "b": '{"b": 2}',
        "plugins": ["one", "two", "three"],
        # fkdep and fkdeep provide no module: only copy_metadata(recursive=True) brings them;
        # fkwin is required on Windows only
        "versions": {
            "fkdata": "1.2.0",
            "fkdep": "0.5",
            "fkdeep": "3.0",
            "fkwin": "missing: PackageNotFoundError",
        },
        "extra": "from the hook function",
        "source": 'NAME = "one"\n',  # module_collection_mode "py"
    }


def test_without_the_hook_the_same_app_misses_them(frozen_app: FrozenAppFactory) -> None:
    report = _report(frozen_app)
    assert report["plugins"] == ["missing: ModuleNotFoundError"] * 3
    versions = report["versions"]
    assert isinstance(versions, dict)
    assert versions["fkdep"] == versions["fkdeep"] == "missing: PackageNotFoundError"
    assert report["extra"] == "missing: FileNotFoundError"
    assert report["source"] == "missing: ModuleNotFoundError"


def test_entry_point_hooks_and_runtime_hooks_onefile(frozen_app: FrozenAppFactory) -> None:
    """fkprec registers a hook folder through the pyinstaller40 entry point; the user's
    folder wins for fkprec, a '$PyInstaller-Hook-Priority' line wins for fkprec.marked, and
    its rthooks.dat runtime hook runs in the app before the script."""
    app = frozen_app(
        "pyi-precedence",
        mode=Mode.ONEFILE,
        script=str(PRECEDENCE / "main.py"),
        paths=(PLUGIN_SITE,),
        hooks_dirs=(PRECEDENCE / "hooks",),
    )
    ran = app.run()
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == {
        "modules": {
            "from_user": True,
            "from_entry_point": False,
            "from_marked_ep": True,
            "from_marked_user": False,
            "from_ep_certifi": True,
            "rt_only": True,
        },
        "rthook": "rt_only",
    }


@pytest.mark.skipif(
    importlib.util.find_spec("jsonschema") is None, reason="jsonschema is a dev dependency"
)
def test_a_contrib_hook_takes_effect(
    frozen_app: FrozenAppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="freezekit.analysis.imports"):
        app = frozen_app("pyi_contrib")
    ran = app.run()
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "valid True False\n"
    applied = [r.getMessage() for r in caplog.records if "applied" in r.getMessage()]
    assert any(
        "_pyinstaller_hooks_contrib" in line and "hook-jsonschema_specifications.py" in line
        for line in applied
    ), applied


def test_pre_find_module_path_hooks_move_and_drop_modules(frozen_app: FrozenAppFactory) -> None:
    """A pre_find_module_path hook from --additional-hooks-dir points fkfind at another folder
    (the frozen app has that copy) and empties fkgone's folders (not bundled)."""
    folder = APPS / "pyi_find"
    plain = frozen_app("pyi_find", paths=(folder / "site",)).run()
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == "fkfind site\nfkgone site\n"
    app = frozen_app("pyi_find", paths=(folder / "site",), hooks_dirs=(folder / "hooks",))
    ran = app.run()
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "fkfind vendored\nfkgone missing\n"
