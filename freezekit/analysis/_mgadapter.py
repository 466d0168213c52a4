"""Every use freezekit makes of modulegraph2's private internals (and objectgraph's), here.

The analysis worker drives modulegraph2 beyond its public API:

- ``ModuleGraph._run_stack()`` finishes the queued work; called after each seed so that an item
  modulegraph2 fails on is skipped instead of ending the analysis (``run_stack``);
- objectgraph keeps the edges in ``_edges`` (a dict keyed by (source, target) identifiers) and
  the nodes in ``_nodes``; its ``outgoing``/``incoming`` scan every edge on each call, so the
  graph class here keeps per-node indexes (``fast_graph_class``);
- ``_post_processing_seen``: the identifiers whose post-processing hooks ran; a node removed
  and added again must run them again (``forget_post_processing``);
- ``_find_module``/``_find_or_load_module``: put a module found by name in the graph, for an
  edge from a given node (``find_or_load``);
- ``_modulegraph.DEFAULT_DEPENDENCY``: the dependency info of a plain import
  (``default_dependency``);
- ``_graphbuilder`` (``extract_ast_info``, ``extract_bytecode_info``, and the builtin
  ``compile`` it calls, shadowed by a module global: wrapped by the scan cache, _scancache.py,
  and called beside the worker by scanahead.py through ``scan_functions``)
  and ``_importinfo`` (``ImportInfo``, ``import_name``, ``create_importinfo``: what the scans
  make, _astscan.py and _bytecodescan.py), handed to the scan cache by ``install_scan_cache``;
- ``_distributions.all_distributions`` lists every ``sys.path`` folder on each call; it is
  replaced by one that lists each folder once per run, with modulegraph2's own cache
  (``_cached_distributions``) and reader (``create_distribution``): ``list_distributions_once``.

No other module of freezekit names a private module or attribute of either package. Such
internals change without notice: pyproject.toml pins the range tested here (``REQUIREMENT``),
the build refuses any other version with one line (``check_version``, on the host and again in
the worker), and tests/unit/test_mgadapter.py fails on an installed version outside the range
and checks that every name above exists.

Standard library only at import (the host reads ``REQUIREMENT``); modulegraph2 in the worker,
under the target Python (>= 3.10).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Protocol

#: The versions whose internals this module was checked against: [low, high) of (major, minor).
TESTED_RANGE = ((2, 3), (2, 4))
#: The same range as a requirement: pyproject.toml's dependency (a unit test keeps them equal).
REQUIREMENT = "modulegraph2>=2.3,<2.4"
#: objectgraph, whose private ``_edges``/``_nodes`` are used too (pinned the same way).
OBJECTGRAPH_REQUIREMENT = "objectgraph>=1.0.5,<1.1"


class UnsupportedVersion(Exception):
    """modulegraph2 outside TESTED_RANGE (the message is one line saying what to install)."""


def _release(version: str) -> tuple[int, ...] | None:
    parts: list[int] = []
    for part in version.split("."):
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(part):
            break  # 2.4rc1, 2.3.post1: the release part ends here
    return tuple(parts) if parts else None


def is_tested(version: str) -> bool:
    release = _release(version)
    low, high = TESTED_RANGE
    return release is not None and low <= (release + (0,))[:2] < high


def check_version(version: str) -> None:
    """Refuse a modulegraph2 whose internals were not checked (UnsupportedVersion)."""
    if not is_tested(version):
        raise UnsupportedVersion(
            f"modulegraph2 {version} is not supported: freezekit uses its internals and is "
            f"tested with {REQUIREMENT} (pip install '{REQUIREMENT}')"
        )


# -- the graph -------------------------------------------------------------------------------


def run_stack(graph: Any) -> None:
    """Run modulegraph2's queued work (raises what modulegraph2 raises on an item)."""
    graph._run_stack()


def forget_post_processing(graph: Any, identifier: str) -> None:
    """Let the post-processing hooks run again for a node added back under ``identifier``."""
    graph._post_processing_seen.discard(identifier)


