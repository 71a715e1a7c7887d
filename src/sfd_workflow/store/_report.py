"""What `verify` reports (`BrokenLink`, `VerifyReport`) and the anchors it takes: a record of
every chain's head kept outside the database (`VerifyReport.anchor`, `read_anchor`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import StoreError

__all__ = ["ANCHOR_FORMAT", "AUDIT", "STORE", "BrokenLink", "Pin", "VerifyReport",
           "read_anchor"]

#: The `BrokenLink.unit` of a problem in the chain of rejected attempts (``sfd_audit``).
AUDIT = "*audit"
#: The `BrokenLink.unit` of a store-wide problem (spec, roster, counters).
STORE = "*"
#: Written into every anchor (`VerifyReport.anchor`).
ANCHOR_FORMAT = "sfd-workflow/anchor-2"


@attrs.frozen(kw_only=True)
class BrokenLink:
    """The first place a unit's stored history stops matching its hash chain."""

    unit: str
    seq: int | None
    """The unit's event number where the chain breaks (None: the unit as a whole)."""
    problem: str

    def __str__(self) -> str:
        if self.unit == AUDIT:
            where = "audit" if self.seq is None else f"audit row {self.seq}"
        else:
            where = self.unit if self.seq is None else f"{self.unit} event {self.seq}"
        return f"{where}: {self.problem}"


@attrs.frozen(kw_only=True)
class VerifyReport:
    """What `EventStore.verify` found. ``ok`` is true when nothing is broken."""

    units: int
    """Units checked."""
    events: int
    """Stored events checked."""
    broken: tuple[BrokenLink, ...]
    """The first broken link of every unit that has one, then store-wide problems."""
    digest: str
    """SHA-256 over the spec's and roster's hashes, the last hash of every unit's chain and
    the head of the audit chain: write it down (or publish it) to detect later a history
    rewritten with recomputed hashes."""

    heads: Mapping[str, tuple[int, str]] = attrs.field(factory=dict, repr=False)
    """Each unit's number of events and the hash of its last one."""
    audit_head: tuple[int, str] | None = None
    """The id and hash of the last audit row (id 0 and the audit genesis when there is none);
    None when the audit chain could not be read."""
    snapshots: int = 0
    """Persisted snapshots checked."""
    audit_rows: int = 0
    """Audit rows (rejected attempts) checked."""
    replayed: bool = False
    """True when every event was also judged again from the start (``verify(replay=True)``)
    and every snapshot compared with the replayed state."""

    def anchor(self) -> dict[str, Any]:
        """A JSON-ready record of every unit's head and the audit chain's head: keep it outside
        the database (print it, publish it) and pass it to ``verify(anchor=...)`` later. A
        history or audit truncated or rewritten since, even with every hash recomputed, or a
        spec or roster changed since, then fails to verify.

        ``{"format": "sfd-workflow/anchor-2", "units": {unit: [events, last hash]},
        "audit": [last id, last hash]}``; ``verify`` also takes the anchors of earlier
        versions (``{unit: [events, last hash]}``)."""
        out: dict[str, Any] = {"format": ANCHOR_FORMAT,
                               "units": {u: [n, h] for u, (n, h) in self.heads.items()}}
        if self.audit_head is not None:
            out["audit"] = list(self.audit_head)
        return out

    @property
    def ok(self) -> bool:
        """True when every chain, the spec, the roster and the counters check out."""
        return not self.broken

    def lines(self) -> list[str]:
        """The report as plain lines, first line a summary."""
        snaps = f", {self.snapshots} snapshots" if self.snapshots else ""
        snaps += f", {self.audit_rows} audit rows" if self.audit_rows else ""
        how = " and replayed" if self.replayed else ""
        head = (f"ok: {self.events} events of {self.units} units verified{how}{snaps}, "
                f"digest {self.digest}" if self.ok
                else f"BROKEN: {len(self.broken)} problem(s) in {self.events} events "
                f"of {self.units} units")
        return [head, *(str(b) for b in self.broken)]


Pin = tuple[int, str]


def _pin(where: str, value: Any) -> Pin:
    if (isinstance(value, list | tuple) and len(value) == 2 and type(value[0]) is int
            and value[0] >= 0 and isinstance(value[1], str)):
        return value[0], value[1]
    msg = f"not an anchor: {where} must be [a count >= 0, a hash], not {value!r:.80}"
    raise StoreError(msg)


def read_anchor(anchor: Any) -> tuple[dict[str, Pin], Pin | None]:
    """The unit pins and the audit pin of an anchor (`VerifyReport.anchor`, or the flat
    ``{unit: [events, hash]}`` of earlier versions).

    Raises:
        StoreError: `anchor` is not one of these shapes.
    """
    if anchor is None:
        return {}, None
    if not isinstance(anchor, Mapping):
        msg = ("not an anchor: expected the mapping report.anchor() returns, "
               f"not {type(anchor).__name__} {anchor!r:.60}")
        raise StoreError(msg)
    units: Any = anchor
    audit: Pin | None = None
    if isinstance(anchor.get("units"), Mapping):
        if anchor.get("format") != ANCHOR_FORMAT:
            msg = f"not an anchor: unknown format {anchor.get('format')!r:.60}"
            raise StoreError(msg)
        units = anchor["units"]
        if anchor.get("audit") is not None:
            audit = _pin("audit", anchor["audit"])
    pins: dict[str, Pin] = {}
    for unit, value in units.items():
        if not isinstance(unit, str):
            msg = f"not an anchor: unit {unit!r:.60} is not a string"
            raise StoreError(msg)
        pins[unit] = _pin(f"unit {unit!r:.60}", value)
    return pins, audit
