"""sfd-workflow: declarative campaign workflows as per-unit state machines.

Load a format-1 spec, compile it onto `transitions`, and judge events unit by unit::

    import sfd_workflow as sfd

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    roster = sfd.load_roster("roster.yaml", spec)
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster)
    verdict = rt.submit({"unit": "xh-ps-01", "event": "hold_mobilisation",
                         "actor": "p1", "at": "2009-03-10T14:00:00+08:00"})

A new version of a spec: `diff(old, new)` says what changed; a `Plan` (`auto_plan`,
`load_plan`) moves units under way (`migrate_runtime`, docs/migration.md).

Opt-in areas are subpackages: `sfd_workflow.testing` (Hypothesis strategies),
`sfd_workflow.diagrams`, `sfd_workflow.sim`, `sfd_workflow.store`.
"""


from ._compile import CompiledWorkflow, compile_workflow
from ._context import PredicateContext
from ._diff import Change, SpecDiff, diff
from ._engine import LogEntry, ReplayLine, Runtime, replay
from ._eventlog import read_event_lines
from ._explain import Explanation
from ._graph import step_graph, unit_graph
from ._guards import register_predicate
from ._migrate import migrate_runtime, migrate_snapshot
from ._plan import Plan, auto_plan, load_plan, plan_from_text
from ._record import Record
from ._roster import load_roster, roster_from_document, roster_from_text
from ._spec._builtin import builtin_ids
from ._spec._loader import load_spec, spec_from_document, spec_from_text
from ._spec._model import (
    Guard,
    PerPerson,
    Person,
    Phase,
    Quorum,
    Roster,
    Spec,
    Step,
    Text,
    Transition,
    Unit,
    UnitKind,
    Window,
)
from ._verdict import CHECK_ORDER, Reason, Requirement, Verdict
from .errors import (
    BackendError,
    CompileError,
    EventLogError,
    LoadError,
    MigrationPlanError,
    MissingExtraError,
    MissingToolError,
    PlanError,
    Problem,
    ReportError,
    RosterError,
    SfdWorkflowError,
    SpecError,
    StoreError,
    UnknownUnitError,
)

__version__ = "0.1.0"

__all__ = [  # noqa: RUF022 - plainly sorted (tests/core/test_api.py), not constants first
    "BackendError",
    "CHECK_ORDER",
    "Change",
    "CompileError",
    "CompiledWorkflow",
    "EventLogError",
    "Explanation",
    "Guard",
    "LoadError",
    "LogEntry",
    "MigrationPlanError",
    "MissingExtraError",
    "MissingToolError",
    "PerPerson",
    "Person",
    "Phase",
    "Plan",
    "PlanError",
    "PredicateContext",
    "Problem",
    "Quorum",
    "Reason",
    "Record",
    "ReplayLine",
    "ReportError",
    "Requirement",
    "Roster",
    "RosterError",
    "Runtime",
    "SfdWorkflowError",
    "Spec",
    "SpecDiff",
    "SpecError",
    "Step",
    "StoreError",
    "Text",
    "Transition",
    "Unit",
    "UnitKind",
    "UnknownUnitError",
    "Verdict",
    "Window",
    "__version__",
    "auto_plan",
    "builtin_ids",
    "compile_workflow",
    "diff",
    "load_plan",
    "load_roster",
    "load_spec",
    "migrate_runtime",
    "migrate_snapshot",
    "plan_from_text",
    "read_event_lines",
    "register_predicate",
    "replay",
    "roster_from_document",
    "roster_from_text",
    "spec_from_document",
    "spec_from_text",
    "step_graph",
    "unit_graph",
]
