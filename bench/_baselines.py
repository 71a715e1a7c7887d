"""The benchmark workflow and the four peers it is measured against.

One 16-state workflow, written twice:

* as a format-1 spec document (`spec_document`) for sfd-workflow: 4 steps of 4 states
  (``k{step}s0 -> k{step}s1 -> k{step}s2 -> k{step}s3``), each step open once the previous
  one is complete (the default ``after``), 3 events per step (12 in all), each transition
  guarded by one ``role`` guard (events alternate between ``secretary`` and ``member``);
* as one flat 16-state machine for the peers, which hold one state per unit. Because the
  steps run one after the other, the first event of step k+1 leaves the final state of
  step k, so the initial states of steps 2-4 are declared but never occupied. Every
  transition carries one condition callable that checks the actor's roles, the peers'
  equivalent of the ``role`` guard.

Every unit has 2 people: ``p1`` (secretary and member) and ``p2`` (member only). The event
log walks units round-robin: round r fires the r-th event of every unit in the log before
round r+1 starts, so every event is legal and accepted and all 12 transitions are
exercised (see `event_documents`).

Peers (each one `Peer`: build units from the roster document, then fire events):

* (a) `transitions`, one ``Machine`` per unit, ``auto_transitions=False``;
* (b) one shared bare ``transitions.Machine(model=None, auto_transitions=False)``, units
  are ``__slots__`` objects with a ``state`` attribute, fired with
  ``machine.events[name].trigger(unit, roles)`` (no ``add_model``: it is quadratic);
* (c) python-statemachine 3.x, one ``StateMachine`` instance per unit;
* (d) a plain dict transition table ``{(state, event): (dest, role)}``.

Every peer consumes the same event dicts as ``Runtime.submit`` (unit id, event name and
actor id looked up in dicts) and counts the events it accepted; none parses ``at`` or keeps
records: they are floors, not equivalents (see bench/README.md).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

STEPS = 4
STATES_PER_STEP = 4
EVENTS_PER_STEP = STATES_PER_STEP - 1
EVENTS_PER_UNIT = STEPS * EVENTS_PER_STEP  # 12
ROLES = ("secretary", "member")
PEOPLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("p1", ("secretary", "member")),
    ("p2", ("member",)),
)
START = dt.datetime(2009, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
UNIT_KIND = "branch"


def state_name(step: int, j: int) -> str:
    """The id of state `j` of step `step` (also its name in the flat peer machines)."""
    return f"k{step}s{j}"


def event_name(step: int, j: int) -> str:
    """The id of the `j`-th event of step `step` (it moves state j to state j+1)."""
    return f"k{step}e{j}"


def event_role(step: int, j: int) -> str:
    """The role the guard of event (step, j) asks for: alternately secretary and member."""
    return ROLES[(step * EVENTS_PER_STEP + j) % 2]


def event_actor(step: int, j: int) -> str:
    """The person who fires event (step, j): p1 for secretary events, p2 for member ones."""
    return "p1" if event_role(step, j) == "secretary" else "p2"


EVENTS: tuple[tuple[int, int], ...] = tuple(
    (k, j) for k in range(STEPS) for j in range(EVENTS_PER_STEP)
)
STATES: tuple[str, ...] = tuple(
    state_name(k, j) for k in range(STEPS) for j in range(STATES_PER_STEP)
)


# --- the workflow as data ------------------------------------------------------------------


def spec_document() -> dict[str, Any]:
    """The format-1 spec document (docs/format.md §1) of the 16-state benchmark workflow."""
    steps = []
    for k in range(STEPS):
        steps.append(
            {
                "id": f"step{k}",
                "title": {"zh": f"第{k + 1}步", "en": f"Step {k + 1}"},
                "states": [state_name(k, j) for j in range(STATES_PER_STEP)],
                "transitions": [
                    {
                        "event": event_name(k, j),
                        "from": state_name(k, j),
                        "to": state_name(k, j + 1),
                        "guard": {"role": event_role(k, j)},
                    }
                    for j in range(EVENTS_PER_STEP)
                ],
            }
        )
    return {
        "format": "sfd-workflow/1",
        "id": "bench-16",
        "title": {"zh": "基准流程", "en": "Benchmark workflow"},
        "timezone": "Asia/Shanghai",
        "roles": {"secretary": {"zh": "书记", "en": "Secretary"}, "member": "Member"},
        "unit_kinds": {UNIT_KIND: {"title": {"zh": "支部", "en": "Branch"}}},
        "phases": [{"id": "all", "title": "All steps", "steps": steps}],
    }


def unit_id(i: int) -> str:
    """The id of the i-th unit of the benchmark roster."""
    return f"u{i:07d}"


def roster_document(units: int) -> dict[str, Any]:
    """A roster document (docs/format.md §2) of `units` units with 2 people each."""
    return {
        "units": [
            {
                "id": unit_id(i),
                "kind": UNIT_KIND,
                "people": [{"id": pid, "roles": list(roles)} for pid, roles in PEOPLE],
            }
            for i in range(units)
        ]
    }


def event_documents(units: int, events: int) -> list[dict[str, Any]]:
    """An event log of `events` legal events over the first units of the roster.

    The log covers ``min(units, ceil(events / 12))`` units, so that the events walk whole
    unit life cycles: round r fires the r-th event of each of those units, in unit order.
    Times grow by one second per event, so no event is out of order and none is late.
    """
    if units < 1 or events < 0:
        msg = f"need at least one unit and a non-negative event count (got {units}, {events})"
        raise ValueError(msg)
    in_log = min(units, -(-events // EVENTS_PER_UNIT))
    if events > in_log * EVENTS_PER_UNIT:
        msg = f"{events} legal events need at least {-(-events // EVENTS_PER_UNIT)} units"
        raise ValueError(msg)
    ids = [unit_id(i) for i in range(in_log)]
    docs: list[dict[str, Any]] = []
    for n in range(events):
        k, j = EVENTS[n // in_log]
        at = START + dt.timedelta(seconds=n)
        docs.append(
            {
                "unit": ids[n % in_log],
                "event": event_name(k, j),
                "actor": event_actor(k, j),
                "at": at.isoformat(),
                "payload": {},
            }
        )
    return docs


def finished_units(units: int, events: int) -> int:
    """How many units the log of `event_documents(units, events)` takes to the final state."""
    in_log = min(units, -(-events // EVENTS_PER_UNIT))
    return max(0, events - (EVENTS_PER_UNIT - 1) * in_log)


def event_lines(docs: Iterable[Mapping[str, Any]]) -> list[str]:
    """The event documents as JSON Lines strings (docs/format.md §3), without newlines."""
    return [json.dumps(d, ensure_ascii=False) for d in docs]


def flat_transitions() -> list[tuple[str, str, str, str]]:
    """(event, source, dest, role) of the flat 16-state machine the peers run."""
    out = []
    for k, j in EVENTS:
        # the first event of step k+1 leaves the final state of step k (see module docstring)
        source = state_name(k - 1, STATES_PER_STEP - 1) if (j == 0 and k > 0) else state_name(k, j)
        out.append((event_name(k, j), source, state_name(k, j + 1), event_role(k, j)))
    return out


INITIAL = state_name(0, 0)
FINAL = state_name(STEPS - 1, STATES_PER_STEP - 1)


def role_condition(role: str) -> Callable[[frozenset[str]], bool]:
    """The guard of one transition as a callable on the actor's roles."""

    def holds(roles: frozenset[str]) -> bool:
        return role in roles

    holds.__name__ = f"has_role_{role}"
    return holds


