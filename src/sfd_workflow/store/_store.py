"""`EventStore`: judge-and-append in one transaction, on SQLite or PostgreSQL.

How a submit stays exact under concurrency (issue 6 §2), for an event of unit U:

1. *Optimistic judging.* The unit's replica (`_replica.py`) is synced from the database and
   judges the event; this runs outside any write transaction, so writers judge in parallel.
2. *Validating write.* One short transaction checks that nothing the verdict read has
   changed: it moves U's head from the sequence number the replica judged against to the
   next one (``UPDATE sfd_units ... WHERE head_seq = :judged``, a compare-and-set), checks the
   heads of U's children (read by ``children`` guards) under ``FOR SHARE``, takes the next
   commit number from ``sfd_clock`` (a row lock held until commit, so commit numbers follow
   commit order) and inserts the event; the unique constraint on (unit, seq) backs up the
   compare-and-set. A rejected event checks the same heads and goes to ``sfd_audit``.
3. *Retry.* When a head moved, the verdict may be stale: the replica is brought up to date
   and the event judged again. After a few lost races the submit turns pessimistic: it locks
   U's row first and judges inside the transaction, which cannot lose, so no writer starves.

Every verdict is therefore the verdict of a serial order: accepted events at their commit
number, rejected ones just after ``after_gseq`` (their audit row says which).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .._spec._model import Roster, Spec
from ..errors import LoadError, StoreError
from . import _schema as t
from ._canonical import canonical_json, event_hash, genesis_hash, sha256_hex
from ._database import is_retryable, make_engine, read_options, write_options
from ._migrate import (
    VersionedRuntime,
    Versions,
    check_versions,
    current_spec,
    restore_migrated,
)
from ._records import Attempt, AuditEntry, StoredEvent, prepare, roster_document
from ._replica import Head, Replica, subtree, subtree_roster
from ._snapshots import reads_children, restore, snapshot_row

__all__ = ["EventStore"]

#: Lost races before a submit stops judging optimistically and locks the unit first.
OPTIMISTIC_TRIES = 4
#: Database errors (deadlock, serialization failure) tolerated in one submit.
MAX_TRIES = 50
#: A unit's state is persisted after every this many of its accepted events, by default.
SNAPSHOT_EVERY = 100


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
_CLOCK = sa.select(t.clock.c.gseq).where(t.clock.c.id == 1)
_DROP_SNAPSHOT = t.snapshots.delete().where(t.snapshots.c.unit == sa.bindparam("u"),
                                            t.snapshots.c.seq == sa.bindparam("s"))


class _Conflict(Exception):
    """A head moved between judging and writing: judge again."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _core() -> Any:
    import sfd_workflow

    return sfd_workflow


def _spec_json(spec: Spec) -> str:
    if not spec.document:
        msg = (f"spec {spec.id!r} has no source document (build it with load_spec or "
               "spec_from_document): a store keeps the document it judges by")
        raise StoreError(msg)
    return canonical_json(dict(spec.document))


