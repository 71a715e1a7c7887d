"""The house keeps its rules: a map that names every module, no import cycle, small modules.

See ARCHITECTURE.md. The import walk (`support.imports`, shared with the core's own check in
tests/core/test_check_table.py) reads the source, module-level and function-level imports,
and fails on any cycle among the package's modules. The benchmarks stand apart from the
tests: neither imports the other.
"""

from __future__ import annotations

import ast
import re

from support.imports import cycles, import_graph, runtime_imports
from support.markdown import ROOT

SRC = ROOT / "src" / "sfd_workflow"
MAX_LINES = 500


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
    found = cycles(graph)
    assert not found, "import cycles, e.g.:\n" + "\n".join(found)


def _tests_names() -> set[str]:
    """What `import X` would find if tests/ were on sys.path: its packages and modules."""
    tests = ROOT / "tests"
    return {"tests"} | {p.stem for p in tests.iterdir()
                        if p.suffix == ".py" or (p.is_dir() and any(p.glob("*.py")))}


def test_no_benchmark_reaches_into_the_tests() -> None:
    """No file under bench/ imports a module of tests/ or puts tests/ on sys.path: what
    both need lives in the package (`sfd_workflow.testing`)."""
    names = _tests_names()
    assert "support" in names
    found = []
    for path in sorted((ROOT / "bench").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in runtime_imports(tree):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [] if node.level else [node.module or ""])
            found += [f"{path.name}:{node.lineno}: imports {m}" for m in mods
                      if m.split(".")[0] in names]
        found += [f"{path.name}:{node.lineno}: names the folder tests"
                  for node in ast.walk(tree) if isinstance(node, ast.Constant)
                  and isinstance(node.value, str)
                  and re.search(r"(^|[/\\])tests([/\\]|$)", node.value)]
    assert not found, "\n".join(found)
