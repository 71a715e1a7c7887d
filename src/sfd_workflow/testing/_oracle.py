"""A compact, independent model of docs/format.md §4: the oracle of `sfd_workflow.testing`.

This module and `_world.py` share no judging code with the core's engine (they read only the
neutral spec model classes, or plain documents; from the core they take the order of the
guard keys, the check table's, and the reading of an event, `_eventlog.parse_line`, the one
parse of §3). The event-log strategies walk the model to reach deep states, and the state
machine of `workflow_state_machine` checks the runtime against it after every event.
This module holds the workflow and roster; `_world.py` the units' state and the judging.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from .._checks import GUARD_CHECKS

__all__ = ["GUARD_ORDER", "MGuard", "MKind", "MStep", "MTransition", "MUnit", "RosterModel",
           "WorkflowModel"]

# docs/format.md §4 item 9: guard keys in check order, with the reason each gives (the core's
# check table is the one place the order is written; the model judges each key its own way)
GUARD_ORDER: tuple[tuple[str, str], ...] = tuple((c.key, str(c.reason)) for c in GUARD_CHECKS)


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
