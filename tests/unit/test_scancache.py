"""The worker's scan cache: modulegraph2's scan results stored as plain values and read back."""

from __future__ import annotations

import marshal
import types
from pathlib import Path

from modulegraph2 import _importinfo

from freezekit.analysis._scancache import ScanCache, _Decoder, to_plain


def _info(module: str, names: set[str], *, asname: str | None = None) -> _importinfo.ImportInfo:
    return _importinfo.ImportInfo(
        import_module=_importinfo.import_name.from_tuple((module, asname)),
        import_level=1,
        import_names={_importinfo.import_name.from_tuple((n, n.upper())) for n in names},
        star_import=False,
        is_in_function=True,
        is_in_conditional=False,
        is_in_tryexcept=True,
    )


def test_plain_values_round_trip_through_marshal() -> None:
    original = _info("events", {"get_event_loop", "Policy"}, asname="ev")
    back = _Decoder(_importinfo).info_of(marshal.loads(marshal.dumps(to_plain(original))))
    assert back == original
    assert back.import_module.asname == "ev"
    assert {(n, n.asname) for n in back.import_names} == {
        ("get_event_loop", "GET_EVENT_LOOP"),
        ("Policy", "POLICY"),
    }


def test_a_scan_is_stored_as_it_was_returned(tmp_path: Path) -> None:
    """modulegraph2 uses the scan's set of written globals as the module's ``globals_written``
    and adds to it (a star import adds the imported module's names); the cache keeps the scan's
    answer. Format 1 pickled the grown set at exit, and a later numpy_app analysis lost two
    modules (asyncio.DefaultEventLoopPolicy, numpy._core.dtype) that an uncached run finds."""
    code = compile("from .events import *\nx = 1\n", str(tmp_path / "mod.py"), "exec")
    (tmp_path / "mod.py").write_text("from .events import *\nx = 1\n")
    builder = types.SimpleNamespace(
        extract_ast_info=lambda node: [],
        extract_bytecode_info=lambda code: ([_info("events", set())], {"x"}, set()),
    )
    cache = ScanCache(str(tmp_path / "scan.marshal"))
    cache.install(builder, _importinfo)
    _imports, written, _read = builder.extract_bytecode_info(code)
    written.add("DefaultEventLoopPolicy")  # what the graph builder does to the set later
    cache.save()

    again = ScanCache(str(tmp_path / "scan.marshal"))
    imports, written, _read = _scan_from_cache(again, code)
    assert written == {"x"}
    assert [str(i.import_module) for i in imports] == ["events"]


def _scan_from_cache(cache: ScanCache, code: object) -> tuple[list, set, set]:
    builder = types.SimpleNamespace(extract_ast_info=None, extract_bytecode_info=None)
    cache.install(builder, _importinfo)
    return builder.extract_bytecode_info(code)  # a cache hit: the real scanner is None


def test_an_unreadable_or_old_cache_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "scan.marshal"
    path.write_bytes(b"\x80\x04 not marshal")
    assert ScanCache(str(path)).entries == {}
    path.write_bytes(marshal.dumps((1, {"x": ((1, 2), None, None)})))
    assert ScanCache(str(path)).entries == {}


def test_the_scan_cache_is_keyed_by_the_hosts_modulegraph2() -> None:
    """The worker runs the host's modulegraph2 (linked without metadata) under the target
    interpreter, which may have none installed (a Windows python under wine) or another
    version: the host sends its version and the cache file is named after it."""
    import importlib.metadata

    from freezekit.analysis import _worker
    from freezekit.analysis._scancache import default_path
    from freezekit.analysis.imports import modulegraph_version

    host = importlib.metadata.version("modulegraph2")
    assert modulegraph_version() == host
    path = default_path(_worker._mg_version({"modulegraph_version": host}))
    assert path.endswith(f"-mg{host}.marshal")
