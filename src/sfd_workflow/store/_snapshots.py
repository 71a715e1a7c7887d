"""Persisted per-unit snapshots (schema version 2): rebuild a replica without replaying the
whole history.

Every K-th accepted event of a unit (``EventStore(snapshot_every=K)``), the transaction that
appends it also stores ``Runtime.snapshot(unit)`` — the unit's state after that event — as
canonical JSON, with the event's ``seq``, commit number ``gseq`` and chain ``hash``, and a
``digest`` over all of these and the spec's SHA-256. A unit's state after its n-th event
depends on nothing but the unit's committed history, so one snapshot serves every replica
that holds the unit.

A snapshot is an optimisation, never a source of truth. It is used only when its digest is
right and the stored event ``(unit, seq)`` has exactly its ``gseq`` and ``hash``; otherwise
the next older one is tried, down to replaying from the first event. ``verify`` reports every
snapshot that fails these checks.

Restoring a *subtree* (a replica, see `_replica.py`) needs care when the spec has a
``children`` guard: a parent's events replayed after its snapshot must see its children as
they were then, so a child may only be restored from a snapshot taken before the parent's
first replayed event. `restore` picks, parents first, each unit's newest snapshot within that
limit (the newest parent snapshot leaves its children the most room), and everything is cut
at the commit counter read first, so that events committed meanwhile come through the
ordinary replay (``Replica.sync``) whatever the isolation level.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .._record import Record
from .._spec._model import Roster, Spec
from . import _schema as t
from ._canonical import canonical_json, sha256_hex

__all__ = ["SNAPSHOT_FORMAT", "reads_children", "restore", "snapshot_digest", "snapshot_row",
           "snapshot_text"]

#: Record -> the canonical JSON of its `Runtime.snapshot` entry up to ``"retired"`` (a record
#: never changes but for that flag): made once, kept as long as the record lives.
_RECORD_TEXT: weakref.WeakKeyDictionary[Record, str] = weakref.WeakKeyDictionary()


def snapshot_text(rt: Any, unit: str) -> str:
    """``canonical_json(rt.snapshot(unit))``, with each record's part made once: a unit's
    snapshot holds every record it ever stored, so taking one every K events would otherwise
    cost time quadratic in the unit's history."""
    parts = []
    for r in rt.records(unit, live=False):
        text = _RECORD_TEXT.get(r)
        if text is None:
            whole = canonical_json({"kind": r.kind, "actor": r.actor, "at": r.at.isoformat(),
                                    "payload": dict(r.payload), "event": r.event,
                                    "retired": False})
            text = _RECORD_TEXT[r] = whole[:-len(_NOT_RETIRED)]
        parts.append(text + (_RETIRED if r.retired else _NOT_RETIRED))
    last = rt.last_at(unit)
    return (f'{{"last_at":{canonical_json(None if last is None else last.isoformat())},'
            f'"records":[{",".join(parts)}],"states":{canonical_json(rt.state(unit))}}}')


# The key "retired" sorts last in a record's entry, "last_at", "records", "states" in a
# snapshot's, so the texts can be put together.
_NOT_RETIRED = ',"retired":false}'
_RETIRED = ',"retired":true}'


#: Written into every digest: a snapshot of another format (an older or newer library whose
#: `Runtime.snapshot` differs) does not verify and is not used.
SNAPSHOT_FORMAT = "sfd-workflow/snapshot-1"

_INF = float("inf")

_CANDIDATE = (sa.select(t.snapshots)
              .where(t.snapshots.c.unit == sa.bindparam("unit"),
                     t.snapshots.c.gseq < sa.bindparam("limit"))
              .order_by(t.snapshots.c.seq.desc())
              .limit(1).offset(sa.bindparam("skip")))
_LINKS = (sa.select(t.events.c.seq, t.events.c.gseq, t.events.c.hash)
          .where(t.events.c.unit == sa.bindparam("unit"),
                 t.events.c.seq.in_(sa.bindparam("seqs", expanding=True))))
_CLOCK = sa.select(t.clock.c.gseq).where(t.clock.c.id == 1)


