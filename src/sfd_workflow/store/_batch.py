"""`EventStore.submit_many`: judge and append a batch of events in one transaction.

A batch stores exactly what one `submit` per event, in the batch's order, would store: the
same verdicts, hash chains, audit rows (with their ``unit_seq`` and ``after_gseq``), snapshots
and event ids; only the commit times differ. It gets there without optimism:

1. Read every event of the batch (`prepare`; done in a thread while the batch before is
   judged and written) and look up the ids it carries.
2. Lock the units the batch writes to and their children (read by ``children`` guards),
   level by level down the unit tree and in id order within a level, then the clock row.
   Single submits lock a unit, then its children, then the clock: every lock wait still
   points down the tree or at the clock, so no deadlock; and with the clock held no one
   else commits an event until the batch does.
3. Judge the events in order, in memory, each in the replica of its unit's root (the whole
   tree below the root: the verdict is the one the unit's own replica gives, since a guard
   reads nothing outside a unit's subtree, and the trees are disjoint, so each event is fed
   to one replica). A replica is synced once, to the last committed event, and then holds
   the batch's own accepted events of its tree, so a ``children`` guard sees the children
   exactly as the serial order has them.
4. Write every row with one statement a table (executemany) and commit once.

If the transaction fails, nothing of the batch is stored, the replicas it fed are thrown
away, and the batch is judged again from the database (a transient error) or the error is
raised (`StoreError`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any

import sqlalchemy as sa

from .._verdict import Reason, Verdict
from ..errors import StoreError
from . import _schema as t
from ._database import is_retryable, make_durable, write_options
from ._ids import answer, check_id, event_digest, id_row, known_ids
from ._records import Attempt, chain_audit, prepare
from ._replica import Replica, root_of
from ._rows import audit_row, event_row
from ._snapshots import snapshot_row
from ._submit import DROP_SNAPSHOT, MAX_TRIES, Writes, judge, whole_counts, why

__all__ = ["BATCH", "Batches"]

#: Events judged and written in one transaction by default.
BATCH = 500

_LOCK_UNITS = (sa.select(t.units.c.unit, t.units.c.head_seq)
               .where(t.units.c.unit.in_(sa.bindparam("units", expanding=True)))
               .order_by(t.units.c.unit).with_for_update())
_LOCK_CLOCK = sa.select(t.clock.c.gseq).where(t.clock.c.id == 1).with_for_update()
_SET_HEAD = (t.units.update().where(t.units.c.unit == sa.bindparam("u"))
             .values(head_seq=sa.bindparam("new")))
_SET_CLOCK = t.clock.update().where(t.clock.c.id == 1).values(gseq=sa.bindparam("g"))


class Batches(Writes):
    """The batch half of `EventStore` (see the module's documentation)."""

    def _stream(self, events: Iterable[Mapping[str, Any] | str], batch: int) -> Iterator[
            list[Verdict]]:
        return (verdicts for _, verdicts in self._stream_attempts(events, batch))

    def _stream_attempts(self, events: Iterable[Mapping[str, Any] | str], batch: int
                         ) -> Iterator[tuple[list[Attempt], list[Verdict]]]:
        """Each batch's events as read, and their verdicts, once the batch is committed."""
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            msg = f"batch must be a whole number >= 1, not {batch!r}"
            raise StoreError(msg)
        source = iter(events)
        attempts = _prepare_all(list(islice(source, batch)))
        # While a batch is judged and written, the next one is read (`prepare`) in a thread:
        # it runs while this thread waits for the database. The events themselves are taken
        # from `source` in this thread (an iterator may be tied to it), and an error taking
        # them is raised once the batch before is stored, as without the thread.
        with ThreadPoolExecutor(1, thread_name_prefix="sfd-read-ahead") as reader:
            while attempts:
                try:
                    chunk, failure = list(islice(source, batch)), None
                except Exception as exc:  # raised below, after this batch
                    chunk, failure = [], exc
                ahead = reader.submit(_prepare_all, chunk)
                yield attempts, self._commit_batch(attempts)
                if failure is not None:
                    raise failure
                attempts = ahead.result()

    def _commit_batch(self, attempts: list[Attempt]) -> list[Verdict]:
        for tries in range(MAX_TRIES):
            with self._lock_replicas:
                run = _Run(self, attempts)
                try:
                    with self._engine.connect().execution_options(**write_options()) as conn, \
                            conn.begin():
                        verdicts = run.judge_and_write(conn)
                except BaseException as exc:
                    for rep in run.synced.values():
                        rep.broken = True  # it may hold events that were not stored
                    if not isinstance(exc, sa.exc.SQLAlchemyError):
                        raise
                    if not is_retryable(exc):
                        raise StoreError(f"cannot write to {self.url}: {why(exc)}") from None
                else:
                    for rep in run.synced.values():
                        rep.gseq = run.gseq  # nobody else committed while the batch ran
                    make_durable(self._engine)
                    return verdicts
            time.sleep(random.uniform(0, 0.002 * min(tries + 1, 10)))
        msg = f"gave up on a batch of {len(attempts)} events after {MAX_TRIES} tries"
        raise StoreError(msg)


class _Run:
    """One try at one batch."""

    def __init__(self, store: Batches, attempts: list[Attempt]) -> None:
        self.store = store
        self.attempts = attempts
        self.synced: dict[str, Replica] = {}  # root -> its replica, synced in this run
        self.gseq = self.base = 0
        self.events: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []
        self.ids: dict[str, dict[str, Any]] = {}
        self.snapshots: list[dict[str, Any]] = []
        self.heads: dict[str, int] = {}

    def judge_and_write(self, conn: sa.Connection) -> list[Verdict]:
        store = self.store
        roster = store.roster
        held = known_ids(conn, [a.id for a in self.attempts
                                if a.id is not None and check_id(a)])
        writes = {a.unit for a in self.attempts
                  if a.storable and a.unit is not None and a.unit in roster.by_id}
        locked = set(writes)
        for unit in writes:
            locked.update(roster.children.get(unit, ()))
        for level in _levels(roster, locked):
            whole_counts(dict(conn.execute(_LOCK_UNITS, {"units": level}).all()), level)
        self.gseq = self.base = int(conn.execute(_LOCK_CLOCK).scalar_one())
        verdicts = [self._one(conn, a, held) for a in self.attempts]
        self._write(conn)
        return verdicts

    def _one(self, conn: sa.Connection, a: Attempt,
             held: Mapping[str, Mapping[str, Any]]) -> Verdict:
        store = self.store
        if not check_id(a):
            verdict = Verdict(False, Reason.MALFORMED, False)
            self.audit.append(audit_row(a, verdict.reason, None, self.gseq))
            return verdict
        digest = None if a.id is None else event_digest(a)
        if digest is not None:
            row = self.ids.get(a.id) or held.get(a.id)
            if row is not None:
                answered = answer(a, digest, row)
                if answered.conflict is not None:
                    self.audit.append(audit_row(a, answered.reason, None, self.gseq))
                return answered
        place = self.gseq
        future = store._future(a) if a.storable else None
        if not a.storable:
            verdict = Verdict(False, Reason.MALFORMED, False)
            self.audit.append(audit_row(a, verdict.reason, None, place))
        elif future is not None:
            verdict = future
            self.audit.append(audit_row(a, verdict.reason, None, place))
        elif a.unit not in store.roster.by_id:
            verdict = judge(store._lobby, a)
            self.audit.append(audit_row(a, verdict.reason, None, place))
        else:
            verdict, place = self._judge(conn, a)
        if digest is not None:
            self.ids[a.id] = id_row(a, digest, verdict, place)
        return verdict

    def _judge(self, conn: sa.Connection, a: Attempt) -> tuple[Verdict, int]:
        """Judge an event of a roster unit; its verdict and its place (commit number of the
        event, or the last commit it read when rejected)."""
        unit = a.unit
        assert unit is not None
        rep = self._replica(conn, unit)
        watched = (unit, *self.store.roster.children.get(unit, ()))
        seq, prev, _ = rep.heads[unit]
        verdict = judge(rep.rt, a)
        if not verdict.accepted:
            after = max(rep.heads[u][2] for u in watched)
            self.audit.append(audit_row(a, verdict.reason, seq, after))
            return verdict, after
        self.gseq += 1
        row = event_row(a, verdict.late, seq + 1, self.gseq, prev)
        rep.heads[unit] = (seq + 1, row["hash"], self.gseq)
        snap = self.store._snapshot_due(rep, unit, seq + 1, verdict)
        if snap is not None:
            self.snapshots.append(snapshot_row(self.store.spec_sha256, unit, seq + 1,
                                               self.gseq, row["hash"], snap,
                                               row["recorded_at"]))
        self.events.append(row)
        self.heads[unit] = seq + 1
        return verdict, self.gseq

    def _replica(self, conn: sa.Connection, unit: str) -> Replica:
        """The replica of `unit`'s root, synced to the database at the start of the run (it
        then holds the run's own accepted events of its tree: they were judged in it)."""
        root = root_of(self.store.roster, unit)
        rep = self.synced.get(root)
        if rep is None:
            rep = self.synced[root] = self.store._replica(root)
            rep.sync(conn, self.base)
        return rep

    def _write(self, conn: sa.Connection) -> None:
        if self.events:
            _insert(conn, t.events, self.events)
            conn.execute(_SET_HEAD, [{"u": u, "new": s} for u, s in self.heads.items()])
            conn.execute(_SET_CLOCK, {"g": self.gseq})
        if self.snapshots:
            # A row already there can only be a stale one left by an altered history.
            conn.execute(DROP_SNAPSHOT, [{"u": s["unit"], "s": s["seq"]}
                                         for s in self.snapshots])
            _insert(conn, t.snapshots, self.snapshots)
        if self.audit:
            _insert(conn, t.audit, chain_audit(conn, self.audit))
        if self.ids:
            _insert(conn, t.ids, list(self.ids.values()))


def _prepare_all(events: list[Mapping[str, Any] | str]) -> list[Attempt]:
    return [prepare(e) for e in events]


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into `table` in the connection's transaction with the driver itself
    (SQLAlchemy's per-row parameter processing costs more than SQLite's insert): on
    PostgreSQL with COPY (one stream instead of a statement a row), on SQLite with one
    executemany."""
    names = list(rows[0])
    driver = conn.connection.driver_connection
    assert driver is not None
    columns = ", ".join(names)
    if conn.dialect.name == "postgresql":
        with driver.cursor() as cur, cur.copy(
                f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[n] for n in names])
        return
    cur = driver.cursor()
    try:
        cur.executemany(f"INSERT INTO {table.name} ({columns}) "
                        f"VALUES ({', '.join('?' * len(names))})",
                        [tuple(row[n] for n in names) for row in rows])
    finally:
        cur.close()


def _levels(roster: Any, units: set[str]) -> Iterator[list[str]]:
    """`units` by depth in the unit tree (roots first), each level in id order."""
    depth: dict[str, int] = {}
    for u in units:
        d, p = 0, roster.by_id[u].parent
        while p is not None:
            d, p = d + 1, roster.by_id[p].parent
        depth[u] = d
    for d in sorted(set(depth.values())):
        yield sorted(u for u in units if depth[u] == d)
