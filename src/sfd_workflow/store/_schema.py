"""The tables of an event store, and the upgrade path between schema versions.

Schema version 5 (``SCHEMA_VERSION``)::

    sfd_schema   version ─ applied_at ─ description       one row per applied version
    sfd_meta     key ─ value                               spec and roster (canonical JSON,
                                                           SHA-256), store id, creation time;
                                                           (version 4) chain format, head of
                                                           the audit chain; after a migration
                                                           current_spec_json, _sha256
    sfd_units    unit ─ head_seq                           one row per roster unit: its number
                                                           of events, the optimistic-
                                                           concurrency token
    sfd_clock    id ─ gseq                                 one row: the commit counter
    sfd_events   gseq ─ unit ─ seq ─ event ─ actor ─ at ─ payload ─ late ─ recorded_at
                 ─ prev_hash ─ hash                        accepted events; UNIQUE(unit, seq),
                                                           index (unit, gseq) since version 2
    sfd_audit    id ─ attempted_at ─ unit ─ event ─ actor ─ at ─ payload ─ raw ─ reason
                 ─ unit_seq ─ after_gseq                   rejected attempts, with the reason;
                 ─ prev_hash ─ hash                        (version 4) their own hash chain
    sfd_snapshots unit ─ seq ─ gseq ─ hash ─ state ─ digest ─ taken_at
                                                           (version 2) a unit's state after its
                                                           event `seq`, to replay less
    sfd_ids      id ─ digest ─ unit ─ accepted ─ reason ─ late ─ gseq
                                                           (version 3) event ids, unique: the
                                                           verdict each id got (idempotency)
    sfd_specs    sha256 ─ spec_id ─ spec_json ─ added_at   (version 5) spec versions
    sfd_migrations id ─ from_sha256 ─ to_sha256 ─ plan_json ─ plan_source ─ first_gseq
                 ─ last_gseq ─ applied_at                  (version 5) one per store migrate
                                                           (`_migrate.py`)

Upgrades: ``MIGRATIONS`` maps each version to the function that brings a store from the
version before it; `migrate` applies the missing ones in order, each in its own transaction,
and records it in ``sfd_schema``. A store written by a newer sfd-workflow (a version above
``SCHEMA_VERSION``) is refused, never downgraded. See ``docs/store.md``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import sqlalchemy as sa

from ._canonical import CHAIN, CHAIN_SPEC_ONLY, audit_genesis, audit_hash, canonical_json

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "audit", "audit_head_text", "chain_meta", "clock",
           "events", "ids", "meta", "metadata", "migrations", "pending", "read_audit_head",
           "schema", "snapshots", "specs", "units"]

metadata = sa.MetaData()

#: The version of the schema this module writes.
SCHEMA_VERSION = 5

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
    # Version 4: the chain of rejected attempts, in id order (see _canonical.audit_hash).
    # Nullable only because version 4 adds them to an existing table; every row has them.
    sa.Column("prev_hash", sa.Text),
    sa.Column("hash", sa.Text),
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

# Version 3. One row per event id (an optional "id" on a submitted event): the id is unique,
# and a retry of the same event finds the verdict it was given instead of being judged again.
ids = sa.Table(
    "sfd_ids", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    # SHA-256 of the event without its id: the same id on another event is refused.
    sa.Column("digest", sa.Text, nullable=False),
    sa.Column("unit", sa.Text),
    sa.Column("accepted", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("late", sa.Boolean, nullable=False),
    # Accepted: the event's commit number; rejected: the audit row's after_gseq.
    sa.Column("gseq", sa.BigInteger, nullable=False),
)

# Version 5 (issue 14): the spec versions a store was migrated between, and its migrations.
specs = sa.Table(
    "sfd_specs", metadata,
    sa.Column("sha256", sa.Text, primary_key=True),
    sa.Column("spec_id", sa.Text, nullable=False),
    sa.Column("spec_json", sa.Text, nullable=False),
    sa.Column("added_at", sa.Text, nullable=False),
)

migrations = sa.Table(
    "sfd_migrations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("from_sha256", sa.Text, nullable=False),
    sa.Column("to_sha256", sa.Text, nullable=False),
    # The plan written out in full (`Plan.to_yaml`), and the file it was read from.
    sa.Column("plan_json", sa.Text, nullable=False),
    sa.Column("plan_source", sa.Text, nullable=False),
    # The commit numbers of its entries: every unit's, consecutive.
    sa.Column("first_gseq", sa.BigInteger, nullable=False),
    sa.Column("last_gseq", sa.BigInteger, nullable=False),
    sa.Column("applied_at", sa.Text, nullable=False),
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
    """Version 3: event ids (``sfd_ids``, empty: events stored before carry no id). No stored
    row changes, so every hash and anchor still holds."""
    metadata.create_all(conn, tables=[ids])


def _to_v4(conn: sa.Connection) -> None:
    """Version 4 (after version 3): the audit rows get their own hash chain (columns
    ``prev_hash`` and ``hash`` of ``sfd_audit``, head in ``sfd_meta`` ``audit_head``), and
    ``sfd_meta`` records the chain format of the units' chains (``chain``).

    A new store is created with `CHAIN` (each unit's genesis covers the spec and the roster);
    an existing store keeps its event chains as they are (`CHAIN_SPEC_ONLY`: rewriting them
    would invalidate every anchor kept outside), and its existing audit rows are chained now,
    from a genesis that covers the spec and the roster."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("sfd_audit")}
    for column in ("prev_hash", "hash"):
        if column not in have:  # a store created before version 4
            conn.exec_driver_sql(f"ALTER TABLE sfd_audit ADD COLUMN {column} TEXT")
    stored = dict(conn.execute(sa.select(meta.c.key, meta.c.value)).all())
    if "spec_sha256" not in stored:
        return  # EventStore.create: it writes the version-4 keys with the spec and roster
    prev = audit_genesis(stored["spec_sha256"], stored.get("roster_sha256", ""))
    last = 0
    rows = conn.execute(sa.select(audit).order_by(audit.c.id)).all()
    for row in rows:
        link = audit_hash(prev, dict(row._mapping))
        conn.execute(audit.update().where(audit.c.id == row.id)
                     .values(prev_hash=prev, hash=link))
        prev, last = link, int(row.id)
    conn.execute(meta.insert(), [
        {"key": "chain", "value": CHAIN_SPEC_ONLY},
        {"key": "audit_head", "value": audit_head_text(last, prev)}])


def audit_head_text(last_id: int, head: str) -> str:
    """The ``sfd_meta`` value ``audit_head``: the id and hash of the last audit row."""
    return canonical_json([last_id, head])


def read_audit_head(text: str | None) -> tuple[int, str] | None:
    """The (id, hash) an ``audit_head`` value holds; None when it is missing or unreadable."""
    try:
        got = json.loads(text) if text is not None else None
    except ValueError:
        return None
    if (isinstance(got, list) and len(got) == 2 and type(got[0]) is int
            and isinstance(got[1], str)):
        return got[0], got[1]
    return None


def chain_meta(spec_sha256: str, roster_sha256: str) -> dict[str, str]:
    """The version-4 ``sfd_meta`` rows of a new store: its chain format and the (empty)
    audit chain's head."""
    return {"chain": CHAIN,
            "audit_head": audit_head_text(0, audit_genesis(spec_sha256, roster_sha256))}


def _to_v5(conn: sa.Connection) -> None:
    """Version 5: spec versions and migrations (``sfd_specs``, ``sfd_migrations``, empty; filled
    by ``store migrate``, `_migrate.py`). No stored row changes."""
    metadata.create_all(conn, tables=[specs, migrations])


#: version -> (description, upgrade from the version before it)
MIGRATIONS: dict[int, tuple[str, Callable[[sa.Connection], None]]] = {
    1: ("events, audit, units, clock, meta", _create_v1),
    2: ("per-unit snapshots (sfd_snapshots), index on sfd_events (unit, gseq)", _to_v2),
    3: ("event ids for idempotent retries (sfd_ids)", _to_v3),
    4: ("a hash chain of the audit rows; chains cover the spec and the roster", _to_v4),
    5: ("spec versions and migrations (sfd_specs, sfd_migrations)", _to_v5),
}


def current_version(conn: sa.Connection) -> int:
    """The highest applied schema version of the database (0 when it has no store)."""
    if not sa.inspect(conn).has_table("sfd_schema"):
        return 0
    got = conn.execute(sa.select(sa.func.max(schema.c.version))).scalar()
    return int(got or 0)


def pending(version: int) -> list[int]:
    """The versions to apply, in order, to a store of schema `version` (versions are not
    necessarily consecutive in a branch that lacks some)."""
    return sorted(v for v in MIGRATIONS if v > version)


def apply_migration(conn: sa.Connection, version: int) -> None:
    """Apply the upgrade to `version` and record it (the caller owns the transaction)."""
    description, upgrade = MIGRATIONS[version]
    upgrade(conn)
    conn.execute(schema.insert().values(version=version, applied_at=_now(),
                                        description=description))