_ROLE_SETS: dict[tuple[str, ...], frozenset[str]] = {}


def people_of(unit_doc: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Person id -> roles of one roster unit document (equal role sets are shared)."""
    out = {}
    for p in unit_doc["people"]:
        key = tuple(p["roles"])
        roles = _ROLE_SETS.get(key)
        if roles is None:
            roles = _ROLE_SETS[key] = frozenset(key)
        out[p["id"]] = roles
    return out


# --- the peers -----------------------------------------------------------------------------


class Peer(Protocol):
    """A peer implementation: build units from a roster document, fire event documents."""

    key: str
    label: str

    def create(self, roster: Mapping[str, Any]) -> Any:
        """Build one unit (with its people and initial state) per roster unit."""
        ...

    def fire(self, world: Any, events: Sequence[Mapping[str, Any]]) -> int:
        """Fire the events in order; return how many were accepted."""
        ...

    def final_count(self, world: Any) -> int:
        """How many units ended in the workflow's final state."""
        ...


class SlotUnit:
    """A unit of the shared-machine and dict-table peers: a state and its people."""

    __slots__ = ("id", "people", "state")

    def __init__(self, uid: str, people: dict[str, frozenset[str]], state: str) -> None:
        self.id = uid
        self.people = people
        self.state = state


class ModelUnit:
    """A unit of the machine-per-unit peer; `transitions` decorates it with triggers."""

    state: str

    def __init__(self, uid: str, people: dict[str, frozenset[str]]) -> None:
        self.id = uid
        self.people = people


class TransitionsPerUnit:
    """(a) `transitions`: one ``Machine`` per unit, ``auto_transitions=False``."""

    key = "a"
    label = "transitions, Machine per unit"

    def __init__(self) -> None:
        self.transitions = [
            {"trigger": e, "source": s, "dest": d, "conditions": [role_condition(r)]}
            for e, s, d, r in flat_transitions()
        ]

    def create(self, roster: Mapping[str, Any]) -> dict[str, ModelUnit]:
        """One `ModelUnit` per roster unit, each with its own ``Machine``."""
        from transitions import Machine

        units: dict[str, ModelUnit] = {}
        for doc in roster["units"]:
            unit = ModelUnit(doc["id"], people_of(doc))
            # the model's trigger methods hold the machine, so the machine stays alive
            Machine(
                model=unit,
                states=list(STATES),
                transitions=self.transitions,
                initial=INITIAL,
                auto_transitions=False,
            )
            units[unit.id] = unit
        return units

    def fire(self, world: dict[str, ModelUnit], events: Sequence[Mapping[str, Any]]) -> int:
        """``unit.trigger(event, roles)`` per event."""
        ok = 0
        for e in events:
            unit = world[e["unit"]]
            if unit.trigger(e["event"], unit.people[e["actor"]]):  # type: ignore[attr-defined]
                ok += 1
        return ok

    def final_count(self, world: dict[str, ModelUnit]) -> int:
        """Units in the final state."""
        return sum(u.state == FINAL for u in world.values())


class TransitionsShared:
    """(b) one shared bare ``transitions.Machine``; units are ``__slots__`` objects."""

    key = "b"
    label = "transitions, one shared Machine"

    def __init__(self) -> None:
        from transitions import Machine

        self.machine = Machine(
            model=None,
            states=list(STATES),
            transitions=[
                {"trigger": e, "source": s, "dest": d, "conditions": [role_condition(r)]}
                for e, s, d, r in flat_transitions()
            ],
            initial=INITIAL,
            auto_transitions=False,
        )

    def create(self, roster: Mapping[str, Any]) -> dict[str, SlotUnit]:
        """One `SlotUnit` per roster unit, in the initial state (no ``add_model``)."""
        return {d["id"]: SlotUnit(d["id"], people_of(d), INITIAL) for d in roster["units"]}

    def fire(self, world: dict[str, SlotUnit], events: Sequence[Mapping[str, Any]]) -> int:
        """``machine.events[name].trigger(unit, roles)`` per event."""
        by_name = self.machine.events
        ok = 0
        for e in events:
            unit = world[e["unit"]]
            if by_name[e["event"]].trigger(unit, unit.people[e["actor"]]):
                ok += 1
        return ok

    def final_count(self, world: dict[str, SlotUnit]) -> int:
        """Units in the final state."""
        return sum(u.state == FINAL for u in world.values())


class StatemachinePerUnit:
    """(c) python-statemachine 3.x: one ``StateMachine`` instance per unit."""

    key = "c"
    label = "python-statemachine, one per unit"

    def __init__(self) -> None:
        from statemachine import State, StateMachine

        attrs: dict[str, Any] = {}
        states = {
            name: State(name, value=name, initial=name == INITIAL, final=name == FINAL)
            for name in STATES
        }
        attrs.update(states)
        for e, s, d, r in flat_transitions():
            attrs[e] = states[s].to(states[d], cond=role_condition(r))
        # the never-occupied initial states of steps 2-4 would fail its definition-time
        # checks (unreachable, no way out): they are expected here
        attrs["validate_disconnected_states"] = False
        attrs["validate_trap_states"] = False
        attrs["validate_final_reachability"] = False
        self.machine_class = type("Bench16", (StateMachine,), attrs)

    def create(self, roster: Mapping[str, Any]) -> dict[str, Any]:
        """One ``(StateMachine, people)`` pair per roster unit."""
        cls = self.machine_class
        return {d["id"]: (cls(), people_of(d)) for d in roster["units"]}

    def fire(self, world: dict[str, Any], events: Sequence[Mapping[str, Any]]) -> int:
        """``machine.send(event, roles=roles)`` per event; it raises on a refused event."""
        ok = 0
        for e in events:
            sm, people = world[e["unit"]]
            sm.send(e["event"], roles=people[e["actor"]])
            ok += 1
        return ok

    def final_count(self, world: dict[str, Any]) -> int:
        """Units in the final state."""
        return sum(FINAL in sm.configuration_values for sm, _ in world.values())


class DictTable:
    """(d) a plain dict transition table ``{(state, event): (dest, role)}``."""

    key = "d"
    label = "plain dict table"

    def __init__(self) -> None:
        self.table = {(s, e): (d, r) for e, s, d, r in flat_transitions()}

    def create(self, roster: Mapping[str, Any]) -> dict[str, SlotUnit]:
        """One `SlotUnit` per roster unit, in the initial state."""
        return {d["id"]: SlotUnit(d["id"], people_of(d), INITIAL) for d in roster["units"]}

    def fire(self, world: dict[str, SlotUnit], events: Sequence[Mapping[str, Any]]) -> int:
        """Look up (state, event), check the role, move."""
        table = self.table
        ok = 0
        for e in events:
            unit = world[e["unit"]]
            hit = table.get((unit.state, e["event"]))
            if hit is not None and hit[1] in unit.people[e["actor"]]:
                unit.state = hit[0]
                ok += 1
        return ok

    def final_count(self, world: dict[str, SlotUnit]) -> int:
        """Units in the final state."""
        return sum(u.state == FINAL for u in world.values())


PEERS: tuple[Callable[[], Peer], ...] = (
    TransitionsPerUnit,
    TransitionsShared,
    StatemachinePerUnit,
    DictTable,
)
