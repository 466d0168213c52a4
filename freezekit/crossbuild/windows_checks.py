"""Wine checks of the Windows bootloader beyond the archive reader and ``check_run``.

* ``win_check.exe`` (bootloader/tests/win_check.c): path joins and roots, the wide
  environment, paths past MAX_PATH, CreateProcessW quoting and exit codes.
* The windowed build's start-up error: stderr, plus a message box. The dialog's title and text
  are read from wine's relay trace of the MessageBoxW call (run without a display, wine fails
  the call at once instead of waiting for a click), and from stderr when
  FREEZEKIT_NO_DIALOG=1 skips it.
* onefile cache mode (XDG_CACHE_HOME, then LOCALAPPDATA) and temp mode under a baked-in
  ``runtime-tmpdir`` that does not exist yet, both under folder names outside any ANSI code
  page: the child reads the top directory back from the wide environment.
* The application manifest (bootloader/src/run.manifest) in every build, and its effect: with
  wine set to Windows 10 for one program, GetVersionExW gives 10.0, not Windows 8's 6.2.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from freezekit.archive import format as fmt
from freezekit.crossbuild.windows import (
    WineCheck,
    one_line_failure,
    run_wine,
    windows_path,
    with_archive,
)

NO_DIALOG = "FREEZEKIT_NO_DIALOG"
MANIFEST_MUST_SAY = (
    'level="asInvoker"',
    "{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}",  # supportedOS: Windows 10 and 11
    ">true</longPathAware>",
)
# Outside every ANSI code page (日本): getenv() would give '?' for them.
UNUSUAL = "é 日本"
TITLE = "Grüße 日本"
MB_ICONERROR_SETFOREGROUND = 0x00010010


def check_win_check(tool: Path, *, work: Path, prefix: Path) -> list[WineCheck]:
    """win_check.exe, from a folder whose name holds a space and non-ASCII characters (its
    own path is argument 0 of the command lines it builds), one WineCheck per line."""
    folder = work / f"win check {UNUSUAL}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    copy = folder / tool.name
    shutil.copy2(tool, copy)
    done = run_wine(copy, prefix=prefix)
    checks = []
    for line in done.stdout.splitlines():
        if line.startswith("ok "):
            checks.append(WineCheck(name=f"win_check: {line[3:]}", ok=True, detail=""))
        elif line.startswith("FAIL "):
            name, _, why = line[5:].partition(": ")
            detail = why + (f" | child: {done.stderr.strip()}" if done.stderr.strip() else "")
            checks.append(WineCheck(name=f"win_check: {name}", ok=False, detail=detail))
        elif line.startswith("note: "):
            checks.append(WineCheck(name="win_check: note", ok=True, detail=line[6:]))
    summary = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
    checks.append(
        WineCheck(
            name="win_check: exit status",
            ok=done.returncode == 0 and summary[0].endswith(" 0 failed"),
            detail=f"exit {done.returncode}: {summary[0]}",
        )
    )
    return checks


def check_manifest(exe: Path, *, name: str) -> WineCheck:
    """The PE file carries the application manifest (read with lief, so the i686 builds, which
    wine64 cannot run, are checked too)."""
    import lief  # as in analysis/binaries.py: imported where used

    lief.logging.disable()
    binary = lief.PE.parse(str(exe))
    resources = binary.resources_manager if binary is not None and binary.has_resources else None
    manifest = ""
    if isinstance(resources, lief.PE.ResourcesManager) and resources.has_manifest:
        text = resources.manifest
        manifest = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    missing = [text for text in MANIFEST_MUST_SAY if text not in manifest]
    return WineCheck(
        name=f"{name} manifest: asInvoker, Windows 10 supported, long paths",
        ok=not missing,
        detail=f"missing {missing}" if missing else f"{len(manifest)} bytes",
    )


def check_windows_version(tool: Path, *, work: Path, prefix: Path) -> WineCheck:
    """win_check.exe (which links the same manifest) under a name that wine is told to run as
    Windows 10 (an AppDefaults key in the prefix, removed afterwards): GetVersionExW must give
    what RtlGetVersion gives. Without the manifest it gives 6.2.9200 (Windows 8)."""
    copy = work / "fk_version_check.exe"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(tool, copy)
    key = f"HKCU\\Software\\Wine\\AppDefaults\\{copy.name}"
    run_wine(Path("reg"), ["add", key, "/v", "Version", "/d", "win10", "/f"], prefix=prefix)
    try:
        done = run_wine(copy, ["versions"], prefix=prefix)
    finally:
        run_wine(Path("reg"), ["delete", key, "/f"], prefix=prefix)
    found = re.fullmatch(r"GetVersionExW (\S+) RtlGetVersion (\S+)", done.stdout.strip())
    ok = found is not None and found.group(1) == found.group(2) and found.group(1).startswith("10.")
    return WineCheck(
        name="manifest: GetVersionExW reports Windows 10 (wine set to Windows 10)",
        ok=done.returncode == 0 and ok,
        detail=f"exit {done.returncode}: {done.stdout.strip() or done.stderr.strip()}",
    )


# -- the windowed start-up error ---------------------------------------------------------------


def _skipped_dialog(
    done: subprocess.CompletedProcess[str], exe: Path, title: str
) -> tuple[bool, str]:
    """Exit 1 and two lines: the usual one, then the dialog's title and text."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    detail = f"exit {done.returncode}: " + (" | ".join(lines) or "(no output)")
    start = f"freezekit: cannot start {windows_path(exe)}: "
    if done.returncode != 1 or len(lines) != 2 or not lines[0].startswith(start):
        return False, detail
    message = lines[0][len(start) :]
    wanted = (
        f"freezekit: dialog not shown ({NO_DIALOG}=1): [{title}] "
        f"Cannot start {windows_path(exe)}:\\n\\n{message}"
    )
    return lines[1] == wanted, detail if lines[1] == wanted else f"{detail}; wanted {wanted!r}"


