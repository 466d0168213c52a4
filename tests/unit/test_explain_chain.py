"""`freezekit explain`: the whole chain from the script to the module, every hop."""

from __future__ import annotations

from freezekit.analysis import imports
from freezekit.analysis.imports import ImportGraph


def _graph(edges: list[tuple[str, str]], roots: tuple[str, ...]) -> ImportGraph:
    names = {name for edge in edges for name in edge} | set(roots)
    return ImportGraph(
        nodes={
            n: imports.Node(name=n, kind="script" if n.endswith(".py") else "module", file=None)
            for n in names
        },
        edges=tuple(
            imports.Edge(source=s, target=t, optional=False, is_global=True, fromlist=False)
            for s, t in edges
        ),
        roots=roots,
        sys_path=(),
        hooks=(),
        packages={},
        distributions=(),
        log=(),
    )


def test_a_module_that_is_also_a_seed_is_explained_from_the_script() -> None:
    # json is a seed too (freezekit's run time needs it): the chain still starts at the script
    graph = _graph(
        [("/app/hello.py", "argparse"), ("argparse", "json"), ("json", "json.decoder")],
        roots=("json", "encodings", "/app/hello.py"),
    )
    assert imports.import_chain(graph, "json") == ["hello.py", "argparse", "json"]
    assert imports.import_chain(graph, "json.decoder") == [
        "hello.py",
        "argparse",
        "json",
        "json.decoder",
    ]


def test_a_module_only_a_seed_pulls_in_starts_at_that_seed() -> None:
    graph = _graph(
        [("/app/hello.py", "os"), ("encodings", "codecs"), ("codecs", "_codecs")],
        roots=("encodings", "/app/hello.py"),
    )
    assert imports.import_chain(graph, "_codecs") == ["encodings", "codecs", "_codecs"]
