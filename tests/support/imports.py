"""The one walker of the package's import graph, for the house rules (no import cycle).

It reads the source, never imports it: module-level and function-level imports, relative
or absolute; imports under ``if TYPE_CHECKING:`` never run and are left out. An edge goes
from a module to every module of the package that importing it runs: the module named, and
each package above it whose ``__init__`` runs first, except the importer's own packages
(a module importing its own ancestors is how packages work, not a cycle of ours).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import networkx as nx

#: the package's source in this checkout (what is read, whatever is installed)
PACKAGE = Path(__file__).resolve().parents[2] / "src" / "sfd_workflow"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """The dotted name of the module at `path` (``sfd_workflow._spec`` for its __init__)."""
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of `tree` that can run: at any depth, but not under
    ``if TYPE_CHECKING:`` (its ``else`` branch runs, so it is kept)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imported(name: str, path: Path, known: set[str] | dict[str, Path]) -> set[str]:
    """The modules among `known` that importing module `name` (file `path`) runs."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names)
            continue
        if node.level:
            base = package.split(".")
            base = base[:len(base) - node.level + 1]
            stem = ".".join([*base, node.module] if node.module else base)
        else:
            stem = node.module or ""
        # `from pkg import sub` imports the module pkg.sub when there is one
        targets.update(f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem
                       for a in node.names)
    out = set()
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b, then a.b.c
            ran = ".".join(parts[:i])
            if ran in known and ran != name and not name.startswith(ran + "."):
                out.add(ran)
    return out


def import_graph(keep: Callable[[str], bool] = lambda name: True,
                 package: Path = PACKAGE) -> nx.DiGraph:
    """module -> module it imports, over the package's modules whose name `keep` accepts."""
    found = {n: p for n, p in modules(package).items() if keep(n)}
    graph = nx.DiGraph()
    graph.add_nodes_from(found)
    for name, path in found.items():
        graph.add_edges_from((name, target) for target in imported(name, path, found))
    return graph


def cycles(graph: nx.DiGraph, most: int = 10) -> list[str]:
    """Up to `most` import cycles of `graph`, each as ``a -> b -> a``, sorted."""
    return sorted(" -> ".join([*c, c[0]]) for c in nx.simple_cycles(graph))[:most]
