"""Where units stand: per-step status of each unit, read from a `Runtime`.

The status of a step for a unit (docs/format.md §4 words):

- ``skipped``: the unit's kind skips it (R24);
- ``done``: the step is in a final state;
- ``active``: the step is open and not complete;
- ``blocked``: the step is not open; `waiting_for` names the incomplete ``after`` steps.

``late`` marks a step that took an accepted late event (its transition's ``due`` had
passed, R6 "quality before schedule"); ``overdue`` marks an unfinished step whose next
transition's ``due`` is before the reference time. For an active step, `needs` says what
still stands between the unit and its next change of state, from ``Runtime.explain`` for
the person of the unit that is nearest to it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from sfd_workflow._compile import compile_workflow
from sfd_workflow._engine import Runtime
from sfd_workflow._spec._model import Roster, Spec, Step

__all__ = [
    "StepStatus",
    "UnitProgress",
    "cohort_counts",
    "late_steps",
    "reference_time",
    "runtime_from_lines",
    "step_status",
    "unit_progress",
    "unit_stage",
]

STATUSES = ("done", "active", "blocked", "skipped")


@attrs.frozen(kw_only=True)
class StepStatus:
    """One step of one unit: status, current state, lateness and what it waits for."""

    step: str
    status: str = attrs.field(validator=attrs.validators.in_(STATUSES))
    state: str
    late: bool = False
    overdue: bool = False
    waiting_for: tuple[str, ...] = ()
    needs: tuple[tuple[str, str], ...] = ()  # (zh, en) sentences of unmet requirements


@attrs.frozen(kw_only=True)
class UnitProgress:
    """Every step of one unit."""

    unit: str
    kind: str
    steps: Mapping[str, StepStatus]

    @property
    def done(self) -> int:
        """How many applicable steps are done."""
        return sum(1 for s in self.steps.values() if s.status == "done")

    @property
    def applicable(self) -> int:
        """How many steps apply to the unit's kind."""
        return sum(1 for s in self.steps.values() if s.status != "skipped")

    @property
    def late(self) -> bool:
        """True when some step was late or is overdue."""
        return any(s.late or s.overdue for s in self.steps.values())


def unit_stage(spec: Spec, p: UnitProgress) -> str:
    """How far a unit is: ``done`` (every step that applies to it is done), ``active`` (it
    has started: some step is done or has left its initial state) or ``blocked`` (not yet)."""
    if p.applicable and p.done == p.applicable:
        return "done"
    started = any(
        s.status == "done" or (s.status == "active" and s.state != spec.step_by_id[k].initial)
        for k, s in p.steps.items()
    )
    return "active" if started else "blocked"


def runtime_from_lines(spec: Spec, roster: Roster, lines: Iterable[str]) -> Any:
    """A `Runtime` that has judged every line of an event log, keeping its log.

    Lines that are not JSON objects are malformed and change nothing (docs/format.md §4), so
    they are passed over; every other line goes through ``Runtime.submit`` and its
    verdict (with ``late``) is kept in ``runtime.log``.
    """
    rt = Runtime(compile_workflow(spec), roster, keep_log=True)
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            rt.submit(event)
    return rt


def late_steps(rt: Any) -> frozenset[tuple[str, str]]:
    """(unit, step) pairs that took an accepted late event, from ``rt.log``."""
    spec: Spec = rt.spec
    out = set()
    for entry in rt.log:
        if entry.verdict.accepted and entry.verdict.late:
            step = spec.step_of_event.get(str(entry.event.get("event")))
            if step is not None:
                out.add((str(entry.event.get("unit")), step.id))
    return frozenset(out)


def reference_time(rt: Any) -> dt.datetime | None:
    """The time of the latest accepted event of any unit: "now" as far as the log knows."""
    times = [t for u in rt.unit_ids() if (t := rt.last_at(u)) is not None]
    return max(times) if times else None


def _needs(rt: Any, unit_id: str, step: Step, state: str,
           at: dt.datetime | None) -> tuple[tuple[str, str], ...]:
    unit = rt.roster.by_id[unit_id]
    events = [t.event for t in step.transitions if state in t.sources and t.dest != state]
    best: tuple[tuple[str, str], ...] | None = None
    for event in dict.fromkeys(events):
        for person in unit.people:
            ex = rt.explain(unit_id, event, person.id, at=at)
            # the payload is the actor's to give when acting: not a need of the unit
            unmet = tuple((r.zh, r.en) for r in ex.unmet if r.reason != "fields")
            if ex.allowed or not unmet:
                return ()
            if best is None or len(unmet) < len(best):
                best = unmet
    return best or ()


def step_status(
    rt: Any, unit_id: str, step: Step, *,
    at: dt.datetime | None = None, late: frozenset[tuple[str, str]] = frozenset(),
) -> StepStatus:
    """The status of one step of one unit (see the module docstring)."""
    state = rt.state(unit_id)[step.id]
    is_late = (unit_id, step.id) in late
    if rt.is_skipped(unit_id, step.id):
        return StepStatus(step=step.id, status="skipped", state=state)
    if rt.is_complete(unit_id, step.id):
        return StepStatus(step=step.id, status="done", state=state, late=is_late)
    overdue = at is not None and any(
        t.due is not None and state in t.sources and t.dest != state
        and at.date() > t.due
        for t in step.transitions
    )
    if not rt.is_open(unit_id, step.id):
        waiting = tuple(a for a in step.after if not rt.is_complete(unit_id, a))
        return StepStatus(step=step.id, status="blocked", state=state, late=is_late,
                          overdue=overdue, waiting_for=waiting)
    return StepStatus(step=step.id, status="active", state=state, late=is_late,
                      overdue=overdue, needs=_needs(rt, unit_id, step, state, at))


def unit_progress(rt: Any, unit_id: str, *, at: dt.datetime | None = None,
                  late: frozenset[tuple[str, str]] | None = None,
                  explain: bool = True) -> UnitProgress:
    """Every step of one unit. `at` defaults to `reference_time`; `late` to `late_steps`."""
    spec: Spec = rt.spec
    unit = rt.roster.by_id.get(unit_id)
    if unit is None:
        rt.state(unit_id)  # raises the core's UnknownUnitError with its message
    when = at if at is not None else reference_time(rt)
    lates = late if late is not None else late_steps(rt)
    steps = {}
    for step in spec.steps:
        status = step_status(rt, unit_id, step, at=when, late=lates)
        if not explain and status.needs:
            status = attrs.evolve(status, needs=())
        steps[step.id] = status
    return UnitProgress(unit=unit_id, kind=unit.kind, steps=steps)


def cohort_counts(progress: Iterable[UnitProgress]) -> dict[str, dict[str, int]]:
    """For each step, how many units are active in it, done, waiting (blocked) or skip it."""
    out: dict[str, dict[str, int]] = {}
    names = {"done": "done", "active": "active", "blocked": "waiting", "skipped": "skipped"}
    for p in progress:
        for step_id, s in p.steps.items():
            key = names[s.status]
            counts = out.setdefault(step_id, {"active": 0, "done": 0, "waiting": 0, "skipped": 0})
            counts[key] += 1
    return out
