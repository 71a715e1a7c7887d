"""The fast engine: every unit's step dates at once, with numpy.

For each step in dependency order and each unit (all units of a kind in one array
operation), with day numbers on the working-day calendar:

* ``open``  = the first working day after every step in ``after`` is complete (the campaign's
  first working day when ``after`` is empty), and not before its phase window opens when
  the model waits for windows; a skipped step is complete when its ``after`` steps are
  (docs/format.md §4);
* ``start`` = ``open`` plus the late-start delay (working days);
* ``ready`` = the latest of ``start`` and the *gates* of the route before its last transition:
  a ``not_before`` date, children done (R21), another step's record (``Gate``);
* ``end``   = ``ready`` plus the working days of work (duration plus revisions), and no
  earlier than the gates of the completing transition.

A gate on a transition other than the completing one is passed the working day after what
it waits for (the unit tries in the morning, the awaited step completes in the afternoon);
the completing transition may pass it on the same day. The exact engine fires real events
under the same rules, so both engines agree (tests/test_sim_agreement.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs
import numpy as np
import numpy.typing as npt

from sfd_workflow._spec._model import Spec
from sfd_workflow.sim._calendar import WorkCalendar
from sfd_workflow.sim._draws import Draws
from sfd_workflow.sim._errors import SimulationError
from sfd_workflow.sim._rosters import UnitArrays
from sfd_workflow.sim._shape import Gate, SpecShape

__all__ = ["Schedule", "schedule"]

IntArray = npt.NDArray[np.int64]


@attrs.frozen(kw_only=True, eq=False)
class Schedule:
    """Per step, arrays over units of day numbers: open, start, end; and deadlines.

    ``start`` and ``end`` of a skipped step are its completion (``end``) time, and
    ``applies`` is False there. ``deadline`` is -1 where a step has none.
    """

    steps: tuple[str, ...]
    open: Mapping[str, IntArray]
    start: Mapping[str, IntArray]
    end: Mapping[str, IntArray]
    applies: Mapping[str, npt.NDArray[np.bool_]]
    deadline: Mapping[str, IntArray]
    loops: Mapping[str, IntArray]
    first_day: int


def _after_end(step_after: tuple[str, ...], end: Mapping[str, IntArray], n: int,
               sentinel: int) -> IntArray:
    out = np.full(n, sentinel, dtype=np.int64)
    for a in step_after:
        np.maximum(out, end[a], out=out)
    return out


def schedule(spec: Spec, shape: SpecShape, units: UnitArrays, draws: Draws, cal: WorkCalendar,
             first_day: int, opens: Mapping[str, int] | None = None,
             progress: Callable[[int], None] | None = None) -> Schedule:
    """Compute the dates of every unit and step (see the module docstring).

    Args:
        first_day: the day number the campaign reaches units (a working day).
        opens: per step, a working day it opens no earlier than (its phase window's start).
        progress: called with 1 as each step is scheduled.
    """
    n = len(units)
    sentinel = first_day - 1
    order_index = {s: i for i, s in enumerate(shape.order)}
    kinds = units.kind
    names = units.kind_names
    by_kind = [np.flatnonzero(kinds == c) for c in range(len(names))]
    depth = units.depth
    parent = units.parent
    levels = [np.flatnonzero(depth == d) for d in range(int(depth.max(initial=0)), -1, -1)]
    open_: dict[str, IntArray] = {}
    start: dict[str, IntArray] = {}
    end: dict[str, IntArray] = {}
    applies: dict[str, npt.NDArray[np.bool_]] = {}
    deadline: dict[str, IntArray] = {}

    for sid in shape.order:
        step = spec.step_by_id[sid]
        done_before = _after_end(step.after, end, n, sentinel)
        op = cal.next_after(done_before)
        if opens and sid in opens:
            np.maximum(op, opens[sid], out=op)
        st = np.zeros(n, dtype=np.int64)
        en = np.zeros(n, dtype=np.int64)
        ap = np.ones(n, dtype=np.bool_)
        dl = np.full(n, -1, dtype=np.int64)
        ready_bound = np.full(n, sentinel, dtype=np.int64)
        final_bound = np.full(n, sentinel, dtype=np.int64)
        child_gates: list[tuple[npt.NDArray[np.intp], Gate]] = []
        for code, kname in enumerate(names):
            idx = by_kind[code]
            if len(idx) == 0:
                continue
            route = shape.route(kname, sid)
            if route.skipped:
                ap[idx] = False
                st[idx] = en[idx] = done_before[idx]
                continue
            if route.deadline is not None:
                dl[idx] = cal.day(route.deadline)
            st[idx] = cal.add(op[idx], draws.late[sid][idx])
            for gate in route.gates:
                target = final_bound if gate.completing else ready_bound
                if gate.not_before is not None:
                    nb = int(cal.on_or_after(cal.day(gate.not_before)))
                    np.maximum.at(target, idx, nb)
                for p in gate.record_steps:
                    if order_index[p] > order_index[sid]:
                        msg = (f"step {sid!r} waits for step {p!r}, which comes later in the "
                               f"step order; the fast engine cannot schedule it")
                        raise SimulationError(msg)
                    same_day = gate.completing and order_index[p] < order_index[sid]
                    bound = end[p][idx] if same_day else cal.next_after(end[p][idx])
                    target[idx] = np.maximum(target[idx], bound)
                if gate.children:
                    for c in gate.children:
                        if order_index[c] > order_index[sid]:
                            msg = (f"step {sid!r} waits for the children's step {c!r}, which "
                                   f"comes later in the step order; the fast engine cannot "
                                   f"schedule it")
                            raise SimulationError(msg)
                    child_gates.append((idx, gate))
        work = draws.work[sid]
        if not child_gates:
            live = ap
            ready = np.maximum(st, ready_bound)
            en[live] = np.maximum(cal.add(ready[live], work[live]), final_bound[live])
        else:
            # parents after children: deepest level first, each level's ends bound its parents
            cb_ready = np.full(n, sentinel, dtype=np.int64)
            cb_final = np.full(n, sentinel, dtype=np.int64)
            gate_of = np.full(n, -1, dtype=np.int64)
            for gi, (idx, _) in enumerate(child_gates):
                gate_of[idx] = gi
            end[sid] = en  # filled level by level, read for children of the current step
            for level in levels:
                lv = level[ap[level]]
                ready = np.maximum(st[lv], np.maximum(ready_bound[lv], cb_ready[lv]))
                en[lv] = np.maximum(cal.add(ready, work[lv]),
                                    np.maximum(final_bound[lv], cb_final[lv]))
                sk = level[~ap[level]]
                en[sk] = st[sk]
                has_parent = level[parent[level] >= 0]
                if len(has_parent) == 0:
                    continue
                par = parent[has_parent]
                for gi, (_, gate) in enumerate(child_gates):
                    sel = gate_of[par] == gi
                    if not sel.any():
                        continue
                    kids, kp = has_parent[sel], par[sel]
                    done = np.full(len(kids), sentinel, dtype=np.int64)
                    for c in gate.children:
                        np.maximum(done, end[c][kids], out=done)
                    if gate.completing:
                        np.maximum.at(cb_final, kp, done)
                    else:
                        np.maximum.at(cb_ready, kp, cal.next_after(done))
        open_[sid], start[sid], end[sid], applies[sid], deadline[sid] = op, st, en, ap, dl
        if progress is not None:
            progress(1)
    return Schedule(steps=tuple(s.id for s in spec.steps), open=open_, start=start, end=end,
                    applies=applies, deadline=deadline,
                    loops={k: np.where(applies[k], v, 0) for k, v in draws.loops.items()},
                    first_day=first_day)
