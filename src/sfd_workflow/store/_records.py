"""The values a store hands out (stored events, audit entries) and the roster's document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from .._eventlog import event_id, load_json, parse_at
from .._spec._model import Roster
from .._verdict import Reason, Requirement
from ..errors import StoreError
from . import _schema as t
from ._canonical import audit_hash, canonical_json

__all__ = ["MAX_SKEW", "Attempt", "AuditEntry", "StoredEvent", "append_audit", "from_future",
           "prepare", "roster_document", "utc_now"]

#: How far after the store's clock an event may be dated before it is rejected as `future`.
MAX_SKEW = dt.timedelta(minutes=10)

_KEYS = ("unit", "event", "actor", "at")
_IDS = ("unit", "actor")


@attrs.frozen(kw_only=True)
class StoredEvent:
    """One accepted event as stored: the event itself, its place, and its hash-chain link."""

    gseq: int
    """Its place in the commit order of the whole store (1, 2, ...)."""
    unit: str
    seq: int
    """Its place in its unit's history (1, 2, ...)."""
    event: str
    actor: str
    at: str
    """The event's time exactly as submitted (ISO 8601)."""
    payload: Mapping[str, Any]
    late: bool
    recorded_at: str
    """When the store committed it (UTC, ISO 8601)."""
    prev_hash: str
    hash: str

    def to_event(self) -> dict[str, Any]:
        """The event as an event-log line holds it (docs/format.md §3)."""
        return {"unit": self.unit, "event": self.event, "actor": self.actor, "at": self.at,
                "payload": dict(self.payload)}


@attrs.frozen(kw_only=True)
class AuditEntry:
    """One rejected attempt: who tried what, when, and why it was refused."""

    id: int
    attempted_at: str
    """When the store judged it (UTC, ISO 8601)."""
    unit: str | None
    event: str | None
    actor: str | None
    at: str | None
    payload: str | None
    """The payload as canonical JSON, when the attempt had a JSON object as payload."""
    raw: str
    """The attempt as given: its canonical JSON, or the line, or its ``repr``."""
    reason: str
    unit_seq: int | None
    """The number of accepted events of the unit it was judged against."""
    after_gseq: int
    """The commit counter when it was judged: its place among the accepted events."""
    prev_hash: str | None = None
    """The hash of the audit row before it (schema version 4: the audit rows are chained)."""
    hash: str | None = None
    """Its link in the audit chain (see `EventStore.verify`)."""


@attrs.frozen(kw_only=True)
class Attempt:
    """An event as handed to ``submit``, read just enough to route it and to audit it."""

    judged: Any
    """What the runtime judges: the mapping, or the line when it is not a JSON object."""
    raw: str
    unit: str | None = None
    event: str | None = None
    actor: str | None = None
    at: str | None = None
    payload: str | None = None
    """Canonical JSON of the payload (``{}`` when absent or null), None when not an object."""
    storable: bool = False
    """True when every field is a string and the payload a JSON object: it can be stored."""
    id: Any = None
    """The event's optional ``"id"`` as given (None when absent); the store checks it."""


