"""A throwaway PostgreSQL schema for store tests: cheaper than a database per test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from sfd_workflow._extras import require

__all__ = ["scratch_schema"]


@contextlib.contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A URL of the PostgreSQL database at `url` whose connections see a new, empty schema
    (through ``search_path``), dropped with everything in it when the block ends::

        with scratch_schema("postgresql+psycopg://me@localhost/test") as store_url:
            with EventStore.create(store_url, spec, roster) as store:
                ...

    The role of `url` needs the right to create schemas in its database.
    """
    sa = require("sqlalchemy", feature="a scratch PostgreSQL schema", extra="store")
    name = f"sfd_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        scratch = sa.make_url(url).update_query_dict({"options": f"-csearch_path={name}"})
        yield scratch.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()
