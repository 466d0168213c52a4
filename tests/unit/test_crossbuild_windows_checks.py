"""The parsing behind the Windows bootloader's wine checks, on canned output: wine's relay trace
of MessageBoxW, mixed path separators, and fixture archives written again with other options."""

from __future__ import annotations

from pathlib import Path

from freezekit.archive import format as fmt
from freezekit.archive.reader import open_archive, read_entry
from freezekit.crossbuild import windows, windows_checks
from freezekit.toc import EntryKind

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "archives"

TRACE = (
    "0118:Call KERNEL32.GetLastError() ret=1400a7933\n"
    '0118:Call user32.MessageBoxW(00000000,00219260 L"Cannot start Z:\\\\app\\\\gui-\\00e9 '
    '\\65e5\\672c\\\\app.exe:\\n\\nfolder missing",00217260 L"Gr\\00fc\\00dfe \\"q\\" \\\\b",'
    "00010010) ret=1400a7933\n"
    "0118:Ret  user32.MessageBoxW() retval=ffffffff ret=1400a7933\n"
)


def test_windows_checks_message_boxes_decodes_the_relay_trace() -> None:
    assert windows_checks.message_boxes(TRACE) == [
        (
            "Cannot start Z:\\app\\gui-é 日本\\app.exe:\n\nfolder missing",
            False,
            'Grüße "q" \\b',
            0x00010010,
        )
    ]


def test_windows_checks_message_boxes_marks_text_cut_by_wine() -> None:
    trace = '0118:Call user32.MessageBoxW(0,1 L"Cannot st"...,2 L"app",00010010) ret=1'
    assert windows_checks.message_boxes(trace) == [("Cannot st", True, "app", 0x00010010)]


def test_windows_mixed_separators_finds_forward_slashes_in_windows_paths() -> None:
    line = (
        "freezekit: cannot start Z:\\a\\app.exe: cannot load C:\\users\\root\\Temp/_MEIfkx/"
        "python311.dll: entry data/x.txt; Z:/b/app.exe"
    )
    assert windows.mixed_separators(line) == [
        "C:\\users\\root\\Temp/_MEIfkx/python311.dll",
        "Z:/b/app.exe",
    ]


def test_windows_with_archive_replaces_the_options(tmp_path: Path) -> None:
    bootloader = tmp_path / "run.exe"
    bootloader.write_bytes(b"MZ" + bytes(100))
    good = FIXTURES / "good-minimal.bin"
    dest = windows.with_archive(
        bootloader,
        good,
        tmp_path / "app.exe",
        flags=fmt.FLAG_ONEFILE,
        options=["freezekit:name=Grüße 日本", "freezekit:runtime-tmpdir=C:\\t"],
    )
    archive = open_archive(dest)
    original = open_archive(good)
    assert archive.options == ["freezekit:name=Grüße 日本", "freezekit:runtime-tmpdir=C:\\t"]
    assert archive.trailer.pkg_offset == 102
    assert archive.trailer.flags == fmt.FLAG_ONEFILE
    files = {
        e.name: read_entry(archive, e) for e in archive.entries if e.kind is not EntryKind.OPTION
    }
    assert files == {
        e.name: read_entry(original, e) for e in original.entries if e.kind is not EntryKind.OPTION
    }
