"""Hypothesis strategies and a model-based state machine for format-1 workflows.

Test your own workflow the way the project tests its built-in one::

    from sfd_workflow import load_roster, load_spec
    from sfd_workflow.testing import workflow_state_machine

    TestMySpec = workflow_state_machine(load_spec("my.yaml"),
                                        load_roster("roster.yaml", load_spec("my.yaml"))).TestCase

Strategies (Hypothesis style: plural nouns, keyword-only options):

* `specs` — valid workflow documents, every guard key included;
* `rosters` — roster documents for a spec;
* `event_logs` — JSON Lines event logs that reach deep states, bad lines included;
* `from_spec` — a roster and a log for a fixed spec.

For migration tests, new versions of a spec made by editing its document: `spec_document`
(an editable copy), `rename_state`, `rename_record`, `move_due`. For store tests on
PostgreSQL, `scratch_schema` (a throwaway schema; needs the ``store`` extra).

Needs the ``testing`` extra (``pip install 'sfd-workflow[testing]'``) for Hypothesis.
"""

from __future__ import annotations

from sfd_workflow._extras import require as _require

_require("hypothesis", feature="sfd_workflow.testing", extra="testing")  # fail early, naming it

from ._postgres import scratch_schema  # noqa: E402  (after the gate)
from ._stateful import WorkflowMachine, workflow_state_machine  # noqa: E402
from ._strategies import event_logs, from_spec, rosters, specs  # noqa: E402
from ._versions import move_due, rename_record, rename_state, spec_document  # noqa: E402

__all__ = [
    "WorkflowMachine",
    "event_logs",
    "from_spec",
    "move_due",
    "rename_record",
    "rename_state",
    "rosters",
    "scratch_schema",
    "spec_document",
    "specs",
    "workflow_state_machine",
]