_WINE_ESCAPE = re.compile(r'\\(\\|n|r|t|"|[0-9a-fA-F]{4})')
_MESSAGE_BOX = re.compile(
    r'Call user32\.MessageBoxW\([0-9a-fA-F]+,[0-9a-fA-F]+ L"((?:[^"\\]|\\.)*)"(\.\.\.)?,'
    r'[0-9a-fA-F]+ L"((?:[^"\\]|\\.)*)"(\.\.\.)?,([0-9a-fA-F]+)\)'
)


def _wine_string(text: str) -> str:
    """A wide string as wine's debugstr_w prints it: \\\\, \\n, \\" and \\XXXX escapes."""
    named = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t", '"': '"'}
    return _WINE_ESCAPE.sub(lambda m: named.get(m.group(1)) or chr(int(m.group(1), 16)), text)


def message_boxes(trace: str) -> list[tuple[str, bool, str, int]]:
    """(text, text cut short, title, flags) of each MessageBoxW call in a relay trace (wine
    prints strings of up to about 290 bytes, then '...')."""
    return [
        (
            _wine_string(m.group(1)),
            m.group(2) is not None,
            _wine_string(m.group(3)),
            int(m.group(5), 16),
        )
        for m in _MESSAGE_BOX.finditer(trace)
    ]


def _relay(exe: Path, *, prefix: Path) -> subprocess.CompletedProcess[str]:
    return run_wine(exe, prefix=prefix, env={"WINEDEBUG": "+relay"}, timeout=120)


def _freezekit_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("freezekit")]


