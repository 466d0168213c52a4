"""modulegraph2's private internals are used in one module (freezekit/analysis/_mgadapter.py),
for the versions it was checked against: these tests fail loudly on any other installed version
(and on a pin in pyproject.toml that says something else), and name what to do."""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

from freezekit.analysis import _mgadapter, _worker, imports
from freezekit.errors import AnalysisError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
WHAT_TO_DO = (
    "check every private name freezekit/analysis/_mgadapter.py uses against this version "
    "(its docstring lists them), then widen TESTED_RANGE, REQUIREMENT and pyproject.toml"
)


def test_installed_modulegraph2_is_a_tested_version() -> None:
    import modulegraph2

    for version in (importlib.metadata.version("modulegraph2"), modulegraph2.__version__):
        if not _mgadapter.is_tested(version):
            pytest.fail(
                f"modulegraph2 {version} is installed, but freezekit uses its internals and was "
                f"tested with {_mgadapter.REQUIREMENT} only: {WHAT_TO_DO}",
                pytrace=False,
            )


def test_installed_objectgraph_is_a_tested_version() -> None:
    version = importlib.metadata.version("objectgraph")
    low = _mgadapter.OBJECTGRAPH_REQUIREMENT.split(">=")[1].split(",")[0]
    high = _mgadapter.OBJECTGRAPH_REQUIREMENT.split(",<")[1]
    as_tuple = lambda text: tuple(int(p) for p in re.findall(r"\d+", text))  # noqa: E731
    if not as_tuple(low) <= as_tuple(version) < as_tuple(high):
        pytest.fail(
            f"objectgraph {version} is installed, but freezekit uses its private _edges/_nodes "
            f"and was tested with {_mgadapter.OBJECTGRAPH_REQUIREMENT} only: {WHAT_TO_DO}",
            pytrace=False,
        )


def test_pyproject_pins_the_tested_range() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert _mgadapter.REQUIREMENT in dependencies
    assert _mgadapter.OBJECTGRAPH_REQUIREMENT in dependencies
    low, high = _mgadapter.TESTED_RANGE
    assert f"modulegraph2>={low[0]}.{low[1]},<{high[0]}.{high[1]}" == _mgadapter.REQUIREMENT


def test_every_private_name_the_adapter_uses_exists() -> None:
    import modulegraph2
    from modulegraph2 import _distributions, _graphbuilder, _importinfo, _modulegraph

    graph = modulegraph2.ModuleGraph()
    missing = [
        name
        for owner, name in [
            (graph, "_run_stack"),
            (graph, "_post_processing_seen"),
            (graph, "_find_module"),
            (graph, "_find_or_load_module"),
            (graph, "_edges"),
            (graph, "_nodes"),
            (_modulegraph, "DEFAULT_DEPENDENCY"),
            (_graphbuilder, "extract_ast_info"),
            (_graphbuilder, "extract_bytecode_info"),
            (_importinfo, "ImportInfo"),
            (_importinfo, "import_name"),
            (_importinfo, "create_importinfo"),
            (_distributions, "_cached_distributions"),
            (_distributions, "create_distribution"),
            (_distributions, "all_distributions"),
        ]
        if not hasattr(owner, name)
    ]
    assert not missing, f"modulegraph2 {modulegraph2.__version__} lacks {missing}: {WHAT_TO_DO}"
    assert isinstance(graph._edges, dict) and isinstance(graph._post_processing_seen, set)


def test_the_fast_graph_answers_like_objectgraph() -> None:
    import modulegraph2

    made = []
    for cls in (modulegraph2.ModuleGraph, _mgadapter.fast_graph_class(modulegraph2)):
        graph = cls()
        a, b, c = (modulegraph2.MissingModule(n) for n in "abc")
        for node in (a, b, c):
            graph.add_node(node)
        graph.add_edge(a, b, "a-b")
        graph.add_edge(a, c, "a-c")
        graph.add_edge(c, b, "c-b")
        graph.remove_all_edges(a, c)
        _mgadapter.run_stack(graph)
        made.append(
            [
                sorted((n.identifier, sorted(info)) for info, n in graph.outgoing(node))
                + sorted((n.identifier, sorted(info)) for info, n in graph.incoming(node))
                for node in (a, b, c)
            ]
        )
    plain, fast = made
    assert plain == [[("b", ["a-b"])], [("a", ["a-b"]), ("c", ["c-b"])], [("b", ["c-b"])]]
    assert fast == plain


@pytest.mark.parametrize("version", ["2.3", "2.3.0", "2.3.1", "2.3.post1"])
def test_tested_versions_pass(version: str) -> None:
    _mgadapter.check_version(version)


@pytest.mark.parametrize("version", ["2.2.1", "2.4", "2.4rc1", "3.0", "unknown", ""])
def test_other_versions_are_refused_with_one_line(version: str) -> None:
    with pytest.raises(_mgadapter.UnsupportedVersion) as raised:
        _mgadapter.check_version(version)
    message = str(raised.value)
    assert "\n" not in message
    assert f"modulegraph2 {version} is not supported" in message
    assert f"pip install '{_mgadapter.REQUIREMENT}'" in message


def test_the_build_refuses_an_untested_version_before_the_worker_runs() -> None:
    with pytest.raises(AnalysisError, match=r"^modulegraph2 2\.4 is not supported: .*<2\.4"):
        imports.check_modulegraph_version("2.4")
    imports.check_modulegraph_version("2.3")
    imports.check_modulegraph_version("unknown")  # no metadata: the worker checks __version__


def test_the_workers_refusal_is_one_line_for_the_user() -> None:
    error = _worker._failure(_mgadapter.UnsupportedVersion("modulegraph2 9.0 is not supported"))
    assert error == {"kind": "unsupported", "file": "", "message": error["message"]}
    with pytest.raises(AnalysisError, match="^modulegraph2 9.0 is not supported$"):
        imports.check_errors({"errors": [error]})
