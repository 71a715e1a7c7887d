"""`verify`: walk every unit's hash chain and report the first broken link of each; check
every persisted snapshot against its digest and the chain (and, on request, against a full
replay)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from . import _schema as t
from ._canonical import canonical_json, event_hash, sha256_hex
from ._snapshots import digest_ok

__all__ = ["BrokenLink", "VerifyReport", "verify"]


@attrs.frozen(kw_only=True)
class BrokenLink:
    """The first place a unit's stored history stops matching its hash chain."""

    unit: str
    seq: int | None
    """The unit's event number where the chain breaks (None: the unit as a whole)."""
    problem: str

    def __str__(self) -> str:
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
    """SHA-256 over the spec hash and the last hash of every unit's chain: write it down (or
    publish it) to detect later a history rewritten with recomputed hashes."""

    heads: Mapping[str, tuple[int, str]] = attrs.field(factory=dict, repr=False)
    """Each unit's number of events and the hash of its last one."""
    snapshots: int = 0
    """Persisted snapshots checked."""
    replayed: bool = False
    """True when every event was also judged again from the start (``verify(replay=True)``)
    and every snapshot compared with the replayed state."""

    def anchor(self) -> dict[str, list[Any]]:
        """A JSON-ready record of every unit's head: keep it outside the database (print it,
        publish it) and pass it to ``verify(anchor=...)`` later. A history truncated or rewritten
        since, even with every hash recomputed, then fails to verify."""
        return {u: [n, h] for u, (n, h) in self.heads.items()}

    @property
    def ok(self) -> bool:
        """True when every chain, the spec and the roster check out."""
        return not self.broken

    def lines(self) -> list[str]:
        """The report as plain lines, first line a summary."""
        snaps = f", {self.snapshots} snapshots" if self.snapshots else ""
        how = " and replayed" if self.replayed else ""
        head = (f"ok: {self.events} events of {self.units} units verified{how}{snaps}, "
                f"digest {self.digest}" if self.ok
                else f"BROKEN: {len(self.broken)} problem(s) in {self.events} events "
                f"of {self.units} units")
        return [head, *(str(b) for b in self.broken)]


_HASHED = ("gseq", "unit", "seq", "event", "actor", "at", "payload", "late", "recorded_at")


#: (unit, seq) of a snapshot -> the stored event there: (gseq, hash, chain intact up to it)
Seen = dict[tuple[str, int], tuple[int, str, bool]]


def _unit_chain(unit: str, genesis: str, rows: Iterable[Any], head_seq: int,
                pin: tuple[int, str] | None, gseqs: set[int],
                marks: Mapping[int, Any] | None = None,
                seen: Seen | None = None) -> tuple[int, str, BrokenLink | None]:
    """Check one unit's rows (in seq order); return (rows, last hash, first broken link).

    `pin` is the (seq, hash) an anchor recorded for the unit; `gseqs` collects commit numbers;
    the stored events at the seqs in `marks` (the unit's snapshots) are put in `seen`.
    """
    prev, expected, last_gseq, n = genesis, 1, 0, 0
    first: BrokenLink | None = None
    for row in rows:
        n += 1
        gseqs.add(row.gseq)
        if first is not None:
            if marks and seen is not None and row.seq in marks:
                seen[unit, row.seq] = (row.gseq, row.hash, False)
            continue
        if row.seq != expected:
            problem = (f"event {expected} is missing (the next stored is {row.seq})"
                       if row.seq > expected else f"event {row.seq} is stored twice or moved")
            first = BrokenLink(unit=unit, seq=expected, problem=problem)
        elif row.prev_hash != prev:
            first = BrokenLink(unit=unit, seq=row.seq,
                               problem="its previous-hash does not match the event before it")
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
    if first is None and head_seq != n:
        first = BrokenLink(unit=unit, seq=n + 1 if head_seq > n else None,
                           problem=f"the unit has had {head_seq} events, {n} are stored "
                           "(events deleted, or its event count edited)")
    return n, prev, first