@contextlib.contextmanager
def _disposed_on_error(engine: sa.Engine, what: str) -> Iterator[None]:
    """On any error, release `engine`; a database error becomes a one-line `StoreError`."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"{what}: {_why(exc)}") from None
    except BaseException:
        engine.dispose()
        raise


class EventStore:
    """A durable, concurrent, tamper-evident record of a campaign's events.

    Create one with `EventStore.create` and open it again, from any process, with
    `EventStore.open`. ``submit`` judges an event by the store's spec and roster and, in the
    same transaction, appends it to its unit's history or records the rejected attempt.

    Example::

        store = EventStore.create("sqlite:///campaign.db", spec, roster)
        verdict = store.submit({"unit": "xh-ps-01", "event": "submit_report",
                                "actor": "p2", "at": "2009-06-02T10:00:00+08:00"})
        store.verify().ok
    """

    def __init__(self, engine: sa.Engine, url: str, spec: Spec, roster: Roster,
                 spec_sha256: str, store_id: str, predicates: Any = None,
                 snapshot_every: int = SNAPSHOT_EVERY) -> None:
        # Use `create` or `open`.
        core = _core()
        self.snapshot_every = _check_every(snapshot_every)
        """Persist a unit's state after every this many of its accepted events, and start
        rebuilding a unit from its newest usable snapshot; 0: neither (replay everything)."""
        self._children_read = reads_children(spec)
        self._engine = engine
        self.url = url
        """The database URL (password hidden)."""
        self.spec = spec
        """The spec this store judges by (the latest version after a `store migrate`)."""
        self.roster = roster
        """The roster of units this store judges by."""
        self.spec_sha256 = spec_sha256
        """SHA-256 of the canonical JSON of the document of the spec the store was created
        with: every unit's hash chain starts from it (after a `store migrate`, `spec` is a
        later version)."""
        self.store_id = store_id
        """A random id given to the store when it was created."""
        self._compiled = (core.compile_workflow(spec) if predicates is None
                          else core.compile_workflow(spec, predicates))
        self._genesis = {u.id: genesis_hash(spec_sha256, u.id) for u in roster.units}
        self._lobby = core.Runtime(self._compiled, Roster(units=(), source="<none>"),
                                   keep_log=False)
        self._replicas: dict[str, Replica] = {}
        # Replicas (Runtimes) are not thread-safe: threads sharing this object take turns.
        self._lock_replicas = threading.RLock()
        self.conflicts = 0
        """Races this store object lost (a head moved between judging and writing) and won on
        a retry: a measure of contention."""
        self._read = read_options(engine)
        self._postgres = engine.dialect.name == "postgresql"

    # ------------------------------------------------------------------ create / open
    @classmethod
    def create(cls, url: str, spec: Spec, roster: Roster, *, predicates: Any = None,
               snapshot_every: int = SNAPSHOT_EVERY) -> EventStore:
        """Make a new store at `url` holding `spec` and `roster`, and open it.

        Args:
            url: ``sqlite:///path.db`` or ``postgresql+psycopg://user:pw@host/db``.
            spec: the workflow to judge by (its document is stored with its SHA-256).
            roster: the units to judge (stored as a document).
            predicates: passed to ``compile_workflow`` (custom guard predicates).
            snapshot_every: persist a unit's state after every this many of its accepted
                events (0: never, and never use persisted snapshots); see `open`.

        Raises:
            StoreError: the database already holds a store, or cannot be reached, or
                `snapshot_every` is not a whole number >= 0.
        """
        _check_every(snapshot_every)
        spec_json = _spec_json(spec)
        roster_json = canonical_json(roster_document(roster))
        engine = make_engine(url)
        shown = _shown(url)
        store_id = uuid.uuid4().hex
        spec_sha = sha256_hex(spec_json)
        with _disposed_on_error(engine, f"cannot create a store at {shown}"), \
                engine.connect().execution_options(**write_options()) as conn, conn.begin():
            if t.current_version(conn) != 0 or sa.inspect(conn).has_table("sfd_events"):
                msg = f"{shown} already holds an event store: open it instead"
                raise StoreError(msg)
            for version in sorted(t.MIGRATIONS):
                t.apply_migration(conn, version)
            meta = {"spec_json": spec_json, "spec_sha256": spec_sha, "spec_id": spec.id,
                    "roster_json": roster_json, "roster_sha256": sha256_hex(roster_json),
                    "store_id": store_id, "created_at": _now()}
            conn.execute(t.meta.insert(), [{"key": k, "value": v} for k, v in meta.items()])
            conn.execute(t.units.insert(), [
                {"unit": u.id, "head_seq": 0}
                for u in roster.units])
        return cls(engine, shown, spec, roster, spec_sha, store_id, predicates, snapshot_every)

    @classmethod
    def open(cls, url: str, spec: Spec | None = None, *, predicates: Any = None,
             snapshot_every: int = SNAPSHOT_EVERY) -> EventStore:
        """Open the store at `url`, upgrading its schema when it is older than this library.

        A unit's state is rebuilt on first use: from its newest persisted snapshot that
        matches the stored hash chain, then the events after it (snapshots only save time:
        the state is the same without them).

        Args:
            url: the database URL the store was created at.
            spec: when given, the store must judge by exactly this spec (same document).
            predicates: passed to ``compile_workflow`` (custom guard predicates).
            snapshot_every: persist a unit's state after every this many of its accepted
                events (default 100); 0: never, and rebuild every unit from its first event.

        Raises:
            StoreError: no store there, a schema newer than this library, a stored spec or
                roster that no longer loads, a `spec` other than the stored one, or a
                `snapshot_every` that is not a whole number >= 0.
        """
        _check_every(snapshot_every)
        engine = make_engine(url)
        shown = _shown(url)
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and not Path(database).exists():
            engine.dispose()  # sqlite would create an empty file: say what is wrong instead
            raise StoreError(f"no event store at {shown}: no such file")
        with _disposed_on_error(engine, f"cannot open the store at {shown}"):
            _upgrade(engine, shown)
            with engine.connect() as conn:
                meta = dict(conn.execute(sa.select(t.meta.c.key, t.meta.c.value)).all())
            return cls._from_meta(engine, shown, meta, spec, predicates, snapshot_every)

    @classmethod
    def _from_meta(cls, engine: sa.Engine, shown: str, meta: Mapping[str, str],
                   spec: Spec | None, predicates: Any, snapshot_every: int) -> EventStore:
        core = _core()
        missing = [k for k in ("spec_json", "spec_sha256", "roster_json", "store_id")
                   if k not in meta]
        if missing:
            msg = f"the store at {shown} is incomplete: no {', '.join(missing)} in sfd_meta"
            raise StoreError(msg)
        stored_sha = meta["spec_sha256"]
        if sha256_hex(meta["spec_json"]) != stored_sha:
            msg = (f"the spec stored at {shown} does not match its SHA-256: "
                   "the store was altered; run verify")
            raise StoreError(msg)
        judged_json, judged_sha = current_spec(meta)  # the latest version (issue 14)
        if sha256_hex(judged_json) != judged_sha:
            msg = (f"the current spec stored at {shown} does not match its SHA-256: "
                   "the store was altered; run verify")
            raise StoreError(msg)
        if spec is not None:
            given = sha256_hex(_spec_json(spec))
            if given != judged_sha:
                msg = (f"the store at {shown} judges by spec {meta.get('spec_id', '?')!r} "
                       f"sha256:{judged_sha[:12]}, not the spec you passed ({spec.id!r} "
                       f"sha256:{given[:12]}): a store keeps its spec until "
                       "`store migrate` moves it to another")
                raise StoreError(msg)
        try:
            stored_spec = core.spec_from_document(json.loads(judged_json),
                                                  source=f"{shown}#spec")
            roster = core.roster_from_document(json.loads(meta["roster_json"]), stored_spec,
                                               source=f"{shown}#roster")
        except LoadError as exc:
            msg = f"the store at {shown} holds a spec or roster that no longer loads: {exc}"
            raise StoreError(msg) from None
        return cls(engine, shown, stored_spec, roster, stored_sha, meta["store_id"], predicates,
                   snapshot_every)

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<EventStore {self.url} spec={self.spec.id}>"

    # ------------------------------------------------------------------ submit
    def submit(self, event: Mapping[str, Any] | str) -> Any:
        """Judge `event` and, in one transaction, append it or audit the rejected attempt.

        Args:
            event: a mapping with ``unit``, ``event``, ``actor``, ``at`` and optional
                ``payload``, or one JSON Lines line of an event log (SPEC-FORMAT §3).

        Returns:
            The `Verdict`, exactly as some serial order of all concurrent submits gives it.
            An event the store cannot hold as JSON (e.g. NaN in its payload) is malformed.

        Raises:
            StoreError: the database failed, or the stored history was altered.
        """
        core = _core()
        attempt = prepare(event)
        if not attempt.storable:
            verdict = core.Verdict(False, core.Reason.MALFORMED, False)
            self._write_audit(attempt, verdict, None)
            return verdict
        if attempt.unit not in self.roster.by_id:
            verdict = _judge(self._lobby, attempt)
            self._write_audit(attempt, verdict, None)
            return verdict
        assert attempt.unit is not None
        conflicts = 0
        for tries in range(MAX_TRIES):
            try:
                with self._lock_replicas:
                    return self._try(attempt, pessimistic=conflicts >= OPTIMISTIC_TRIES)
            except _Conflict:
                conflicts += 1
                self.conflicts += 1
            except sa.exc.SQLAlchemyError as exc:
                if not is_retryable(exc):
                    raise StoreError(f"cannot write to {self.url}: {_why(exc)}") from None
            # A short random pause breaks lock-step retries between the same writers.
            time.sleep(random.uniform(0, 0.002 * min(tries + 1, 10)))
        msg = f"gave up after {MAX_TRIES} conflicting attempts on unit {attempt.unit!r}"
        raise StoreError(msg)

    def _replica(self, unit: str) -> Replica:
        rep = self._replicas.get(unit)
        if rep is None or rep.broken:
            core = _core()
            units = subtree(self.roster, unit)
            rt = core.Runtime(self._compiled, subtree_roster(self.roster, unit), keep_log=False)
            rep = Replica(rt, units, self._genesis, whole=len(units) == len(self.roster),
                          start=self._restore)
            self._replicas[unit] = rep
        return rep

    def _restore(self, conn: sa.Connection, rep: Replica) -> int:
        moved = restore_migrated(conn, rep)  # a migrated unit starts at its latest entry
        if not self.snapshot_every:
            return moved
        return max(moved, restore(conn, rep, self.roster, self.spec_sha256,
                                  children_read=self._children_read))

    def _snapshot_due(self, rep: Replica, unit: str, heads: Mapping[str, Head],
                      verdict: Any) -> str | None:
        """The unit's state after `verdict`'s event as canonical JSON, when that event is a
        multiple of `snapshot_every` (the runtime has just applied it)."""
        every = self.snapshot_every
        if not (every and verdict.accepted and (heads[unit][0] + 1) % every == 0):
            return None
        return canonical_json(rep.rt.snapshot(unit))

    def _try(self, attempt: Attempt, *, pessimistic: bool) -> Any:
        unit = attempt.unit
        assert unit is not None
        rep = self._replica(unit)
        watched = (unit, *self.roster.children.get(unit, ()))
        judged = False  # True once the replica holds an event that may not be stored
        try:
            if pessimistic:
                with self._engine.connect().execution_options(**write_options()) as conn, \
                        conn.begin():
                    self._lock(conn, watched)
                    rep.sync(conn)
                    heads = {u: rep.heads[u] for u in watched}
                    verdict = _judge(rep.rt, attempt)
                    judged = verdict.accepted
                    snap = self._snapshot_due(rep, unit, heads, verdict)
                    head = self._write(conn, attempt, verdict, heads, watched, snap)
            elif self._postgres:
                # Reading inside the write transaction takes no lock on PostgreSQL (MVCC) and
                # saves round trips; the heads are still checked before anything is written.
                with self._engine.connect().execution_options(**write_options()) as conn, \
                        conn.begin():
                    rep.sync(conn)
                    heads = {u: rep.heads[u] for u in watched}
                    verdict = _judge(rep.rt, attempt)
                    judged = verdict.accepted
                    snap = self._snapshot_due(rep, unit, heads, verdict)
                    head = self._write(conn, attempt, verdict, heads, watched, snap)
            else:
                # SQLite: BEGIN IMMEDIATE takes the database's write lock, so read and judge
                # before it.
                with self._engine.connect().execution_options(**self._read) as conn:
                    rep.sync(conn)
                heads = {u: rep.heads[u] for u in watched}
                verdict = _judge(rep.rt, attempt)
                judged = verdict.accepted
                snap = self._snapshot_due(rep, unit, heads, verdict)
                with self._engine.connect().execution_options(**write_options()) as conn, \
                        conn.begin():
                    head = self._write(conn, attempt, verdict, heads, watched, snap)
        except BaseException:
            if judged:
                # The replica may hold an event the database does not: rebuild it. (A
                # rejection changed nothing in it.)
                rep.broken = True
            raise
        if head is not None:
            rep.heads[unit] = head
        return verdict

    def _write(self, conn: sa.Connection, attempt: Attempt, verdict: Any,
               heads: Mapping[str, Head], watched: tuple[str, ...],
               snapshot: str | None = None) -> Head | None:
        """Append or audit, after checking that the heads the verdict read have not moved."""
        if verdict.accepted:
            return self._append(conn, attempt, verdict, heads, watched[1:], snapshot)
        self._check_heads(conn, watched, heads)
        # Its place in the serial order: right after the last event it read.
        after = max(heads[u][2] for u in watched)
        self._write_audit(attempt, verdict, heads[watched[0]][0], conn, after)
        return None

    def _lock(self, conn: sa.Connection, watched: tuple[str, ...]) -> None:
        # The unit first, then its children: every lock wait points down the unit tree (or
        # at the clock, whose holder waits for nothing), so writers cannot deadlock.
        conn.execute(_LOCK_UNIT, {"unit": watched[0]})
        if len(watched) > 1:
            conn.execute(_HEADS, {"units": list(watched[1:])})

    def _check_heads(self, conn: sa.Connection, names: tuple[str, ...],
                     heads: Mapping[str, Head]) -> None:
        now = dict(conn.execute(_HEADS, {"units": list(names)}).all())
        if any(now.get(u) != heads[u][0] for u in names):
            raise _Conflict

    def _append(self, conn: sa.Connection, attempt: Attempt, verdict: Any,
                heads: Mapping[str, Head], children: tuple[str, ...],
                snapshot: str | None) -> Head:
        unit = attempt.unit
        assert unit is not None
        seq, prev, _ = heads[unit]
        # Compare-and-set of the unit's head: the optimistic-concurrency check (and lock).
        if conn.execute(_CAS, {"u": unit, "old": seq, "new": seq + 1}).rowcount != 1:
            raise _Conflict
        if children:
            self._check_heads(conn, children, heads)
        # Last: the clock row stays locked until commit, so commit numbers follow commit order.
        gseq = conn.execute(_TICK).scalar_one()
        row = {"gseq": gseq, "unit": unit, "seq": seq + 1, "event": attempt.event,
               "actor": attempt.actor, "at": attempt.at, "payload": attempt.payload,
               "late": bool(verdict.late), "recorded_at": _now()}
        digest = event_hash(prev, _hashed(row))
        conn.execute(t.events.insert(), {**row, "prev_hash": prev, "hash": digest})
        if snapshot is not None:
            # In the same transaction: a snapshot exists exactly when its event does. (A row
            # already there can only be a stale one left by an altered history.)
            conn.execute(_DROP_SNAPSHOT, {"u": unit, "s": seq + 1})
            conn.execute(t.snapshots.insert(), snapshot_row(
                self.spec_sha256, unit, seq + 1, gseq, digest, snapshot, row["recorded_at"]))
        return seq + 1, digest, gseq

    def _write_audit(self, attempt: Attempt, verdict: Any, unit_seq: int | None,
                     conn: sa.Connection | None = None, after: int | None = None) -> None:
        if conn is None:
            try:
                with self._engine.connect().execution_options(**write_options()) as c, \
                        c.begin():
                    self._write_audit(attempt, verdict, unit_seq, c, after)
            except sa.exc.SQLAlchemyError as exc:
                raise StoreError(f"cannot write to {self.url}: {_why(exc)}") from None
            return
        if after is None:  # a verdict that read no state: any place will do, say "now"
            after = conn.execute(_CLOCK).scalar_one()
        conn.execute(t.audit.insert(), {
            "attempted_at": _now(), "unit": attempt.unit, "event": attempt.event,
            "actor": attempt.actor, "at": attempt.at, "payload": attempt.payload,
            "raw": attempt.raw, "reason": str(verdict.reason), "unit_seq": unit_seq,
            "after_gseq": after})

    # ------------------------------------------------------------------ reading
    def _synced(self, unit: str) -> Replica:
        if unit not in self.roster.by_id:
            from ..errors import UnknownUnitError

            raise UnknownUnitError(f"no unit {unit!r} in the store's roster")
        try:
            with self._lock_replicas, self._engine.connect() as conn:
                rep = self._replica(unit)
                rep.sync(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot read {self.url}: {_why(exc)}") from None
        return rep

    def state(self, unit: str) -> dict[str, str]:
        """Each step's current state in `unit`, from its accepted history."""
        return dict(self._synced(unit).rt.state(unit))

    def runtime(self, unit: str) -> Any:
        """The up-to-date `Runtime` over `unit`'s subtree (read it; do not submit to it)."""
        return self._synced(unit).rt

    def history(self, unit: str) -> list[StoredEvent]:
        """The accepted events of `unit`, oldest first."""
        if unit not in self.roster.by_id:
            from ..errors import UnknownUnitError

            raise UnknownUnitError(f"no unit {unit!r} in the store's roster")
        q = sa.select(t.events).where(t.events.c.unit == unit).order_by(t.events.c.seq)
        return list(self._rows(q))

    def stored_events(self) -> Iterator[StoredEvent]:
        """Every accepted event with its place and hash, in commit order."""
        return self._rows(sa.select(t.events).order_by(t.events.c.gseq))

    def events(self) -> Iterator[dict[str, Any]]:
        """The accepted events in commit order, as event mappings (SPEC-FORMAT §3)."""
        return (e.to_event() for e in self.stored_events())

    def _rows(self, q: sa.Select[Any]) -> Iterator[StoredEvent]:
        with self._engine.connect() as conn:
            for row in conn.execution_options(yield_per=1000).execute(q):
                yield _stored(row)

    def audit(self, unit: str | None = None) -> list[AuditEntry]:
        """The rejected attempts (of `unit`, or all), oldest first."""
        q = sa.select(t.audit).order_by(t.audit.c.id)
        if unit is not None:
            q = q.where(t.audit.c.unit == unit)
        with self._engine.connect() as conn:
            return [AuditEntry(**row._asdict()) for row in conn.execute(q)]

    def counts(self) -> tuple[int, int]:
        """(accepted events, rejected attempts) held by the store."""
        with self._engine.connect() as conn:
            n = conn.execute(sa.select(sa.func.count()).select_from(t.events)).scalar_one()
            m = conn.execute(sa.select(sa.func.count()).select_from(t.audit)).scalar_one()
        return int(n), int(m)

    def schema_version(self) -> int:
        """The schema version of the database."""
        with self._engine.connect() as conn:
            return t.current_version(conn)

    # ------------------------------------------------------------------ reports
    def status(self, as_of: dt.datetime | None = None) -> list[Any]:
        """A progress row per unit: current steps, overdue steps, what blocks them.

        Args:
            as_of: the moment "overdue" is judged at (default: now).
        """
        from ._status import unit_status

        rows: list[Any] = []
        with self._engine.connect() as conn:
            counts = dict(conn.execute(sa.select(t.units.c.unit, t.units.c.head_seq))
                          .all())
        for root in (u.id for u in self.roster.units if u.parent is None):
            rt = self._synced(root).rt
            rows.extend(unit_status(self.spec, self.roster, rt, uid, as_of,
                                    events=counts.get(uid, 0))
                        for uid in subtree(self.roster, root))
        order = {u.id: i for i, u in enumerate(self.roster.units)}
        return sorted(rows, key=lambda r: order[r.unit])

    def verify(self, anchor: Mapping[str, Any] | None = None, *, replay: bool = False) -> Any:
        """Check every unit's hash chain, the stored spec and roster, and every persisted
        snapshot (a `VerifyReport`).

        Args:
            anchor: ``report.anchor()`` of an earlier verify, kept outside the database:
                also check that no unit lost or changed an event the anchor saw.
            replay: also judge every stored event again from the start (each must be
                accepted) and compare every snapshot with the replayed state: slower (a
                full replay), and it catches a snapshot edited with its digest recomputed.
        """
        import attrs

        from ._verify import replay_check, verify

        try:
            with self._engine.connect() as conn:
                report = verify(conn, self._genesis_for, anchor)
                report = attrs.evolve(report, broken=(*report.broken, *check_versions(conn)))
                if not replay:
                    return report
                # each event judged by the spec version its unit's chain says (issue 14)
                stored = Versions(conn, self._compiled)
                roots = ((u.id, VersionedRuntime(stored, subtree_roster(self.roster, u.id)),
                          subtree(self.roster, u.id))
                         for u in self.roster.units if u.parent is None)
                found = replay_check(conn, roots)
                return attrs.evolve(report, broken=(*report.broken, *found), replayed=True)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot read {self.url}: {_why(exc)}") from None

    def _genesis_for(self, spec_sha256: str, unit: str) -> str:
        return genesis_hash(spec_sha256, unit)

    def export(self, fmt: str, out: IO[str] | str | Path) -> int:
        """Write the accepted events as ``jsonl``, ``csv`` or ``xes``; returns how many.

        JSON Lines is an event log ``sfd-workflow replay`` reads (SPEC-FORMAT §3); CSV has one
        row per event with its place and hash; XES (IEEE 1849) has one trace per unit for
        process-mining tools.
        """
        from ._export import export

        return export(self, fmt, out)


