"""What a simulated unit of each kind does in each step, read statically from the spec.

For every (unit kind, step) the *route* is the path from the step's initial state to its
nearest final state along transitions the kind can use, the *return* transition that a
revision loop takes (an edge back toward the initial state, e.g. ``send_back_report``), the
*activities* (transitions that stay in their state: drafts, reviews, hours) and the *gates*:
route transitions that wait for something outside the step (docs/format.md §1 guards):

* ``not_before`` — a date;
* ``children`` — every child unit has the named steps complete (R21);
* ``has`` of a record kind no transition of the step records, recorded by another step that
  is not before this one in the step graph (e.g. ``start_solving`` waits for the
  ``published_plan`` of the ``plan`` step, R6 边学边改).

Both engines use the same routes: the fast engine turns the gates into lower bounds on dates,
the exact engine fires the route's events through the real runtime, which enforces them.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping

import attrs
import networkx as nx

from sfd_workflow._graph import step_graph
from sfd_workflow._spec._model import Spec, Step, Transition
from sfd_workflow.sim._errors import SimulationError

__all__ = ["Gate", "KindRoute", "SpecShape", "shape_of"]


@attrs.frozen(kw_only=True)
class Gate:
    """A route transition that waits for a date, for children, or for another step's record."""

    transition: Transition
    completing: bool  # the transition that completes the step
    not_before: dt.date | None = None
    children: tuple[str, ...] = ()
    record_steps: tuple[str, ...] = ()  # steps whose completing transition records a needed kind


@attrs.frozen(kw_only=True)
class KindRoute:
    """The route of one step for one unit kind (see the module docstring)."""

    step: Step
    kind: str
    skipped: bool
    route: tuple[Transition, ...] = ()
    back: Transition | None = None  # the return transition of a revision loop
    gates: tuple[Gate, ...] = ()
    deadline: dt.date | None = None
    forward: Mapping[str, Transition] = attrs.field(factory=dict)
    activities: Mapping[str, tuple[Transition, ...]] = attrs.field(factory=dict)

    @property
    def completing(self) -> Transition | None:
        """The transition that brings the step into its final state."""
        return self.route[-1] if self.route else None


@attrs.frozen(kw_only=True)
class SpecShape:
    """Routes of every (kind, step), the steps in dependency order, the unit-independent facts."""

    spec: Spec
    order: tuple[str, ...]  # steps, topologically sorted (document order among equals)
    ancestors: Mapping[str, frozenset[str]]
    routes: Mapping[tuple[str, str], KindRoute]  # (kind, step) -> route

    def route(self, kind: str, step: str) -> KindRoute:
        """The route of `step` for units of `kind`."""
        return self.routes[(kind, step)]


def _completing_recorders(spec: Spec) -> dict[str, list[str]]:
    """Record kind -> steps whose *final* transitions record it."""
    out: dict[str, list[str]] = {}
    for s in spec.steps:
        for t in s.transitions:
            if t.records and t.dest in s.finals:
                out.setdefault(t.records, []).append(s.id)
    return out


def _all_recorders(spec: Spec) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in spec.steps:
        for t in s.transitions:
            if t.records:
                out.setdefault(t.records, []).append(s.id)
    return out


def _distances_to_final(step: Step, usable: list[Transition]) -> dict[str, int]:
    rev: dict[str, list[str]] = {}
    for t in usable:
        for src in t.sources:
            if src != t.dest:
                rev.setdefault(t.dest, []).append(src)
    dist = {f: 0 for f in step.finals}
    queue = deque(step.finals)
    while queue:
        s = queue.popleft()
        for p in rev.get(s, ()):
            if p not in dist:
                dist[p] = dist[s] + 1
                queue.append(p)
    return dist


