"""A cross-frozen Windows app signed after the build (osslsigncode, a throwaway self-signed
certificate): the signature verifies, and the signed .exe still finds its archive and runs
under wine64 like the unsigned one (slow)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from freezekit.crossbuild import windows
from freezekit.release.sign import (
    make_test_certificate,
    sign_windows,
    verify_windows,
    windows_signing,
)

from .test_windows_cross import frozen, prefix, unfrozen  # noqa: F401  (prefix: a fixture)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("mode", ["onedir"])
def test_signed_windows_app_verifies_and_runs(
    mode: str,
    prefix: Path,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if shutil.which("osslsigncode") is None:
        pytest.skip("osslsigncode is installed by scripts/install-mingw.sh")
    built = frozen("hello", "3.12", mode, tmp_path_factory)
    app = tmp_path / "signed"
    shutil.copytree(built.output, app / built.output.name, symlinks=True)
    exe = app / built.output.name / built.executable.name
    pfx, ca = make_test_certificate(tmp_path)
    config = windows_signing({"FREEZEKIT_SIGN_PFX": str(pfx), "FREEZEKIT_SIGN_PASSWORD": "test"})
    assert not isinstance(config, str)
    sign_windows(exe, config, description="hello")
    assert exe.stat().st_size > built.executable.stat().st_size
    verified, detail = verify_windows(exe, ca_file=ca)
    assert verified, detail
    args = ["a", "b c"]
    got = windows.run_wine(exe, args, prefix=prefix, cwd=exe.parent)
    want = unfrozen("hello", "3.12", args, prefix)
    assert got.returncode == want.returncode == 0, got.stderr
    assert got.stdout == want.stdout.replace("] False\n", "] True\n")
