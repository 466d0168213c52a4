"""Shared-library policy, ld.so.conf parsing, dependency walk and prepare_binary."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from freezekit.analysis import binaries
from freezekit.analysis.binaries import (
    LibraryPolicy,
    ld_so_conf_dirs,
    prepare_binary,
    read_elf,
    scan_binaries,
    top_relative_for,
)
from freezekit.platforms import Target, host_target


@functools.cache
def target() -> Target:
    return host_target()


@pytest.mark.parametrize(
    "name",
    [
        "libc.so.6",
        "libm.so.6",
        "ld-linux-x86-64.so.2",
        "libpthread.so.0",
        "libGL.so.1",
        "libX11.so.6",
        "libstdc++.so.6",
        "libgcc_s.so.1",
        "libnss_files.so.2",
    ],
)
def test_binaries_policy_excludes_system_libraries(name: str) -> None:
    assert LibraryPolicy().is_excluded(name)


@pytest.mark.parametrize(
    "name",
    [
        "libssl.so.3",
        "libcrypto.so.3",
        "libffi.so.8",
        "libsqlite3.so.0",
        "liblzma.so.5",
        "libbz2.so.1.0",
        "libz.so.1",
        "libreadline.so.8",
        "libncursesw.so.6",
        "libuuid.so.1",
        "libcrypt.so.1",
        "libpython3.12.so.1.0",
    ],
)
def test_binaries_policy_bundles_the_rest(name: str) -> None:
    assert not LibraryPolicy().is_excluded(name)


def test_binaries_policy_is_overridable() -> None:
    policy = LibraryPolicy(
        include=("libstdc++.so*",), exclude=(*LibraryPolicy().exclude, "libssl.so*")
    )
    assert not policy.is_excluded("libstdc++.so.6")
    assert policy.is_excluded("libssl.so.3")


def test_binaries_ld_so_conf_follows_includes(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("# comment\n/opt/a/lib\n")
    (tmp_path / "conf.d" / "b.conf").write_text("/opt/b/lib  # trailing\n")
    (tmp_path / "ld.so.conf").write_text("include conf.d/*.conf\n/usr/local/lib\n")
    assert ld_so_conf_dirs(tmp_path / "ld.so.conf") == [
        "/opt/a/lib",
        "/opt/b/lib",
        "/usr/local/lib",
    ]


def test_binaries_top_relative_for() -> None:
    assert top_relative_for("libssl.so.3") == "."
    assert top_relative_for("lib-dynload/_ssl.so") == ".."
    assert top_relative_for("numpy/core/_umath.so") == "../.."


def _stdlib_extension(stem: str) -> Path:
    t = target()
    path = t.dynload / f"{stem}{t.ext_suffix}"
    if not path.exists():
        pytest.skip(f"{path} not built in this Python")
    return path


def test_binaries_scan_finds_libssl_for_ssl_and_leaves_libc_out() -> None:
    ssl = _stdlib_extension("_ssl")
    scan = scan_binaries([ssl], target(), site_dirs=[])
    names = {e.name for e in scan.binaries}
    assert "libssl.so.3" in names or "libssl.so.1.1" in names
    assert "libc.so.6" in scan.excluded
    assert scan.unresolved == ()


def test_binaries_scan_warns_about_unresolvable_library(tmp_path: Path) -> None:
    ssl = _stdlib_extension("_ssl")
    copy = tmp_path / "lib-dynload" / ssl.name  # RUNPATH now $ORIGIN/.. : an empty folder
    prepare_binary(ssl, copy, top_relative="..", strip=False, cache_dir=tmp_path / "cache")
    scan = scan_binaries(
        [copy],
        target(),
        site_dirs=[],
        system_dirs=[str(tmp_path / "empty")],
        policy=LibraryPolicy(exclude=("libc.so*",)),
    )
    missing = {name for _binary, name in scan.unresolved}
    if target().libpython.parent.joinpath("libssl.so.3").exists():
        pytest.skip("libssl sits next to libpython in this Python")
    assert missing & {"libssl.so.3", "libssl.so.1.1"}
    assert {binary for binary, _name in scan.unresolved} == {str(copy)}


def test_binaries_prepare_sets_runpath_and_caches(tmp_path: Path) -> None:
    ssl = _stdlib_extension("_ssl")
    dest = tmp_path / "app" / "lib-dynload" / ssl.name
    cache = tmp_path / "cache"
    prepare_binary(ssl, dest, top_relative="..", strip=True, cache_dir=cache)
    elf = read_elf(dest)
    assert elf is not None
    assert elf.runpath[0] == "$ORIGIN/.." and not elf.rpath
    assert all(p.startswith("$ORIGIN") for p in elf.runpath)
    assert len(list(cache.iterdir())) == 1
    again = tmp_path / "again" / ssl.name
    prepare_binary(ssl, again, top_relative="..", strip=True, cache_dir=cache)
    assert again.read_bytes() == dest.read_bytes()
    assert len(list(cache.iterdir())) == 1


def test_binaries_prepare_rewrites_a_search_path_without_lief(tmp_path: Path) -> None:
    """An extension module whose RUNPATH string has room for the new one is patched in place
    (elfread), in a process that never imports lief (~60 MiB of memory)."""
    import subprocess
    import sys

    ssl = _stdlib_extension("_ssl")
    found = read_elf(ssl)
    assert found is not None
    if len(":".join(found.runpath or found.rpath)) < len("$ORIGIN/.."):
        pytest.skip(f"{ssl.name} has no search path as long as $ORIGIN/..")
    dest = tmp_path / "app" / "lib-dynload" / ssl.name
    code = (
        "import sys; from pathlib import Path; from freezekit.analysis.binaries import"
        " prepare_binary; prepare_binary(Path(sys.argv[1]), Path(sys.argv[2]),"
        " top_relative='..', strip=True, cache_dir=Path(sys.argv[3]));"
        " print('lief' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(ssl), str(dest), str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "False"
    patched = read_elf(dest)
    assert patched is not None and patched.runpath[0] == "$ORIGIN/.." and not patched.rpath
    assert dest.stat().st_size <= ssl.stat().st_size


def test_binaries_prepare_leaves_nothing_in_the_cache_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ssl = _stdlib_extension("_ssl")
    cache = tmp_path / "cache"

    def fail(path: Path, top_relative: str) -> None:
        assert path.parent == cache and path.name.endswith(ssl.name)  # its private name
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(binaries, "_set_runpath", fail)
    with pytest.raises(OSError, match="No space"):
        prepare_binary(
            ssl, tmp_path / "app" / ssl.name, top_relative="..", strip=False, cache_dir=cache
        )
    assert list(cache.iterdir()) == []
    assert not (tmp_path / "app" / ssl.name).exists()
