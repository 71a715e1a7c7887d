"""The exact engine: units fire real events, one by one, through the compiled `Runtime`.

Every (unit, step) is an *agent*. It is activated the working day after the steps before it
complete (as the runtime sees them, docs/format.md §4), starts after its late-start delay, plans
its events with `Planner` and spreads them over its working days: the first on the start
day, the one completing the step at 17:00 on the last day (``start`` plus the drawn work). A
*gate* (`_shape.Gate`) is tried at 11:00 each working day until the runtime accepts it, while
the activities of its state go on (one a day); the rest of the step is then planned from the
runtime's state and takes the drawn work from that day. A completing transition refused for
a time-like reason (``children``, ``not_before``, a record still to come) is tried again at
17:00 the next working day.

All agents' events go through one queue ordered by time (children before parents at equal
times), so every unit's events reach the runtime in time order and the output log replays
exactly as it ran. Any other refusal is a bug in the simulator's reading of the spec and
raises `SimulationError`.
"""

from __future__ import annotations

import datetime as dt
import gc
import heapq
import random
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import numpy as np

from sfd_workflow._compile import CompiledWorkflow
from sfd_workflow._engine import Runtime
from sfd_workflow._spec._model import Roster, Spec
from sfd_workflow._verdict import Reason
from sfd_workflow.sim._behaviour import SimModel
from sfd_workflow.sim._calendar import WorkCalendar
from sfd_workflow.sim._draws import Draws
from sfd_workflow.sim._errors import SimulationError
from sfd_workflow.sim._fast import Schedule
from sfd_workflow.sim._planner import Planned, Planner, Segment
from sfd_workflow.sim._rosters import UnitArrays
from sfd_workflow.sim._shape import KindRoute, SpecShape

__all__ = ["ExactRun", "run_exact"]

_DAY_START = 9 * 3600
_GATE = 11 * 3600
_COMPLETE = 17 * 3600
_SLOT_END = _COMPLETE - 60
_WAIT_REASONS = frozenset({Reason.NOT_BEFORE, Reason.CHILDREN, Reason.MISSING_RECORD})
_MAX_WAIT_DAYS = 750  # about three years of working days


@attrs.frozen(kw_only=True, eq=False)
class ExactRun:
    """What the exact engine produced.

    Attributes:
        schedule: the dates the runtime saw (same layout as the fast engine's).
        events: the accepted events, in the order submitted (an event log).
        steps: the step of each event; ``late``: each event's late flag.
        retries: refused attempts of gates and completions (waiting), by reason.
    """

    schedule: Schedule
    events: list[dict[str, Any]]
    steps: list[str]
    late: list[bool]
    retries: Mapping[str, int]


class _Agent:
    __slots__ = ("completing", "first", "gate", "gate_waits", "gates", "loops_left", "passed",
                 "record_gates", "route", "sid", "sorder", "u", "waiting", "work")

    def __init__(self, u: int, sid: str, sorder: int, route: KindRoute, loops: int,
                 work: int) -> None:
        self.u = u
        self.sid = sid
        self.sorder = sorder
        self.route = route
        self.loops_left = loops
        self.work = work
        self.gates = {g.transition.event: True for g in route.gates if not g.completing}
        # gates waiting only for another step's record: parked until the unit completes a step
        self.record_gates = frozenset(g.transition.event for g in route.gates
                                      if not g.completing and g.record_steps
                                      and not g.children and g.not_before is None)
        self.waiting: list[Planned] = []
        self.gate: Planned | None = None
        self.passed = True
        self.gate_waits = 0
        self.first = True
        self.completing = frozenset(route.step.finals)


def _stamp(date: dt.date, tz: ZoneInfo) -> tuple[str, str]:
    """A day's ISO date and its UTC offset at noon (events fall between 09:00 and 17:00)."""
    noon = dt.datetime(date.year, date.month, date.day, 12, tzinfo=tz).isoformat()
    return noon[:10], noon[19:]


def _numeric_fields(spec: Spec) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for _, t in spec.transitions():
        pp = t.guard.per_person
        if pp is not None:
            out.setdefault(pp.record, set()).add(pp.field)
    return {k: frozenset(v) for k, v in out.items()}


