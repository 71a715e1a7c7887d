"""A durable, concurrent, tamper-evident event store (needs the ``store`` extra).

`EventStore` judges each event by a workflow spec and roster and appends it, in the same
transaction, to its unit's history (or records the rejected attempt with its reason), on
SQLite (``sqlite:///path.db``, the embedded default) or PostgreSQL
(``postgresql+psycopg://user:password@host/db``)::

    from sfd_workflow.store import EventStore

    store = EventStore.create("sqlite:///campaign.db", spec, roster)
    store.submit({"unit": "xh-ps-01", "event": "submit_report", "actor": "p2",
                  "at": "2009-06-02T10:00:00+08:00"})
    store.verify().ok

See ``docs/store.md`` for the schema, the concurrency protocol and upgrades.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._extras import require as _require

if TYPE_CHECKING:
    from ._migrate import MigrationReport, migrate_store
    from ._records import AuditEntry, StoredEvent
    from ._schema import SCHEMA_VERSION
    from ._status import UnitStatus
    from ._store import EventStore
    from ._verify import BrokenLink, VerifyReport
    from ._verify_url import verify_store

__all__ = [
    "SCHEMA_VERSION",
    "AuditEntry",
    "BrokenLink",
    "EventStore",
    "MigrationReport",
    "StoredEvent",
    "UnitStatus",
    "VerifyReport",
    "migrate_store",
    "verify_store",
]

_HOME = {
    "SCHEMA_VERSION": "_schema",
    "AuditEntry": "_records",
    "BrokenLink": "_verify",
    "EventStore": "_store",
    "MigrationReport": "_migrate",
    "StoredEvent": "_records",
    "UnitStatus": "_status",
    "VerifyReport": "_verify",
    "migrate_store": "_migrate",
    "verify_store": "_verify_url",
}


def __getattr__(name: str) -> Any:
    # Lazy (PEP 562): `sfd-workflow store` is wired into the CLI, which must start without
    # the `store` extra; SQLAlchemy is imported on first use of a name below.
    home = _HOME.get(name)
    if home is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_require(f"{__name__}.{home}", feature="the event store (sfd_workflow.store)",
                            extra="store"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
