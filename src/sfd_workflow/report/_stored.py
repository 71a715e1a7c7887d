"""Judging the events of a store some units of which moved to another spec version.

After `store migrate` (docs/migration.md), a unit's stored events before its latest
migration entry were judged by an earlier version of the spec, and the entry holds the
state the unit moved to. A page is built around one `Runtime` of one version, so a report
of a migrated store covers the units the store's current version (`EventStore.spec`)
judges: each starts from the state of its latest migration entry (as the store's replicas
do) and its later events are judged again by that version, as the store judged them. Its
earlier events are not judged again: they are counted (`Intake.earlier_version`) and kept in
the runtime's log with the verdict the store gave them (accepted, and its late flag), so the
page's late steps and unit histories are the store's. Units still on an earlier version (a
store some trees of which moved) are left out, named in the page (`Intake.left_out`), their
events counted as judged by an earlier version.

An ``as_of`` before an earlier-version event of a unit the page covers is refused: that
unit's state on that day is one of an earlier version, which a page of the current version
cannot show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sfd_workflow._compile import compile_workflow
from sfd_workflow._engine import LogEntry, Runtime
from sfd_workflow._eventlog import parse_at
from sfd_workflow._extras import require
from sfd_workflow._plan import spec_sha256
from sfd_workflow._spec._model import Roster
from sfd_workflow._verdict import ACCEPTED, ACCEPTED_LATE
from sfd_workflow.errors import ReportError, StoreError
from sfd_workflow.report._intake import Intake, Tally, cutoff

__all__ = ["judge_store"]


def judge_store(store: Any, moved: dict[str, Any], *,
                as_of: dt.date | None = None) -> tuple[Any, Intake]:
    """A `Runtime` of `store.spec` (keeping its log) over the units that version judges,
    each started from its latest migration entry, that judged their later events.

    Args:
        store: an open `EventStore`.
        moved: its moved units' latest migration entries (`EventStore.migrated()`).
        as_of: leave out events at or after the day after it (spec timezone).

    Raises:
        ReportError: `as_of` is before the campaign, or before an event of a unit of the
            page that an earlier version judged.
        StoreError: a migration entry cannot be used (the store was altered).
    """
    versions = require("sfd_workflow.store._versions", feature="a report from an event store",
                       extra="store")
    current = spec_sha256(store.spec)
    on = {u.id: moved[u.id].to if u.id in moved else store.spec_sha256
          for u in store.roster.units}
    covered = Roster(units=tuple(u for u in store.roster.units if on[u.id] == current),
                     source=store.roster.source)
    rt = Runtime(compile_workflow(store.spec), covered, keep_log=True)
    starts = {u.id: moved[u.id] for u in covered.units if u.id in moved}
    for unit, entry in starts.items():
        try:
            rt.restore(unit, entry.state())
        except (ValueError, KeyError, TypeError) as exc:
            msg = (f"the migration entry of unit {unit!r} (event {entry.seq}) cannot be "
                   f"used ({exc}): the store was altered; run verify")
            raise StoreError(msg) from None
    tz = rt.compiled.tz
    end = cutoff(store.spec, as_of, tz) if as_of is not None else None
    tally = Tally(rt, end)
    latest: dt.datetime | None = None  # of the earlier-version events of the page's units
    for row in store.stored_events():
        if row.event == versions.MIGRATION_EVENT:
            continue
        entry = starts.get(row.unit)
        if row.unit in covered.by_id and (entry is None or row.gseq > entry.gseq):
            tally.take(row.to_event())
            continue
        tally.count_earlier()
        if entry is not None:  # a unit of the page, before its move: as the store judged it
            rt.log.append(LogEntry(row.to_event(), ACCEPTED_LATE if row.late else ACCEPTED))
            at = parse_at(row.at, tz)
            if isinstance(at, dt.datetime) and (latest is None or at > latest):
                latest = at
    if end is not None and latest is not None and latest >= end:
        day = latest.astimezone(tz).date().isoformat()
        msg = (f"--as-of {as_of} is before units of the page moved to its spec version: "
               f"their events up to {day} were judged by an earlier version, which a page "
               f"of the current one cannot show; report as of {day} or later")
        raise ReportError(msg)
    left_out = tuple(u.id for u in store.roster.units if u.id not in covered.by_id)
    return rt, tally.intake(left_out)
