"""Event ids (schema version 3): a retried event is answered, not stored twice.

An event may carry an optional ``"id"`` (a string of 1 to 128 characters; a format-1
extension, see docs/format.md). The store keeps each id once, in ``sfd_ids``, with the verdict
its event got and a digest of the event without its id, written in the transaction that
stores the event (or audits the rejected attempt). Submitting an id already there:

- with the same event (same digest): the stored verdict comes back as a `StoredVerdict`
  whose ``duplicate_of`` names what was stored; nothing is judged or written;
- with another event: a `StoredVerdict` rejected as ``malformed`` whose ``conflict`` names
  the event that holds the id; the attempt is audited (it is bad input), the id keeps its
  event.

An id that is not such a string makes the event ``malformed`` (audited, its id not kept).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from .._eventlog import event_id
from .._verdict import Reason, Verdict
from . import _schema as t
from ._canonical import canonical_json, sha256_hex
from ._records import Attempt

__all__ = ["MAX_ID", "StoredVerdict", "answer", "check_id", "event_digest", "id_row",
           "known_ids"]

#: The longest event id the store keeps.
MAX_ID = 128

_LOOKUP = sa.select(t.ids).where(t.ids.c.id.in_(sa.bindparam("ids", expanding=True)))


@attrs.frozen
class StoredVerdict(Verdict):
    """A verdict the store answers from an event id without judging the event again."""

    duplicate_of: str | None = None
    """The event was submitted before under its id: what holds it (``"event 17"``, its
    commit number, or ``"rejected attempt after event 17"``); nothing new was stored."""
    conflict: str | None = None
    """The id is held by another event (this one was refused): which one, in words."""

    def to_json(self) -> dict[str, object]:
        """The verdict's fields as in a `replay` output line, with the id's answer."""
        out = Verdict.to_json(self)
        if self.duplicate_of is not None:
            out["duplicate_of"] = self.duplicate_of
        if self.conflict is not None:
            out["conflict"] = self.conflict
        return out


def check_id(attempt: Attempt) -> bool:
    """True when `attempt` has no id, or an id the store can keep."""
    value = attempt.id
    return value is None or (isinstance(value, str) and 0 < len(value) <= MAX_ID)


def event_digest(attempt: Attempt) -> str:
    """SHA-256 of the event without its id (an absent or null payload counts as ``{}``; the
    unit and the actor in normal form C, as they are judged)."""
    judged = attempt.judged
    if isinstance(judged, str):  # a line holding a JSON object: prepare read it
        judged = json.loads(judged)
    body = {k: v for k, v in judged.items() if k != "id"}
    for key in ("unit", "actor"):  # as judged: one event however its ids are typed
        if isinstance(body.get(key), str):
            body[key] = event_id(body[key])
    if body.get("payload") is None:
        body["payload"] = {}
    try:
        text = canonical_json(body)
    except (TypeError, ValueError):
        text = repr(sorted(body.items(), key=lambda kv: str(kv[0])))
    return sha256_hex(text)


def _where(accepted: bool, gseq: int) -> str:
    return f"event {gseq}" if accepted else f"rejected attempt after event {gseq}"


def id_row(attempt: Attempt, digest: str, verdict: Verdict, gseq: int) -> dict[str, Any]:
    """The ``sfd_ids`` row of `attempt`: `gseq` is its event's commit number (accepted) or
    its audit row's ``after_gseq`` (rejected)."""
    return {"id": attempt.id, "digest": digest, "unit": attempt.unit,
            "accepted": verdict.accepted,
            "reason": None if verdict.reason is None else str(verdict.reason),
            "late": bool(verdict.late), "gseq": gseq}


def known_ids(conn: sa.Connection, ids: Iterable[str]) -> dict[str, Mapping[str, Any]]:
    """The stored ``sfd_ids`` rows of `ids`."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {row.id: row._asdict() for row in conn.execute(_LOOKUP, {"ids": wanted})}


def answer(attempt: Attempt, digest: str, row: Mapping[str, Any]) -> StoredVerdict:
    """The verdict for `attempt` whose id is already held by `row` (an ``sfd_ids`` row)."""
    where = _where(bool(row["accepted"]), int(row["gseq"]))
    if row["digest"] != digest:
        what = f"unit {row['unit']!r}, " if row["unit"] is not None else ""
        return StoredVerdict(False, Reason.MALFORMED, False,
                             conflict=f"id {attempt.id!r} is already held by another event "
                                      f"({what}{where})")
    reason = None if row["reason"] is None else Reason(row["reason"])
    return StoredVerdict(bool(row["accepted"]), reason, bool(row["late"]), duplicate_of=where)