def _route_for(spec: Spec, step: Step, kind: str, skipped_steps: frozenset[str],
               ancestors: frozenset[str], recorders: Mapping[str, list[str]],
               completing_recorders: Mapping[str, list[str]]) -> KindRoute:
    own = {t.records for t in step.transitions if t.records}

    def usable(t: Transition) -> bool:
        # a kind cannot use a transition needing a record only skipped steps make
        for k in t.guard.has:
            if k in own:
                continue
            if all(s in skipped_steps for s in recorders.get(k, ())):
                return False
        return True

    trans = [t for t in step.transitions if usable(t)]
    dist = _distances_to_final(step, trans)
    if step.initial not in dist:
        msg = (f"step {step.id!r}: units of kind {kind!r} cannot reach a final state "
               f"(every route needs a record only skipped steps make)")
        raise SimulationError(msg)
    forward: dict[str, Transition] = {}
    back: dict[str, Transition] = {}
    activities: dict[str, list[Transition]] = {}
    for t in trans:  # document order: the first of equals wins
        for src in t.sources:
            if src not in dist:
                continue
            if t.dest == src:
                activities.setdefault(src, []).append(t)
            elif t.dest in dist and dist[t.dest] < dist[src]:
                cur = forward.get(src)
                if cur is None or dist[t.dest] < dist[cur.dest]:
                    forward[src] = t
            elif t.dest in dist and dist[t.dest] > dist[src]:
                back.setdefault(src, t)
    route: list[Transition] = []
    state = step.initial
    while state not in step.finals:
        t = forward[state]
        route.append(t)
        state = t.dest
    on_route = [step.initial, *(t.dest for t in route)]
    loop = next((back[s] for s in on_route if s in back and back[s].dest in on_route), None)

    gates = []
    for t in (*route, *([loop] if loop else [])):
        g = t.guard
        external = []
        for k in g.has:
            if k in own:
                continue
            steps = [s for s in recorders.get(k, ()) if s not in skipped_steps]
            if any(s in ancestors for s in steps):
                continue  # recorded by a step that is complete before this one opens
            done = [s for s in steps if s in completing_recorders.get(k, ())]
            if not done:
                msg = (f"step {step.id!r}, event {t.event!r}: record {k!r} comes from "
                       f"{', '.join(steps)} in the middle of a step; the simulator only waits "
                       f"for records made by the transition that completes a step")
                raise SimulationError(msg)
            external.extend(done)
        if g.not_before or g.children or external:
            gates.append(Gate(transition=t, completing=t is route[-1], not_before=g.not_before,
                              children=g.children, record_steps=tuple(dict.fromkeys(external))))
        if g.custom:
            msg = (f"step {step.id!r}, event {t.event!r}: custom predicates "
                   f"({', '.join(g.custom)}) cannot be simulated")
            raise SimulationError(msg)
    deadline = route[-1].due
    if deadline is None:
        dues = [t.due for t in route if t.due]
        deadline = max(dues) if dues else None
    if deadline is None:
        phase = spec.phase_of_step[step.id]
        deadline = phase.window.end if phase.window else None
    return KindRoute(step=step, kind=kind, skipped=False, route=tuple(route), back=loop,
                     gates=tuple(gates), deadline=deadline, forward=forward,
                     activities={k: tuple(v) for k, v in activities.items()})


def shape_of(spec: Spec) -> SpecShape:
    """The routes of every unit kind through every step of `spec`.

    Raises:
        SimulationError: a step a kind cannot finish, or a guard the simulator cannot drive
            (custom predicates; waiting for a record made in the middle of another step).
    """
    g = step_graph(spec)
    index = {s.id: i for i, s in enumerate(spec.steps)}
    order = tuple(nx.lexicographical_topological_sort(g, key=lambda n: index[n]))
    ancestors = {s: frozenset(nx.ancestors(g, s)) for s in order}
    recorders = _all_recorders(spec)
    completing = _completing_recorders(spec)
    routes: dict[tuple[str, str], KindRoute] = {}
    for kind, uk in spec.unit_kinds.items():
        skipped = frozenset(uk.skip)
        for step in spec.steps:
            if step.id in skipped:
                routes[(kind, step.id)] = KindRoute(step=step, kind=kind, skipped=True)
            else:
                routes[(kind, step.id)] = _route_for(spec, step, kind, skipped,
                                                     ancestors[step.id], recorders, completing)
    return SpecShape(spec=spec, order=order, ancestors=ancestors, routes=routes)