def check_dialog(
    gui: Path, console: Path, fixtures: Path, *, work: Path, prefix: Path, python: tuple[int, int]
) -> list[WineCheck]:
    """The windowed build shows its start-up error in a message box titled with the app's
    name (stderr keeps its one line); the console build never calls MessageBoxW."""
    dll = f"python{python[0]}{python[1]}.dll"
    checks = []
    damaged = with_archive(gui, fixtures / "bad-zeroed-toc.bin", work / "gui" / "app.exe")
    ok, detail = _skipped_dialog(
        run_wine(damaged, prefix=prefix, env={NO_DIALOG: "1"}), damaged, "app"
    )
    checks.append(
        WineCheck(
            name=f"windowed, damaged TOC, {NO_DIALOG}=1: title from the file name",
            ok=ok,
            detail=detail,
        )
    )

    named = with_archive(
        gui,
        fixtures / "good-minimal.bin",
        work / f"gui-{UNUSUAL}" / "app.exe",
        libpython=dll,
        python=python,
        options=[f"freezekit:name={TITLE}"],
    )
    ok, detail = _skipped_dialog(run_wine(named, prefix=prefix, env={NO_DIALOG: "1"}), named, TITLE)
    checks.append(
        WineCheck(
            name=f"windowed, no _internal, {NO_DIALOG}=1: title from freezekit:name=",
            ok=ok,
            detail=detail,
        )
    )

    done = _relay(named, prefix=prefix)
    lines = _freezekit_lines(done)
    boxes = message_boxes(done.stderr)
    start = f"freezekit: cannot start {windows_path(named)}: "
    ok = done.returncode == 1 and len(lines) == 1 and lines[0].startswith(start) and len(boxes) == 1
    detail = f"exit {done.returncode}: {' | '.join(lines)}; MessageBoxW calls: {boxes}"
    if ok:
        text, cut, title, flags = boxes[0]
        wanted = f"Cannot start {windows_path(named)}:\n\n{lines[0][len(start) :]}"
        ok = (
            (wanted.startswith(text) and len(text) > 100 if cut else text == wanted)
            and title == TITLE
            and flags == MB_ICONERROR_SETFOREGROUND
        )
        shown = f"text={text!r}{' (cut by wine)' if cut else ''}, title={title!r}"
        detail = f"MessageBoxW({shown}, flags={flags:#x})"
    checks.append(
        WineCheck(name="windowed: MessageBoxW text and title (relay trace)", ok=ok, detail=detail)
    )

    plain = with_archive(console, fixtures / "bad-zeroed-toc.bin", work / "console" / "app.exe")
    done = _relay(plain, prefix=prefix)
    lines = _freezekit_lines(done)
    boxes = message_boxes(done.stderr)
    checks.append(
        WineCheck(
            name="console: one line, no MessageBoxW (relay trace)",
            ok=done.returncode == 1
            and len(lines) == 1
            and not boxes
            and "MessageBox" not in done.stderr,
            detail=f"exit {done.returncode}: {' | '.join(lines)}; MessageBoxW calls: {len(boxes)}",
        )
    )
    return checks


# -- extraction folders ------------------------------------------------------------------------


def _cache_leftovers(prefix: Path, leaf: str) -> list[Path]:
    return sorted((prefix / "drive_c" / "users").glob(f"*/AppData/Local/freezekit/{leaf}*"))


