"""The package's import graph: no cycle between modules, and nothing outside ``ui/``
imports the UI (issue 13). Every import counts: at the top, inside functions, and
under ``TYPE_CHECKING``. The package root's lazy public names (``nb.Workbench``,
``nb.race``) are the one exception.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1] / "nasbench_ui"
UI = "nasbench_ui.ui"
ROOT_EXCEPTIONS = {("nasbench_ui", "nasbench_ui.ui.workbench"),
                   ("nasbench_ui", "nasbench_ui.ui.race_view")}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT) -> nx.DiGraph:
    """An edge a -> b for every import of module b (of this package) by module a.

    ``from pkg import sub`` counts as an import of ``pkg.sub`` when ``sub`` is a module.
    """
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in modules]
                targets = subs if len(subs) == len(node.names) else [mod, *subs]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rsplit(".", 1)[0] if "." in target else ""
                if target and target != name:
                    graph.add_edge(name, target)
    return graph


def test_the_checker_sees_function_and_type_checking_imports(tmp_path):
    pkg = tmp_path / "nasbench_ui"
    (pkg / "ui").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ui" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from .b import B\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n    from .ui import view\n")
    (pkg / "ui" / "view.py").write_text("")
    graph = import_graph(pkg)
    assert [sorted(c) for c in nx.simple_cycles(graph)] == [["nasbench_ui.a", "nasbench_ui.b"]]
    assert graph.has_edge("nasbench_ui.b", "nasbench_ui.ui.view")


def test_no_import_cycles():
    graph = import_graph()
    assert graph.number_of_nodes() > 50
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_only_the_ui_imports_the_ui():
    graph = import_graph()
    wrong = sorted((a, b) for a, b in graph.edges
                   if (b == UI or b.startswith(UI + ".")) and not (a == UI or a.startswith(UI + "."))
                   and (a, b) not in ROOT_EXCEPTIONS)
    assert not wrong, f"modules outside ui/ import the UI: {wrong}"
