"""The per-unit part of `verify`: each unit's hash chain (genesis, previous-hash links,
event numbers, commit order, its event count in ``sfd_units``, the anchor's pin of it) and
its persisted snapshots, for every unit or for some (one part of a check split by root
subtree, `_dask`). The store-wide checks stay in `_verify.verify`, which reads what every
part needs (`UnitsAsk`) and puts the parts together (`merge`)."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from . import _schema as t
from ._canonical import chain_genesis, event_hash
from ._report import BrokenLink, Pin
from ._snapshots import digest_ok

__all__ = ["UnitsAsk", "UnitsPart", "check_units", "merge", "strangers"]

_HASHED = ("gseq", "unit", "seq", "event", "actor", "at", "payload", "late", "recorded_at")

#: (unit, seq) of a snapshot -> the stored event there: (gseq, hash, chain intact up to it)
Seen = dict[tuple[str, int], tuple[int, str, bool]]


@attrs.frozen(kw_only=True)
class UnitsAsk:
    """What the check of some units needs from the store-wide reading."""

    chain: Mapping[str, str]
    """What of ``sfd_meta`` the chains start from: ``spec_sha256``, ``roster_sha256`` and
    ``chain`` (see `chain_genesis`); the snapshot digests cover ``spec_sha256``."""
    heads: Mapping[str, Any]
    """Each unit of ``sfd_units`` checked -> its event count there (``head_seq``)."""
    pins: Mapping[str, Pin]
    """Each unit checked that the anchor has -> (events, last hash) it recorded."""

    def only(self, units: Collection[str]) -> UnitsAsk:
        """The same for `units` only (one part of a split check)."""
        return attrs.evolve(self, heads={u: h for u, h in self.heads.items() if u in units},
                            pins={u: p for u, p in self.pins.items() if u in units})


@attrs.frozen(kw_only=True)
class UnitsPart:
    """What the check of some units found."""

    chains: tuple[BrokenLink, ...]
    """The first broken link of each unit's chain that has one."""
    snapshots: tuple[BrokenLink, ...]
    """Each snapshot that would not be used."""
    events: int
    """Stored events of these units."""
    heads: Mapping[str, tuple[int, str]]
    """Each unit of ``sfd_units`` -> its stored events and the last hash of its chain."""
    gseqs: tuple[int, int | None, int | None]
    """The whole-number commit numbers of the units' events: how many, lowest, highest (a
    commit number is the primary key: parts never share one)."""
    snapshot_rows: int
    """Persisted snapshots of these units."""


def strangers(conn: sa.Connection, known: Collection[str]) -> set[str]:
    """The units with events or snapshots stored that are not in `known` (the roster)."""
    out: set[str] = set()
    for table in (t.events, t.snapshots):
        out.update(u for u in conn.execute(sa.select(table.c.unit).distinct()).scalars()
                   if u not in known)
    return out


def check_units(conn: sa.Connection, ask: UnitsAsk,
                units: Collection[str] | None = None) -> UnitsPart:
    """Check the chains and snapshots of `units` (None: every stored row); `ask` holds the
    event counts and pins of these units."""
    heads, pins = ask.heads, ask.pins
    genesis = chain_genesis(ask.chain)
    marked = sa.select(t.snapshots.c.unit, t.snapshots.c.seq)
    snaps = sa.select(t.snapshots).order_by(t.snapshots.c.unit, t.snapshots.c.seq)
    events = sa.select(t.events).order_by(t.events.c.unit, t.events.c.seq, t.events.c.gseq)
    if units is not None:
        listed = sorted(units)
        marked = marked.where(t.snapshots.c.unit.in_(listed))
        snaps = snaps.where(t.snapshots.c.unit.in_(listed))
        events = events.where(t.events.c.unit.in_(listed))
    marks: dict[str, set[int]] = {}
    for snap in conn.execute(marked):
        marks.setdefault(snap.unit, set()).add(snap.seq)
    seen: Seen = {}
    gseqs: set[int] = set()
    last: dict[str, tuple[int, str]] = {}
    chains: list[BrokenLink] = [
        BrokenLink(unit=u, seq=None, problem="the anchor has this unit, the store does not")
        for u in sorted(set(pins) - set(heads))]
    total = 0
    left = dict(heads)
    rows = conn.execution_options(yield_per=2000).execute(events)
    for unit, group in itertools.groupby(rows, key=lambda r: r.unit):
        if unit not in left:
            total += sum(1 for _ in group)
            chains.append(BrokenLink(unit=unit, seq=None,
                                     problem="events of a unit the store does not have"))
            continue
        n, last_hash, first = _unit_chain(unit, genesis(unit), group, left.pop(unit),
                                          pins.get(unit), gseqs, marks.get(unit), seen)
        last[unit] = (n, last_hash)
        total += n
        if first is not None:
            chains.append(first)
    for unit, head_seq in left.items():
        n, last_hash, first = _unit_chain(unit, genesis(unit), (), head_seq, pins.get(unit),
                                          gseqs)
        last[unit] = (n, last_hash)
        if first is not None:
            chains.append(first)
    snapshots = _check_snapshots(conn.execution_options(yield_per=50).execute(snaps), ask,
                                 seen)
    return UnitsPart(chains=tuple(chains), snapshots=tuple(snapshots), events=total,
                     heads=last,
                     gseqs=(len(gseqs), min(gseqs, default=None), max(gseqs, default=None)),
                     snapshot_rows=sum(len(m) for m in marks.values()))


