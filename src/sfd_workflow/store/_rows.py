"""The rows a submit writes: an accepted event with its hash-chain link, a rejected attempt.

One place for both write paths (`EventStore.submit`, one event a transaction, and
`EventStore.submit_many`, a batch a transaction), so that they store exactly the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ._canonical import event_hash, event_text_around_gseq
from ._records import Attempt

__all__ = ["audit_row", "event_fields", "event_row", "hash_around_gseq", "hashed", "now"]

_HASHED = ("gseq", "unit", "seq", "event", "actor", "at", "payload", "late", "recorded_at")


def now() -> str:
    """The current time, UTC, ISO 8601 with microseconds (``recorded_at``, ``attempted_at``)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def event_row(attempt: Attempt, late: bool, seq: int, gseq: int, prev: str) -> dict[str, Any]:
    """The ``sfd_events`` row of accepted `attempt`: event `seq` of its unit, commit number
    `gseq`, chained to `prev` (the hash of the unit's event before it, or its genesis)."""
    row = event_fields(attempt, late, seq, prev)
    row["gseq"] = gseq
    row["hash"] = event_hash(prev, hashed(row))
    return row


def event_fields(attempt: Attempt, late: bool, seq: int, prev: str) -> dict[str, Any]:
    """`event_row` without ``gseq`` and ``hash``."""
    return {"unit": attempt.unit, "seq": seq, "event": attempt.event, "actor": attempt.actor,
            "at": attempt.at, "payload": attempt.payload, "late": bool(late),
            "recorded_at": now(), "prev_hash": prev}


def hash_around_gseq(row: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """The UTF-8 text `event_hash` hashes for `row` (`event_fields`: its commit number is not
    known yet), split around the commit number: ``pre + str(gseq) + post`` is the text for
    any ``gseq``. For a write that takes its commit number and computes its hash on the
    database server in one statement (PostgreSQL, `_submit.py`)."""
    parts = event_text_around_gseq(row["prev_hash"], hashed({**row, "gseq": 0}))
    if parts is None:  # event_fields always gives text, a bool and an int
        msg = f"not the columns of a stored event: {sorted(row)}"
        raise TypeError(msg)
    return parts[0].encode("utf-8"), parts[1].encode("utf-8")


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
