"""Which events a unit fires, in order, to move a step along its route (the exact engine).

The planner works on a symbolic copy of the unit's state (the step's state and the unit's
live records, taken from the runtime) and the route of `_shape`. For each transition of the
route it first *satisfies the guard* (docs/format.md §1):

* ``role`` / ``once_per_actor`` — picks an actor holding the role without such a record;
* ``has`` — fires an activity of the current state that records the kind (a draft, a topic);
* ``quorum`` — members' reviews arrive: each eligible person reviews with the model's
  probability ``p``, and the unit chases more until the quorum is reached;
* ``per_person`` — each person logs hours (the model's ``hours``) until the sum is reached;
* ``fields`` — fills the payload.

Activities the model names (``repeat`` or ``p``) are also fired at each visit of their state:
contributions, comments, proposals. A revision loop takes the route's return transition after
the reviews came in. The planner stops after a *gate* (`_shape.Gate`): what follows is
planned when the gate has passed, from the runtime's state at that time.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from sfd_workflow._spec._model import Guard, Spec, Transition, Unit
from sfd_workflow.sim._behaviour import EventParams, SimModel
from sfd_workflow.sim._dist import Dist
from sfd_workflow.sim._errors import SimulationError
from sfd_workflow.sim._shape import KindRoute

__all__ = ["Planned", "Planner", "Segment"]


@attrs.define(slots=True)
class Planned:
    """One event to fire: the transition meant, who fires it, with what payload."""

    transition: Transition
    actor: str
    payload: dict[str, Any]
    optional: bool = False


@attrs.define(slots=True)
class Segment:
    """Events up to a gate (``gate`` set) or to the step's completion (``gate`` None).

    ``optional`` are activities of the gate's state fired while the unit waits for the gate.
    """

    events: list[Planned]
    gate: Planned | None
    optional: list[Planned]
    loops_left: int


class _Sym:
    """A symbolic unit: one step's state and the unit's live records."""

    __slots__ = ("records", "state")

    def __init__(self, state: str, records: Mapping[str, list[tuple[str, Mapping[str, Any]]]]):
        self.state = state
        self.records = {k: list(v) for k, v in records.items()}

    def holders(self, kind: str) -> set[str]:
        return {a for a, _ in self.records.get(kind, ())}

    def fire(self, t: Transition, actor: str, payload: Mapping[str, Any]) -> None:
        for k in t.clears:
            self.records.pop(k, None)
        if t.records:
            self.records.setdefault(t.records, []).append((actor, payload))
        self.state = t.dest


class Planner:
    """Plans the events of one unit (see the module docstring)."""

    def __init__(self, spec: Spec, model: SimModel, unit: Unit, rng: random.Random,
                 numeric_fields: Mapping[str, frozenset[str]]) -> None:
        self.spec = spec
        self.model = model
        self.unit = unit
        self.rng = rng
        self.numeric_fields = numeric_fields
        kind = spec.unit_kinds[unit.kind]
        self._people = [p.id for p in unit.people]
        self._hours: dict[str, Dist] = {}
        self._events: dict[str, EventParams] = {}
        self._layouts: dict[int, tuple[tuple[str, str | None], ...]] = {}
        self._eligible: dict[tuple[str, ...], list[str]] = {}
        self._by_role: dict[str, list[str]] = {}
        for role in spec.roles:
            accepted = kind.accepted_roles(role)
            self._by_role[role] = [p.id for p in unit.people if not accepted.isdisjoint(p.roles)]

    # -- people ---------------------------------------------------------------------------
    def eligible(self, guard: Guard) -> list[str]:
        """People of the unit whose effective roles pass the guard's ``role`` (a shared list:
        do not change it)."""
        if not guard.role:
            return self._people
        people = self._eligible.get(guard.role)
        if people is None:
            out: dict[str, None] = {}
            for r in guard.role:
                for p in self._by_role.get(r, ()):
                    out[p] = None
            people = self._eligible[guard.role] = list(out)
        return people

    def holders_of_role(self, role: str) -> list[str]:
        """People of the unit with the effective role."""
        return self._by_role.get(role, [])

    # -- payloads -------------------------------------------------------------------------
    def payload(self, t: Transition) -> dict[str, Any]:
        """A payload with every field the guard asks for (numbers for per-person sums)."""
        layout = self._layouts.get(id(t))  # the spec's transitions live as long as the planner
        if layout is None:
            layout = self._layouts[id(t)] = self._layout(t)
        if not layout:
            return {}
        return {f: self.hours(t.event) if text is None else text for f, text in layout}

    def _layout(self, t: Transition) -> tuple[tuple[str, str | None], ...]:
        """A payload's fields in order, each with its text (None: drawn hours)."""
        if not t.guard.fields and not t.records:
            return ()
        numeric = self.numeric_fields.get(t.records or "", frozenset())
        out: dict[str, str | None] = {}
        for f in t.guard.fields:
            out[f] = None if f in numeric else f"{f} ({self.unit.id})"
        for f in sorted(numeric):
            if f not in out:
                out[f] = None
        return tuple(out.items())

    def hours(self, event: str) -> float:
        """Hours of one activity, in half hours, at least half an hour (R27)."""
        dist = self._hours.get(event)
        if dist is None:
            dist = self._hours[event] = self.model.hours(event)
        x = dist.draw_one(self.rng)
        return max(0.5, round(x * 2) / 2)

    def _event(self, event: str) -> EventParams:
        ep = self._events.get(event)
        if ep is None:
            ep = self._events[event] = self.model.event(event)
        return ep

    # -- planning -------------------------------------------------------------------------
    def _actor(self, t: Transition, sym: _Sym, exclude: set[str] = frozenset()  # type: ignore[assignment]
               ) -> str:
        people = self.eligible(t.guard)
        if exclude:
            people = [p for p in people if p not in exclude]
        if t.guard.once_per_actor and t.records:
            held = sym.holders(t.records)
            people = [p for p in people if p not in held]
        if not people:
            msg = (f"unit {self.unit.id!r} ({self.unit.kind}) has nobody who can fire "
                   f"{t.event!r} now (roles: {', '.join(t.guard.role) or 'any'})")
            raise SimulationError(msg)
        return people[self.rng.randrange(len(people))]

    def _fire(self, out: list[Planned], t: Transition, sym: _Sym, actor: str | None = None,
              payload: dict[str, Any] | None = None, *, optional: bool = False) -> None:
        who = actor if actor is not None else self._actor(t, sym)
        pl = payload if payload is not None else self.payload(t)
        out.append(Planned(t, who, pl, optional))
        sym.fire(t, who, pl)

    def _providers(self, route: KindRoute, state: str, kind: str) -> list[Transition]:
        return [t for t in route.activities.get(state, ()) if t.records == kind]

    def _participants(self, t: Transition, sym: _Sym, pool: Sequence[str], need: int) -> list[str]:
        """Who fires activity `t` once each: everyone in `pool` with the model's p, >= need."""
        p = self._event(t.event).p
        chosen = [x for x in pool if self.rng.random() < p]
        if len(chosen) < need:
            rest = [x for x in pool if x not in chosen]
            extra = self.rng.sample(range(len(rest)), need - len(chosen))
            chosen += [rest[i] for i in sorted(extra)]
        return chosen

    def _satisfy(self, out: list[Planned], t: Transition, route: KindRoute, sym: _Sym,
                 depth: int = 0) -> None:
        """Fire activities until `t`'s guard holds in `sym` (time-like keys excepted)."""
        if depth > 3:
            msg = f"step {route.step.id!r}: activities needed for {t.event!r} nest too deep"
            raise SimulationError(msg)
        g = t.guard
        state = sym.state
        for kind in g.has:
            if sym.records.get(kind):
                continue
            provs = self._providers(route, state, kind)
            if not provs:
                continue  # recorded by another step: a gate (or an `after` step) provides it
            self._activity(out, provs[0], route, sym, depth, need=1)
        if g.quorum is not None:
            q = g.quorum
            holders = self.holders_of_role(q.role)
            need = q.needed(len(holders))
            have = sym.holders(q.record) & set(holders)
            if len(have) < need:
                provs = self._providers(route, state, q.record)
                if not provs:
                    msg = (f"step {route.step.id!r}: {t.event!r} needs a quorum of "
                           f"{q.record!r} that no activity of state {state!r} records")
                    raise SimulationError(msg)
                prov = provs[0]
                able = set(self.eligible(prov.guard))
                pool = [p for p in holders if p in able and p not in have]
                if len(pool) < need - len(have):
                    msg = (f"unit {self.unit.id!r}: too few people can fire {prov.event!r} "
                           f"to reach the quorum of {t.event!r}")
                    raise SimulationError(msg)
                for who in self._participants(prov, sym, pool, need - len(have)):
                    self._satisfy(out, prov, route, sym, depth + 1)
                    self._fire(out, prov, sym, actor=who)
        if g.per_person is not None:
            pp = g.per_person
            provs = self._providers(route, state, pp.record)
            for who in self.holders_of_role(pp.role):
                total = sum(_num(pl.get(pp.field)) for a, pl in sym.records.get(pp.record, ())
                            if a == who)
                while total < pp.at_least:
                    if not provs:
                        msg = (f"step {route.step.id!r}: {t.event!r} needs {pp.field} of "
                               f"{pp.record!r} per person, which no activity of state "
                               f"{state!r} records")
                        raise SimulationError(msg)
                    pl = self.payload(provs[0])  # its numeric field holds the hours
                    self._fire(out, provs[0], sym, actor=who, payload=pl)
                    total += pl[pp.field]

    def _activity(self, out: list[Planned], prov: Transition, route: KindRoute, sym: _Sym,
                  depth: int, need: int, *, optional: bool = False) -> None:
        """Fire an activity the way the model says: `repeat` times, or by each with `p`."""
        ep = self._event(prov.event)
        if ep.repeat is not None:
            count = max(need, round(ep.repeat.draw_one(self.rng)))
            actors: list[str | None] = [None] * count
        elif prov.guard.once_per_actor or ep.p < 1.0:
            pool = self.eligible(prov.guard)
            if prov.guard.once_per_actor and prov.records:
                held = sym.holders(prov.records)
                pool = [p for p in pool if p not in held]
            actors = list(self._participants(prov, sym, pool, need))
        else:
            actors = [None] * need
        for who in actors:
            self._satisfy(out, prov, route, sym, depth + 1)
            self._fire(out, prov, sym, actor=who, optional=optional)

    def _optional(self, route: KindRoute, sym: _Sym, out: list[Planned]) -> None:
        """The activities of the current state the model names (fired once per visit)."""
        for t in route.activities.get(sym.state, ()):
            ep = self.model.events.get(t.event)
            if ep is None or (ep.repeat is None and ep.p >= 1.0):
                continue  # fired only when a guard needs it
            self._activity(out, t, route, sym, 0, need=0, optional=True)

    def plan(self, route: KindRoute, state: str,
             records: Mapping[str, list[tuple[str, Mapping[str, Any]]]],
             loops_left: int, gates: Mapping[str, bool]) -> Segment:
        """Plan from `state` to the next gate (included) or to the step's final state.

        Args:
            records: the unit's live records by kind: (actor, payload) pairs.
            loops_left: revision loops still to take.
            gates: event name -> True for the route's gated transitions (not completing).
        """
        sym = _Sym(state, records)
        out: list[Planned] = []
        finals = route.step.finals
        back = route.back
        guard_steps = 0
        while sym.state not in finals:
            guard_steps += 1
            if guard_steps > 200:
                msg = f"step {route.step.id!r}: the planner does not reach a final state"
                raise SimulationError(msg)
            fwd = route.forward[sym.state]
            if loops_left > 0 and back is not None and sym.state in back.sources:
                self._optional(route, sym, out)
                self._satisfy(out, fwd, route, sym)  # the reviews come in, then it goes back
                self._satisfy(out, back, route, sym)
                self._fire(out, back, sym)
                loops_left -= 1
                continue
            if gates.get(fwd.event):
                # activities while waiting for the gate may or may not happen before it
                # passes: the required events are planned without them
                waiting: list[Planned] = []
                self._optional(route, _Sym(sym.state, sym.records), waiting)
                self._satisfy(out, fwd, route, sym)
                gate: list[Planned] = []
                self._fire(gate, fwd, sym)
                return Segment(events=out, gate=gate[0], optional=waiting, loops_left=loops_left)
            self._optional(route, sym, out)
            self._satisfy(out, fwd, route, sym)
            self._fire(out, fwd, sym)
        return Segment(events=out, gate=None, optional=[], loops_left=loops_left)


def _num(x: Any) -> float:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else 0.0
