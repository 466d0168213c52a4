"""Mach-O dependency walk and relinking, on real arm64 files from PyPI's macOS wheels (pillow
and numpy vendor their libraries in .dylibs/ with @loader_path install names). Nothing here
runs a Mach-O file: this host cannot; the macOS runner signs and runs what this code writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from freezekit.analysis.binaries import prepare_binary, scan_binaries
from freezekit.analysis.macho import (
    read_macho,
    relink_macho,
    resolve_install_name,
    scan_macho,
)
from freezekit.platforms import Os, Target

ROOT = Path(__file__).resolve().parents[2]
WHEELS = ROOT / "build" / "test-wheels" / "macosx_11_0_arm64"
PINS = ("pillow==13.0.0", "numpy==2.5.5")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pillow and numpy for macOS arm64 (Python 3.12), unpacked like a site-packages."""
    WHEELS.mkdir(parents=True, exist_ok=True)
    if len(list(WHEELS.glob("*.whl"))) < len(PINS):
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
            + ["--platform", "macosx_11_0_arm64", "--python-version", "3.12"]
            + ["-d", str(WHEELS), *PINS],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            if os.environ.get("CI"):
                pytest.fail(f"pip download of macOS wheels failed: {done.stderr[-300:]}")
            pytest.skip("macOS wheels could not be downloaded (no PyPI?)")
    site = tmp_path_factory.mktemp("site-packages")
    for wheel in sorted(WHEELS.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
    return site


def _copy(site: Path, name: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(site / name, dest)
    return dest


def test_macho_reads_install_names_of_a_real_extension(site: Path) -> None:
    imaging = read_macho(site / "PIL" / "_imaging.cpython-312-darwin.so")
    assert imaging is not None and imaging.cpu == "ARM64"
    assert "@loader_path/.dylibs/libtiff.6.dylib" in imaging.dependencies
    assert "/usr/lib/libSystem.B.dylib" in imaging.dependencies
    assert imaging.install_name is None
    blas = read_macho(site / "numpy" / ".dylibs" / "libscipy_openblas64_.dylib")
    assert blas is not None and blas.install_name is not None
    assert blas.install_name.endswith("libscipy_openblas64_.dylib")


def test_macho_walk_bundles_vendored_libraries_in_place(site: Path) -> None:
    roots = sorted(site.rglob("*.so"))
    scan = scan_macho(roots, executable=Path("/nonexistent/bin/python3"), site_dirs=[site])
    names = {entry.name for entry in scan.binaries}
    # vendored libraries stay beside their package, so @loader_path names still resolve
    assert "numpy/.dylibs/libscipy_openblas64_.dylib" in names
    assert "PIL/.dylibs/libtiff.6.dylib" in names
    # found only through another vendored library (libtiff -> libjpeg, libxcb -> libXau)
    assert {"PIL/.dylibs/libjpeg.62.4.0.dylib", "PIL/.dylibs/libXau.6.dylib"} <= names
    assert all(not n.startswith(("usr/", "System/")) for n in names)
    assert "/usr/lib/libSystem.B.dylib" in scan.excluded
    assert scan.unresolved == ()
    imaging = str((site / "PIL" / "_imaging.cpython-312-darwin.so").resolve())
    assert (imaging, "PIL/.dylibs/libtiff.6.dylib") in scan.needs


def test_macho_rpath_and_executable_path_resolution(site: Path, tmp_path: Path) -> None:
    import lief

    lib = _copy(site, "PIL/.dylibs/libsharpyuv.0.dylib", tmp_path / "app" / "lib" / "libs.dylib")
    loader = _copy(site, "PIL/.dylibs/libwebp.7.dylib", tmp_path / "app" / "bin" / "libw.dylib")
    binary = lief.MachO.parse(str(loader)).at(0)
    binary.add_library("@rpath/libs.dylib")
    binary.add(lief.MachO.RPathCommand.create("@loader_path/../lib"))
    binary.write(str(loader))
    macho = read_macho(loader)
    assert macho is not None
    executable = tmp_path / "app" / "bin" / "python3"
    assert resolve_install_name("@rpath/libs.dylib", macho, executable=executable) == lib
    assert (
        resolve_install_name("@executable_path/../lib/libs.dylib", macho, executable=executable)
        == lib
    )
    assert resolve_install_name("@rpath/missing.dylib", macho, executable=executable) is None
    # a library found through @rpath inherits its loader's rpaths (dyld's chain)
    scan = scan_macho([loader], executable=executable, site_dirs=[])
    assert [e.name for e in scan.binaries] == ["libs.dylib"]


def test_macho_relink_points_inside_the_app(site: Path, tmp_path: Path) -> None:
    import lief

    ext = _copy(site, "PIL/_imaging.cpython-312-darwin.so", tmp_path / "PIL" / "_imaging.so")
    binary = lief.MachO.parse(str(ext)).at(0)
    binary.add_library("/opt/homebrew/lib/libzstd.1.dylib")  # a build machine's library
    binary.add(lief.MachO.RPathCommand.create("/opt/homebrew/lib"))
    binary.write(str(ext))
    result = relink_macho(ext, top_relative="..")
    assert result.changed
    assert ("/opt/homebrew/lib/libzstd.1.dylib", "@rpath/libzstd.1.dylib") in result.renamed
    after = read_macho(ext)
    assert after is not None
    assert "@rpath/libzstd.1.dylib" in after.dependencies
    assert "@loader_path/.dylibs/libtiff.6.dylib" in after.dependencies  # kept: stays valid
    assert "/usr/lib/libSystem.B.dylib" in after.dependencies
    assert after.rpaths == ["@loader_path/.."]  # the build machine's folder is gone
    assert not lief.MachO.parse(str(ext)).at(0).has_code_signature  # stale: removed
    assert not relink_macho(ext, top_relative="..").changed  # nothing left to do


def test_macho_prepare_binary_relinks_a_copy(site: Path, tmp_path: Path) -> None:
    source = site / "numpy" / ".dylibs" / "libscipy_openblas64_.dylib"
    dest = tmp_path / "top" / "numpy" / ".dylibs" / "libscipy_openblas64_.dylib"
    prepare_binary(source, dest, top_relative="../..", strip=False, cache_dir=tmp_path / "cache")
    copied = read_macho(dest)
    original = read_macho(source)
    assert copied is not None and original is not None
    assert copied.install_name == "@rpath/libscipy_openblas64_.dylib"
    assert not any(r.startswith("/opt/") for r in copied.rpaths)
    assert any(r.startswith("/opt/") for r in original.rpaths)  # the source is untouched


def test_macho_target_uses_the_macho_walk(site: Path) -> None:
    target = Target(
        os=Os.MACOS,
        machine="arm64",
        bits=64,
        python=Path("/nonexistent/bin/python3.12"),
        version=(3, 12),
        libpython=Path("/nonexistent/lib/libpython3.12.dylib"),
        stdlib=Path("/nonexistent/lib/python3.12"),
        dynload=Path("/nonexistent/lib/python3.12/lib-dynload"),
        include=Path("/nonexistent/include"),
        ext_suffix=".cpython-312-darwin.so",
    )
    scan = scan_binaries(
        [site / "numpy" / "_core" / "_multiarray_umath.cpython-312-darwin.so"],
        target,
        site_dirs=[site],
    )
    assert [e.name for e in scan.binaries] == ["numpy/.dylibs/libscipy_openblas64_.dylib"]
    assert set(scan.excluded) == {"/usr/lib/libSystem.B.dylib", "/usr/lib/libc++.1.dylib"}


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_macho_executable_is_signable_and_its_archive_reads(arch: str, tmp_path: Path) -> None:
    import lief

    from freezekit.archive.reader import open_archive
    from tests.fixtures.signing import ARCHIVE, macho_executable, simulate_codesign

    reference = open_archive(ARCHIVE)
    exe = macho_executable(arch, tmp_path)
    binary = lief.MachO.parse(str(exe)).at(0)
    assert not binary.has_code_signature  # arm64: the linker's signature was stripped
    linkedit = binary.get_segment("__LINKEDIT")
    size = exe.stat().st_size
    assert linkedit.file_offset + linkedit.file_size == size  # codesign signs every byte
    assert linkedit.virtual_size >= linkedit.file_size
    assert binary.symbol_command.strings_offset + binary.symbol_command.strings_size == size
    assert open_archive(exe).entries == reference.entries
    simulate_codesign(exe)
    signed = lief.MachO.parse(str(exe)).at(0)
    assert signed.has_code_signature and signed.code_signature.data_offset >= size
    assert open_archive(exe).entries == reference.entries  # found before the signature
