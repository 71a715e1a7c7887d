"""`verify_store`: verify a store by its URL, also when it cannot be opened because its spec
or roster was altered (``sfd-workflow store verify``)."""

from __future__ import annotations

from typing import Any

import attrs
import sqlalchemy as sa

from ..errors import StoreError
from . import _schema as t
from ._database import make_engine
from ._report import STORE, BrokenLink, VerifyReport
from ._store import EventStore
from ._verify import read_anchor, verify

__all__ = ["verify_store"]


def verify_store(url: str, anchor: Any = None, *, replay: bool | None = None,
                 dask: Any = None) -> VerifyReport:
    """Verify the store at `url` (``store verify``): `EventStore.verify` when the store opens;
    when it does not because its spec or roster was altered, the chains are still checked
    and the report says what was altered (nothing can be replayed), in this process. `dask`
    (a scheduler address or client) does the per-unit checks on a Dask cluster and `replay`
    defaults to true with it, as in `EventStore.verify`.

    Raises:
        StoreError: no store there, or one that cannot be opened and whose chains check out
            (the reason it cannot be opened is the message), or `anchor` is not an anchor.
    """
    read_anchor(anchor)
    try:
        store = EventStore.open(url)
    except StoreError as refused:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                if t.current_version(conn) != t.SCHEMA_VERSION:
                    raise
                report = verify(conn, anchor)
        except sa.exc.SQLAlchemyError:
            raise refused from None
        finally:
            engine.dispose()
        if report.ok:
            raise
        why = BrokenLink(unit=STORE, seq=None, problem=f"the store cannot be opened: {refused}")
        return attrs.evolve(report, broken=(*report.broken, why))
    with store:
        report = store.verify(anchor, replay=replay, dask=dask)
    return report  # type: ignore[no-any-return]