def snapshot_digest(spec_sha256: str, unit: str, seq: int, gseq: int, head: str,
                    state: str) -> str:
    """SHA-256 over a snapshot row: its format, the spec, the unit, where it stands in the
    unit's chain (``seq``, ``gseq``, ``head`` hash) and the state (canonical JSON text)."""
    return sha256_hex(canonical_json({"format": SNAPSHOT_FORMAT, "spec": spec_sha256,
                                      "unit": unit, "seq": seq, "gseq": gseq, "hash": head,
                                      "state": state}))


def snapshot_row(spec_sha256: str, unit: str, seq: int, gseq: int, head: str, state: str,
                 taken_at: str) -> dict[str, Any]:
    """The ``sfd_snapshots`` row of `unit` after its event `seq`."""
    return {"unit": unit, "seq": seq, "gseq": gseq, "hash": head, "state": state,
            "digest": snapshot_digest(spec_sha256, unit, seq, gseq, head, state),
            "taken_at": taken_at}


def reads_children(spec: Spec) -> bool:
    """True when some guard of `spec` reads other units (a ``children`` guard)."""
    return any(tr.guard.children for step in spec.steps for tr in step.transitions)


def digest_ok(spec_sha256: str, row: Any) -> bool:
    """True when a stored snapshot row matches its digest."""
    return bool(row.digest == snapshot_digest(spec_sha256, row.unit, row.seq, row.gseq,
                                              row.hash, row.state))


def restore(conn: sa.Connection, rep: Any, roster: Roster, spec_sha256: str, *,
            children_read: bool) -> int:
    """Restore every unit of a fresh replica `rep` from its newest usable snapshot; set its
    heads and its replay point. Returns how many units were restored (0: replay it all)."""
    top = int(conn.execute(_CLOCK).scalar_one())
    inside = set(rep.units)
    limit: dict[str, float] = {}
    restored = 0
    for unit in rep.units:  # parents before children
        got = _newest_usable(conn, rep.rt, unit, limit.get(unit, top + 1), spec_sha256)
        if got is not None:
            seq, head, gseq, following = got
            rep.heads[unit] = (seq, head, gseq)
            restored += 1
        kids = [c for c in roster.children.get(unit, ()) if c in inside]
        if children_read and kids:
            if got is None:
                following = _gseq_of(conn, unit, 1)
            # The children must be restored to before this unit's first replayed event.
            for child in kids:
                limit[child] = min(following, top + 1)
    rep.gseq = min(h[2] for h in rep.heads.values())
    return restored


def _gseq_of(conn: sa.Connection, unit: str, seq: int) -> float:
    got = conn.execute(_LINKS, {"unit": unit, "seqs": [seq]}).first()
    return _INF if got is None else int(got.gseq)


def _newest_usable(conn: sa.Connection, rt: Any, unit: str, limit: float,
                   spec_sha256: str) -> tuple[int, str, int, float] | None:
    """Restore `unit` in `rt` from its newest snapshot taken before commit `limit` that
    checks out; return (seq, hash, gseq, commit number of its next event) or None."""
    skip = 0
    while True:
        row = conn.execute(_CANDIDATE, {"unit": unit, "limit": int(limit),
                                        "skip": skip}).first()
        if row is None:
            return None
        skip += 1
        if not digest_ok(spec_sha256, row):
            continue
        links = {r.seq: r for r in conn.execute(_LINKS, {"unit": unit,
                                                         "seqs": [row.seq, row.seq + 1]})}
        here = links.get(row.seq)
        if here is None or (here.gseq, here.hash) != (row.gseq, row.hash):
            continue  # stale: the chain at that place is not the one it was taken from
        after = links.get(row.seq + 1)
        following = _INF if after is None else int(after.gseq)
        if following <= row.gseq:
            continue
        try:
            state = json.loads(row.state)
            if not isinstance(state, Mapping):
                continue
            rt.restore(unit, state)  # checks everything before it changes the unit
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        return int(row.seq), str(row.hash), int(row.gseq), following
