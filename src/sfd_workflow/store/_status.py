"""`status`: one progress row per unit (current steps, overdue steps, what blocks them).

Each unit is read by the spec version it is judged by now (its tree's, after a `store
migrate` of some trees), and each stored event's window flag by the version that judged it.
A tree is read from the replica the store keeps for its root, or else from a replica built
for the call and dropped before the next tree: status holds one tree's state at a time
beyond what the store kept already.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from .._eventlog import parse_at
from .._spec._model import Roster, Spec
from ..errors import StoreError
from . import _schema as tables
from ._replica import subtree
from ._submit import why
from ._versions import MIGRATION_EVENT, JudgedBy

__all__ = ["UnitStatus", "outside_counts", "store_status", "unit_status"]


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


def outside_counts(judged_by: Callable[[str, int], Any],
                   rows: Iterable[tuple[str, str, str, int]]) -> Counter[str]:
    """Per unit, the stored events (unit, event, at, gseq) outside their step's flagged
    windows: the flag the runtime gave each when it accepted it (`Verdict.outside_window`),
    by the compiled spec ``judged_by(unit, gseq)`` that judged it."""
    out: Counter[str] = Counter()
    windows: dict[int, dict[str, Any]] = {}
    for unit, event, at, gseq in rows:
        compiled = judged_by(unit, gseq)
        known = windows.get(id(compiled))
        if known is None:
            known = windows[id(compiled)] = {
                name: cs.window for name, cs in compiled.event_step.items()}
        window = known.get(event)
        if window is None or window == (-math.inf, math.inf):
            continue
        when = parse_at(at, compiled.tz)
        if isinstance(when, dt.datetime) and not window[0] <= when.timestamp() < window[1]:
            out[unit] += 1
    return out


def store_status(store: Any, as_of: dt.datetime | None) -> list[UnitStatus]:
    """`EventStore.status`: a row per unit of `store`, in roster order."""
    rows: list[UnitStatus] = []
    try:
        with store._engine.connect() as conn:
            units, ev = tables.units.c, tables.events.c
            heads = dict(conn.execute(sa.select(units.unit, units.head_seq)).all())
            judged = JudgedBy(conn, store._compiled)
            stored = (sa.select(ev.unit, ev.event, ev.at, ev.gseq)
                      .where(ev.event != MIGRATION_EVENT))
            streamed = conn.execution_options(yield_per=5000)  # a server-side cursor
            outside = outside_counts(judged.compiled, streamed.execute(stored))
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot read {store.url}: {why(exc)}") from None
    roster = store.roster
    for root in (u.id for u in roster.units if u.parent is None):
        rt = _tree_runtime(store, root)  # a runtime of the version the tree is judged by
        rows.extend(unit_status(rt.spec, rt.roster, rt, uid, as_of,
                                events=judged.events(uid, heads.get(uid, 0)),
                                outside=outside[uid])
                    for uid in subtree(roster, root))
        del rt  # the next tree's replica replaces this one, unless the store keeps it
    order = {u.id: i for i, u in enumerate(roster.units)}
    return sorted(rows, key=lambda r: order[r.unit])


def _tree_runtime(store: Any, root: str) -> Any:
    """The up-to-date runtime of `root`'s tree: the store's replica when it keeps one (synced,
    and kept), else a replica of its own, read with a server-side cursor and not kept, so
    that status holds one tree's replica at a time beyond those the store had."""
    if root in store._replicas:
        return store.runtime(root)
    try:
        with store._lock_replicas, store._engine.connect() as conn:
            rep = store._new_replica(root)
            rep.sync(conn.execution_options(yield_per=5000))
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot read {store.url}: {why(exc)}") from None
    return rep.rt


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
