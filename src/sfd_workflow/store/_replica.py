"""In-memory replicas: the state a store judges against, rebuilt from its stored events.

A unit's events are judged against the unit's own state and, for ``children`` guards, its
child units' states (docs/format.md §1); judging a child in turn needs the grandchildren. So a
unit's *replica* is a `Runtime` over the unit's subtree of the roster (the unit with its
parent cut off, and every descendant), fed the subtree's accepted events in commit order.
That is an exact serial replay for those units: no unit outside the subtree is ever read by
a guard of a unit inside it.

A replica is kept between calls and brought up to date incrementally (`sync`). A new one
(a process opened the store, or a replica was thrown away) starts from the persisted
snapshots of its units (`_snapshots.py`) when there are usable ones, and replays only the
events after them. It is thrown away and rebuilt whenever it may hold an event the database
does not (a write that failed after the runtime accepted the event).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from .._spec._model import Roster
from ..errors import StoreError
from . import _schema as t

__all__ = ["Head", "Replica", "root_of", "subtree", "subtree_roster"]

#: A unit's last applied event: (seq, hash, gseq); (0, genesis hash, 0) before any.
Head = tuple[int, str, int]


_SINCE = (sa.select(t.events).where(t.events.c.gseq > sa.bindparam("gseq"))
          .order_by(t.events.c.gseq))
_SINCE_IN = _SINCE.where(t.events.c.unit.in_(sa.bindparam("units", expanding=True)))


def subtree(roster: Roster, unit: str) -> tuple[str, ...]:
    """`unit` and all its descendants, parents before children."""
    out = [unit]
    i = 0
    while i < len(out):
        out.extend(roster.children.get(out[i], ()))
        i += 1
    return tuple(out)


def root_of(roster: Roster, unit: str) -> str:
    """The root of `unit`'s tree in the roster."""
    by_id = roster.by_id
    while (parent := by_id[unit].parent) is not None:
        unit = parent
    return unit


def subtree_roster(roster: Roster, unit: str) -> Roster:
    """The roster of `unit`'s subtree, `unit` without its parent (a root)."""
    ids = set(subtree(roster, unit))
    units = tuple(attrs.evolve(u, parent=None) if u.id == unit else u
                  for u in roster.units if u.id in ids)
    return Roster(units=units, source=f"{roster.source}#{unit}")


class Replica:
    """A runtime over one unit's subtree, with what it has applied of the stored history."""

    def __init__(self, runtime: Any, units: tuple[str, ...], genesis: Mapping[str, str],
                 *, whole: bool,
                 start: Callable[[sa.Connection, Replica], int] | None = None) -> None:
        self.rt = runtime
        self.units = units
        self.whole = whole  # the subtree is the whole roster: no unit filter needed
        #: Every subtree event up to this commit number has been applied (and, per unit, every
        #: event up to its head: a unit restored from a snapshot is ahead of this point).
        self.gseq = 0
        #: unit -> (seq, hash, gseq) of the last event applied
        self.heads: dict[str, Head] = {u: (0, genesis[u], 0) for u in units}
        self.broken = False
        #: The last write judged here met no race: the next one may skip the catch-up read.
        self.quiet = False
        self._start = start  # restores the units from snapshots before the first sync
        self.restored = 0
        """How many of the subtree's units started from a snapshot."""

    def sync(self, conn: sa.Connection, clock: int | None = None) -> None:
        """Apply the subtree's events committed since the last sync, in commit order.

        `clock`: the commit counter, when the caller read it under the clock's lock (a
        batch): a replica that has applied everything up to it has nothing to read.

        Raises:
            StoreError: a stored event has a gap before it or is refused on replay: the
                stored history was altered (``verify()`` says where).
        """
        if self._start is not None:
            start, self._start = self._start, None
            try:
                self.restored = start(conn, self)
            except (TypeError, ValueError) as exc:  # a stored counter of the wrong type
                self.broken = True
                msg = (f"the store holds a value of the wrong type ({exc}): the store was "
                       "altered; run verify")
                raise StoreError(msg) from None
            except BaseException:
                self.broken = True
                raise
        if clock is not None and self.gseq >= clock:
            return
        if self.whole:
            rows = conn.execute(_SINCE, {"gseq": self.gseq})
        else:
            rows = conn.execute(_SINCE_IN, {"gseq": self.gseq, "units": list(self.units)})
        with rows:  # closed also when a row is refused (a server-side cursor, see status)
            for row in rows:
                self.apply(row)

    def apply(self, row: Any) -> None:
        """Apply one stored event (a row of ``sfd_events``: ``unit``, ``seq``, ``event``,
        ``actor``, ``at``, ``payload``, ``hash``, ``gseq``) unless it is applied already.

        Raises:
            StoreError: the event does not follow its unit's last one or is refused.
        """
        seq = self.heads[row.unit][0]
        if row.seq > seq + 1 or row.seq <= 0:
            self.broken = True
            msg = (f"stored history of unit {row.unit!r} jumps from event {seq} to "
                   f"{row.seq}: the store was altered; run verify")
            raise StoreError(msg)
        if row.seq == seq + 1:
            event = {"unit": row.unit, "event": row.event, "actor": row.actor,
                     "at": row.at, "payload": _payload(row)}
            verdict = self.rt.submit(event)
            if not verdict.accepted:
                self.broken = True
                msg = (f"stored event {row.seq} of unit {row.unit!r} ({row.event}) is "
                       f"refused on replay ({verdict.reason}): the store was altered or "
                       "judged by another spec; run verify")
                raise StoreError(msg)
            self.heads[row.unit] = (row.seq, row.hash, row.gseq)
        # row.seq <= seq: applied already (this replica judged and committed it itself,
        # see EventStore, or the unit was restored from a snapshot taken after it)
        self.gseq = row.gseq


def _payload(row: Any) -> dict[str, Any]:
    try:
        value = json.loads(row.payload)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        msg = (f"stored event {row.seq} of unit {row.unit!r} has a payload that is not a JSON "
               "object: the store was altered; run verify")
        raise StoreError(msg)
    return value
