"""The public surface: what `sfd_workflow` exports, and where `transitions` is imported."""

from __future__ import annotations

import ast
from pathlib import Path

import sfd_workflow

PACKAGE = Path(sfd_workflow.__file__).parent


def test_all_is_exactly_the_public_names() -> None:
    """`__all__` lists every public name the package defines, sorted, and nothing else."""
    public = {n for n in dir(sfd_workflow) if not n.startswith("_")}
    subpackages = {"cli", "errors", "testing", "diagrams", "sim", "store", "demo"}
    assert set(sfd_workflow.__all__) == public - subpackages | {"__version__"}
    assert list(sfd_workflow.__all__) == sorted(sfd_workflow.__all__)


def test_every_public_name_has_a_docstring() -> None:
    """Every exported class and function says what it is."""
    missing = [n for n in sfd_workflow.__all__
               if callable(getattr(sfd_workflow, n)) and not getattr(sfd_workflow, n).__doc__]
    assert missing == []


def test_only_the_backend_imports_transitions() -> None:
    """STYLE.md 5: one module of ours imports `transitions`."""
    importers = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(n == "transitions" or n.startswith("transitions.") for n in names):
                importers.append(path.relative_to(PACKAGE).as_posix())
    assert sorted(set(importers)) == ["_backend.py"]


def test_the_engine_fires_through_transitions_machines() -> None:
    """The compiled workflow holds real `transitions` machines, one per (kind, step)."""
    import transitions

    spec = sfd_workflow.load_spec("builtin:xuhui-edu-2009")
    compiled = sfd_workflow.compile_workflow(spec)
    for kind_id, kind in compiled.kinds.items():
        skipped = len(spec.unit_kinds[kind_id].skip)
        assert len(kind.machines) == len(spec.steps) - skipped
        for sm in kind.machines.values():
            assert isinstance(sm.machine, transitions.Machine)
            assert not sm.machine.auto_transitions
            assert sm.machine.models == []  # units are fired without add_model
