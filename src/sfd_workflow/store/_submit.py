"""The write path of `EventStore`: one event a transaction, exact under concurrency.

How a submit stays exact under concurrency, for an event of unit U:

1. *Optimistic judging.* The unit's replica (`_replica.py`) is synced from the database and
   judges the event; this runs outside any write transaction, so writers judge in parallel.
2. *Validating write.* One short transaction checks that nothing the verdict read has
   changed: it moves U's head from the sequence number the replica judged against to the
   next one (``UPDATE sfd_units ... WHERE head_seq = :judged``, a compare-and-set), checks the
   heads of U's children (read by ``children`` guards) under ``FOR SHARE``, takes the next
   commit number from ``sfd_clock`` (a row lock held until commit, so commit numbers follow
   commit order) and inserts the event; the unique constraint on (unit, seq) backs up the
   compare-and-set. A rejected event checks the same heads and goes to ``sfd_audit``. On
   PostgreSQL the usual accepted event (no children, no snapshot due) is all of this in one
   statement on its own (`_append_at_once`): the clock is never held across a round trip.
   The replica catches up before judging unless its last write met no race: the heads
   check makes the verdict exact either way, the read only makes lost races rarer.
3. *Retry.* When a head moved, the verdict may be stale: the replica is brought up to date
   and the event judged again. After a few lost races the submit turns pessimistic: it locks
   U's row first and judges inside the transaction, which cannot lose, so no writer starves.

An event with an id (schema version 3, `_ids.py`) is first looked up: an id already stored
is answered from ``sfd_ids``; otherwise the id row is written in the same transaction as the
event or audit row, and two writers racing with the same id collide on its primary key (the
loser retries, and finds it).

Every verdict is therefore the verdict of a serial order: accepted events at their commit
number, rejected ones just after ``after_gseq`` (their audit row says which).
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from .._engine import Runtime
from .._extras import require
from .._spec._model import Roster, Spec
from .._verdict import Reason, Verdict
from ..errors import StoreError
from . import _schema as t
from ._canonical import canonical_json, sha256_hex
from ._database import flush_statement, is_retryable, make_durable, write_options
from ._ids import answer, check_id, event_digest, id_row, known_ids
from ._records import Attempt, append_audit, from_future
from ._replica import Head, Replica, subtree, subtree_roster
from ._rows import audit_row, event_fields, event_row, hash_around_gseq
from ._snapshots import reads_children, restore, snapshot_row, snapshot_text
from ._versions import Versions, restore_migrated

__all__ = ["MAX_TRIES", "OPTIMISTIC_TRIES", "Writes", "judge", "runtime", "whole_counts",
           "why"]

#: Lost races before a submit stops judging optimistically and locks the unit first.
OPTIMISTIC_TRIES = 4
#: Database errors (deadlock, serialization failure) tolerated in one submit.
MAX_TRIES = 50


# Statements built once (building a statement costs more than running it on SQLite).
_LOCK_UNIT = (sa.select(t.units.c.unit).where(t.units.c.unit == sa.bindparam("unit"))
              .with_for_update())
_HEADS = (sa.select(t.units.c.unit, t.units.c.head_seq)
          .where(t.units.c.unit.in_(sa.bindparam("units", expanding=True)))
          .with_for_update(read=True))
_CAS = (t.units.update()
        .where(t.units.c.unit == sa.bindparam("u"), t.units.c.head_seq == sa.bindparam("old"))
        .values(head_seq=sa.bindparam("new")))
_TICK = (t.clock.update().where(t.clock.c.id == 1).values(gseq=t.clock.c.gseq + 1)
         .returning(t.clock.c.gseq))
CLOCK = sa.select(t.clock.c.gseq).where(t.clock.c.id == 1)


def _append_at_once(with_id: bool) -> Any:
    """PostgreSQL, the usual accepted event (a unit without children, no snapshot due): one
    statement does the whole write. It moves the unit's head (compare-and-set), takes the
    next commit number, computes the event's hash around it (`hash_around_gseq`) and inserts
    the event (and its ``sfd_ids`` row); it returns the event's commit number and hash, or no
    row when the head had moved. Run on its own (autocommit), it is its own transaction: the
    commit counter stays locked only while the server runs it and commits, never across a
    round trip to the client."""
    # Parameters are named v_*: a parameter named after a column of the table a statement
    # writes would be read by SQLAlchemy as a value for that column.
    def b(name: str, **kw: Any) -> Any:
        return sa.bindparam(f"v_{name}", **kw)

    e = t.events.c
    cas = (t.units.update().where(t.units.c.unit == b("unit"), t.units.c.head_seq == b("old"))
           .values(head_seq=b("seq")).returning(t.units.c.unit).cte("cas"))
    tick = (t.clock.update().where(t.clock.c.id == 1, sa.exists(sa.select(cas.c.unit)))
            .values(gseq=t.clock.c.gseq + 1).returning(t.clock.c.gseq).cte("tick"))
    text = (b("pre", type_=sa.LargeBinary)
            .op("||")(sa.func.convert_to(sa.cast(tick.c.gseq, sa.Text), "UTF8"))
            .op("||")(b("post", type_=sa.LargeBinary)))
    digest = sa.func.encode(sa.func.sha256(sa.type_coerce(text, sa.LargeBinary)), "hex")
    fields = ("unit", "seq", "event", "actor", "at", "payload", "late", "recorded_at",
              "prev_hash")
    insert = (t.events.insert()
              .from_select(["gseq", *fields, "hash"],
                           sa.select(tick.c.gseq, *(b(f, type_=e[f].type) for f in fields),
                                     digest))
              .returning(e.gseq, e.hash))
    if not with_id:
        return insert.add_cte(cas).add_cte(tick)
    ev = insert.cte("ev")
    i = t.ids.c
    id_row = (t.ids.insert()
              .from_select(["id", "digest", "unit", "accepted", "reason", "late", "gseq"],
                           sa.select(b("id", type_=i.id.type), b("digest", type_=i.digest.type),
                                     b("unit", type_=i.unit.type), sa.true(),
                                     sa.null(), b("late", type_=i.late.type), ev.c.gseq))
              .cte("id_row"))
    return sa.select(ev.c.gseq, ev.c.hash).add_cte(cas, tick, ev, id_row)


_AT_ONCE = {False: _append_at_once(False), True: _append_at_once(True)}


@functools.cache
def _at_once_sql(dialect: sa.Dialect, with_id: bool) -> tuple[str, str, dict[str, Any]]:
    """`_AT_ONCE` for `dialect` as a named prepared statement: the ``PREPARE`` that makes it
    (once a connection: the server keeps its plan for the session), the ``EXECUTE`` of it
    with the driver's named placeholders, and the values it binds itself."""
    compiled = _AT_ONCE[with_id].compile(dialect=dialect)
    names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", compiled.string)))
    position = {n: i for i, n in enumerate(names, 1)}
    body = re.sub(r"%\((\w+)\)s", lambda m: f"${position[m.group(1)]}", compiled.string)
    kinds = ", ".join(compiled.binds[n].type.compile(dialect=dialect) for n in names)
    name = f"sfd_write_{int(with_id)}"
    execute = f"EXECUTE {name}({', '.join(f'%({n})s' for n in names)})"
    fixed = {k: v for k, v in compiled.params.items() if v is not None}
    return f"PREPARE {name} ({kinds}) AS {body}", execute, fixed


