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

Needs the ``testing`` extra (``pip install 'sfd-workflow[testing]'``) for Hypothesis.
"""

from __future__ import annotations

from sfd_workflow._extras import require as _require

_require("hypothesis", feature="sfd_workflow.testing", extra="testing")  # fail early, naming it

from ._stateful import WorkflowMachine, workflow_state_machine  # noqa: E402  (after the gate)
from ._strategies import event_logs, from_spec, rosters, specs  # noqa: E402

__all__ = [
    "WorkflowMachine",
    "event_logs",
    "from_spec",
    "rosters",
    "specs",
    "workflow_state_machine",
]