def run_exact(spec: Spec, compiled: CompiledWorkflow, roster: Roster, shape: SpecShape,
              units: UnitArrays, model: SimModel, draws: Draws, cal: WorkCalendar,
              first_day: int, rng: random.Random,
              progress: Callable[[int], None] | None = None,
              opens: Mapping[str, int] | None = None) -> ExactRun:
    """Run every unit of `roster` through the campaign (see the module docstring).

    The cyclic garbage collector is paused during the run: the run allocates mostly objects
    that live to its end (the log, the runtime's records), which the collector would scan
    again and again for nothing (about a seventh of the run's time, docs/simulation.md).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_exact(spec, compiled, roster, shape, units, model, draws, cal, first_day,
                          rng, progress, opens)
    finally:
        if enabled:
            gc.enable()


def _run_exact(spec: Spec, compiled: CompiledWorkflow, roster: Roster, shape: SpecShape,
               units: UnitArrays, model: SimModel, draws: Draws, cal: WorkCalendar,
               first_day: int, rng: random.Random, progress: Callable[[int], None] | None,
               opens: Mapping[str, int] | None) -> ExactRun:
    rt = Runtime(compiled, roster, keep_log=False)
    tz = ZoneInfo(spec.timezone)
    n = len(roster)
    depth = units.depth
    neg_depth = (-depth).tolist()  # children before parents at equal times
    order_index = {s: i for i, s in enumerate(shape.order)}
    numeric = _numeric_fields(spec)
    planners = [Planner(spec, model, u, rng, numeric) for u in roster.units]
    ids = [u.id for u in roster.units]
    kinds = [u.kind for u in roster.units]
    sentinel = first_day - 1
    steps = [s.id for s in spec.steps]
    open_ = {s: np.full(n, sentinel, dtype=np.int64) for s in steps}
    start = {s: np.full(n, sentinel, dtype=np.int64) for s in steps}
    end = {s: np.full(n, -(10**9), dtype=np.int64) for s in steps}
    activated: set[tuple[int, str]] = set()
    queue: list[tuple[int, int, int, int, int, _Agent, Planned, int]] = []
    seq = 0
    events: list[dict[str, Any]] = []
    ev_steps: list[str] = []
    ev_late: list[bool] = []
    retries: dict[str, int] = {}
    stamps: dict[int, tuple[str, str]] = {}

    def push(day: int, sec: int, agent: _Agent, planned: Planned, kind: int) -> None:
        # kind: 0 plain, 1 gate, 2 completing, 3 optional while waiting
        nonlocal seq
        seq += 1
        heapq.heappush(queue, (day * 86400 + sec, neg_depth[agent.u], agent.sorder, agent.u,
                               seq, agent, planned, kind))

    def records_of(u: int) -> dict[str, list[tuple[str, Mapping[str, Any]]]]:
        out: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for r in rt.records(ids[u]):
            out.setdefault(r.kind, []).append((r.actor, r.payload))
        return out

    def schedule_segment(agent: _Agent, day: int, sec: int) -> None:
        state = rt.state(ids[agent.u])[agent.sid]
        seg: Segment = planners[agent.u].plan(agent.route, state, records_of(agent.u),
                                              agent.loops_left, agent.gates)
        agent.loops_left = seg.loops_left
        if seg.gate is not None:
            t = sec
            for p in seg.events:
                t += 30
                push(day, t, agent, p, 0)
            agent.waiting = list(seg.optional)
            agent.gate_waits = 0
            agent.gate = seg.gate
            agent.passed = False
            push(day, max(t + 30, _GATE if agent.first else t + 30), agent, seg.gate, 1)
            agent.first = False
            return
        agent.first = False
        if not seg.events or seg.events[-1].transition.dest not in agent.completing:
            msg = f"unit {ids[agent.u]!r}, step {agent.sid!r}: the plan does not complete the step"
            raise SimulationError(msg)
        last_day = int(cal.add(day, agent.work))
        body = seg.events[:-1]
        i0 = int(cal.index_on_or_after(day))
        m = int(cal.index_on_or_after(last_day)) - i0 + 1
        k = len(body)
        if k:
            idx = i0 + (np.arange(k) * m) // k
            days = cal.at(idx)
            counts: dict[int, int] = {}
            for d in days.tolist():
                counts[d] = counts.get(d, 0) + 1
            pos: dict[int, int] = {}
            for p, d in zip(body, days.tolist(), strict=True):
                j = pos.get(d, 0)
                pos[d] = j + 1
                lo = sec + 30 if d == day else _DAY_START
                span = max(_SLOT_END - lo, counts[d])
                push(d, lo + (j * span) // counts[d], agent, p, 0)
        push(last_day, max(_COMPLETE, sec + 30 * (k + 1)) if last_day == day else _COMPLETE,
             agent, seg.events[-1], 2)

    def activate(u: int, done_day: int) -> None:
        uid = ids[u]
        for sid in shape.order:
            if (u, sid) in activated:
                continue
            route = shape.route(kinds[u], sid)
            if route.skipped or not rt.is_open(uid, sid):
                continue
            activated.add((u, sid))
            op = int(cal.next_after(done_day))
            if opens and sid in opens:
                op = max(op, opens[sid])
            s0 = int(cal.add(op, int(draws.late[sid][u])))
            open_[sid][u], start[sid][u] = op, s0
            agent = _Agent(u, sid, order_index[sid], route, int(draws.loops[sid][u]),
                           int(draws.work[sid][u]))
            schedule_segment(agent, s0, _DAY_START - 30)

    parked: dict[int, list[_Agent]] = {}

    def park(agent: _Agent, day: int) -> None:
        # the activities of the gate's state go on, one a working day, until the gate passes
        if agent.waiting:
            days = cal.at(cal.index_on_or_after(day) + 1 + np.arange(len(agent.waiting)))
            for d, p in zip(days.tolist(), agent.waiting, strict=True):
                push(d, _DAY_START, agent, p, 3)
            agent.waiting = []
        parked.setdefault(agent.u, []).append(agent)

    def wake(u: int, day: int) -> None:
        agents = parked.pop(u, None)
        if agents:
            nxt = int(cal.next_after(day))
            for agent in agents:
                assert agent.gate is not None
                push(nxt, _GATE, agent, agent.gate, 1)

    for u in range(n):
        activate(u, sentinel)

    # the hot loop: names bound locally, each time of day formatted once (docs/simulation.md)
    submit = rt.submit
    pop = heapq.heappop
    add_event, add_step, add_late = events.append, ev_steps.append, ev_late.append
    clock: dict[int, str] = {}
    done = 0
    while queue:
        ts, _, _, u, _, agent, planned, kind = pop(queue)
        if kind == 3 and agent.passed:
            continue  # an activity of the waiting state planned after the gate passed
        day, sec = divmod(ts, 86400)
        stamp = stamps.get(day)
        if stamp is None:
            stamp = stamps[day] = _stamp(cal.date(day), tz)
        hms = clock.get(sec)
        if hms is None:
            hms = clock[sec] = f"T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
        at = stamp[0] + hms + stamp[1]
        t = planned.transition
        uid = ids[u]
        event = {"unit": uid, "event": t.event, "actor": planned.actor, "at": at,
                 "payload": planned.payload}
        verdict = submit(event)
        if not verdict.accepted:
            reason = verdict.reason
            if kind == 1 and reason == Reason.MISSING_RECORD and t.event in agent.record_gates:
                retries[str(reason)] = retries.get(str(reason), 0) + 1
                park(agent, day)
                continue
            if kind in (1, 2) and reason in _WAIT_REASONS:
                retries[str(reason)] = retries.get(str(reason), 0) + 1
                agent.gate_waits += 1
                if agent.gate_waits > _MAX_WAIT_DAYS:
                    msg = (f"unit {uid!r}, step {agent.sid!r}: {t.event!r} still refused "
                           f"({reason}) after {_MAX_WAIT_DAYS} working days")
                    raise SimulationError(msg)
                nxt = int(cal.next_after(day))
                if kind == 1:
                    if agent.waiting:
                        push(nxt, _DAY_START, agent, agent.waiting.pop(0), 3)
                    push(nxt, _GATE, agent, planned, 1)
                else:
                    push(nxt, _COMPLETE, agent, planned, 2)
                continue
            msg = (f"unit {uid!r}: {t.event!r} by {planned.actor!r} at {at} was refused "
                   f"({reason}); the simulator misread the spec")
            raise SimulationError(msg)
        add_event(event)
        add_step(agent.sid)
        add_late(verdict.late)
        done += 1
        if progress is not None and done % 1000 == 0:
            progress(1000)
        if kind == 0 or kind == 3:
            continue
        if (state := rt.state(uid)[agent.sid]) != t.dest:
            msg = (f"unit {uid!r}: {t.event!r} moved step {agent.sid!r} to {state!r}, "
                   f"not {t.dest!r} as planned")
            raise SimulationError(msg)
        if kind == 1:
            agent.waiting = []
            agent.passed = True
            schedule_segment(agent, day, sec)
        else:
            end[agent.sid][u] = day
            activate(u, day)
            wake(u, day)
    if progress is not None:
        progress(done % 1000)

    applies = {}
    for sid in shape.order:
        ap = np.array([not shape.route(k, sid).skipped for k in kinds], dtype=np.bool_)
        applies[sid] = ap
        step = spec.step_by_id[sid]
        for i in np.flatnonzero(~ap).tolist():
            done_before = max([sentinel, *(int(end[a][i]) for a in step.after)])
            end[sid][i] = start[sid][i] = done_before
        stalled = np.flatnonzero(ap & (end[sid] < sentinel))
        if len(stalled):
            msg = (f"step {sid!r} never completed for {len(stalled)} unit(s), e.g. "
                   f"{ids[int(stalled[0])]!r}")
            raise SimulationError(msg)
    deadline = {
        sid: np.array([cal.day(r.deadline) if (r := shape.route(k, sid)).deadline else -1
                       for k in kinds], dtype=np.int64)
        for sid in steps
    }
    sched = Schedule(steps=tuple(steps), open=open_, start=start, end=end, applies=applies,
                     deadline=deadline,
                     loops={k: np.where(applies[k], v, 0) for k, v in draws.loops.items()},
                     first_day=first_day)
    return ExactRun(schedule=sched, events=events, steps=ev_steps, late=ev_late,
                    retries=retries)
