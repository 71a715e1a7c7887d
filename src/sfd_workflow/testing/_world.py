"""The oracle's world: every unit's state under a workflow and a roster, judged by docs/format.md
§4 (the model of `_oracle.py`, written apart from the core's engine)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from .._eventlog import ParsedEvent
from .._eventlog import parse_line as _parse_line
from ._oracle import MTransition, RosterModel, WorkflowModel

__all__ = ["Event", "ModelContext", "UnitState", "WorldModel", "parse_line"]


@dataclass(frozen=True)
class Event:
    """A well-formed event (§3), its time as an aware datetime."""

    unit: str
    event: str
    actor: str
    at: dt.datetime
    payload: Mapping[str, Any]


def parse_line(line: str, tz: ZoneInfo) -> Event | None:
    """The event of one log line, or None when it is malformed (the core's one parse of §3)."""
    parsed = _parse_line(line, tz)
    if not isinstance(parsed, ParsedEvent):
        return None
    return Event(parsed.unit, parsed.event, parsed.actor, parsed.at, parsed.payload)


@dataclass
class Record:
    """A record a transition stored."""

    kind: str
    actor: str
    at: dt.datetime
    payload: Mapping[str, Any]
    live: bool = True


@dataclass
class UnitState:
    """One unit's state: each step's state, its records, its last accepted time."""

    steps: dict[str, str]
    records: list[Record] = field(default_factory=list)
    last_at: dt.datetime | None = None

    def live(self) -> list[Record]:
        """Records that still count for guards."""
        return [r for r in self.records if r.live]


@dataclass(frozen=True)
class ModelContext:
    """What a custom predicate sees in the model: the event and the unit before it."""

    unit: str
    event: str
    actor: str
    at: dt.datetime
    payload: Mapping[str, Any]
    state: Mapping[str, str]


Predicate = Callable[[Any], bool]


def _nonempty(value: Any) -> bool:
    # a kept payload is frozen: its arrays are tuples
    return value is not None and value != "" and value != [] and value != () and value != {}


def _numeric(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return 0


def needed(at_least: Any, n: int) -> int:
    """People a quorum needs among `n` holders of its role."""
    if at_least == "majority":
        return n // 2 + 1
    if at_least == "all":
        return n
    if isinstance(at_least, float):
        return math.ceil(at_least * n)
    return int(at_least)


class WorldModel:
    """Every unit's state under a workflow and roster; judges and applies events (§4)."""

    def __init__(
        self,
        workflow: WorkflowModel,
        roster: RosterModel,
        predicates: Mapping[str, Predicate] | None = None,
    ) -> None:
        self.workflow = workflow
        self.roster = roster
        self.predicates = dict(predicates or {})
        self.children = roster.children
        self.units: dict[str, UnitState] = {
            u: UnitState({s.id: s.states[0] for s in workflow.steps.values()}) for u in roster.units
        }

    def copy(self) -> WorldModel:
        """A deep copy (records are copied; payloads are shared, never mutated)."""
        other = WorldModel.__new__(WorldModel)
        other.workflow = self.workflow
        other.roster = self.roster
        other.predicates = self.predicates
        other.children = self.children
        other.units = {
            u: UnitState(
                dict(s.steps),
                [Record(r.kind, r.actor, r.at, r.payload, r.live) for r in s.records],
                s.last_at,
            )
            for u, s in self.units.items()
        }
        return other

    # -- state questions -------------------------------------------------------------

    def is_complete(self, unit: str, step: str) -> bool:
        """Final state, or skipped for the kind with every ``after`` step complete (§4)."""
        st = self.workflow.steps[step]
        if self.units[unit].steps[step] in st.finals:
            return True
        kind = self.roster.units[unit].kind
        if step in self.workflow.kinds[kind].skip:
            return all(self.is_complete(unit, a) for a in st.after)
        return False

    def is_open(self, unit: str, step: str) -> bool:
        """Every step in ``after`` is complete (§4)."""
        return all(self.is_complete(unit, a) for a in self.workflow.steps[step].after)

    def roles_of(self, unit: str, person: str) -> frozenset[str]:
        """A person's effective roles in a unit."""
        u = self.roster.units[unit]
        return self.workflow.effective_roles(u.kind, u.people[person])

    def holders(self, unit: str, role: str) -> list[str]:
        """People of the unit with effective role `role`."""
        return [p for p in self.roster.units[unit].people if role in self.roles_of(unit, p)]

    # -- judging ---------------------------------------------------------------------

    def failing_key(self, t: MTransition, ev: Event) -> str | None:
        """The reason of the first guard key of `t` that fails for `ev`, or None."""
        g = t.guard
        unit = ev.unit
        state = self.units[unit]
        live = state.live()
        if g.role is not None and not self.roles_of(unit, ev.actor).intersection(g.role):
            return "role"
        if g.not_before is not None and ev.at < self.workflow.midnight(g.not_before):
            return "not_before"
        if g.has is not None:
            kinds = {r.kind for r in live}
            if not all(k in kinds for k in g.has):
                return "missing_record"
        if g.once_per_actor and any(r.kind == t.records and r.actor == ev.actor for r in live):
            return "duplicate"
        if g.fields is not None and not all(_nonempty(ev.payload.get(f)) for f in g.fields):
            return "fields"
        if g.quorum is not None:
            record, role, at_least = g.quorum
            people = self.holders(unit, role)
            have = {r.actor for r in live if r.kind == record}
            if len(have.intersection(people)) < needed(at_least, len(people)):
                return "quorum"
        if g.per_person is not None:
            record, fld, role, floor = g.per_person
            for p in self.holders(unit, role):
                total = sum(
                    _numeric(r.payload.get(fld)) for r in live if r.kind == record and r.actor == p
                )
                if not total >= floor:
                    return "per_person"
        if g.children is not None:
            for child in self.children[unit]:
                if not all(self.is_complete(child, s) for s in g.children):
                    return "children"
        if g.custom is not None:
            ctx = ModelContext(unit, ev.event, ev.actor, ev.at, ev.payload, dict(state.steps))
            if not all(self.predicates[name](ctx) for name in g.custom):
                return "custom"
        return None

    def check(self, ev: Event) -> tuple[str | None, MTransition | None]:
        """The reason `ev` would be rejected (None if accepted) and the transition it fires."""
        if ev.unit not in self.roster.units:
            return "unknown_unit", None
        step_id = self.workflow.step_of_event.get(ev.event)
        if step_id is None:
            return "unknown_event", None
        unit = self.roster.units[ev.unit]
        if step_id in self.workflow.kinds[unit.kind].skip:
            return "not_applicable", None
        if ev.actor not in unit.people:
            return "unknown_actor", None
        state = self.units[ev.unit]
        if state.last_at is not None and ev.at < state.last_at:
            return "out_of_order", None
        if not self.is_open(ev.unit, step_id):
            return "step_blocked", None
        current = state.steps[step_id]
        step = self.workflow.steps[step_id]
        candidates = [t for t in step.transitions if t.event == ev.event and current in t.sources]
        if not candidates:
            return "wrong_state", None
        for t in candidates:
            if self.failing_key(t, ev) is None:
                return None, t
        return self.failing_key(candidates[0], ev), None

    def submit(self, ev: Event) -> tuple[str | None, bool]:
        """Judge `ev` and apply it when accepted: (reason or None, late)."""
        reason, t = self.check(ev)
        if t is None:
            return reason, False
        state = self.units[ev.unit]
        state.steps[self.workflow.step_of_event[ev.event]] = t.dest
        for r in state.records:
            if r.kind in t.clears:
                r.live = False
        if t.records is not None:
            state.records.append(Record(t.records, ev.actor, ev.at, ev.payload))
        state.last_at = ev.at
        late = t.due is not None and ev.at >= self.workflow.midnight(t.due + dt.timedelta(days=1))
        return None, late

    def submit_line(self, line: str) -> tuple[str | None, bool]:
        """Judge and apply one log line: (reason or None, late)."""
        ev = parse_line(line, self.workflow.tz)
        if ev is None:
            return "malformed", False
        return self.submit(ev)
