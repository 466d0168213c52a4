"""Signing: a self-signed throwaway certificate signs a PE executable that carries an archive;
osslsigncode verifies it and the archive still reads (signing appends a certificate table)."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from freezekit.archive.reader import open_archive, read_entry
from freezekit.crossbuild.windows import with_archive
from freezekit.release.sign import (
    SigningError,
    make_test_certificate,
    sign_windows,
    verify_windows,
    windows_signing,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PE = FIXTURES / "binaries" / "fkapp.exe"

needs_tools = pytest.mark.skipif(
    shutil.which("osslsigncode") is None or shutil.which("openssl") is None,
    reason="osslsigncode and openssl are installed by scripts/install-mingw.sh",
)


def test_sign_is_skipped_with_a_reason_when_nothing_is_set() -> None:
    reason = windows_signing({})
    assert reason == (
        "Windows signing skipped: neither FREEZEKIT_SIGN_PFX nor FREEZEKIT_SIGN_PFX_BASE64 is set"
    )


def test_sign_refuses_a_secret_that_is_not_base64() -> None:
    with pytest.raises(SigningError, match="FREEZEKIT_SIGN_PFX_BASE64 is set but is not base64"):
        windows_signing({"FREEZEKIT_SIGN_PFX_BASE64": "not base64!"})


@needs_tools
def test_sign_windows_executable_verifies_and_its_archive_still_reads(tmp_path: Path) -> None:
    exe = with_archive(PE, FIXTURES / "archives" / "good-minimal.bin", tmp_path / "app.exe")
    before = open_archive(exe)
    pfx, ca = make_test_certificate(tmp_path)
    config = windows_signing(
        {
            "FREEZEKIT_SIGN_PFX_BASE64": base64.b64encode(pfx.read_bytes()).decode(),
            "FREEZEKIT_SIGN_PASSWORD": "test",
        }
    )
    assert not isinstance(config, str)
    size = exe.stat().st_size
    sign_windows(exe, config, description="app")
    assert exe.stat().st_size > size  # the certificate table was appended
    ok, detail = verify_windows(exe, ca_file=ca)
    assert ok, detail
    after = open_archive(exe)
    assert after.entries == before.entries
    assert [read_entry(after, e) for e in after.entries if e.kind.is_file] == [
        read_entry(before, e) for e in before.entries if e.kind.is_file
    ]
    # a byte changed in the signed file: the signature no longer verifies
    data = bytearray(exe.read_bytes())
    data[100] ^= 0xFF
    exe.write_bytes(bytes(data))
    assert not verify_windows(exe, ca_file=ca)[0]


@needs_tools
def test_sign_with_a_wrong_password_fails_in_one_line(tmp_path: Path) -> None:
    exe = with_archive(PE, FIXTURES / "archives" / "good-minimal.bin", tmp_path / "app.exe")
    original = exe.read_bytes()
    pfx, _ = make_test_certificate(tmp_path)
    config = windows_signing({"FREEZEKIT_SIGN_PFX": str(pfx), "FREEZEKIT_SIGN_PASSWORD": "wrong"})
    assert not isinstance(config, str)
    with pytest.raises(SigningError, match=r"^signing app.exe failed: ") as failure:
        sign_windows(exe, config, description="app")
    assert "\n" not in failure.value.message
    assert exe.read_bytes() == original  # nothing half-signed


def test_sign_cell_logs_the_skip_and_fails_on_a_bad_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from freezekit.release.cell import sign_executable
    from freezekit.release.matrix import find_cell

    exe = with_archive(PE, FIXTURES / "archives" / "good-minimal.bin", tmp_path / "app.exe")
    original = exe.read_bytes()
    windows = find_cell("windows-x86_64-3.12")
    with caplog.at_level(logging.INFO, logger="freezekit.release.cell"):
        sign_executable(exe, windows, env={})
    assert "Windows signing skipped: neither FREEZEKIT_SIGN_PFX" in caplog.text
    with pytest.raises(SigningError, match="FREEZEKIT_SIGN_PFX names .* cannot be read"):
        sign_executable(exe, windows, env={"FREEZEKIT_SIGN_PFX": str(tmp_path / "none.pfx")})
    sign_executable(exe, find_cell("linux-x86_64-3.12"), env={"FREEZEKIT_SIGN_PFX": "x"})
    assert exe.read_bytes() == original  # a Linux cell signs nothing
