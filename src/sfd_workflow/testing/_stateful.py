"""`workflow_state_machine`: a Hypothesis rule-based state machine for any format-1 workflow.

Its rules fire events (plausible ones and every kind of bad one) at a real
`sfd_workflow.Runtime`; after every event it checks the verdict, and after every step its
invariants check each unit's state, against the independent model of docs/format.md §4 in
`_oracle.py`. A failure prints the events so far as a JSON Lines log that
``sfd-workflow replay SPEC ROSTER events.jsonl`` replays line for line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sfd_workflow import Runtime, compile_workflow, roster_from_document, spec_from_document

from ._events import Clock, draw_line, start_clock
from ._oracle import RosterModel, WorkflowModel
from ._world import WorldModel

__all__ = ["WorkflowMachine", "workflow_state_machine"]


class WorkflowMachine(RuleBasedStateMachine):
    """Fires events at a runtime and checks it against the model after each one.

    Subclasses made by `workflow_state_machine` set the class attributes; use its
    ``TestCase`` attribute as a unittest/pytest test.
    """

    spec: ClassVar[Any]
    roster: ClassVar[Any]
    compiled: ClassVar[Any]
    workflow: ClassVar[WorkflowModel]
    roster_model: ClassVar[RosterModel]
    predicates: ClassVar[Mapping[str, Any]]

    def __init__(self) -> None:
        super().__init__()
        self.runtime = Runtime(self.compiled, self.roster)
        self.model = WorldModel(self.workflow, self.roster_model, self.predicates)
        self.clock: Clock = start_clock(self.model)
        self.lines: list[str] = []

    def replayable_log(self) -> str:
        """The events fired so far, as a JSON Lines log."""
        return "".join(line + "\n" for line in self.lines)

    def _fail(self, what: str) -> None:
        msg = (
            f"{what}\nReplay this log with `sfd-workflow replay SPEC ROSTER events.jsonl`"
            f" ({len(self.lines)} lines):\n{self.replayable_log()}"
        )
        raise AssertionError(msg)

    def _fire(self, line: str) -> None:
        self.lines.append(line)
        verdict = self.runtime.submit_line(line)
        reason, late = self.model.submit_line(line)
        got = (
            verdict.accepted,
            None if verdict.reason is None else str(verdict.reason),
            verdict.late,
        )
        want = (reason is None, reason, late)
        if got != want:
            self._fail(
                f"line {len(self.lines)}: the runtime says (accepted, reason, late) = {got},"
                f" the model of docs/format.md §4 says {want}"
            )

    @initialize()
    def start(self) -> None:
        """Nothing to set up beyond __init__; here so every run begins the same way."""

    @rule(data=st.data())
    def fire_event(self, data: st.DataObject) -> None:
        """Fire one event: mostly a plausible one, sometimes a bad one of any kind."""
        line = data.draw(_lines(self.model, self.clock, bad=True), label="line")
        self._fire(line)

    @rule(data=st.data())
    def fire_plausible_event(self, data: st.DataObject) -> None:
        """Fire an event the model would most likely accept, to reach deep states."""
        line = data.draw(_lines(self.model, self.clock, bad=False), label="line")
        self._fire(line)

    @invariant()
    def states_agree(self) -> None:
        """Every unit's step states, openness and completeness agree with the model."""
        for unit in self.roster_model.units:
            got = dict(self.runtime.state(unit))
            want = self.model.units[unit].steps
            if got != want:
                self._fail(f"unit {unit}: the runtime's state is {got}, the model's is {want}")
            for step in self.workflow.steps:
                if self.runtime.is_complete(unit, step) != self.model.is_complete(unit, step):
                    self._fail(f"unit {unit}: is_complete({step!r}) disagrees with the model")
                if self.runtime.is_open(unit, step) != self.model.is_open(unit, step):
                    self._fail(f"unit {unit}: is_open({step!r}) disagrees with the model")

    @invariant()
    def live_records_agree(self) -> None:
        """Every unit's live records (kind, actor) and last accepted time agree."""
        for unit in self.roster_model.units:
            got = sorted((r.kind, r.actor) for r in self.runtime.records(unit, live=True))
            want = sorted((r.kind, r.actor) for r in self.model.units[unit].live())
            if got != want:
                self._fail(f"unit {unit}: live records {got}, the model has {want}")
            if self.runtime.last_at(unit) != self.model.units[unit].last_at:
                self._fail(
                    f"unit {unit}: last accepted at {self.runtime.last_at(unit)},"
                    f" the model says {self.model.units[unit].last_at}"
                )


@st.composite
def _lines(draw: st.DrawFn, world: WorldModel, clock: Clock, *, bad: bool) -> str:
    return draw_line(draw, world, clock, bad=bad)


def workflow_state_machine(
    spec: Any,
    roster: Any,
    *,
    predicates: Mapping[str, Any] | None = None,
) -> type[WorkflowMachine]:
    """A `RuleBasedStateMachine` class testing the runtime of `spec` on `roster`.

    Its rules fire events at a real `sfd_workflow.Runtime`; its invariants compare every
    verdict and every unit's state with an independent model of docs/format.md §4. A failing
    example ends with the events fired so far, as a JSON Lines log that
    ``sfd-workflow replay`` replays.

    Args:
        spec: a loaded `sfd_workflow.Spec`, or a spec document (dict).
        roster: a loaded roster, or a roster document (dict).
        predicates: custom predicates the spec names, by name (on top of those registered
            with `sfd_workflow.register_predicate`). They are given to the compilation and
            to the model, so they should read only ``ctx.payload``, ``ctx.unit``,
            ``ctx.actor`` and ``ctx.at``.

    Returns:
        A subclass of `WorkflowMachine`; run it with its ``TestCase`` attribute::

            TestMySpec = workflow_state_machine(spec, roster).TestCase
    """

    if isinstance(spec, Mapping):
        spec = spec_from_document(spec)
    if isinstance(roster, Mapping):
        roster = roster_from_document(roster, spec)
    preds = dict(predicates or {})
    # Given to this compilation only: no global registration as a side effect.
    compiled = compile_workflow(spec, predicates=preds)
    attrs_: dict[str, Any] = {
        "spec": spec,
        "roster": roster,
        "compiled": compiled,
        "workflow": WorkflowModel.from_spec(spec),
        "roster_model": RosterModel.from_roster(roster),
        "predicates": preds,
    }
    machine: type[WorkflowMachine] = type(
        f"WorkflowMachine_{spec.id.replace('-', '_')}", (WorkflowMachine,), attrs_
    )
    # Runtimes can be slow to build for large rosters; a deadline would only add flakiness.
    machine.TestCase.settings = settings(deadline=None)
    return machine
