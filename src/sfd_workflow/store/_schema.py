"""The tables of an event store, and the upgrade path between schema versions.

Schema version 2 (``SCHEMA_VERSION``)::

    sfd_schema   version ─ applied_at ─ description       one row per applied version
    sfd_meta     key ─ value                               spec and roster (canonical JSON,
                                                           SHA-256), store id, creation time
    sfd_units    unit ─ head_seq                           one row per roster unit: its number
                                                           of events, the optimistic-
                                                           concurrency token
    sfd_clock    id ─ gseq                                 one row: the commit counter
    sfd_events   gseq ─ unit ─ seq ─ event ─ actor ─ at ─ payload ─ late ─ recorded_at
                 ─ prev_hash ─ hash                        accepted events; UNIQUE(unit, seq),
                                                           index (unit, gseq) since version 2
    sfd_audit    id ─ attempted_at ─ unit ─ event ─ actor ─ at ─ payload ─ raw ─ reason
                 ─ unit_seq ─ after_gseq                   rejected attempts, with the reason
    sfd_snapshots unit ─ seq ─ gseq ─ hash ─ state ─ digest ─ taken_at
                                                           (version 2) a unit's state after its
                                                           event `seq`, to replay less

Upgrades: ``MIGRATIONS`` maps each version to the function that brings a store from the
version before it; `migrate` applies the missing ones in order, each in its own transaction,
and records it in ``sfd_schema``. A store written by a newer sfd-workflow (a version above
``SCHEMA_VERSION``) is refused, never downgraded. See ``docs/store.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "audit", "clock", "events", "meta", "metadata",
           "schema", "snapshots", "units"]

metadata = sa.MetaData()

#: The version of the schema this module writes.
SCHEMA_VERSION = 3

schema = sa.Table(
    "sfd_schema", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
)

meta = sa.Table(
    "sfd_meta", metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

units = sa.Table(
    "sfd_units", metadata,
    sa.Column("unit", sa.Text, primary_key=True),
    sa.Column("head_seq", sa.Integer, nullable=False),
)

clock = sa.Table(
    "sfd_clock", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("gseq", sa.BigInteger, nullable=False),
)

events = sa.Table(
    "sfd_events", metadata,
    # The commit order: taken from sfd_clock inside the committing transaction.
    sa.Column("gseq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
    # Per-unit optimistic concurrency: two writers cannot both append event n of a unit.
    sa.UniqueConstraint("unit", "seq", name="sfd_events_unit_seq"),
)

audit = sa.Table(
    "sfd_audit", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("attempted_at", sa.Text, nullable=False),
    sa.Column("unit", sa.Text),
    sa.Column("event", sa.Text),
    sa.Column("actor", sa.Text),
    sa.Column("at", sa.Text),
    sa.Column("payload", sa.Text),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    # The state it was judged against: the unit's head, and the commit counter at the time.
    sa.Column("unit_seq", sa.Integer),
    sa.Column("after_gseq", sa.BigInteger, nullable=False),
)
sa.Index("sfd_audit_unit", audit.c.unit)

# Version 2. A snapshot is an optimisation only: it is used when its digest and the chain
# head it names match the stored events, and ignored (and reported by verify) otherwise.
snapshots = sa.Table(
    "sfd_snapshots", metadata,
    sa.Column("unit", sa.Text, primary_key=True),
    # The unit's state after its event `seq` (commit number `gseq`, chain hash `hash`).
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("gseq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
    # Canonical JSON of Runtime.snapshot(unit).
    sa.Column("state", sa.Text, nullable=False),
    # SHA-256 over the row (see _snapshots.snapshot_digest): an edited row is not used.
    sa.Column("digest", sa.Text, nullable=False),
    sa.Column("taken_at", sa.Text, nullable=False),
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _create_v1(conn: sa.Connection) -> None:
    """Version 1: every table above."""
    metadata.create_all(conn, tables=[schema, meta, units, clock, events, audit])
    conn.execute(clock.insert().values(id=1, gseq=0))


def _to_v2(conn: sa.Connection) -> None:
    """Version 2: per-unit snapshots (``sfd_snapshots``, empty: the store takes them as units
    reach every K-th event; until then a unit is rebuilt from its events as in version 1),
    and an index on ``sfd_events (unit, gseq)``: a replica reads "its units' events after
    commit g", which the (unit, seq) index answers only by reading each unit's whole history."""
    metadata.create_all(conn, tables=[snapshots])
    # Plain DDL (not an sa.Index on the table) so that version 1 stays exactly version 1.
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS sfd_events_unit_gseq "
                         "ON sfd_events (unit, gseq)")


def _to_v3(conn: sa.Connection) -> None:
    """Spec versions and migrations (issue 14, `_migrate.upgrade_schema`). Numbered 5 once
    merged after the store's version 3 and the tamper audit's version 4."""
    from ._migrate import upgrade_schema

    upgrade_schema(conn)


#: version -> (description, upgrade from the version before it)
MIGRATIONS: dict[int, tuple[str, Callable[[sa.Connection], None]]] = {
    1: ("events, audit, units, clock, meta", _create_v1),
    2: ("per-unit snapshots (sfd_snapshots), index on sfd_events (unit, gseq)", _to_v2),
    3: ("spec versions and migrations (sfd_specs, sfd_migrations)", _to_v3),
}


def current_version(conn: sa.Connection) -> int:
    """The highest applied schema version of the database (0 when it has no store)."""
    if not sa.inspect(conn).has_table("sfd_schema"):
        return 0
    got = conn.execute(sa.select(sa.func.max(schema.c.version))).scalar()
    return int(got or 0)


def apply_migration(conn: sa.Connection, version: int) -> None:
    """Apply the upgrade to `version` and record it (the caller owns the transaction)."""
    description, upgrade = MIGRATIONS[version]
    upgrade(conn)
    conn.execute(schema.insert().values(version=version, applied_at=_now(),
                                        description=description))