def merge(parts: Iterable[UnitsPart]) -> UnitsPart:
    """The parts of one check (no unit in two) as one, its links in the one order of the
    serial check: chains by unit, snapshots by unit and event."""
    parts = list(parts)
    lows = [p.gseqs[1] for p in parts if p.gseqs[1] is not None]
    highs = [p.gseqs[2] for p in parts if p.gseqs[2] is not None]
    return UnitsPart(
        chains=tuple(sorted((b for p in parts for b in p.chains), key=lambda b: b.unit)),
        snapshots=tuple(sorted((b for p in parts for b in p.snapshots),
                               key=lambda b: (b.unit, b.seq if type(b.seq) is int else -1))),
        events=sum(p.events for p in parts),
        heads={u: h for p in parts for u, h in p.heads.items()},
        gseqs=(sum(p.gseqs[0] for p in parts), min(lows, default=None),
               max(highs, default=None)),
        snapshot_rows=sum(p.snapshot_rows for p in parts))


def _wrong_types(row: Any) -> bool:
    # Spelled out: this runs for every stored event.
    return not (type(row.gseq) is int and type(row.seq) is int and type(row.unit) is str
                and type(row.event) is str and type(row.actor) is str and type(row.at) is str
                and type(row.payload) is str and type(row.recorded_at) is str
                and type(row.prev_hash) is str and type(row.hash) is str
                and isinstance(row.late, bool | int))


def _unit_chain(unit: str, genesis: str, rows: Iterable[Any], head_seq: Any,
                pin: Pin | None, gseqs: set[int],
                marks: Collection[int] | None = None,
                seen: Seen | None = None) -> tuple[int, str, BrokenLink | None]:
    """Check one unit's rows (in seq order); return (rows, last hash, first broken link).

    `pin` is the (seq, hash) an anchor recorded for the unit; `gseqs` collects commit numbers;
    the stored events at the seqs in `marks` (the unit's snapshots) are put in `seen`.
    """
    prev, expected, last_gseq, n = genesis, 1, 0, 0
    first: BrokenLink | None = None
    if pin is not None and pin[0] == 0 and pin[1] != genesis:
        first = BrokenLink(unit=unit, seq=None, problem=(
            "its chain starts elsewhere than when the anchor was taken "
            "(the spec or roster changed)"))
    for row in rows:
        n += 1
        if type(row.gseq) is int:
            gseqs.add(row.gseq)
        if first is not None:
            if marks and seen is not None and row.seq in marks:
                seen[unit, row.seq] = (row.gseq, row.hash, False)
            continue
        if _wrong_types(row):
            first = BrokenLink(unit=unit, seq=expected,
                               problem="a field holds a value of the wrong type (edited)")
        elif row.seq != expected:
            problem = (f"event {expected} is missing (the next stored is {row.seq})"
                       if row.seq > expected else f"event {row.seq} is stored twice or moved")
            first = BrokenLink(unit=unit, seq=expected, problem=problem)
        elif row.prev_hash != prev:
            first = BrokenLink(unit=unit, seq=row.seq, problem=(
                "its previous-hash does not match the event before it"
                if expected > 1 else "its chain does not start from the genesis of the "
                "stored spec and roster (they, or the event, were edited)"))
        elif event_hash(prev, {k: _value(row, k) for k in _HASHED}) != row.hash:
            first = BrokenLink(unit=unit, seq=row.seq,
                               problem="its content does not match its hash (edited)")
        elif row.gseq <= last_gseq:
            first = BrokenLink(unit=unit, seq=row.seq,
                               problem="it comes before the event it follows in commit order")
        elif pin is not None and row.seq == pin[0] and row.hash != pin[1]:
            first = BrokenLink(unit=unit, seq=row.seq,
                               problem="it differs from the anchor (history rewritten)")
        if marks and seen is not None and row.seq in marks:
            seen[unit, row.seq] = (row.gseq, row.hash, first is None)
        prev, expected, last_gseq = row.hash, expected + 1, row.gseq
    if first is None and pin is not None and n < pin[0]:
        first = BrokenLink(unit=unit, seq=n + 1,
                           problem=f"the anchor saw {pin[0]} events, {n} are stored "
                           "(history truncated)")
    if first is None and type(head_seq) is not int:
        first = BrokenLink(unit=unit, seq=None, problem=(
            f"its event count (sfd_units head_seq) is not a whole number: {head_seq!r:.40}"))
    elif first is None and head_seq != n:
        first = BrokenLink(unit=unit, seq=n + 1 if head_seq > n else None,
                           problem=f"the unit has had {head_seq} events, {n} are stored "
                           "(events deleted, or its event count edited)")
    return n, prev, first


def _value(row: Any, key: str) -> Any:
    v = getattr(row, key)
    return bool(v) if key == "late" else v


def _check_snapshots(rows: Iterable[Any], ask: UnitsAsk, seen: Seen) -> list[BrokenLink]:
    """Every snapshot that would not be used: edited (digest), or not taken from the stored
    chain (stale). One taken from a chain broken before it is covered by the chain's report."""
    out: list[BrokenLink] = []
    for row in rows:
        what = f"its snapshot after event {row.seq}"
        if row.unit not in ask.heads:
            out.append(BrokenLink(unit=row.unit, seq=row.seq,
                                  problem="a snapshot of a unit the store does not have"))
        elif not digest_ok(ask.chain.get("spec_sha256", ""), row):
            out.append(BrokenLink(unit=row.unit, seq=row.seq, problem=(
                f"{what} does not match its digest (edited): it is not used")))
        elif (stored := seen.get((row.unit, row.seq))) is None:
            out.append(BrokenLink(unit=row.unit, seq=row.seq, problem=(
                f"{what} names an event that is not stored (stale): it is not used")))
        elif stored[2] and (stored[0], stored[1]) != (row.gseq, row.hash):
            out.append(BrokenLink(unit=row.unit, seq=row.seq, problem=(
                f"{what} was taken from another history (stale): it is not used")))
    return out