def _value(row: Any, key: str) -> Any:
    v = getattr(row, key)
    return bool(v) if key == "late" else v


def verify(conn: sa.Connection, genesis: Callable[[str, str], str],
           anchor: Mapping[str, Sequence[Any]] | None = None) -> VerifyReport:
    """Check the stored spec and roster hashes, every unit's hash chain, that commit numbers
    run 1..N without a gap, and (given an `anchor` from an earlier report) that every unit
    still holds the event the anchor recorded."""
    pins = {u: (int(p[0]), str(p[1])) for u, p in (anchor or {}).items()}
    broken: list[BrokenLink] = []
    meta = dict(conn.execute(sa.select(t.meta.c.key, t.meta.c.value)).all())
    spec_sha = meta.get("spec_sha256", "")
    if sha256_hex(meta.get("spec_json", "")) != spec_sha:
        broken.append(BrokenLink(unit="*", seq=None, problem="the stored spec was edited"))
    if sha256_hex(meta.get("roster_json", "")) != meta.get("roster_sha256"):
        broken.append(BrokenLink(unit="*", seq=None, problem="the stored roster was edited"))
    heads = {r.unit: r for r in conn.execute(sa.select(t.units).order_by(t.units.c.unit))}
    last: dict[str, str] = {}
    counts: dict[str, int] = {}
    gseqs: set[int] = set()
    try:
        roster_units = {u["id"] for u in json.loads(meta.get("roster_json", ""))["units"]}
    except (ValueError, KeyError, TypeError):
        roster_units = set()
    if roster_units != set(heads):
        broken.append(BrokenLink(unit="*", seq=None,
                                 problem="the units table does not match the roster"))
    marks: dict[str, dict[int, Any]] = {}
    for snap in conn.execute(sa.select(t.snapshots.c.unit, t.snapshots.c.seq)):
        marks.setdefault(snap.unit, {})[snap.seq] = snap
    seen: Seen = {}
    rows = conn.execution_options(yield_per=2000).execute(
        sa.select(t.events).order_by(t.events.c.unit, t.events.c.seq, t.events.c.gseq))
    chains: list[BrokenLink] = []
    total = 0
    left = dict(heads)
    for unit, group in itertools.groupby(rows, key=lambda r: r.unit):
        head = left.pop(unit, None)
        if head is None:
            total += sum(1 for _ in group)
            chains.append(BrokenLink(unit=unit, seq=None,
                                     problem="events of a unit the store does not have"))
            continue
        n, last[unit], first = _unit_chain(unit, genesis(spec_sha, unit), group,
                                           head.head_seq, pins.get(unit), gseqs,
                                           marks.get(unit), seen)
        counts[unit] = n
        total += n
        if first is not None:
            chains.append(first)
    for unit, head in left.items():
        counts[unit], last[unit], first = _unit_chain(
            unit, genesis(spec_sha, unit), (), head.head_seq, pins.get(unit), gseqs)
        if first is not None:
            chains.append(first)
    chains.sort(key=lambda b: b.unit)
    clock = conn.execute(sa.select(t.clock.c.gseq)).scalars().all()
    top = conn.execute(sa.select(sa.func.max(t.events.c.gseq))).scalar()
    if len(clock) != 1 or (top is not None and top > clock[0]):
        broken.append(BrokenLink(unit="*", seq=None, problem="the commit counter was edited"))
    elif len(gseqs) != clock[0] or (gseqs and (min(gseqs) != 1 or max(gseqs) != clock[0])):
        # Every committed append took the next number: a gap is a deleted event.
        broken.append(BrokenLink(unit="*", seq=None, problem=(
            f"the commit numbers run to {clock[0]} but {len(gseqs)} events are stored "
            "(events deleted)")))
    snapshots = _check_snapshots(conn, spec_sha, set(heads), seen)
    digest = sha256_hex(canonical_json({"spec": spec_sha, "heads": last}))
    return VerifyReport(units=len(heads), events=total, broken=(*chains, *snapshots, *broken),
                        digest=digest,
                        heads={u: (counts[u], last[u]) for u in sorted(last)},
                        snapshots=sum(len(m) for m in marks.values()))