def find_or_load(graph: Any, node: Any, name: str) -> Any:
    """The node of module ``name``: already in the graph, or found and added for ``node``."""
    return graph._find_module(name) or graph._find_or_load_module(node, name)


def default_dependency() -> Any:
    """The DependencyInfo of a plain module-level import."""
    from modulegraph2._modulegraph import DEFAULT_DEPENDENCY

    return DEFAULT_DEPENDENCY


class _IndexedEdges(dict):  # type: ignore[type-arg]
    """objectgraph's edge dict, plus per-node indexes: its ``outgoing``/``incoming`` scan every
    edge of the graph on each call, which makes large graphs quadratic."""

    def __init__(self) -> None:
        super().__init__()
        self.out: dict[str, dict[str, None]] = {}
        self.inc: dict[str, dict[str, None]] = {}

    def __setitem__(self, key: tuple[str, str], value: Any) -> None:
        super().__setitem__(key, value)
        self.out.setdefault(key[0], {})[key[1]] = None
        self.inc.setdefault(key[1], {})[key[0]] = None

    def __delitem__(self, key: tuple[str, str]) -> None:
        super().__delitem__(key)
        self.out.get(key[0], {}).pop(key[1], None)
        self.inc.get(key[1], {}).pop(key[0], None)

    def pop(self, key: tuple[str, str], *default: Any) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        return super().pop(key, *default)


def fast_graph_class(mg: Any) -> Any:
    """``mg.ModuleGraph`` whose ``outgoing``/``incoming`` read per-node edge indexes."""

    class FastModuleGraph(mg.ModuleGraph):  # type: ignore[misc]
        _edges: _IndexedEdges

        def __init__(self) -> None:
            super().__init__()
            assert not self._edges
            self._edges = _IndexedEdges()

        def outgoing(self, source: Any) -> Any:
            node = self.find_node(source)
            if node is None:
                return
            for target in list(self._edges.out.get(node.identifier, ())):
                yield self._edges[(node.identifier, target)], self._nodes[target]

        def incoming(self, destination: Any) -> Any:
            node = self.find_node(destination)
            if node is None:
                return
            for source in list(self._edges.inc.get(node.identifier, ())):
                yield self._edges[(source, node.identifier)], self._nodes[source]

    return FastModuleGraph


# -- the scans and the distributions ---------------------------------------------------------


class _ScanCache(Protocol):  # what install_scan_cache needs of _scancache.ScanCache
    def install(self, graphbuilder: Any, importinfo: Any) -> None: ...


def install_scan_cache(scans: _ScanCache) -> None:
    """Hand modulegraph2's scan functions and import records to the scan cache to wrap."""
    from modulegraph2 import _graphbuilder, _importinfo

    scans.install(_graphbuilder, _importinfo)


def scan_functions() -> tuple[Any, Any, Any]:
    """(``_importinfo``, ``extract_ast_info``, ``extract_bytecode_info``): what the scan cache
    wraps, for scanning modules outside the worker the same way (scanahead.py)."""
    from modulegraph2 import _graphbuilder, _importinfo

    builder: Any = _graphbuilder
    return _importinfo, builder.extract_ast_info, builder.extract_bytecode_info


def list_distributions_once() -> None:
    """Make ``modulegraph2._distributions.all_distributions`` list each folder once per run
    (the worker's ``sys.path`` does not change while the graph is built); the distributions
    themselves come from modulegraph2's own cache and reader, in the order the folder lists."""
    from modulegraph2 import _distributions as distributions

    made = distributions._cached_distributions
    create: Callable[[str], Any] = distributions.create_distribution
    listed: dict[str, list[str]] = {}

    def all_distributions(path: Any = None) -> Iterator[Any]:
        for entry in sys.path if path is None else path:
            names = listed.get(entry)
            if names is None:
                try:
                    names = [os.path.join(entry, n) for n in os.listdir(entry)]
                except (OSError, TypeError, ValueError):
                    names = []
                listed[entry] = names = [n for n in names if n.endswith(".dist-info")]
            for dist_name in names:
                dist = made.get(dist_name)
                if dist is None:
                    dist = made[dist_name] = create(dist_name)
                yield dist

    distributions.all_distributions = all_distributions
