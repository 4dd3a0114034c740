"""The package's modules import each other without circles: the layers (video -> pose -> swing ->
analysis -> report, the server and the command line on top) only ever import downwards."""

from __future__ import annotations

import ast
from pathlib import Path

import swingcoach

PACKAGE = Path(swingcoach.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(tree: ast.Module, modules: set[str]) -> set[str]:
    """swingcoach modules imported anywhere in the file, deferred imports inside functions too
    (a circle through them is still a circle); TYPE_CHECKING blocks excluded."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found & modules


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: imports_of(ast.parse(path.read_text()), modules) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_imports():
    graph = import_graph()
    assert "swingcoach.pipeline" in graph["swingcoach.report.writer"]
    assert "swingcoach.server.services" in graph["swingcoach.server.jobs.worker"]
    assert "swingcoach.report.writer" in graph["swingcoach.cli.analyze"]  # a deferred import


def test_no_import_circles():
    assert find_cycle(import_graph()) is None