def _check_every(every: Any) -> int:
    if isinstance(every, bool) or not isinstance(every, int) or every < 0:
        msg = f"snapshot_every must be a whole number >= 0 (0: no snapshots), not {every!r}"
        raise StoreError(msg)
    return every


def _judge(rt: Any, attempt: Attempt) -> Any:
    if isinstance(attempt.judged, str):
        return rt.submit_line(attempt.judged)
    return rt.submit(attempt.judged)


def _hashed(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("gseq", "unit", "seq", "event", "actor", "at", "payload",
                                "late", "recorded_at")}


def _stored(row: Any) -> StoredEvent:
    try:
        payload = json.loads(row.payload)
    except ValueError:
        payload = None
    return StoredEvent(gseq=row.gseq, unit=row.unit, seq=row.seq, event=row.event,
                       actor=row.actor, at=row.at,
                       payload=payload if isinstance(payload, dict) else {},
                       late=bool(row.late), recorded_at=row.recorded_at,
                       prev_hash=row.prev_hash, hash=row.hash)


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _why(exc: sa.exc.SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _upgrade(engine: sa.Engine, shown: str) -> None:
    """Bring the schema up to `SCHEMA_VERSION`, one migration a transaction."""
    with engine.connect() as conn:
        version = t.current_version(conn)
    if version == 0:
        raise StoreError(f"no event store at {shown}: create one with EventStore.create "
                         "or `sfd-workflow store init`")
    if version > t.SCHEMA_VERSION:
        msg = (f"the store at {shown} has schema version {version}, newer than this "
               f"sfd-workflow understands ({t.SCHEMA_VERSION}): upgrade sfd-workflow")
        raise StoreError(msg)
    while version < t.SCHEMA_VERSION:
        with engine.connect().execution_options(**write_options()) as conn, conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE sfd_schema IN EXCLUSIVE MODE")
            version = t.current_version(conn)  # another process may have upgraded meanwhile
            if version < t.SCHEMA_VERSION:
                t.apply_migration(conn, version + 1)
                version += 1
