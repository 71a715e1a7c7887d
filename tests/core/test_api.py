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


def test_direct_execution_and_public_trigger_agree(monkeypatch: object) -> None:
    """`StepMachine.fire` (the machine's transitions executed directly) judges exactly like
    transitions' public `Event.trigger` path, on the sample log plus refused events."""
    import pytest

    from sfd_workflow._backend import StepMachine
    from sfd_workflow._spec._builtin import sample_paths

    spec = sfd_workflow.load_spec("builtin:xuhui-edu-2009")
    roster_path, events_path = sample_paths("xuhui-edu-2009")
    assert roster_path is not None and events_path is not None
    roster = sfd_workflow.load_roster(roster_path, spec)
    lines = sfd_workflow.read_event_lines(events_path)
    # the same log with every event also tried by the wrong person and too early
    noisy = []
    for line in lines:
        noisy += [line.replace('"actor": "ms01-01"', '"actor": "ms01-09"'),
                  line.replace('"at": "2009-', '"at": "2008-'), line]

    def run() -> tuple[list[object], dict[str, str]]:
        rt = sfd_workflow.Runtime(sfd_workflow.compile_workflow(spec), roster)
        verdicts = [rt.submit_line(x) for x in noisy]
        return verdicts, rt.state("xh-ms-01")

    direct = run()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(StepMachine, "fire",
                   lambda self, unit, event, state, ctx: self.fire_via_trigger(unit, event, state,
                                                                          ctx))
        public = run()
    assert direct == public
    assert {v.reason for v in direct[0]} > {None}  # some refused, some accepted


def test_a_roster_round_trips_through_its_document() -> None:
    """`Roster.to_document` gives back what `roster_from_document` read, titles included."""
    spec = sfd_workflow.load_spec("builtin:xuhui-edu-2009")
    doc = {"units": [
        {"id": "gb", "kind": "general_branch", "title": {"zh": "党总支", "en": "General branch"},
         "people": [{"id": "p1", "roles": ["secretary", "member"], "title": "王书记"}]},
        {"id": "s1", "kind": "school", "parent": "gb",
         "people": [{"id": "p2", "roles": ["member"]}]},
    ]}
    roster = sfd_workflow.roster_from_document(doc, spec)
    assert roster.to_document() == doc
    assert sfd_workflow.roster_from_document(roster.to_document(), spec) == roster
