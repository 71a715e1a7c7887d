"""The values a store hands out (stored events, audit entries) and the roster's document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .._eventlog import load_json
from .._spec._model import Roster
from ._canonical import canonical_json

__all__ = ["Attempt", "AuditEntry", "StoredEvent", "prepare", "roster_document"]

_KEYS = ("unit", "event", "actor", "at")


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
        """The event as an event-log line holds it (SPEC-FORMAT §3)."""
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


def _encodable(text: str) -> str:
    """`text` with lone surrogates (and bytes that were not UTF-8) written as escapes: what an
    audit row can hold (the verdict of such an event is malformed, SPEC-FORMAT §3)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _field(m: Mapping[str, Any], key: str) -> str | None:
    v = m.get(key)
    return _encodable(v) if isinstance(v, str) else None


def prepare(event: Mapping[str, Any] | str) -> Attempt:
    """Read a submitted event (a mapping or one JSON Lines line) without judging it."""
    if isinstance(event, str):
        parsed = load_json(event)  # the core's one reader of event lines (bounded)
        if not isinstance(parsed, dict):
            return Attempt(judged=event, raw=_encodable(event))
        return attrs.evolve(prepare(parsed), judged=event, raw=_encodable(event))
    if not isinstance(event, Mapping):
        return Attempt(judged=event, raw=repr(event))
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
    return Attempt(judged=event, raw=_encodable(raw if raw is not None else repr(event)),
                   payload=payload_json, storable=storable, **fields)


def roster_document(roster: Roster) -> dict[str, Any]:
    """The roster as a document ``roster_from_document`` reads back (SPEC-FORMAT §2)."""
    return roster.to_document()
