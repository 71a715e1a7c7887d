"""Canonical JSON and the per-unit hash chain (tamper evidence, issue 6 §4).

Canonical JSON is the one spelling of a JSON value this store hashes: keys sorted, no
insignificant whitespace, UTF-8 text kept as is (``ensure_ascii=False``), no NaN or infinity.
Dates that YAML gives for a spec (``period: {start: 2009-03-01}``) are written as ISO strings,
which the spec loader reads back as the same dates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical_json", "event_hash", "genesis_hash", "sha256_hex"]


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


def genesis_hash(spec_sha256: str, unit: str) -> str:
    """The hash a unit's chain starts from: it ties the chain to the spec the store judges by."""
    return sha256_hex(canonical_json({"genesis": "sfd-workflow/1", "spec": spec_sha256,
                                      "unit": unit}))


def event_hash(prev: str, row: Mapping[str, Any]) -> str:
    """The link of one stored event: SHA-256 of the canonical JSON of the row and `prev`.

    `row` holds every stored column of the event except its own hash (`gseq`, `seq`, `unit`,
    `event`, `actor`, `at`, `payload`, `late`, `recorded_at`), so editing any of them, or
    moving the event to another place in its unit's history or in the commit order, breaks
    the chain from that event on.
    """
    return sha256_hex(canonical_json({"prev": prev, "event": dict(row)}))
