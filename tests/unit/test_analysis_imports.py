"""Import analysis on tiny fixture projects (the worker runs under the current interpreter)."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import pytest

from freezekit.analysis import imports
from freezekit.analysis.hooks import find_hooks
from freezekit.analysis.imports import ImportGraph
from freezekit.errors import AnalysisError
from freezekit.options import BuildOptions
from freezekit.platforms import Target, host_target

PROJECTS = Path(__file__).resolve().parents[1] / "fixtures" / "projects"


@functools.cache
def target() -> Target:
    return host_target()


def options_for(project: str, **changes: object) -> BuildOptions:
    options = BuildOptions(scripts=(PROJECTS / project / "main.py",), name=project)
    return replace(options, **changes)  # type: ignore[arg-type]


def graph_for(options: BuildOptions) -> ImportGraph:
    """Run the worker with the scripts and hidden imports only (no runtime, no encodings)."""
    hooks = find_hooks(options.hooks_dirs)
    request = imports.build_request(options, target(), hooks=hooks, startup=())
    request["packages"] = list(options.collect_submodules)
    return imports.parse_reply(imports.run_worker(request, target()))


def pure_names(graph: ImportGraph) -> set[str]:
    pure, startup = imports.split_modules(graph, ())
    return {m.name for m in (*pure, *startup)}


def test_imports_follow_relative_imports() -> None:
    graph = graph_for(options_for("relative-import"))
    assert {"pkg", "pkg.helper", "pkg.sub", "pkg.sub.leaf"} <= pure_names(graph)
    pure, _ = imports.split_modules(graph, ())
    by_name = {m.name: m for m in pure}
    assert by_name["pkg"].is_package and by_name["pkg"].source is not None
    assert by_name["pkg"].source.name == "__init__.py"
    assert not by_name["pkg.helper"].is_package


def test_imports_report_missing_modules_with_importers() -> None:
    graph = graph_for(options_for("missing-module"))
    missing = {m.name: m for m in imports.find_missing(graph)}
    assert missing["definitely_not_installed_fk"].importers == ("main.py",)
    assert not missing["definitely_not_installed_fk"].optional
    assert missing["optional_not_installed_fk"].optional
    assert "keyword.kwlist" not in missing


def test_imports_lean_leaves_out_tooling_but_keeps_what_the_script_imports() -> None:
    options = options_for("lean")
    soft = imports.lean_excludes(options)
    assert "unittest" not in soft and "pydoc" in soft
    names = pure_names(graph_for(options))
    assert {"multiprocessing", "unittest", "unittest.case"} <= names
    assert not {"pydoc", "test.support", "tkinter"} & names


def test_imports_exclude_module_is_honoured() -> None:
    graph = graph_for(options_for("relative-import", excludes=("pkg.sub",)))
    names = pure_names(graph)
    assert "pkg.helper" in names and "pkg.sub.leaf" not in names


def test_imports_hidden_import_and_collect_submodules() -> None:
    options = options_for("hooks-ok", hooks_dirs=(), collect_submodules=("plugpkg",))
    assert "plugpkg.plugin_a" in pure_names(graph_for(options))


def test_imports_lean_excludes_is_empty_when_not_lean() -> None:
    assert imports.lean_excludes(options_for("lean", lean=False)) == ()


def test_imports_hook_adds_imports_datas_and_runtime_hooks() -> None:
    options = options_for("hooks-ok", hooks_dirs=(PROJECTS / "hooks-ok" / "hooks",))
    graph = graph_for(options)
    assert "plugpkg.plugin_a" in pure_names(graph)
    (outcome,) = [h for h in graph.hooks if h["module"] == "plugpkg"]
    assert outcome["datas"] == [[str(PROJECTS / "hooks-ok" / "plugpkg" / "notes.txt"), "plugpkg"]]
    assert outcome["runtime_hooks"] == [str(PROJECTS / "hooks-ok" / "hooks" / "rthook.py")]


def test_imports_failing_hook_names_the_hook_file() -> None:
    options = options_for("hook-error", hooks_dirs=(PROJECTS / "hook-error" / "hooks",))
    with pytest.raises(AnalysisError, match=r"hook-hooked\.py.*broken on purpose"):
        graph_for(options)


def test_imports_explain_gives_the_chain() -> None:
    graph = graph_for(options_for("relative-import"))
    assert imports.import_chain(graph, "pkg.sub.leaf") == ["main.py", "pkg.helper", "pkg.sub.leaf"]
    assert imports.import_chain(graph, "not.there") is None


def test_imports_metadata_of_bundled_distribution_is_found() -> None:
    options = options_for("metadata", paths=(PROJECTS / "metadata" / "site",))
    graph = graph_for(options)
    (dist,) = [d for d in graph.distributions if d.name == "fakedist"]
    assert dist.version == "1.2" and Path(dist.path).name == "fakedist-1.2.dist-info"


def test_imports_copy_metadata_of_unknown_distribution_fails() -> None:
    with pytest.raises(AnalysisError, match="no-such-dist-fk"):
        graph_for(options_for("relative-import", copy_metadata=("no-such-dist-fk",)))


def test_imports_extension_destinations() -> None:
    t = target()
    stdlib_ext = imports.Node(name="_json", kind="extension", file=str(t.dynload / "_json.so"))
    pkg_ext = imports.Node(
        name="numpy.core._multiarray_umath",
        kind="extension",
        file="/site/numpy/core/_multiarray_umath" + t.ext_suffix,
    )
    top_ext = imports.Node(name="_cffi_backend", kind="extension", file="/site/_cffi_backend.so")
    assert imports.extension_dest(stdlib_ext, t) == "lib-dynload/_json.so"
    assert imports.extension_dest(pkg_ext, t) == "numpy/core/_multiarray_umath" + t.ext_suffix
    assert imports.extension_dest(top_ext, t) == "_cffi_backend.so"
    # mypyc compiles a package's __init__ too (black): it stays in the package's folder
    init_ext = imports.Node(
        name="black", kind="package", file="/site/black/__init__" + t.ext_suffix
    )
    assert imports.extension_dest(init_ext, t) == "black/__init__" + t.ext_suffix


def test_imports_other_platform_modules_are_optional() -> None:
    graph = ImportGraph(
        nodes={
            "main.py": imports.Node(name="main.py", kind="script", file="/x/main.py"),
            "winreg": imports.Node(name="winreg", kind="missing", file=None),
        },
        edges=(
            imports.Edge(
                source="main.py", target="winreg", optional=False, is_global=True, fromlist=False
            ),
        ),
        roots=("main.py",),
        sys_path=(),
        hooks=(),
        packages={},
        distributions=(),
        log=(),
    )
    (missing,) = imports.find_missing(graph)
    assert missing.optional


def test_imports_an_import_a_hook_cuts_lifts_no_lean_exclusion() -> None:
    # cutpkg.tools imports pydoc (lean-excluded) at module level, but cutpkg's hook excludes
    # cutpkg.tools: that import must not lift the exclusion, or the optional import of pydoc
    # in cutpkg would bundle it (what numpy.distutils -> setuptools did for numpy apps)
    options = options_for("hook-cut", hooks_dirs=(PROJECTS / "hook-cut" / "hooks",))
    assert "pydoc" in imports.lean_excludes(options)
    names = pure_names(graph_for(options))
    assert "cutpkg" in names
    assert not {"cutpkg.tools", "pydoc"} & names