def check_extract_modes(
    console: Path, fixtures: Path, *, work: Path, prefix: Path, python: tuple[int, int]
) -> list[WineCheck]:
    """Cache mode under XDG_CACHE_HOME and under LOCALAPPDATA, and temp mode under a
    runtime-tmpdir made on first use, each up to loading the python DLL: the path shown has
    backslashes only and names the expected folder."""
    dll = f"python{python[0]}{python[1]}.dll"
    good = fixtures / "good-minimal.bin"
    checks = []

    cached = with_archive(
        console,
        good,
        work / "cache" / "app.exe",
        flags=fmt.FLAG_ONEFILE | fmt.FLAG_EXTRACT_CACHE,
        libpython=dll,
        python=python,
    )
    leaf = (
        f"fixture-{fmt.decode_trailer(cached.read_bytes()[-fmt.TRAILER_SIZE :]).content_id.hex()}"
    )
    xdg = work / f"xdg-{UNUSUAL}"
    shutil.rmtree(xdg, ignore_errors=True)
    top = f"{windows_path(xdg)}\\freezekit\\{leaf}"
    for attempt in ("extract", "reuse"):
        done = run_wine(cached, prefix=prefix, env={"XDG_CACHE_HOME": windows_path(xdg)})
        ok, detail = one_line_failure(done, f"cannot load {top}\\{dll}:")
        unpacked = (xdg / "freezekit" / leaf / "data" / "hello.txt").is_file()
        checks.append(
            WineCheck(
                name=f"onefile cache under XDG_CACHE_HOME (non-ASCII), {attempt}",
                ok=ok and unpacked,
                detail=detail + ("" if unpacked else "; data/hello.txt not unpacked"),
            )
        )

    for old in _cache_leftovers(prefix, leaf):
        shutil.rmtree(old)
    done = run_wine(cached, prefix=prefix)
    ok, detail = one_line_failure(done, f"\\AppData\\Local\\freezekit\\{leaf}\\{dll}:")
    made = _cache_leftovers(prefix, leaf)
    for old in made:
        shutil.rmtree(old)
    checks.append(
        WineCheck(name="onefile cache under LOCALAPPDATA", ok=ok and len(made) == 1, detail=detail)
    )

    runtime_tmpdir = work / f"rt-{UNUSUAL}"
    shutil.rmtree(runtime_tmpdir, ignore_errors=True)
    deep = runtime_tmpdir / "deep" / "er"
    temp = with_archive(
        console,
        good,
        work / "runtime-tmpdir" / "app.exe",
        flags=fmt.FLAG_ONEFILE,
        libpython=dll,
        python=python,
        options=["freezekit:name=fixture", f"freezekit:runtime-tmpdir={windows_path(deep)}"],
    )
    done = run_wine(temp, prefix=prefix, timeout=60)
    ok, detail = one_line_failure(done, f"cannot load {windows_path(deep)}\\_MEIfk")
    left = sorted(p.name for p in deep.iterdir()) if deep.is_dir() else ["(not made)"]
    checks.append(
        WineCheck(
            name="onefile temp under a new runtime-tmpdir (non-ASCII): child, wait, remove",
            ok=ok and f"\\{dll}:" in detail and left == [],
            detail=detail + (f"; left in it: {left}" if left else "; left clean"),
        )
    )
    return checks


def check_signed_archive(
    archive_check: Path, run: Path, fixtures: Path, *, work: Path, prefix: Path
) -> list[WineCheck]:
    """The bootloader's archive reader on an executable signed after the build: the bootloader
    with a fixture archive, signed with a throwaway self-signed certificate (osslsigncode),
    verified, then read by archive_check.exe under wine (the archive ends before Authenticode's
    certificate table)."""
    from freezekit.release.sign import (
        make_test_certificate,
        sign_windows,
        verify_windows,
        windows_signing,
    )

    if shutil.which("osslsigncode") is None or shutil.which("openssl") is None:
        return [
            WineCheck(
                name="signed executable",
                ok=False,
                detail="osslsigncode or openssl missing (scripts/install-mingw.sh installs them)",
            )
        ]
    folder = work / "signed"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    exe = with_archive(run, fixtures / "good-minimal.bin", folder / "signed.exe")
    pfx, ca = make_test_certificate(folder)
    config = windows_signing({"FREEZEKIT_SIGN_PFX": str(pfx), "FREEZEKIT_SIGN_PASSWORD": "test"})
    assert not isinstance(config, str)
    sign_windows(exe, config, description="freezekit check")
    verified, detail = verify_windows(exe, ca_file=ca)
    checks = [WineCheck(name="signed executable verifies", ok=verified, detail=detail)]
    done = run_wine(archive_check, [windows_path(exe)], prefix=prefix)
    checks.append(
        WineCheck(
            name="archive_check on a signed executable",
            ok=done.returncode == 0,
            detail=f"exit {done.returncode}: {(done.stdout + done.stderr).strip()[:200]}",
        )
    )
    return checks
