"""`verify`: walk every unit's hash chain and the audit chain and report the first broken
link of each; check the stored spec and roster, the counters, and every persisted snapshot
against its digest and the chain (and, on request, against a full replay).

The store-wide checks are here (`read_ground` before the per-unit check, `finish` after);
the per-unit check is `_verify_units.check_units`, run once over every unit by `verify` or
in parts by root subtree on a Dask cluster (`_dask`)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import attrs
import sqlalchemy as sa

from .._verdict import Reason
from . import _schema as t
from ._canonical import (
    CHAIN,
    CHAIN_SPEC_ONLY,
    audit_genesis,
    audit_hash,
    canonical_json,
    sha256_hex,
)
from ._ids import check_id, event_digest, known_ids
from ._records import prepare
from ._report import AUDIT, STORE, BrokenLink, Pin, VerifyReport, read_anchor
from ._verify_units import UnitsAsk, UnitsPart, check_units, merge
from ._versions import check_versions

__all__ = ["AUDIT", "Audit", "BrokenLink", "Ground", "VerifyReport", "audit_check", "finish",
           "read_anchor", "read_ground", "verify"]

_META_KEYS = ("spec_json", "spec_sha256", "spec_id", "roster_json", "roster_sha256",
              "store_id", "chain", "audit_head")


def _check_meta(meta: Mapping[str, str]) -> list[BrokenLink]:
    """What is wrong with ``sfd_meta``: the stored spec and roster against their SHA-256,
    the spec id against the spec, the chain format; missing keys."""
    def bad(problem: str) -> BrokenLink:
        return BrokenLink(unit=STORE, seq=None, problem=problem)

    out = [bad(f"sfd_meta has no {k} (deleted or renamed)") for k in _META_KEYS
           if k not in meta]
    if sha256_hex(meta.get("spec_json", "")) != meta.get("spec_sha256"):
        out.append(bad("the stored spec was edited"))
    if sha256_hex(meta.get("roster_json", "")) != meta.get("roster_sha256"):
        out.append(bad("the stored roster was edited"))
    try:
        spec_id = json.loads(meta.get("spec_json", "")).get("id")
    except (ValueError, AttributeError, RecursionError):
        spec_id = None
    if "spec_id" in meta and meta["spec_id"] != spec_id:
        out.append(bad(f"sfd_meta spec_id {meta['spec_id']!r:.40} is not the stored spec's "
                       f"id {spec_id!r:.40} (edited)"))
    if "chain" in meta and meta["chain"] not in (CHAIN, CHAIN_SPEC_ONLY):
        out.append(bad(f"sfd_meta chain {meta['chain']!r:.40} is not a chain format (edited)"))
    return out


def _audit_chain(conn: sa.Connection, meta: Mapping[str, str], pin: Pin | None
                 ) -> tuple[int, tuple[int, str] | None, list[BrokenLink]]:
    """Walk the chain of rejected attempts in id order; return its number of rows, its head
    and what is broken (the first broken link, a head that does not match, an anchor it no
    longer holds)."""
    genesis = audit_genesis(meta.get("spec_sha256", ""), meta.get("roster_sha256", ""))
    prev, last, n = genesis, 0, 0
    first: BrokenLink | None = None
    pinned = pin is None or pin == (0, genesis)
    if pin is not None and pin[0] == 0 and pin[1] != genesis:
        first = BrokenLink(unit=AUDIT, seq=None, problem=(
            "the audit chain starts elsewhere than when the anchor was taken "
            "(the spec or roster changed)"))
    rows = conn.execution_options(yield_per=2000).execute(
        sa.select(t.audit).order_by(t.audit.c.id))
    for row in rows:
        n += 1
        if first is not None:
            continue
        fields = dict(row._mapping)
        if type(row.id) is not int:
            first = BrokenLink(unit=AUDIT, seq=None, problem=(
                f"an id is not a whole number: {row.id!r:.40} (edited)"))
        elif row.prev_hash != prev:
            first = BrokenLink(unit=AUDIT, seq=row.id, problem=(
                "its previous-hash does not match the row before it (a row deleted, "
                "inserted or moved)" if last else "the audit chain does not start from the "
                "genesis of the stored spec and roster (they, or the row, were edited)"))
        elif _audit_link(prev, fields) != row.hash:
            first = BrokenLink(unit=AUDIT, seq=row.id,
                               problem="its content does not match its hash (edited)")
        elif pin is not None and row.id == pin[0]:
            if row.hash != pin[1]:
                first = BrokenLink(unit=AUDIT, seq=row.id,
                                   problem="it differs from the anchor (audit rewritten)")
            pinned = True
        prev, last = row.hash, row.id
    if first is not None:
        return n, None, [first]
    head = t.read_audit_head(meta.get("audit_head"))
    if head is None:
        problem = ("the head of the audit chain (sfd_meta audit_head) is unreadable: "
                   f"{meta['audit_head']!r:.60} (edited)")
        return n, None, [BrokenLink(unit=AUDIT, seq=None, problem=problem)
                         ] if "audit_head" in meta else []  # missing: see _check_meta
    out: list[BrokenLink] = []
    if head[0] != last:
        out.append(BrokenLink(unit=AUDIT, seq=None, problem=(
            f"the audit chain ends at row {last} ({n} rows), its head in sfd_meta names row "
            f"{head[0]} (rows deleted, or the head edited)")))
    elif head[1] != prev:
        out.append(BrokenLink(unit=AUDIT, seq=None, problem=(
            "the head of the audit chain in sfd_meta does not match "
            + (f"row {last} (the head was edited)" if n else "the genesis of the stored spec "
               "and roster (they, or the head, were edited)"))))
    elif not pinned:
        out.append(BrokenLink(unit=AUDIT, seq=None, problem=(
            f"the anchor saw audit row {pin[0] if pin else 0}, it is not stored "
            "(audit truncated or rewritten)")))
    return n, (last, prev), out


def _audit_link(prev: str, fields: Mapping[str, Any]) -> str | None:
    try:
        return audit_hash(prev, fields)
    except (TypeError, ValueError):
        return None


def _heads_and_clock(conn: sa.Connection) -> tuple[dict[str, Any], list[BrokenLink]]:
    """The units table (unit -> head_seq) and the problems of the commit-counter table."""
    heads = {r.unit: r.head_seq
             for r in conn.execute(sa.select(t.units).order_by(t.units.c.unit))}
    clock = conn.execute(sa.select(t.clock.c.id, t.clock.c.gseq)).all()
    out = []
    if [r.id for r in clock] != [1] or type(clock[0].gseq) is not int:
        out.append(BrokenLink(unit=STORE, seq=None, problem=(
            "the commit counter (sfd_clock) is not one row 1 with a whole number (edited)")))
    return heads, out



@attrs.frozen(kw_only=True)
class Ground:
    """The store-wide reading of `verify`: what every part of the per-unit check needs, and
    what is wrong store-wide so far."""

    meta: Mapping[str, str]
    ask: UnitsAsk
    """Every unit of ``sfd_units`` and every pin of the anchor."""
    audit_pin: Pin | None
    broken: tuple[BrokenLink, ...]
    """``sfd_meta``, the spec versions, the units table against the roster."""
    clock: tuple[BrokenLink, ...]
    """The commit-counter table (``sfd_clock``)."""


def read_ground(conn: sa.Connection, anchor: Any = None) -> Ground:
    """Read ``sfd_meta``, ``sfd_units``, ``sfd_clock`` and the spec versions and check them.

    Raises:
        StoreError: `anchor` is not an anchor.
    """
    pins, audit_pin = read_anchor(anchor)
    meta = dict(conn.execute(sa.select(t.meta.c.key, t.meta.c.value)).all())
    broken = [*_check_meta(meta), *check_versions(conn)]
    heads, clock_problems = _heads_and_clock(conn)
    try:
        roster_units = {u["id"] for u in json.loads(meta.get("roster_json", ""))["units"]}
    except (ValueError, KeyError, TypeError, RecursionError):
        roster_units = set()
    if roster_units != set(heads):
        broken.append(BrokenLink(unit=STORE, seq=None,
                                 problem="the units table does not match the roster"))
    ask = UnitsAsk(chain={k: meta[k] for k in ("spec_sha256", "roster_sha256", "chain")
                          if k in meta}, heads=heads, pins=pins)
    return Ground(meta=meta, ask=ask, audit_pin=audit_pin, broken=tuple(broken),
                  clock=tuple(clock_problems))


#: What the audit chain's check found: its rows, its head, its broken links.
Audit = tuple[int, tuple[int, str] | None, list[BrokenLink]]


def audit_check(conn: sa.Connection, ground: Ground) -> Audit:
    """Walk the audit chain (see `finish`)."""
    return _audit_chain(conn, ground.meta, ground.audit_pin)


def finish(conn: sa.Connection, ground: Ground, parts: Iterable[UnitsPart],
           audit: Audit | None = None) -> VerifyReport:
    """The report of `ground` and the parts of the per-unit check (every unit in one part):
    the audit chain (unless `audit` holds its check, done meanwhile) and the commit numbers
    are checked here."""
    units = merge(parts)
    audit_rows, audit_head, audit_problems = audit or audit_check(conn, ground)
    counter = list(ground.clock) or _commit_numbers(conn, *units.gseqs)
    last = {u: h for u, (_n, h) in units.heads.items()}
    digest = sha256_hex(canonical_json({"spec": ground.meta.get("spec_sha256", ""),
                                        "roster": ground.meta.get("roster_sha256"),
                                        "heads": last, "audit": audit_head}))
    return VerifyReport(units=len(ground.ask.heads), events=units.events,
                        broken=(*units.chains, *audit_problems, *units.snapshots,
                                *ground.broken, *counter),
                        digest=digest, heads=dict(sorted(units.heads.items())),
                        audit_head=audit_head, audit_rows=audit_rows,
                        snapshots=units.snapshot_rows)


def verify(conn: sa.Connection, anchor: Any = None) -> VerifyReport:
    """Check the stored spec and roster, every unit's hash chain (each starts from a genesis
    that covers the spec and, since schema version 4, the roster), the audit chain, that
    commit numbers run 1..N without a gap, every snapshot, and (given an `anchor` from an
    earlier report) that every unit and the audit still hold what the anchor recorded.

    Raises:
        StoreError: `anchor` is not an anchor.
    """
    ground = read_ground(conn, anchor)
    return finish(conn, ground, [check_units(conn, ground.ask)])


def _commit_numbers(conn: sa.Connection, n: int, low: int | None, top: int | None
                    ) -> list[BrokenLink]:
    """The commit counter against the stored commit numbers (`n` of them, from `low` to
    `top`): 1..N without a gap."""
    top_clock = conn.execute(sa.select(t.clock.c.gseq)).scalar_one()
    if top is not None and top > top_clock:
        return [BrokenLink(unit=STORE, seq=None, problem="the commit counter was edited")]
    if n != top_clock or (n and (low != 1 or top != top_clock)):
        # Every committed append took the next number: a gap is a deleted event.
        return [BrokenLink(unit=STORE, seq=None, problem=(
            f"the commit numbers run to {top_clock} but {n} events are stored "
            "(events deleted)"))]
    return []


def replay_check(conn: sa.Connection, roots: Iterable[tuple[str, Any, tuple[str, ...]]],
                 *, roster_units: Collection[str] = (), strangers: bool = True
                 ) -> list[BrokenLink]:
    """Judge every stored event again, subtree by subtree, from an empty runtime; report the
    first event of each unit refused on replay and every snapshot whose state differs from
    the replayed one (a snapshot edited with its digest recomputed). Judge every audit row
    again at its place (right after commit ``after_gseq``) and report each that is not
    rejected for its recorded reason (fabricated or edited); ``future`` rows depend on the
    clock of their time and are not judged again.

    `roots` gives, for each root unit, a fresh runtime over its subtree and the subtree's
    units. Audit rows of `roster_units` outside `roots` are left to the check of their own
    root (a check split by subtree); rows of units the roster does not have are judged when
    `strangers` is true (by one part of a split check)."""
    out: list[BrokenLink] = []
    marks: dict[tuple[str, int], None] = {
        (r.unit, r.seq): None
        for r in conn.execute(sa.select(t.snapshots.c.unit, t.snapshots.c.seq))}
    state_of = (sa.select(t.snapshots.c.state)
                .where(t.snapshots.c.unit == sa.bindparam("u"),
                       t.snapshots.c.seq == sa.bindparam("s")))
    attempts = _attempts(conn)
    lobby = None
    for _root, rt, units in roots:
        lobby = rt
        dead: set[str] = set()  # refused once: what follows is judged on a wrong state
        waiting = sorted((a for u in units for a in attempts.pop(u, ())),
                         key=lambda a: (a.after_gseq, a.id))
        rows = conn.execution_options(yield_per=2000).execute(
            sa.select(t.events).where(t.events.c.unit.in_(units)).order_by(t.events.c.gseq))
        for row in rows:
            while waiting and waiting[0].after_gseq < row.gseq:
                out.extend(_judge_attempt(rt, waiting.pop(0), dead))
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
        for attempt in waiting:
            out.extend(_judge_attempt(rt, attempt, dead))
    if lobby is not None and strangers:  # no unit of the roster: any runtime judges alike
        for unit, rest in attempts.items():
            if unit in roster_units:
                continue
            for attempt in rest:
                out.extend(_judge_attempt(lobby, attempt, set()))
    return sorted(out, key=lambda b: (b.unit, b.seq or 0))


def _attempts(conn: sa.Connection) -> dict[str | None, list[Any]]:
    """The audit rows to judge again, by unit (rows of a wrong type are the chain's
    report)."""
    out: dict[str | None, list[Any]] = {}
    for row in conn.execute(sa.select(t.audit.c.id, t.audit.c.unit, t.audit.c.raw,
                                      t.audit.c.reason, t.audit.c.after_gseq)
                            .order_by(t.audit.c.id)):
        if (row.reason != str(Reason.FUTURE) and type(row.after_gseq) is int
                and isinstance(row.raw, str) and not _refused_for_its_id(conn, row)):
            out.setdefault(row.unit, []).append(row)
    return out


def _refused_for_its_id(conn: sa.Connection, row: Any) -> bool:
    """Whether the store refused the audit row's event for its ``id`` alone (not an id, or an
    id held by another event: ``sfd_ids`` says which), which no runtime can judge again."""
    if row.reason != str(Reason.MALFORMED):
        return False
    attempt = prepare(row.raw)
    if attempt.id is None or not attempt.storable:
        return False
    if not check_id(attempt):
        return True
    held = known_ids(conn, [attempt.id]).get(attempt.id)
    return held is not None and held["digest"] != event_digest(attempt)


def _judge_attempt(rt: Any, row: Any, dead: set[str]) -> list[BrokenLink]:
    """Judge one audit row again as the store did (what it cannot store is malformed)."""
    if row.unit in dead:
        return []
    attempt = prepare(row.raw)
    if not attempt.storable:
        got = str(Reason.MALFORMED)
    else:
        verdict = rt.submit_line(row.raw)
        if verdict.accepted:  # the runtime now holds it: the unit's state is wrong from here
            dead.add(str(row.unit))
            return [BrokenLink(unit=AUDIT, seq=row.id, problem=(
                "it is accepted on replay: not a rejected attempt (fabricated or edited)"))]
        got = str(verdict.reason)
    if got == row.reason:
        return []
    return [BrokenLink(unit=AUDIT, seq=row.id, problem=(
        f"it is rejected as {got} on replay, not {row.reason} (fabricated or edited)"))]
