"""The rows a submit writes: an accepted event with its hash-chain link, a rejected attempt.

One place for both write paths (`EventStore.submit`, one event a transaction, and
`EventStore.submit_many`, a batch a transaction), so that they store exactly the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ._canonical import event_hash
from ._records import Attempt

__all__ = ["audit_row", "event_row", "hashed", "now"]

_HASHED = ("gseq", "unit", "seq", "event", "actor", "at", "payload", "late", "recorded_at")


def now() -> str:
    """The current time, UTC, ISO 8601 with microseconds (``recorded_at``, ``attempted_at``)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def event_row(attempt: Attempt, late: bool, seq: int, gseq: int, prev: str) -> dict[str, Any]:
    """The ``sfd_events`` row of accepted `attempt`: event `seq` of its unit, commit number
    `gseq`, chained to `prev` (the hash of the unit's event before it, or its genesis)."""
    row: dict[str, Any] = {"gseq": gseq, "unit": attempt.unit, "seq": seq,
                           "event": attempt.event, "actor": attempt.actor, "at": attempt.at,
                           "payload": attempt.payload, "late": bool(late),
                           "recorded_at": now()}
    row["prev_hash"] = prev
    row["hash"] = event_hash(prev, hashed(row))
    return row


def hashed(row: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of an ``sfd_events`` row its hash covers (all but the hashes)."""
    return {k: row[k] for k in _HASHED}


def audit_row(attempt: Attempt, reason: object, unit_seq: int | None,
              after: int) -> dict[str, Any]:
    """The ``sfd_audit`` row of rejected `attempt`, judged against its unit's event
    `unit_seq` and placed right after commit number `after` in the serial order."""
    return {"attempted_at": now(), "unit": attempt.unit, "event": attempt.event,
            "actor": attempt.actor, "at": attempt.at, "payload": attempt.payload,
            "raw": attempt.raw, "reason": str(reason), "unit_seq": unit_seq,
            "after_gseq": after}
