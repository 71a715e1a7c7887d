"""Default step durations read from the spec's own plan: its dues and phase windows.

A spec says when each step should be done (the ``due`` of the transition completing it,
else the latest ``due`` on its route, else the end of its phase's window: the step's
*deadline*, `_shape.KindRoute.deadline`). Without a model file, each step is planned to end
near that deadline: walking the steps in dependency order on the working-day calendar,

* a step is planned to *open* the working day after the steps in its ``after`` are planned
  to end (the campaign's start when it has none), and not before its phase window opens
  when the model waits for windows (``wait_for_window``);
* its work is planned from the latest of that day and the planned end of any step whose
  record it waits for (a gate, `_shape.Gate`);
* the working days available until its deadline, ``A``, are shared with the steps after it
  that must be done by the same deadline (``m`` steps on the longest such chain, itself
  included): its duration is lognormal with median ``0.75·A/m`` and 90th percentile 1.4
  times that (at least one day) — so the median unit ends with time to spare and a few
  units need longer;
* a step with no deadline (a spec without dates) takes a median of 6 working days (90th
  percentile 8.4): the same relative spread;
* every step: 5% of units start 1-5 working days late; a step with a return transition
  (a revision loop) sends 15% of submissions back, each revision 2-8 working days.

The planned end of a step, from which the steps after it are planned, is its planned start
plus 1.2 times the median duration: the latest of several steps is later than the median
of each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sfd_workflow._spec._model import Spec
from sfd_workflow.sim._calendar import CalendarKind, WorkCalendar
from sfd_workflow.sim._dist import Dist
from sfd_workflow.sim._shape import shape_of

__all__ = ["LATE_START", "LOOP", "UNDATED_MEDIAN", "campaign_calendar", "planned_durations",
           "spread"]

#: the spread of a step's duration around its median: p90 = SPREAD x median
SPREAD = 1.4
#: share of the available working days the median unit takes
_SHARE = 0.75
#: the planned end of a step, for the steps after it: this many median durations
_LATEST = 1.2
UNDATED_MEDIAN = 6.0
#: the default late start and revision loop of a derived plan: (p, delay or revision)
LATE_START = (0.05, Dist("triangular", (1.0, 2.0, 5.0)))
LOOP = (0.15, Dist("triangular", (2.0, 4.0, 8.0)))


def spread(median: float) -> Dist:
    """A lognormal duration with this median and the plan's relative spread."""
    m = max(1.0, median)
    return Dist("lognormal", (m, m * SPREAD))


def campaign_calendar(spec: Spec, kind: CalendarKind, start: dt.date) -> tuple[WorkCalendar, int]:
    """The working-day calendar covering the campaign from `start` to its last date, and the
    day number of the first working day on or after `start`."""
    dates = [start]
    if spec.period is not None:
        dates.append(spec.period.end)
    dates += [t.due for _, t in spec.transitions() if t.due]
    dates += [p.window.end for p in spec.phases if p.window]
    cal = WorkCalendar.for_campaign(kind, start, max(dates))
    return cal, int(cal.on_or_after(cal.day(start)))


def planned_durations(spec: Spec, cal: WorkCalendar, first_day: int, *,
                      wait_for_window: bool) -> tuple[Mapping[str, Dist], frozenset[str]]:
    """The planned duration of every step, and the steps with a revision loop (see the
    module docstring)."""
    shape = shape_of(spec)
    first = int(cal.index_on_or_after(first_day))
    last = len(cal.workdays) - 1
    end: dict[str, float] = {}
    out: dict[str, Dist] = {}
    loops: set[str] = set()
    deadline: dict[str, int | None] = {}
    for sid in shape.order:
        dls = [r.deadline for k in spec.unit_kinds
               if not (r := shape.route(k, sid)).skipped and r.deadline is not None]
        deadline[sid] = cal.day(max(dls)) if dls else None
    chain = _chains(spec, shape.order, deadline)
    for sid in shape.order:
        step = spec.step_by_id[sid]
        opened = max([first - 1, *(end[a] for a in step.after)]) + 1
        window = spec.phase_of_step[sid].window
        if wait_for_window and window is not None:
            opened = max(opened, int(cal.index_on_or_after(cal.day(window.start))))
        routes = [r for k in spec.unit_kinds if not (r := shape.route(k, sid)).skipped]
        if any(r.back is not None for r in routes):
            loops.add(sid)
        ready = float(opened)
        for r in routes:
            for gate in r.gates:
                for p in gate.record_steps:
                    ready = max(ready, end.get(p, ready) + 1)
        day = deadline[sid]
        if day is not None:
            dl = int(cal.workdays.searchsorted(day, side="right")) - 1
            median = _SHARE * max(1.0, min(dl, last) - ready + 1) / chain[sid]
        else:
            median = UNDATED_MEDIAN
        out[sid] = spread(median)
        end[sid] = ready + _LATEST * max(1.0, median)
    return out, frozenset(loops)


def _chains(spec: Spec, order: tuple[str, ...], deadline: Mapping[str, int | None]
            ) -> dict[str, int]:
    """Per step: the steps on the longest chain from it (itself included) through steps
    after it whose deadline is not later than its own."""
    after: dict[str, list[str]] = {s: [] for s in order}
    for s in order:
        for a in spec.step_by_id[s].after:
            after[a].append(s)
    out: dict[str, int] = {}
    for s in reversed(order):
        mine = deadline[s]
        nxt = [out[t] for t in after[s] if mine is not None and (d := deadline[t]) is not None
               and d <= mine]
        out[s] = 1 + max(nxt, default=0)
    return out
