"""A compact, independent model of SPEC-FORMAT §3–§4: the oracle of `sfd_workflow.testing`.

This module shares no code with the core's engine (it reads only the neutral spec model
classes, or plain documents). The event-log strategies walk it to reach deep states, and the
state machine of `workflow_state_machine` checks the runtime against it after every event.
It favours plain loops over speed, but avoids re-reading documents on every check.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "GUARD_ORDER",
    "Event",
    "ModelContext",
    "RosterModel",
    "UnitState",
    "WorkflowModel",
    "WorldModel",
    "parse_line",
]

# SPEC-FORMAT §4 item 9: guard keys in check order, with the reason each gives.
GUARD_ORDER: tuple[tuple[str, str], ...] = (
    ("role", "role"),
    ("not_before", "not_before"),
    ("has", "missing_record"),
    ("once_per_actor", "duplicate"),
    ("fields", "fields"),
    ("quorum", "quorum"),
    ("per_person", "per_person"),
    ("children", "children"),
    ("custom", "custom"),
)


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,)


def _names(value: Any) -> tuple[Any, ...]:
    # `states` and `fields` entries may be `{id: name, title: ...}` (titles extension)
    return tuple(v["id"] if isinstance(v, dict) else v for v in _as_tuple(value))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class MGuard:
    """A guard, normalised; absent keys are None or empty."""

    role: tuple[str, ...] | None = None
    not_before: dt.date | None = None
    has: tuple[str, ...] | None = None
    once_per_actor: bool = False
    fields: tuple[str, ...] | None = None
    quorum: tuple[str, str, Any] | None = None  # record, role, at_least
    per_person: tuple[str, str, str, float] | None = None  # record, field, role, at_least
    children: tuple[str, ...] | None = None
    custom: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MTransition:
    """A transition, normalised."""

    event: str
    sources: tuple[str, ...]
    dest: str
    guard: MGuard
    records: str | None
    clears: tuple[str, ...]
    due: dt.date | None


@dataclass(frozen=True)
class MStep:
    """A step, normalised (``after`` already resolved)."""

    id: str
    after: tuple[str, ...]
    states: tuple[str, ...]
    transitions: tuple[MTransition, ...]

    @property
    def finals(self) -> frozenset[str]:
        """States with no outgoing transition."""
        leaving = {s for t in self.transitions for s in t.sources}
        return frozenset(s for s in self.states if s not in leaving)


@dataclass(frozen=True)
class MKind:
    """A unit kind: its role map (role -> roster roles that give it) and skipped steps."""

    role_map: Mapping[str, tuple[str, ...]]
    skip: frozenset[str]


@dataclass
class WorkflowModel:
    """A workflow as the model reads it."""

    timezone: str
    roles: tuple[str, ...]
    kinds: dict[str, MKind]
    steps: dict[str, MStep]  # in document order
    step_of_event: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.step_of_event = {t.event: s.id for s in self.steps.values() for t in s.transitions}
        self.tz = ZoneInfo(self.timezone)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> WorkflowModel:
        """Read a format-1 document (a dict as YAML or JSON loads it)."""
        steps: dict[str, MStep] = {}
        previous: str | None = None
        for phase in doc["phases"]:
            for s in phase["steps"]:
                if "after" in s:
                    after = tuple(s["after"] or ())
                else:
                    after = () if previous is None else (previous,)
                trans = []
                for t in s.get("transitions") or ():
                    g = t.get("guard") or {}
                    q = g.get("quorum")
                    pp = g.get("per_person")
                    guard = MGuard(
                        role=_as_tuple(g["role"]) if "role" in g else None,
                        not_before=_as_date(g["not_before"]) if "not_before" in g else None,
                        has=_as_tuple(g["has"]) if "has" in g else None,
                        once_per_actor=bool(g.get("once_per_actor", False)),
                        fields=_names(g["fields"]) if "fields" in g else None,
                        quorum=(q["record"], q["role"], q["at_least"]) if q else None,
                        per_person=(pp["record"], pp["field"], pp["role"], pp["at_least"])
                        if pp
                        else None,
                        children=_as_tuple(g["children"]) if "children" in g else None,
                        custom=_as_tuple(g["custom"]) if "custom" in g else None,
                    )
                    trans.append(
                        MTransition(
                            event=t["event"],
                            sources=_as_tuple(t["from"]),
                            dest=t["to"],
                            guard=guard,
                            records=t.get("records"),
                            clears=_as_tuple(t.get("clears")),
                            due=_as_date(t["due"]) if t.get("due") is not None else None,
                        )
                    )
                steps[s["id"]] = MStep(s["id"], after, _names(s["states"]), tuple(trans))
                previous = s["id"]
        kinds = {}
        for kid, k in doc["unit_kinds"].items():
            k = k or {}
            rm = {r: _as_tuple(v) for r, v in (k.get("role_map") or {}).items()}
            kinds[kid] = MKind(rm, frozenset(_as_tuple(k.get("skip"))))
        return cls(
            timezone=doc.get("timezone", "Asia/Shanghai"),
            roles=tuple(doc["roles"]),
            kinds=kinds,
            steps=steps,
        )

    @classmethod
    def from_spec(cls, spec: Any) -> WorkflowModel:
        """Read a loaded `sfd_workflow.Spec` (its neutral model classes only)."""
        steps: dict[str, MStep] = {}
        for s in spec.steps:
            trans = []
            for t in s.transitions:
                g = t.guard
                trans.append(
                    MTransition(
                        event=t.event,
                        sources=tuple(t.sources),
                        dest=t.dest,
                        guard=MGuard(
                            role=tuple(g.role) or None,
                            not_before=g.not_before,
                            has=tuple(g.has) or None,
                            once_per_actor=g.once_per_actor,
                            fields=tuple(g.fields) or None,
                            quorum=(g.quorum.record, g.quorum.role, g.quorum.at_least)
                            if g.quorum
                            else None,
                            per_person=(
                                g.per_person.record,
                                g.per_person.field,
                                g.per_person.role,
                                g.per_person.at_least,
                            )
                            if g.per_person
                            else None,
                            children=tuple(g.children) or None,
                            custom=tuple(g.custom) or None,
                        ),
                        records=t.records,
                        clears=tuple(t.clears),
                        due=t.due,
                    )
                )
            steps[s.id] = MStep(s.id, tuple(s.after), tuple(s.states), tuple(trans))
        kinds = {
            k.id: MKind({r: tuple(v) for r, v in k.role_map.items()}, frozenset(k.skip))
            for k in spec.unit_kinds.values()
        }
        return cls(timezone=spec.timezone, roles=tuple(spec.roles), kinds=kinds, steps=steps)

    def midnight(self, day: dt.date) -> dt.datetime:
        """00:00 of `day` in the spec's timezone."""
        return dt.datetime(day.year, day.month, day.day, tzinfo=self.tz)

    def effective_roles(self, kind: str, roster_roles: Iterable[str]) -> frozenset[str]:
        """Roster roles plus every role the kind's role_map maps to one of them (§1)."""
        have = set(roster_roles)
        out = set(have)
        for role, givers in self.kinds[kind].role_map.items():
            if have.intersection(givers):
                out.add(role)
        return frozenset(out)


