"""The house keeps its rules: a map that names every module, no import cycle, small modules.

See ARCHITECTURE.md. The import walk reads the source (module-level and function-level
imports, relative or absolute; imports under ``if TYPE_CHECKING:`` never run and are left
out) and fails on any cycle among the package's modules.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx

from support.markdown import ROOT

SRC = ROOT / "src" / "sfd_workflow"
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
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


def import_graph() -> nx.DiGraph:
    """module -> module it imports, over the package's own modules."""
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    stem = ".".join([*base, node.module] if node.module else base)
                else:
                    stem = node.module or ""
                # `from pkg import sub` imports the module pkg.sub when there is one
                targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in modules else stem
                           for a in node.names]
            for target in targets:
                # importing pkg.mod runs pkg's __init__ first, but a module importing its own
                # ancestors is how packages work, not a cycle of ours: edges go to the module
                if target in modules and target != name and not name.startswith(target + "."):
                    graph.add_edge(name, target)
    return graph


def test_architecture_names_every_module() -> None:
    """ARCHITECTURE.md names every module under src/sfd_workflow/ (as `path/module.py`)."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w/]+\.py)`", text))
    missing = [str(p.relative_to(SRC)) for p in sorted(SRC.rglob("*.py"))
               if str(p.relative_to(SRC)) not in named]
    assert not missing, f"ARCHITECTURE.md does not name: {', '.join(missing)}"
    gone = sorted(n for n in named if n.count("/") <= 1 and "tests" not in n
                  and not (SRC / n).exists() and not (ROOT / n).exists())
    assert not gone, f"ARCHITECTURE.md names modules that do not exist: {', '.join(gone)}"
def test_the_package_has_no_import_cycle() -> None:
    """No cycle among the package's modules, counting imports inside functions too."""
    graph = import_graph()
    assert graph.number_of_edges() > 50  # the walk sees the imports (not vacuous)
    cycles = list(nx.simple_cycles(graph))
    shown = sorted(" -> ".join([*c, c[0]]) for c in cycles)[:10]
    assert not cycles, f"{len(cycles)} import cycles, e.g.:\n" + "\n".join(shown)
