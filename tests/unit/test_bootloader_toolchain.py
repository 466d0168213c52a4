"""freezekit.assemble.bootloader without compiling: toolchain errors, shipped lookup, cache keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from freezekit.assemble import bootloader
from freezekit.assemble.bootloader import Variant, build_key, check_toolchain, find_bootloader
from freezekit.errors import ToolchainError
from freezekit.platforms import Os, Target


def _target(tmp_path: Path, *, headers: bool = True) -> Target:
    include = tmp_path / "include" / "python3.12"
    include.mkdir(parents=True)
    if headers:
        (include / "Python.h").write_text("/* fake */\n")
        (include / "patchlevel.h").write_text('#define PY_VERSION "3.12.1"\n')
    return Target(
        os=Os.LINUX,
        machine="x86_64",
        bits=64,
        python=tmp_path / "bin" / "python3.12",
        version=(3, 12),
        libpython=tmp_path / "lib" / "libpython3.12.so.1.0",
        stdlib=tmp_path / "lib" / "python3.12",
        dynload=tmp_path / "lib" / "python3.12" / "lib-dynload",
        include=include,
        ext_suffix=".cpython-312-x86_64-linux-gnu.so",
    )


def _fake_tools(tmp_path: Path, *names: str) -> Path:
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir(exist_ok=True)
    for name in names:
        tool = bin_dir / name
        tool.write_text("#!/bin/sh\nexit 0\n")
        tool.chmod(0o755)
    return bin_dir


@pytest.fixture
def linux_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("CC", raising=False)


def test_toolchain_reports_missing_cmake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linux_host: None
) -> None:
    monkeypatch.setenv("PATH", str(_fake_tools(tmp_path, "cc")))
    with pytest.raises(ToolchainError) as caught:
        check_toolchain(_target(tmp_path))
    assert str(caught.value) == "cmake not found on PATH (needed to compile the bootloader)"
    assert caught.value.hint == "install it with `apt-get install cmake` or `pip install cmake`"


def test_toolchain_reports_missing_compiler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linux_host: None
) -> None:
    monkeypatch.setenv("PATH", str(_fake_tools(tmp_path, "cmake")))
    with pytest.raises(ToolchainError) as caught:
        check_toolchain(_target(tmp_path))
    assert str(caught.value) == "no C compiler found (looked for cc, gcc, clang on PATH)"
    assert "build-essential" in (caught.value.hint or "")


def test_toolchain_reports_missing_compiler_named_by_cc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linux_host: None
) -> None:
    monkeypatch.setenv("PATH", str(_fake_tools(tmp_path, "cmake", "gcc")))
    monkeypatch.setenv("CC", "clang-99 -m32")
    with pytest.raises(ToolchainError) as caught:
        check_toolchain(_target(tmp_path))
    assert str(caught.value) == "no C compiler found (looked for clang-99 on PATH; set by $CC)"


def test_toolchain_reports_missing_static_zstd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linux_host: None
) -> None:
    monkeypatch.setenv("PATH", str(_fake_tools(tmp_path, "cmake", "cc", "ninja")))

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        # gcc -print-file-name=libzstd.a echoes the bare name when it finds nothing.
        assert command[1] == "-print-file-name=libzstd.a"
        return subprocess.CompletedProcess(command, 0, stdout="libzstd.a\n", stderr="")

    monkeypatch.setattr(subprocess, "run", fake_run)
    with pytest.raises(ToolchainError) as caught:
        check_toolchain(_target(tmp_path))
    assert str(caught.value) == "libzstd.a (static zstd library) not found"
    assert (caught.value.hint or "").startswith("install it with `apt-get install libzstd-dev`")


def test_toolchain_reports_missing_python_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linux_host: None
) -> None:
    monkeypatch.setenv("PATH", str(_fake_tools(tmp_path, "cmake", "cc")))
    target = _target(tmp_path, headers=False)
    with pytest.raises(ToolchainError) as caught:
        check_toolchain(target)
    assert str(caught.value).startswith(f"Python.h not found in {target.include}")
    assert "python3.12-dev" in (caught.value.hint or "")


def test_toolchain_refuses_another_os(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linux_host: None
) -> None:
    import dataclasses

    target = dataclasses.replace(_target(tmp_path), os=Os.WINDOWS)
    with pytest.raises(ToolchainError, match="cannot compile a bootloader for windows-x86_64-3.12"):
        check_toolchain(target)


def test_failed_build_includes_compiler_output(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(
            command, 1, stdout="[1/9] Building C object\n", stderr="archive.c:10: error: oops\n"
        )

    monkeypatch.setattr(subprocess, "run", fake_run)
    with pytest.raises(ToolchainError) as caught:
        bootloader._run(["cmake", "--build", "b"], what="compiling the bootloader")
    assert str(caught.value) == (
        "compiling the bootloader failed (exit status 1): cmake --build b\n"
        "[1/9] Building C object\narchive.c:10: error: oops"
    )


def test_shipped_bootloader_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _target(tmp_path)
    package = tmp_path / "package"
    shipped = package / "_bootloaders" / "linux-x86_64-3.12-windowed" / "run"
    shipped.parent.mkdir(parents=True)
    shipped.write_bytes(b"\x7fELF")
    monkeypatch.setattr(bootloader, "PACKAGE_DIR", package)
    monkeypatch.setenv("PATH", "")  # no toolchain needed
    assert find_bootloader(target, windowed=True) == shipped


def test_cached_bootloader_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _target(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", "")
    key = build_key(target, Variant(), bootloader.source_dir())
    cached = tmp_path / "cache" / "freezekit" / "bootloader" / f"linux-x86_64-3.12-{key}" / "run"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\x7fELF")
    assert find_bootloader(target) == cached


def test_a_checkout_uses_its_prebuilt_bootloader_while_the_sources_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _target(tmp_path)
    checkout = tmp_path / "checkout"
    sources = checkout / "bootloader"
    sources.mkdir(parents=True)
    (sources / "CMakeLists.txt").write_text("project(x C)\n")
    monkeypatch.setattr(bootloader, "PACKAGE_DIR", checkout / "freezekit")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # empty: a first build
    monkeypatch.setenv("PATH", "")  # no toolchain: nothing may be compiled
    key = build_key(target, Variant(), sources)
    prebuilt = checkout / "build" / "bootloaders" / f"linux-x86_64-3.12-{key}" / "run"
    prebuilt.parent.mkdir(parents=True)
    prebuilt.write_bytes(b"\x7fELF")
    assert find_bootloader(target) == prebuilt
    (sources / "main.c").write_text("int main(void) { return 0; }\n")  # an edit since
    with pytest.raises(ToolchainError, match="cmake not found"):
        find_bootloader(target)  # compiles for the new sources instead of the stale one


def test_prebuild_is_for_checkouts_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from freezekit.errors import FreezekitError

    package = tmp_path / "site-packages" / "freezekit"
    (package / "_bootloader_src").mkdir(parents=True)
    (package / "_bootloader_src" / "CMakeLists.txt").write_text("project(x C)\n")
    monkeypatch.setattr(bootloader, "PACKAGE_DIR", package)
    with pytest.raises(FreezekitError, match="an installed package, not a checkout"):
        bootloader.prebuild()


def test_build_key_depends_on_variant_and_sources(tmp_path: Path) -> None:
    target = _target(tmp_path)
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "CMakeLists.txt").write_text("project(x C)\n")
    plain = build_key(target, Variant(), sources)
    assert build_key(target, Variant(), sources) == plain
    assert build_key(target, Variant(windowed=True), sources) != plain
    assert build_key(target, Variant(debug=True), sources) != plain
    (sources / "main.c").write_text("int main(void) { return 0; }\n")
    assert build_key(target, Variant(), sources) != plain