DROP_SNAPSHOT = t.snapshots.delete().where(t.snapshots.c.unit == sa.bindparam("u"),
                                           t.snapshots.c.seq == sa.bindparam("s"))


def whole_counts(heads: Mapping[str, Any], units: Iterable[str]) -> None:
    """Raise StoreError, one line, when the event count of one of `units` in `heads` (their
    ``sfd_units`` rows: unit -> head_seq) is missing or not a whole number: the store was
    altered, and no retry could ever write."""
    for u in units:
        if type(heads.get(u)) is not int:
            msg = (f"unit {u!r} has no whole-number event count in sfd_units (head_seq "
                   f"{heads.get(u)!r:.40}): the store was altered; run verify")
            raise StoreError(msg)


def _lost_connection(exc: Exception, driver: Any) -> bool:
    """True when the driver's error says the connection broke (an operational or interface
    error with no SQLSTATE, or of class 08) or the server shut it down (class 57), rather
    than the server refusing a statement."""
    state = getattr(exc, "sqlstate", None)
    return isinstance(exc, driver.OperationalError | driver.InterfaceError) and (
        state is None or str(state).startswith(("08", "57")))


class _Conflict(Exception):
    """A head moved between judging and writing: judge again."""


def judge(rt: Any, attempt: Attempt) -> Verdict:
    """The verdict of runtime `rt` on `attempt` (the line itself when one was given)."""
    if isinstance(attempt.judged, str):
        return rt.submit_line(attempt.judged)  # type: ignore[no-any-return]
    return rt.submit(attempt.judged)  # type: ignore[no-any-return]