def _check_snapshots(conn: sa.Connection, spec_sha: str, units: set[str],
                     seen: Seen) -> list[BrokenLink]:
    """Every snapshot that would not be used: edited (digest), or not taken from the stored
    chain (stale). One taken from a chain broken before it is covered by the chain's report."""
    out: list[BrokenLink] = []
    rows = conn.execution_options(yield_per=50).execute(
        sa.select(t.snapshots).order_by(t.snapshots.c.unit, t.snapshots.c.seq))
    for row in rows:
        what = f"its snapshot after event {row.seq}"
        if row.unit not in units:
            out.append(BrokenLink(unit=row.unit, seq=row.seq,
                                  problem="a snapshot of a unit the store does not have"))
        elif not digest_ok(spec_sha, row):
            out.append(BrokenLink(unit=row.unit, seq=row.seq, problem=(
                f"{what} does not match its digest (edited): it is not used")))
        elif (stored := seen.get((row.unit, row.seq))) is None:
            out.append(BrokenLink(unit=row.unit, seq=row.seq, problem=(
                f"{what} names an event that is not stored (stale): it is not used")))
        elif stored[2] and (stored[0], stored[1]) != (row.gseq, row.hash):
            out.append(BrokenLink(unit=row.unit, seq=row.seq, problem=(
                f"{what} was taken from another history (stale): it is not used")))
    return out


def replay_check(conn: sa.Connection, roots: Iterable[tuple[str, Any, tuple[str, ...]]]
                 ) -> list[BrokenLink]:
    """Judge every stored event again, subtree by subtree, from an empty runtime; report the
    first event of each unit refused on replay and every snapshot whose state differs from
    the replayed one (a snapshot edited with its digest recomputed).

    `roots` gives, for each root unit, a fresh runtime over its subtree and the subtree's
    units."""
    out: list[BrokenLink] = []
    marks: dict[tuple[str, int], None] = {
        (r.unit, r.seq): None
        for r in conn.execute(sa.select(t.snapshots.c.unit, t.snapshots.c.seq))}
    state_of = (sa.select(t.snapshots.c.state)
                .where(t.snapshots.c.unit == sa.bindparam("u"),
                       t.snapshots.c.seq == sa.bindparam("s")))
    for _root, rt, units in roots:
        dead: set[str] = set()  # refused once: what follows is judged on a wrong state
        rows = conn.execution_options(yield_per=2000).execute(
            sa.select(t.events).where(t.events.c.unit.in_(units)).order_by(t.events.c.gseq))
        for row in rows:
            if row.unit in dead:
                continue
            try:
                payload = json.loads(row.payload)
            except ValueError:
                payload = None
            verdict = rt.submit({"unit": row.unit, "event": row.event, "actor": row.actor,
                                 "at": row.at, "payload": payload})
            if not verdict.accepted:
                dead.add(row.unit)
                out.append(BrokenLink(unit=row.unit, seq=row.seq, problem=(
                    f"it is refused on replay ({verdict.reason})")))
                continue
            if (row.unit, row.seq) in marks:
                stored = conn.execute(state_of, {"u": row.unit, "s": row.seq}).scalar()
                if stored != canonical_json(rt.snapshot(row.unit)):
                    out.append(BrokenLink(unit=row.unit, seq=row.seq, problem=(
                        f"its snapshot after event {row.seq} differs from the replayed "
                        "state (edited, digest recomputed)")))
    return sorted(out, key=lambda b: (b.unit, b.seq or 0))
