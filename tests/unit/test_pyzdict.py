"""The PYZ compression dictionary trained on the target's standard library (archive/pyzdict.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import zstandard

from freezekit.archive import pyzdict
from freezekit.archive.pyz import _compress_now
from freezekit.platforms import resolve_target


def _fake_stdlib(root: Path, count: int) -> Path:
    for i in range(count):
        body = "\n".join(
            f"def function_{i}_{j}(value, other=None):\n"
            f"    '''Helper number {j} of module {i}.'''\n"
            f"    return [value * {j}, other, 'text {i}-{j}']\n"
            for j in range(12)
        )
        package = root / f"pkg{i % 7}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"mod{i}.py").write_text(body)
    (root / "test").mkdir()
    (root / "test" / "test_big.py").write_text("SKIPPED = True\n")
    (root / "test_top.py").write_text("SKIPPED = True\n")
    return root


def test_training_sources_skip_test_suites(tmp_path: Path) -> None:
    root = _fake_stdlib(tmp_path / "lib", 3)
    names = [p.relative_to(root).as_posix() for p in pyzdict.training_sources(root)]
    assert names == ["pkg0/mod0.py", "pkg1/mod1.py", "pkg2/mod2.py"]


def test_dictionary_is_deterministic_cached_and_shrinks_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(pyzdict, "DICT_SIZE", 8 << 10)
    target = dataclasses.replace(resolve_target(None), stdlib=_fake_stdlib(tmp_path / "lib", 80))
    first = pyzdict.stdlib_dictionary(target)
    assert first is not None
    assert len(list((tmp_path / "cache" / "freezekit" / "zstd" / "dict").iterdir())) == 1
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-cache"))
    assert pyzdict.stdlib_dictionary(target) == first  # trained again: the same bytes
    sample = (target.stdlib / "pkg3" / "mod3.py").read_bytes()
    assert len(_compress_now(sample, 19, first)) < len(_compress_now(sample, 19))
    assert zstandard.ZstdCompressionDict(first).dict_id() != 0  # a trained dictionary


def test_no_dictionary_without_enough_sources(tmp_path: Path) -> None:
    target = dataclasses.replace(resolve_target(None), stdlib=_fake_stdlib(tmp_path / "lib", 5))
    assert pyzdict.stdlib_dictionary(target) is None


def test_a_build_asking_while_another_thread_trains_waits_for_that_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    stdlib = _fake_stdlib(tmp_path / "lib", 60)
    target = dataclasses.replace(resolve_target(None), stdlib=stdlib)
    trained = []
    real = pyzdict._dictionary

    def slow(*args: object) -> bytes | None:
        trained.append(threading.current_thread().name)
        time.sleep(0.3)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pyzdict, "_dictionary", slow)
    answers: list[bytes | None] = []
    ahead = threading.Thread(target=lambda: answers.append(pyzdict.stdlib_dictionary(target)))
    ahead.start()
    time.sleep(0.05)
    answers.append(pyzdict.stdlib_dictionary(target))
    ahead.join()
    assert len(trained) == 1
    assert answers[0] is not None and answers[0] == answers[1]


def test_training_after_the_wait_reads_the_compiled_files_not_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pyzdict, "DICT_SIZE", 8 << 10)
    target = dataclasses.replace(resolve_target(None), stdlib=_fake_stdlib(tmp_path / "lib", 80))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "plain"))
    plain = pyzdict.stdlib_dictionary(target)
    assert plain is not None
    real_compile = pyzdict.compile_units
    compiled_after: list[int] = []

    def no_more_compiling(*args: object, **kwargs: object) -> dict[str, bytes]:
        compiled_after.append(1)
        return real_compile(*args, **kwargs)  # type: ignore[arg-type]

    def wait() -> None:  # the analysis runs: afterwards, nothing is compiled or hashed again
        monkeypatch.setattr(pyzdict, "compile_units", no_more_compiling)

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "ahead"))
    assert pyzdict.stdlib_dictionary(target, before_training=wait) == plain
    assert compiled_after == []

    def clear_cache() -> None:  # the bytecode cache emptied meanwhile: compiled again
        wait()
        for path in (tmp_path / "cleared" / "freezekit" / "bytecode").rglob("*.marshal"):
            path.unlink()

    monkeypatch.setattr(pyzdict, "compile_units", real_compile)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cleared"))
    assert pyzdict.stdlib_dictionary(target, before_training=clear_cache) == plain
    assert compiled_after == [1]
