"""Engines for the two back ends, and the database errors that mean "try again".

SQLite (the embedded default, ``sqlite:///path.db``): WAL journal so readers never wait for
the writer, ``synchronous=FULL`` so a commit that returned survives a power cut, a busy
timeout so writers queue instead of failing, and ``BEGIN IMMEDIATE`` for write transactions
(a deferred transaction that reads and then writes fails when another writer committed in
between; taking the write lock up front makes the write transaction itself never conflict).
PostgreSQL (``postgresql+psycopg://...``): READ COMMITTED with row locks, see `_submit.py`.

Durability on PostgreSQL without holding locks through the disk write: the store's
connections commit with ``synchronous_commit = off`` (set once, when a connection is opened),
so a write transaction's row locks, among them the commit counter's, are released as soon as
the commit is in the WAL buffers. Before a write is acknowledged, `make_durable` runs one
statement, a transaction of its own that commits with the setting the server gives the
store's role and database (``on`` by default, read when the connection was opened) and
writes a commit record: flushing the WAL up to that record flushes every commit before it,
ours included. A crash in between loses only a write that was not acknowledged; concurrent
writers' flushes are grouped by the server into shared disk writes. When the server's setting
is ``off`` already, there is nothing to wait for and `make_durable` sends nothing. Other
clients' transactions are left alone.
"""

from __future__ import annotations

import weakref
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from ..errors import MissingExtraError, StoreError

__all__ = ["BUSY_TIMEOUT_MS", "flush_statement", "is_retryable", "make_durable", "make_engine",
           "read_options", "write_options"]

#: How long a SQLite writer waits for the write lock before giving up.
BUSY_TIMEOUT_MS = 60_000

_WRITE = "sfd_write"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module: SQLAlchemy's "begin" event below
    # emits BEGIN itself (the documented recipe for real SQLite transactions).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
    finally:
        cur.close()


#: Engine -> the ``synchronous_commit`` the server gives the store's connections, read when
#: the first one was opened (before it is turned off for the connection).
_SERVER_SYNC: weakref.WeakKeyDictionary[sa.Engine, str] = weakref.WeakKeyDictionary()


def _postgres_connect(engine: sa.Engine) -> Any:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cur:
                cur.execute("SELECT current_setting('synchronous_commit')")
                row = cur.fetchone()
                _SERVER_SYNC.setdefault(engine, str(row[0]) if row else "on")
                cur.execute("SET synchronous_commit = off")
        finally:
            dbapi_connection.autocommit = autocommit
    return connect


def make_durable(engine: sa.Engine) -> None:
    """On PostgreSQL, wait until every commit made so far is as durable as the server's
    ``synchronous_commit`` makes a commit (see the module's documentation); elsewhere nothing.

    Raises:
        StoreError: the server failed meanwhile: the write is committed but may be lost if
            the server crashed (never retried: retrying would store it twice).
    """
    flush = flush_statement(engine)
    if flush is None:
        return  # the server would not wait for the disk either
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(*flush)
    except sa.exc.SQLAlchemyError as exc:
        msg = (f"the write was committed but not confirmed durable: {exc.__class__.__name__}"
               " (check the store: with an event id, submit it again)")
        raise StoreError(msg) from None


def flush_statement(engine: sa.Engine) -> tuple[str, dict[str, str]] | None:
    """The statement `make_durable` runs on PostgreSQL (driver SQL and its parameters), to run
    in a transaction of its own; None when there is nothing to wait for (another back end,
    or the server's ``synchronous_commit`` is ``off``)."""
    if engine.dialect.name != "postgresql":
        return None
    server = _SERVER_SYNC.get(engine, "on")
    if server == "off":
        return None
    # set_config(..., true): for this statement's own transaction, whose commit then waits
    # as the server's setting says.
    return (_FLUSH, {"sfd_sync": server})


_FLUSH = "SELECT set_config('synchronous_commit', %(sfd_sync)s, true), txid_current()"


def _sqlite_begin(conn: sa.Connection) -> None:
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> sa.Engine:
    """An engine for `url` (``sqlite:///...`` or ``postgresql+psycopg://...``).

    Raises:
        StoreError: the URL is not one of the two supported back ends.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        msg = f"not a database URL: {url!r} (use sqlite:///path.db or postgresql+psycopg://...)"
        raise StoreError(msg) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if _not_a_file(parsed):
            msg = (f"an event store needs a file, not {url!r}: use sqlite:///path.db "
                   "(an in-memory or temporary database is lost when it is closed)")
            raise StoreError(msg)
        engine = sa.create_engine(parsed)
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            engine = sa.create_engine(parsed)
        except ImportError:  # pragma: no cover - psycopg ships with the store extra
            raise MissingExtraError("an event store on PostgreSQL", "store", "psycopg") from None
        sa.event.listen(engine, "connect", _postgres_connect(engine))
        return engine
    msg = f"unsupported database {backend!r} in {url!r}: use sqlite:/// or postgresql+psycopg://"
    raise StoreError(msg)


def _not_a_file(url: sa.URL) -> bool:
    """True for SQLite URLs of an in-memory or temporary database: no path (``sqlite://``,
    ``sqlite:///``), ``:memory:``, or a ``file:`` URI with ``mode=memory``."""
    database = (url.database or "").strip()
    mode = url.query.get("mode")
    return (not database or database == ":memory:" or "mode=memory" in database
            or database.startswith("file::memory:") or mode == "memory"
            or (isinstance(mode, tuple) and "memory" in mode))


def read_options(engine: sa.Engine) -> dict[str, Any]:
    """Execution options for a connection that runs single reads: no BEGIN/ROLLBACK round
    trips on PostgreSQL (one statement is its own consistent snapshot)."""
    return {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {}


def write_options() -> dict[str, Any]:
    """Execution options for a connection that will write (SQLite: BEGIN IMMEDIATE)."""
    return {_WRITE: True}


def is_retryable(exc: BaseException) -> bool:
    """True for errors a concurrent writer causes: unique (unit, seq), serialization failure,
    deadlock, a lock wait that timed out; the transaction can be tried again."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, DBAPIError):
        code = getattr(exc.orig, "sqlstate", None)
        if code in ("40001", "40P01", "55P03"):
            return True
        if isinstance(exc, OperationalError):
            text = str(exc.orig).lower()
            return "locked" in text or "busy" in text
    return False
