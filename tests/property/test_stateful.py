"""`workflow_state_machine` on the built-in spec and on a generated spec.

The machine fires events at a real runtime and checks every verdict and every unit's
state against the model of SPEC-FORMAT §4 in `sfd_workflow.testing`.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from sfd_workflow import load_spec, roster_from_document
from sfd_workflow.testing import WorkflowMachine, rosters, specs, workflow_state_machine
from support import xuhui

STEPS = settings(stateful_step_count=25, max_examples=max(5, settings().max_examples // 4))

BuiltinMachine = workflow_state_machine(load_spec(xuhui.BUILTIN), xuhui.small_roster())
TestBuiltinMachine = BuiltinMachine.TestCase
TestBuiltinMachine.settings = settings(STEPS, deadline=None)


@settings(
    max_examples=max(5, settings().max_examples // 10),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.nested_given],
)
@given(st.data())
def test_state_machine_of_a_generated_spec_agrees_with_the_model(data: st.DataObject) -> None:
    """A machine built from generated documents runs without disagreement.

    Nested on purpose: each outer example is a new spec, each inner run a machine of it.
    """
    spec_doc = data.draw(specs())
    roster_doc = data.draw(rosters(spec_doc))
    machine = workflow_state_machine(spec_doc, roster_doc)
    run_state_machine_as_test(
        machine, settings=settings(stateful_step_count=15, max_examples=3, deadline=None)
    )


def test_a_runtime_that_disagrees_is_reported_with_a_replayable_log() -> None:
    """A runtime that accepts events failing `role` is caught, with a JSON Lines log."""
    base = workflow_state_machine(load_spec(xuhui.BUILTIN), xuhui.small_roster())

    class Broken(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            real = self.runtime.submit_line

            def lenient(line: str):  # type: ignore[no-untyped-def]
                v = real(line)
                return (
                    type(v)(True, None, v.late)
                    if v.reason is not None and str(v.reason) == "role"
                    else v
                )

            self.runtime.submit_line = lenient  # type: ignore[method-assign]

    with pytest.raises(AssertionError) as info:
        run_state_machine_as_test(
            Broken,
            settings=settings(
                stateful_step_count=40,
                max_examples=200,
                deadline=None,
                database=None,
                derandomize=True,
            ),
        )
    text = str(info.value)
    assert "sfd-workflow replay" in text
    log = [line for line in text.splitlines() if line.startswith("{")]
    assert log and all(isinstance(json.loads(line), dict) for line in log)


def test_machine_classes_are_workflow_machines() -> None:
    """The factory returns a subclass of the public `WorkflowMachine`."""
    assert issubclass(BuiltinMachine, WorkflowMachine)
    assert roster_from_document(xuhui.SMALL_ROSTER, xuhui.spec()).units