@dataclass(frozen=True)
class MUnit:
    """A roster unit: kind, parent and people (id -> roster roles)."""

    id: str
    kind: str
    parent: str | None
    people: Mapping[str, tuple[str, ...]]


@dataclass
class RosterModel:
    """A roster as the model reads it."""

    units: dict[str, MUnit]

    @property
    def children(self) -> dict[str, list[str]]:
        """Child unit ids of each unit id."""
        out: dict[str, list[str]] = {u: [] for u in self.units}
        for u in self.units.values():
            if u.parent is not None and u.parent in out:
                out[u.parent].append(u.id)
        return out

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> RosterModel:
        """Read a roster document."""
        units = {}
        for u in doc["units"]:
            people = {p["id"]: tuple(p.get("roles") or ()) for p in u.get("people") or ()}
            units[u["id"]] = MUnit(u["id"], u["kind"], u.get("parent"), people)
        return cls(units)

    @classmethod
    def from_roster(cls, roster: Any) -> RosterModel:
        """Read a loaded `sfd_workflow` roster."""
        units = {}
        for u in roster.units:
            units[u.id] = MUnit(u.id, u.kind, u.parent, {p.id: tuple(p.roles) for p in u.people})
        return cls(units)


@dataclass(frozen=True)
class Event:
    """A well-formed event (§3), its time as an aware datetime."""

    unit: str
    event: str
    actor: str
    at: dt.datetime
    payload: Mapping[str, Any]


def _no_constants(name: str) -> Any:
    msg = f"JSON constant {name} is not allowed"
    raise ValueError(msg)


def parse_line(line: str, tz: ZoneInfo) -> Event | None:
    """The event of one log line, or None when it is malformed (SPEC-FORMAT §3)."""
    if line.endswith("\r"):
        line = line[:-1]
    try:
        obj = json.loads(line, parse_constant=_no_constants)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    if not all(isinstance(obj.get(k), str) for k in ("unit", "event", "actor", "at")):
        return None
    at_text: str = obj["at"]
    # A date alone is not a date-time; `fromisoformat` would read it as midnight.
    if len(at_text) < 11 or at_text[10] not in "Tt ":
        return None
    try:
        at = dt.datetime.fromisoformat(at_text)
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    payload = obj.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        return None
    return Event(obj["unit"], obj["event"], obj["actor"], at, payload)


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
    return value is not None and value != "" and value != [] and value != {}


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