def runtime(compiled: Any, roster: Roster) -> Any:
    """A new `Runtime` that keeps no log."""
    return Runtime(compiled, roster, keep_log=False)


def why(exc: sa.exc.SQLAlchemyError) -> str:
    """The first line of what the database said."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Writes:
    """The submitting half of `EventStore`: replicas, judging, and the write transactions."""

    _engine: sa.Engine
    _compiled: Any
    _genesis: dict[str, str]
    _lobby: Any
    _replicas: dict[str, Replica]
    _lock_replicas: threading.RLock
    _read: dict[str, Any]
    _postgres: bool
    _children_read: bool
    _versions: Versions | None  # the stored spec versions, loaded when a replica needs one
    url: str
    roster: Roster
    spec: Spec
    spec_sha256: str
    snapshot_every: int
    conflicts: int
    max_skew: dt.timedelta | None
    clock: Callable[[], dt.datetime]
    _tz: dt.tzinfo

    def _future(self, attempt: Attempt) -> Verdict | None:
        """The ``future`` rejection of `attempt` (dated more than `max_skew` after the store's
        clock, checked right after malformed), or None."""
        why = from_future(attempt, self.clock(), self.max_skew, self._tz)
        return None if why is None else Verdict(False, Reason.FUTURE, False, why)

    # ------------------------------------------------------------------ one event
    def _submit_attempt(self, attempt: Attempt) -> Verdict:
        """Judge and write one prepared event, retrying lost races and transient errors."""
        if not check_id(attempt):
            verdict = Verdict(False, Reason.MALFORMED, False)
            self._write_audit(attempt, verdict, None, None)
            return verdict
        digest = None if attempt.id is None else event_digest(attempt)
        conflicts = 0
        for tries in range(MAX_TRIES):
            try:
                if digest is not None:
                    with self._engine.connect().execution_options(**self._read) as conn:
                        held = known_ids(conn, [attempt.id]).get(attempt.id)
                    if held is not None:
                        verdict = answer(attempt, digest, held)
                        if verdict.conflict is not None:
                            self._write_audit(attempt, verdict, None, None)
                            make_durable(self._engine)
                        return verdict
                future = self._future(attempt) if attempt.storable else None
                if (not attempt.storable or future is not None
                        or attempt.unit not in self.roster.by_id):
                    verdict = (Verdict(False, Reason.MALFORMED, False) if not attempt.storable
                               else future or judge(self._lobby, attempt))
                    self._write_audit(attempt, verdict, None, digest)
                    make_durable(self._engine)
                    return verdict
                with self._lock_replicas:
                    verdict, durable = self._try(attempt, digest,
                                                 pessimistic=conflicts >= OPTIMISTIC_TRIES)
                if not durable:
                    make_durable(self._engine)
                return verdict
            except _Conflict:
                conflicts += 1
                self.conflicts += 1
            except sa.exc.SQLAlchemyError as exc:
                if not is_retryable(exc):
                    raise StoreError(f"cannot write to {self.url}: {why(exc)}") from None
            # A short random pause breaks lock-step retries between the same writers.
            time.sleep(random.uniform(0, 0.002 * min(tries + 1, 10)))
        msg = f"gave up after {MAX_TRIES} conflicting attempts on unit {attempt.unit!r}"
        raise StoreError(msg)

    def _replica(self, unit: str) -> Replica:
        rep = self._replicas.get(unit)
        if rep is None or rep.broken:
            rep = self._replicas[unit] = self._new_replica(unit)
        return rep

    def _new_replica(self, unit: str) -> Replica:
        """A replica of `unit`'s subtree that has read nothing yet (not kept: see
        `_replica`)."""
        units = subtree(self.roster, unit)
        rt = runtime(self._compiled, subtree_roster(self.roster, unit))
        return Replica(rt, units, self._genesis, whole=len(units) == len(self.roster),
                       start=self._restore)

    def _restore(self, conn: sa.Connection, rep: Replica) -> int:
        # The replica judges by its tree's version; a moved unit starts at its latest
        # migration entry (`_versions.py`).
        judged_by = sha256_hex(canonical_json(dict(self.spec.document)))
        moved = restore_migrated(conn, rep, judged_by, self.spec_sha256,
                                 lambda sha: self._runtime_of(conn, sha, rep.units[0]))
        if not self.snapshot_every:
            return moved
        children_read = (self._children_read if rep.rt.compiled is self._compiled
                         else reads_children(rep.rt.spec))  # another version's
        return max(moved, restore(conn, rep, self.roster, self.spec_sha256,
                                  children_read=children_read))

    def _runtime_of(self, conn: sa.Connection, sha: str, unit: str) -> Any:
        """A new runtime of the stored spec version `sha` over `unit`'s subtree."""
        if self._versions is None or sha not in self._versions:
            self._versions = Versions(conn, self._compiled)
        return self._versions.runtime(sha, subtree_roster(self.roster, unit))

    def _snapshot_due(self, rep: Replica, unit: str, seq: int, verdict: Verdict) -> str | None:
        """The unit's state after `verdict`'s event as canonical JSON, when that event (its
        `seq`-th) is a multiple of `snapshot_every` (the runtime has just applied it)."""
        every = self.snapshot_every
        if not (every and verdict.accepted and seq % every == 0):
            return None
        return snapshot_text(rep.rt, unit)

    def _try(self, attempt: Attempt, digest: str | None, *, pessimistic: bool
             ) -> tuple[Verdict, bool]:
        """Judge and write `attempt` once: its verdict, and whether the write was made durable
        already (else the caller runs `make_durable`)."""
        unit = attempt.unit
        assert unit is not None
        rep = self._replica(unit)
        watched = (unit, *self.roster.children.get(unit, ()))
        judged = False  # True once the replica holds an event that may not be stored
        durable = False
        # The catch-up read only saves lost races: the write checks the heads the verdict
        # read anyway. A replica whose last write met no race skips it (one round trip),
        # unless the unit has children: their events are often written through their own
        # replicas, and a lost race costs a rebuild of the whole subtree's replica.
        catch_up = pessimistic or not rep.quiet or len(watched) > 1
        try:
            if pessimistic:
                # Lock first, judge inside: cannot lose a race.
                with self._engine.connect().execution_options(**write_options()) as conn, \
                        conn.begin():
                    self._lock(conn, watched)
                    rep.sync(conn)
                    heads = {u: rep.heads[u] for u in watched}
                    verdict = judge(rep.rt, attempt)
                    judged = verdict.accepted
                    snap = self._snapshot_due(rep, unit, heads[unit][0] + 1, verdict)
                    try:
                        head = self._write(conn, attempt, verdict, heads, watched, snap,
                                           digest)
                    except _Conflict:
                        # The rows are locked and the replica read every event they count:
                        # a count that still differs was edited.
                        counts = ", ".join(f"{u!r} {heads[u][0]}" for u in watched)
                        msg = (f"the event counts in sfd_units do not match the stored events "
                               f"of {counts} (events found): the store was altered; run verify")
                        raise StoreError(msg) from None
            else:
                # Read and judge before the write transaction (SQLite: BEGIN IMMEDIATE takes
                # the database's write lock); the write checks the heads the verdict read.
                if catch_up:
                    with self._engine.connect().execution_options(**self._read) as conn:
                        rep.sync(conn)
                heads = {u: rep.heads[u] for u in watched}
                verdict = judge(rep.rt, attempt)
                judged = verdict.accepted
                snap = self._snapshot_due(rep, unit, heads[unit][0] + 1, verdict)
                if self._postgres and judged and snap is None and len(watched) == 1:
                    with self._engine.connect().execution_options(**self._read) as conn:
                        head = self._append_at_once(conn, attempt, verdict, heads[unit],
                                                    digest)
                    durable = True
                else:
                    with self._engine.connect().execution_options(**write_options()) as conn, \
                            conn.begin():
                        head = self._write(conn, attempt, verdict, heads, watched, snap,
                                           digest)
        except BaseException:
            rep.quiet = False
            if judged:
                # The replica may hold an event the database does not: rebuild it. (A
                # rejection changed nothing in it.)
                rep.broken = True
            raise
        rep.quiet = True
        if head is not None:
            rep.heads[unit] = head
        return verdict, durable

    def _write(self, conn: sa.Connection, attempt: Attempt, verdict: Verdict,
               heads: Mapping[str, Head], watched: tuple[str, ...], snapshot: str | None,
               digest: str | None) -> Head | None:
        """Append or audit, after checking that the heads the verdict read have not moved."""
        if verdict.accepted:
            head = self._append(conn, attempt, verdict, heads, watched[1:], snapshot)
            if digest is not None:
                conn.execute(t.ids.insert(), id_row(attempt, digest, verdict, head[2]))
            return head
        self._check_heads(conn, watched, heads)
        # Its place in the serial order: right after the last event it read.
        after = max(heads[u][2] for u in watched)
        self._write_audit(attempt, verdict, heads[watched[0]][0], digest, conn, after)
        return None

    def _lock(self, conn: sa.Connection, watched: tuple[str, ...]) -> None:
        # The unit first, then its children: every lock wait points down the unit tree (or
        # at the clock, whose holder waits for nothing), so writers cannot deadlock.
        conn.execute(_LOCK_UNIT, {"unit": watched[0]})
        if len(watched) > 1:
            conn.execute(_HEADS, {"units": list(watched[1:])})

    def _check_heads(self, conn: sa.Connection, names: tuple[str, ...],
                     heads: Mapping[str, Head]) -> None:
        """Raise `_Conflict` when a head moved since `heads` were read; StoreError when one
        is no count at all (an altered store: retrying could never succeed)."""
        now = dict(conn.execute(_HEADS, {"units": list(names)}).all())
        moved = [u for u in names if now.get(u) != heads[u][0]]
        if moved:
            whole_counts(now, moved)
            raise _Conflict

    def _append(self, conn: sa.Connection, attempt: Attempt, verdict: Verdict,
                heads: Mapping[str, Head], children: tuple[str, ...],
                snapshot: str | None) -> Head:
        unit = attempt.unit
        assert unit is not None
        seq, prev, _ = heads[unit]
        # Compare-and-set of the unit's head: the optimistic-concurrency check (and lock).
        if conn.execute(_CAS, {"u": unit, "old": seq, "new": seq + 1}).rowcount != 1:
            self._check_heads(conn, (unit,), heads)  # says why: moved, or altered
            raise _Conflict
        if children:
            self._check_heads(conn, children, heads)
        # Last: the clock row stays locked until commit, so commit numbers follow commit order.
        gseq = conn.execute(_TICK).scalar_one()
        row = event_row(attempt, verdict.late, seq + 1, gseq, prev)
        conn.execute(t.events.insert(), row)
        if snapshot is not None:
            # In the same transaction: a snapshot exists exactly when its event does. (A row
            # already there can only be a stale one left by an altered history.)
            conn.execute(DROP_SNAPSHOT, {"u": unit, "s": seq + 1})
            conn.execute(t.snapshots.insert(), snapshot_row(
                self.spec_sha256, unit, seq + 1, gseq, row["hash"], snapshot,
                row["recorded_at"]))
        return seq + 1, row["hash"], gseq

    def _append_at_once(self, conn: sa.Connection, attempt: Attempt, verdict: Verdict,
                        head: Head, digest: str | None) -> Head:
        """`_append` (and the id row) in one statement, `_AT_ONCE`, and the durability flush
        of `make_durable`, in one round trip (PostgreSQL, an autocommit connection).

        The two go as one query string, ``WRITE; COMMIT; FLUSH``, with the parameters bound
        by the driver on the client (psycopg's ``ClientCursor``: a string of several
        statements takes no server-side parameters). The server runs such a string as one
        implicit transaction up to the explicit COMMIT, so the write commits (without waiting
        for the disk: the connection's setting) before the flush starts a transaction of its
        own that waits for it; an error stops the string and undoes the write. The write is
        a statement prepared once a connection (SQL ``PREPARE``, see `_at_once_sql`), so the
        server plans it once, not on every submit."""
        seq, prev, _ = head
        row = event_fields(attempt, verdict.late, seq + 1, prev)
        pre, post = hash_around_gseq(row)
        prepare, sql, params = _at_once_sql(conn.dialect, digest is not None)
        params = {**params, **{f"v_{k}": v for k, v in row.items()},
                  "v_old": seq, "v_pre": pre, "v_post": post}
        if digest is not None:
            params |= {"v_id": attempt.id, "v_digest": digest}
        flush = flush_statement(self._engine)
        if flush is not None:
            sql = f"{sql}; COMMIT; {flush[0]}"
            params |= flush[1]
        psycopg = require("psycopg", feature="an event store on PostgreSQL", extra="store")
        # The connection's prepared statements: psycopg drops them all (DEALLOCATE ALL)
        # after a ROLLBACK on the connection, so one found missing is prepared again (the
        # failed EXECUTE wrote nothing: it stops the string).
        prepared = conn.connection.info.setdefault("sfd_prepared", set())
        for again in (False, True):
            try:
                if prepare not in prepared:
                    conn.exec_driver_sql(prepare)
                    prepared.add(prepare)
                with psycopg.ClientCursor(conn.connection.driver_connection) as cur:
                    cur.execute(sql, params)
                    stored = cur.fetchone()
                break
            except psycopg.errors.InvalidSqlStatementName as exc:
                prepared.discard(prepare)
                if again:
                    raise sa.exc.DBAPIError.instance(sql, params, exc, psycopg.Error) from None
            except psycopg.Error as exc:
                if _lost_connection(exc, psycopg):
                    # The string may have stopped after its COMMIT: do not write it again.
                    msg = (f"the connection to {self.url} failed during a write that may "
                           f"have been committed ({type(exc).__name__}): check the store "
                           "(with an event id, submit it again: it is stored once)")
                    raise StoreError(msg) from None
                raise sa.exc.DBAPIError.instance(sql, params, exc, psycopg.Error) from None
        if stored is None:
            raise _Conflict
        return seq + 1, str(stored[1]), int(stored[0])

    def _write_audit(self, attempt: Attempt, verdict: Verdict, unit_seq: int | None,
                     digest: str | None, conn: sa.Connection | None = None,
                     after: int | None = None) -> None:
        if conn is None:
            with self._engine.connect().execution_options(**write_options()) as c, \
                    c.begin():
                self._write_audit(attempt, verdict, unit_seq, digest, c, after)
            return
        if after is None:  # a verdict that read no state: any place will do, say "now"
            after = conn.execute(CLOCK).scalar_one()
        append_audit(conn, audit_row(attempt, verdict.reason, unit_seq, after))
        if digest is not None:
            conn.execute(t.ids.insert(), id_row(attempt, digest, verdict, after))