def _encodable(text: str) -> str:
    """`text` with lone surrogates (and bytes that were not UTF-8) written as escapes: what an
    audit row can hold (the verdict of such an event is malformed, docs/format.md §3)."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _repr(value: Any) -> str:
    try:
        return repr(value)
    except RecursionError:
        return f"<a {type(value).__name__} nested too deep to show>"


def _field(m: Mapping[str, Any], key: str) -> str | None:
    """Field `key` of an event as stored: text the database can hold; the unit and the actor
    as they are judged (`event_id`: normal form C)."""
    v = m.get(key)
    if not isinstance(v, str):
        return None
    return _encodable(event_id(v) if key in _IDS else v)


def prepare(event: Mapping[str, Any] | str) -> Attempt:
    """Read a submitted event (a mapping or one JSON Lines line) without judging it: text the
    database cannot hold (lone surrogates) is escaped; what JSON cannot hold (NaN, a set,
    nesting too deep) makes it not storable."""
    if isinstance(event, str):
        parsed = load_json(event)  # the core's one reader of event lines (bounded)
        if not isinstance(parsed, dict):
            return Attempt(judged=event, raw=_encodable(event))
        # A storable line is judged as the mapping it holds: the same verdict, one parse.
        return _read(parsed, event)
    if not isinstance(event, Mapping):
        return Attempt(judged=event, raw=_encodable(_repr(event)))
    return _read(event, None)


def _read(event: Mapping[str, Any], line: str | None) -> Attempt:
    raw = line
    if raw is None:
        try:
            raw = canonical_json(event)
        except (TypeError, ValueError, RecursionError):
            raw = None
    fields = {k: _field(event, k) for k in _KEYS}
    payload = event.get("payload")
    payload_json: str | None = None
    if payload is None or isinstance(payload, Mapping):
        try:
            payload_json = _encodable(canonical_json({} if payload is None else payload))
        except (TypeError, ValueError, RecursionError):
            payload_json = None
    storable = raw is not None and payload_json is not None and None not in fields.values()
    return Attempt(judged=event if storable or line is None else line,
                   raw=_encodable(raw if raw is not None else _repr(event)),
                   payload=payload_json, storable=storable, id=event.get("id"), **fields)


def utc_now() -> dt.datetime:
    """The store's default clock: the current time, UTC."""
    return dt.datetime.now(dt.UTC)


def from_future(attempt: Attempt, now: dt.datetime, skew: dt.timedelta | None,
                tz: dt.tzinfo) -> Requirement | None:
    """Why the attempt is ``future`` — its ``at`` is more than `skew` after `now` (a time
    without an offset is in the spec's timezone `tz`) — or None: not from the future, `skew`
    None, or an ``at`` that does not read as a date-time (the runtime finds it malformed)."""
    at = parse_at(attempt.at, tz) if skew is not None else None
    if not isinstance(at, dt.datetime) or skew is None or at - now <= skew:
        return None
    minutes = f"{skew.total_seconds() / 60:g}"
    clock = now.isoformat(timespec="seconds")
    return Requirement(Reason.FUTURE,
                       f"“at” {attempt.at} 晚于存储时钟 {clock} 超过 {minutes} 分钟",
                       f"'at' {attempt.at} is more than {minutes} minutes after the store's "
                       f"clock ({clock})")


def roster_document(roster: Roster) -> dict[str, Any]:
    """The roster as a document ``roster_from_document`` reads back (docs/format.md §2)."""
    return roster.to_document()


_AUDIT_HEAD = (sa.select(t.meta.c.value).where(t.meta.c.key == "audit_head")
               .with_for_update())
_SET_AUDIT_HEAD = (t.meta.update().where(t.meta.c.key == "audit_head")
                   .values(value=sa.bindparam("head")))


def chain_audit(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (rejected attempts, in order) numbered and linked onto the audit chain, whose
    head (``sfd_meta`` ``audit_head``) is locked until commit and moved past them, so rows
    are chained, and numbered, in commit order. The caller inserts the rows returned, in the
    same transaction.

    Raises:
        StoreError: the head is missing or unreadable (the store was altered).
    """
    head = t.read_audit_head(conn.execute(_AUDIT_HEAD).scalar())
    if head is None:
        msg = "the head of the audit chain (sfd_meta audit_head) is missing or edited: run verify"
        raise StoreError(msg)
    last, prev = head
    out: list[dict[str, Any]] = []
    for row in rows:
        last += 1
        full = {**row, "id": last}
        link = audit_hash(prev, full)
        out.append({**full, "prev_hash": prev, "hash": link})
        prev = link
    conn.execute(_SET_AUDIT_HEAD, {"head": t.audit_head_text(last, prev)})
    return out


def append_audit(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """Append one rejected attempt to ``sfd_audit`` and to the audit chain, in the caller's
    transaction (see `chain_audit`)."""
    conn.execute(t.audit.insert(), chain_audit(conn, [row]))
