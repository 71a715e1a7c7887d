"""A planner: logs that reach a given state or fire a given transition, through the model.

Random walks rarely reach the end of a long campaign (an approval needs a majority of
evaluations, a summary 48 hours per member, a general branch its children's completion).
The planner reaches any state or transition directly: it walks the shortest path
(networkx) of the step's state graph and, when a guard blocks, produces what is missing
(records by the right people, per-person sums, children's steps, earlier steps) before
firing. Every planned event is accepted by the model, so the log is a legal sequence.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable
from typing import Any

import networkx as nx

from ..errors import PlanError
from ._oracle import MStep, MTransition
from ._world import Event, WorldModel

__all__ = ["PlanError", "Planner"]

_MAX_DEPTH = 40


def state_graph(step: MStep) -> nx.MultiDiGraph:
    """States as nodes, one edge per (transition, source), keyed by transition index."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(step.states)
    for i, t in enumerate(step.transitions):
        for s in t.sources:
            g.add_edge(s, t.dest, key=i)
    return g


class Planner:
    """Builds a legal log step by step, applying each event to `world`."""

    def __init__(self, world: WorldModel, start: dt.datetime, *, spacing_minutes: int = 10):
        self.world = world
        self.now = start
        self.spacing = dt.timedelta(minutes=spacing_minutes)
        self.lines: list[str] = []
        self.events: list[tuple[Event, MTransition]] = []
        self._graphs = {s.id: state_graph(s) for s in world.workflow.steps.values()}

    # -- emitting ---------------------------------------------------------------------

    def _emit(self, ev: Event, t: MTransition) -> None:
        reason, _late = self.world.submit(ev)
        if reason is not None:  # pragma: no cover - check() said it would pass
            msg = f"planned event rejected: {reason}"
            raise PlanError(msg)
        self.lines.append(
            json.dumps(
                {
                    "unit": ev.unit,
                    "event": ev.event,
                    "actor": ev.actor,
                    "at": ev.at.isoformat(),
                    "payload": dict(ev.payload),
                },
                ensure_ascii=False,
            )
        )
        self.events.append((ev, t))
        self.now = ev.at + self.spacing

    def _payload(self, t: MTransition, extra: dict[str, Any] | None) -> dict[str, Any]:
        payload: dict[str, Any] = {f: f"{f} text" for f in t.guard.fields or ()}
        payload.update(extra or {})
        return payload

    def _when(self, t: MTransition) -> dt.datetime:
        nb = t.guard.not_before
        if nb is not None:
            return max(self.now, self.world.workflow.midnight(nb) + dt.timedelta(hours=9))
        return self.now

    # -- goals ------------------------------------------------------------------------

    def open_step(self, unit: str, step_id: str, depth: int = 0) -> None:
        """Complete every step in `step_id`'s ``after``."""
        for a in self.world.workflow.steps[step_id].after:
            self.complete(unit, a, depth + 1)

    def complete(self, unit: str, step_id: str, depth: int = 0) -> None:
        """Drive the step to a final state (or, if skipped, complete its ``after``)."""
        if self.world.is_complete(unit, step_id):
            return
        if depth > _MAX_DEPTH:
            msg = f"too deep completing {step_id} at {unit}"
            raise PlanError(msg)
        kind = self.world.roster.units[unit].kind
        step = self.world.workflow.steps[step_id]
        if step_id in self.world.workflow.kinds[kind].skip:
            self.open_step(unit, step_id, depth)
            return
        self.reach(unit, step_id, step.finals, depth)

    def reach(self, unit: str, step_id: str, targets: Iterable[str], depth: int = 0) -> None:
        """Drive the step along a shortest path to one of `targets`."""
        targets = set(targets)
        self.open_step(unit, step_id, depth)
        step = self.world.workflow.steps[step_id]
        current = self.world.units[unit].steps[step_id]
        if current in targets:
            return
        g = self._graphs[step_id].copy()
        g.add_node("__goal__")
        for s in targets:
            g.add_edge(s, "__goal__", key=-1)
        try:
            path = nx.shortest_path(g, current, "__goal__")[:-1]
        except nx.NetworkXNoPath:
            msg = f"no path from {current} to {sorted(targets)} in step {step_id}"
            raise PlanError(msg) from None
        for a, b in itertools.pairwise(path):
            keys = sorted(self._graphs[step_id][a][b])
            errors = []
            for k in keys:  # the first transition a -> b that the planner can fire
                try:
                    self.fire(unit, step.transitions[k], depth=depth + 1)
                    break
                except PlanError as exc:
                    errors.append(str(exc))
            else:
                raise PlanError("; ".join(errors))

    def fire(
        self,
        unit: str,
        t: MTransition,
        *,
        actor: str | None = None,
        extra: dict[str, Any] | None = None,
        depth: int = 0,
    ) -> None:
        """Fire transition `t` at `unit`, producing whatever its guard needs first."""
        if depth > _MAX_DEPTH:
            msg = f"too deep firing {t.event} at {unit}"
            raise PlanError(msg)
        world = self.world
        step_id = world.workflow.step_of_event[t.event]
        kind = world.roster.units[unit].kind
        if step_id in world.workflow.kinds[kind].skip:
            msg = f"{t.event} does not apply to {unit}"
            raise PlanError(msg)
        if world.units[unit].steps[step_id] not in t.sources:
            self.reach(unit, step_id, t.sources, depth + 1)
        self.open_step(unit, step_id, depth)
        people = [actor] if actor is not None else list(world.roster.units[unit].people)
        for _attempt in range(12):
            usable = []
            for p in people:
                ev = Event(unit, t.event, p, self._when(t), self._payload(t, extra))
                reason, fired = world.check(ev)
                if fired == t:
                    self._emit(ev, t)
                    return
                key = world.failing_key(t, ev)
                if key not in ("role", "duplicate", "custom") and reason not in (
                    "step_blocked",
                    "wrong_state",
                    "unknown_actor",
                ):
                    usable.append((ev, key))
            if not usable:
                msg = f"nobody at {unit} can fire {t.event}"
                raise PlanError(msg)
            ev, key = usable[0]
            if key is None:
                # t's guard holds but an earlier alternative of the event fires first.
                msg = f"{t.event} at {unit} is shadowed by an earlier alternative"
                raise PlanError(msg)
            self._satisfy(unit, t, ev, key, depth + 1)
        msg = f"could not satisfy the guard of {t.event} at {unit}"
        raise PlanError(msg)

    def _satisfy(self, unit: str, t: MTransition, ev: Event, key: str, depth: int) -> None:
        world = self.world
        g = t.guard
        live = world.units[unit].live()
        if key == "missing_record":
            have = {r.kind for r in live}
            for k in g.has or ():
                if k not in have:
                    self.produce(unit, k, depth=depth)
        elif key == "quorum":
            assert g.quorum is not None
            record, role, _q = g.quorum
            holders = world.holders(unit, role)
            have = {r.actor for r in live if r.kind == record}
            missing = [h for h in holders if h not in have]
            if not missing:
                msg = f"quorum of {t.event} at {unit} cannot be met"
                raise PlanError(msg)
            self.produce(unit, record, actor=missing[0], depth=depth)
        elif key == "per_person":
            assert g.per_person is not None
            record, fld, role, floor = g.per_person
            for h in world.holders(unit, role):
                total = sum(
                    r.payload.get(fld, 0)
                    for r in live
                    if r.kind == record
                    and r.actor == h
                    and isinstance(r.payload.get(fld), int | float)
                    and not isinstance(r.payload.get(fld), bool)
                )
                if total < floor:
                    self.produce(unit, record, actor=h, extra={fld: floor - total}, depth=depth)
                    return
        elif key == "children":
            for child in world.children[unit]:
                for s in g.children or ():
                    self.complete(child, s, depth)
        else:
            msg = f"cannot satisfy {key} of {t.event} at {unit}"
            raise PlanError(msg)

    def produce(
        self,
        unit: str,
        kind: str,
        *,
        actor: str | None = None,
        extra: dict[str, Any] | None = None,
        depth: int = 0,
    ) -> None:
        """Add a live record `kind` at `unit` (by `actor` when given)."""
        world = self.world
        ukind = world.roster.units[unit].kind
        options = []
        for s in world.workflow.steps.values():
            if s.id in world.workflow.kinds[ukind].skip:
                continue
            current = world.units[unit].steps[s.id]
            for t in s.transitions:
                if t.records != kind:
                    continue
                # Prefer a self-loop from the current state, then any transition from it.
                rank = (
                    0
                    if current in t.sources and t.dest in t.sources
                    else (1 if current in t.sources else 2)
                )
                options.append((rank, t))
        options.sort(key=lambda o: o[0])
        errors = []
        for _rank, t in options:
            try:
                self.fire(unit, t, actor=actor, extra=extra, depth=depth + 1)
                return
            except PlanError as exc:
                errors.append(str(exc))
        msg = f"cannot produce a {kind} record at {unit}: " + "; ".join(errors or ["no way"])
        raise PlanError(msg)
