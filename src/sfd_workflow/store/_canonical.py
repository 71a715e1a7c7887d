"""Canonical JSON and the per-unit hash chain (tamper evidence; docs/store.md).

Canonical JSON is the one spelling of a JSON value this store hashes: keys sorted, no
insignificant whitespace, UTF-8 text kept as is (``ensure_ascii=False``), no NaN or infinity.
Dates that YAML gives for a spec (``period: {start: 2009-03-01}``) are written as ISO strings,
which the spec loader reads back as the same dates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["AUDIT_HASHED", "CHAIN", "CHAIN_SPEC_ONLY", "audit_genesis", "audit_hash",
           "canonical_json", "chain_genesis", "event_hash", "event_hash_text",
           "event_text_around_gseq", "genesis_hash", "sha256_hex"]

#: The chain format of stores created since schema version 4: a unit's genesis hash covers
#: the spec's and the roster's SHA-256, so editing either breaks every chain.
CHAIN = "sfd-workflow/2"
#: The chain format of stores created before schema version 4 (kept on upgrade: rewriting
#: every hash would invalidate every anchor kept outside): the genesis covers the spec only.
CHAIN_SPEC_ONLY = "sfd-workflow/1"


def _default(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    msg = f"{type(value).__name__} is not a JSON value"
    raise TypeError(msg)


def canonical_json(value: Any) -> str:
    """The canonical JSON text of `value`.

    Raises:
        TypeError: `value` holds something JSON cannot hold.
        ValueError: `value` holds NaN or an infinity, or a circular reference.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=_default)


def sha256_hex(text: str) -> str:
    """The SHA-256 of `text` (UTF-8) as 64 lower-case hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def genesis_hash(spec_sha256: str, unit: str, roster_sha256: str | None = None) -> str:
    """The hash a unit's chain starts from: it ties the chain to the spec and the roster the
    store judges by (format `CHAIN`), or to the spec only (`roster_sha256` None: format
    `CHAIN_SPEC_ONLY`, stores created before schema version 4)."""
    if roster_sha256 is None:
        return sha256_hex(canonical_json({"genesis": CHAIN_SPEC_ONLY, "spec": spec_sha256,
                                          "unit": unit}))
    return sha256_hex(canonical_json({"genesis": CHAIN, "spec": spec_sha256,
                                      "roster": roster_sha256, "unit": unit}))


def chain_genesis(meta: Mapping[str, str]) -> Callable[[str], str]:
    """unit -> genesis hash, by the spec, roster and chain format recorded in `meta` (the
    ``sfd_meta`` table); an unknown or missing format is read as `CHAIN`."""
    spec = meta.get("spec_sha256", "")
    roster = None if meta.get("chain") == CHAIN_SPEC_ONLY else meta.get("roster_sha256", "")
    return lambda unit: genesis_hash(spec, unit, roster)


def audit_genesis(spec_sha256: str, roster_sha256: str) -> str:
    """The hash the chain of rejected attempts (``sfd_audit``) starts from."""
    return sha256_hex(canonical_json({"genesis": "sfd-workflow/audit-1", "spec": spec_sha256,
                                      "roster": roster_sha256}))


#: The columns of an audit row its hash covers: all but the hashes (``id`` included: it is the
#: row's place in the chain).
AUDIT_HASHED = ("id", "attempted_at", "unit", "event", "actor", "at", "payload", "raw",
                "reason", "unit_seq", "after_gseq")


def audit_hash(prev: str, row: Mapping[str, Any]) -> str:
    """The link of one audit row (``sfd_audit``): SHA-256 of the canonical JSON of `prev` and
    the row's `AUDIT_HASHED` columns."""
    return sha256_hex(canonical_json({"prev": prev,
                                      "audit": {k: row[k] for k in AUDIT_HASHED}}))


def event_hash(prev: str, row: Mapping[str, Any]) -> str:
    """The link of one stored event: SHA-256 of the canonical JSON of the row and `prev`.

    `row` holds every stored column of the event except its own hash (`gseq`, `seq`, `unit`,
    `event`, `actor`, `at`, `payload`, `late`, `recorded_at`), so editing any of them, or
    moving the event to another place in its unit's history or in the commit order, breaks
    the chain from that event on.
    """
    return sha256_hex(event_hash_text(prev, row))


def event_hash_text(prev: str, row: Mapping[str, Any]) -> str:
    """The text `event_hash` hashes (UTF-8): the canonical JSON of ``{"prev": prev,
    "event": row}``."""
    parts = event_text_around_gseq(prev, row)
    gseq = row.get("gseq")
    if parts is None or type(gseq) is not int:
        return canonical_json({"prev": prev, "event": dict(row)})
    return parts[0] + str(gseq) + parts[1]


#: The keys of a stored event's hashed columns, sorted (as canonical JSON writes them).
_EVENT_KEYS = frozenset(("actor", "at", "event", "gseq", "late", "payload", "recorded_at",
                         "seq", "unit"))
_string = json.encoder.encode_basestring  # what json.dumps writes for a str (ensure_ascii off)


def event_text_around_gseq(prev: str, row: Mapping[str, Any]) -> tuple[str, str] | None:
    """`event_hash_text` split around the commit number (``pre + str(gseq) + post``), put
    together without building the dictionaries (every stored event is hashed: this is the
    store's hot path), or None when `row` is not a stored event's columns of the usual types
    (text, ``late`` a bool, ``seq`` an int): its text is then `canonical_json`'s."""
    if row.keys() != _EVENT_KEYS or type(prev) is not str:
        return None
    texts = (row["actor"], row["at"], row["event"], row["payload"], row["recorded_at"],
             row["unit"])
    late, seq = row["late"], row["seq"]
    if type(late) is not bool or type(seq) is not int or \
            not all(type(x) is str for x in texts):
        return None
    actor, at, event, payload, recorded_at, unit = map(_string, texts)
    return (f'{{"event":{{"actor":{actor},"at":{at},"event":{event},"gseq":',
            f',"late":{"true" if late else "false"},"payload":{payload},'
            f'"recorded_at":{recorded_at},"seq":{seq},"unit":{unit}}},"prev":{_string(prev)}}}')
