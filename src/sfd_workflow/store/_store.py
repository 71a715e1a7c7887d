"""`EventStore`: judge-and-append in one transaction, on SQLite or PostgreSQL.

The class is put together from its halves: opening and reading here, one event a
transaction in `_submit.py` (exact under concurrency), a batch a transaction in `_batch.py`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from zoneinfo import ZoneInfo

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .._compile import compile_workflow
from .._engine import Runtime
from .._roster import roster_from_document
from .._spec._loader import spec_from_document
from .._spec._model import Roster, Spec
from .._verdict import Verdict
from ..errors import StoreError, UnknownUnitError
from . import _schema as t
from ._batch import BATCH, Batches
from ._canonical import canonical_json, chain_genesis, sha256_hex
from ._dask import verify_on_dask
from ._database import make_durable, make_engine, read_options, write_options
from ._export import export
from ._records import MAX_SKEW, AuditEntry, StoredEvent, prepare, roster_document, utc_now
from ._replica import Replica
from ._rows import now
from ._snapshots import reads_children
from ._status import store_status
from ._submit import why
from ._verify import replay_check, verify
from ._versions import MIGRATION_EVENT, Entry, judged_spec, latest_entries, versioned_roots

__all__ = ["EventStore"]

#: A unit's state is persisted after every this many of its accepted events, by default.
SNAPSHOT_EVERY = 100


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
        raise StoreError(f"{what}: {why(exc)}") from None
    except BaseException:
        engine.dispose()
        raise


class EventStore(Batches):
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
                 snapshot_every: int = SNAPSHOT_EVERY, *,
                 genesis: Mapping[str, str]) -> None:
        # Use `create` or `open`.
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
        with, which every unit's hash chain starts from (`spec` may be a later version)."""
        self.store_id = store_id
        """A random id given to the store when it was created."""
        self._predicates = predicates
        self._compiled = (compile_workflow(spec) if predicates is None
                          else compile_workflow(spec, predicates))
        chain = chain_genesis(genesis)
        self._genesis = {u.id: chain(u.id) for u in roster.units}
        self._lobby = Runtime(self._compiled, Roster(units=(), source="<none>"), keep_log=False)
        self._replicas: dict[str, Replica] = {}
        self._versions = None
        # Replicas (Runtimes) are not thread-safe: threads sharing this object take turns.
        self._lock_replicas = threading.RLock()
        self.conflicts = 0
        """Races this store object lost (a head moved between judging and writing) and won on
        a retry: a measure of contention."""
        self._read = read_options(engine)
        self.max_skew: dt.timedelta | None = MAX_SKEW
        """An event dated more than this after `clock` is rejected as ``future`` (None: never;
        default 10 minutes)."""
        self.clock: Callable[[], dt.datetime] = utc_now
        """The store's clock (an aware datetime), for the ``future`` check only."""
        self._tz = ZoneInfo(spec.timezone)
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
                msg = (f"{shown} already holds an event store: use it (store submit, status, "
                       "verify) or give another URL")
                raise StoreError(msg)
            for version in sorted(t.MIGRATIONS):
                t.apply_migration(conn, version)
            meta = {"spec_json": spec_json, "spec_sha256": spec_sha, "spec_id": spec.id,
                    "roster_json": roster_json, "roster_sha256": sha256_hex(roster_json),
                    "store_id": store_id, "created_at": now(),
                    **t.chain_meta(spec_sha, sha256_hex(roster_json))}
            conn.execute(t.meta.insert(), [{"key": k, "value": v} for k, v in meta.items()])
            conn.execute(t.units.insert(), [
                {"unit": u.id, "head_seq": 0}
                for u in roster.units])
        make_durable(engine)
        return cls(engine, shown, spec, roster, spec_sha, store_id, predicates, snapshot_every,
                   genesis=meta)

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
        judged_json, judged_sha = judged_spec(meta, shown)  # the latest version (issue 14)
        if spec is not None:
            given = sha256_hex(_spec_json(spec))
            if given != judged_sha:
                msg = (f"the store at {shown} judges by spec {meta.get('spec_id', '?')!r} "
                       f"sha256:{judged_sha[:12]}, not the spec you passed ({spec.id!r} "
                       f"sha256:{given[:12]}): a store keeps its spec until "
                       "`store migrate` moves it to another")
                raise StoreError(msg)
        try:
            stored_spec = spec_from_document(json.loads(judged_json),
                                             source=f"{shown}#spec")
            roster = roster_from_document(json.loads(meta["roster_json"]), stored_spec,
                                          source=f"{shown}#roster")
        except (ValueError, RecursionError) as exc:  # LoadError, or not JSON at all
            msg = f"the store at {shown} holds a spec or roster that no longer loads: {exc}"
            raise StoreError(msg) from None
        return cls(engine, shown, stored_spec, roster, stored_sha, meta["store_id"], predicates,
                   snapshot_every, genesis=meta)

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
                ``payload``, or one JSON Lines line of an event log (docs/format.md §3).

        Returns:
            The `Verdict`, exactly as some serial order of all concurrent submits gives it.
            An event the store cannot hold as JSON (e.g. NaN in its payload) is malformed.

        Raises:
            StoreError: the database failed, or the stored history was altered.
        """
        return self._submit_attempt(prepare(event))

    def submit_many(self, events: Iterable[Mapping[str, Any] | str], *,
                    batch: int = BATCH) -> list[Verdict]:
        """Judge and store `events` in order, `batch` events a transaction.

        Stores exactly what `submit` called on each event in turn would store (verdicts,
        hash chains, audit rows, snapshots, event ids), with one commit a batch instead of
        one an event. Bad events are judged and audited like any other and never stop the
        rest. A batch whose transaction fails stores nothing and is tried again (transient
        errors) or raises; the batches before it stay stored.

        Args:
            events: mappings or JSON Lines lines, as `submit` takes them.
            batch: events a transaction (default 500).

        Returns:
            Each event's verdict, in order (see `submit`).

        Raises:
            StoreError: the database failed, the stored history was altered, or `batch` is
                not a whole number >= 1.
        """
        return [v for verdicts in self._stream(events, batch) for v in verdicts]

    def submit_batches(self, events: Iterable[Mapping[str, Any] | str], *,
                       batch: int = BATCH) -> Iterator[list[Verdict]]:
        """`submit_many`, one batch at a time: yields each batch's verdicts once the batch is
        committed (nothing is stored until you iterate). For imports too large to keep
        every verdict in memory, and for progress reports."""
        return self._stream(events, batch)

    # ------------------------------------------------------------------ reading
    def _synced(self, unit: str) -> Replica:
        if unit not in self.roster.by_id:
            raise UnknownUnitError(f"no unit {unit!r} in the store's roster")
        try:
            with self._lock_replicas, self._engine.connect() as conn:
                rep = self._replica(unit)
                rep.sync(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot read {self.url}: {why(exc)}") from None
        return rep

    def state(self, unit: str) -> dict[str, str]:
        """Each step's current state in `unit`, from its accepted history."""
        return dict(self._synced(unit).rt.state(unit))

    def spec_of(self, unit: str) -> Spec:
        """The spec version `unit` is judged by now: `spec` unless a `store migrate` moved
        some trees only (docs/migration.md)."""
        return self.runtime(unit).spec  # type: ignore[no-any-return]

    def runtime(self, unit: str) -> Any:
        """The up-to-date `Runtime` over `unit`'s subtree (read it; do not submit to it)."""
        return self._synced(unit).rt

    def migrated(self) -> dict[str, Entry]:
        """Each unit a `store migrate` moved, with its latest migration entry (its commit
        number `gseq`, the version `to` that judges the unit now, the `state()` it moved to);
        units never moved are left out (docs/migration.md)."""
        try:
            with self._engine.connect() as conn:
                return latest_entries(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot read {self.url}: {why(exc)}") from None

    def history(self, unit: str) -> list[StoredEvent]:
        """The accepted events of `unit`, oldest first."""
        if unit not in self.roster.by_id:
            raise UnknownUnitError(f"no unit {unit!r} in the store's roster")
        q = sa.select(t.events).where(t.events.c.unit == unit).order_by(t.events.c.seq)
        return list(self._rows(q))

    def stored_events(self) -> Iterator[StoredEvent]:
        """Every accepted event with its place and hash, in commit order, and the migration
        entries of the hash chains (event `sfd:migrate`, docs/migration.md)."""
        return self._rows(sa.select(t.events).order_by(t.events.c.gseq))

    def events(self) -> Iterator[dict[str, Any]]:
        """The accepted events in commit order, as event mappings (docs/format.md §3): an
        event log, without the migration entries of `stored_events`."""
        q = sa.select(t.events).where(t.events.c.event != MIGRATION_EVENT)
        return (e.to_event() for e in self._rows(q.order_by(t.events.c.gseq)))

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
        return store_status(self, as_of)

    def verify(self, anchor: Mapping[str, Any] | None = None, *, replay: bool | None = None,
               dask: Any = None) -> Any:
        """Check every unit's hash chain, the stored spec and roster, and every persisted
        snapshot (a `VerifyReport`).

        Args:
            anchor: ``report.anchor()`` of an earlier verify, kept outside the database:
                also check that no unit lost or changed an event the anchor saw.
            replay: also judge every stored event again from the start (each must be
                accepted) and compare every snapshot with the replayed state: slower (a
                full replay), and it catches a snapshot edited with its digest recomputed.
                Default: only with `dask`.
            dask: a Dask scheduler address or ``distributed.Client`` (extra ``dask``): do the
                per-unit checks there, split by root subtree: every unit's chain and
                snapshots, and the replay check unless ``replay=False``; the report is the
                one the serial check gives.
        """
        replay = dask is not None if replay is None else replay
        try:
            if dask is not None:
                return verify_on_dask(self, dask, self._engine.url.render_as_string(
                    hide_password=False), self._predicates, anchor, replay=replay)
            with self._engine.connect() as conn:
                report = verify(conn, anchor)
            if not replay:
                return report
            found = self._replay_roots([u.id for u in self.roster.units if u.parent is None])
            return attrs.evolve(report, broken=(*report.broken, *found), replayed=True)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot read {self.url}: {why(exc)}") from None

    def _replay_roots(self, roots: Iterable[str], *, strangers: bool = True) -> list[Any]:
        """The replay check of the subtrees of `roots` (see `verify`); `strangers`: also the
        audit rows of units the roster does not have (one part of a split check does)."""
        with self._engine.connect() as conn:
            return replay_check(conn, versioned_roots(conn, self._compiled, self.roster, roots),
                                roster_units=self.roster.by_id, strangers=strangers)

    def export(self, fmt: str, out: IO[str] | str | Path) -> int:
        """Write the accepted events as ``jsonl``, ``csv`` or ``xes``; returns how many.

        JSON Lines is an event log ``sfd-workflow replay`` reads (docs/format.md §3); CSV has one
        row per event with its place and hash; XES (IEEE 1849) has one trace per unit for
        process-mining tools.
        """
        return export(self, fmt, out)


def _check_every(every: Any) -> int:
    if isinstance(every, bool) or not isinstance(every, int) or every < 0:
        msg = f"snapshot_every must be a whole number >= 0 (0: no snapshots), not {every!r}"
        raise StoreError(msg)
    return every


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
                version = t.pending(version)[0]
                t.apply_migration(conn, version)
        make_durable(engine)
