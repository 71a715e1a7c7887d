"""`status`: one progress row per unit (current steps, overdue steps, what blocks them)."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .._eventlog import parse_at
from .._spec._model import Roster, Spec

__all__ = ["UnitStatus", "outside_counts", "unit_status"]


@attrs.frozen(kw_only=True)
class UnitStatus:
    """Where one unit stands in the campaign."""

    unit: str
    kind: str
    done: int
    """Steps complete (steps its kind skips are not counted)."""
    total: int
    """Steps that apply to its kind."""
    current: tuple[str, ...]
    """Open steps that are not complete: where the unit is now."""
    overdue: tuple[str, ...]
    """Current steps with a transition out of their state whose due date has passed."""
    waiting: Mapping[str, str]
    """For each current step no person of the unit can move now: the first unmet
    requirement (``event: reason: sentence``) of the closest event."""
    events: int
    """Accepted events so far."""
    last_at: str | None
    """The time of its last accepted event."""
    outside_window: int = 0
    """Accepted events outside a phase window (or the period) that asks for a flag: counted,
    never refused (docs/format.md, the window flag)."""

    @property
    def complete(self) -> bool:
        """True when every step that applies to the unit is complete."""
        return self.done == self.total

    def to_json(self) -> dict[str, Any]:
        """The row as a JSON object."""
        return {"unit": self.unit, "kind": self.kind, "done": self.done, "total": self.total,
                "current": list(self.current), "overdue": list(self.overdue),
                "waiting": dict(self.waiting), "events": self.events,
                "last_at": self.last_at, "outside_window": self.outside_window}


def _due_passed(due: dt.date, as_of: dt.datetime, tz: dt.tzinfo) -> bool:
    # docs/format.md §4: late from 00:00 of the day after the due date, spec timezone.
    return as_of >= dt.datetime.combine(due + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def outside_counts(compiled: Any, rows: Iterable[tuple[str, str, str]]) -> Counter[str]:
    """Per unit, the stored events (unit, event, at) outside their step's flagged windows:
    the flag the runtime gave each when it accepted it (`Verdict.outside_window`)."""
    out: Counter[str] = Counter()
    windows = {name: cs.window for name, cs in compiled.event_step.items()}
    tz = compiled.tz
    for unit, event, at in rows:
        window = windows.get(event)
        if window is None or window == (-math.inf, math.inf):
            continue
        when = parse_at(at, tz)
        if isinstance(when, dt.datetime) and not window[0] <= when.timestamp() < window[1]:
            out[unit] += 1
    return out


def unit_status(spec: Spec, roster: Roster, rt: Any, unit: str, as_of: dt.datetime | None,
                *, events: int, outside: int = 0) -> UnitStatus:
    """The status of `unit` read from runtime `rt` at `as_of` (default now); `events` is
    its number of accepted events."""
    tz = zoneinfo.ZoneInfo(spec.timezone)
    when = dt.datetime.now(tz) if as_of is None else as_of
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    u = roster.by_id[unit]
    state = rt.state(unit)
    last = rt.last_at(unit)
    if last is not None and when < last:
        when = last  # judging "what blocks" before the last event would only say out_of_order
    applicable = [s for s in spec.steps if not rt.is_skipped(unit, s.id)]
    done = sum(1 for s in applicable if rt.is_complete(unit, s.id))
    current = [s for s in applicable
               if rt.is_open(unit, s.id) and not rt.is_complete(unit, s.id)]
    overdue, waiting = [], {}
    for s in current:
        leaving = [t for t in s.transitions if state[s.id] in t.sources]
        if any(t.due is not None and _due_passed(t.due, when, tz) for t in leaving):
            overdue.append(s.id)
        ready, best = False, None
        for event in dict.fromkeys(t.event for t in leaving):
            for p in u.people:
                ex = rt.explain(unit, event, p.id, at=when)
                if ex.allowed:
                    ready = True
                    break
                if best is None or len(ex.unmet) < len(best[1].unmet):
                    best = (event, ex)
            if ready:
                break
        if not ready and best is not None:
            req = best[1].unmet[0]
            waiting[s.id] = f"{best[0]}: {req.reason}: {req.en}"
    return UnitStatus(unit=unit, kind=u.kind, done=done, total=len(applicable),
                      current=tuple(s.id for s in current), overdue=tuple(overdue),
                      waiting=waiting, events=events,
                      last_at=None if last is None else last.isoformat(),
                      outside_window=outside)
