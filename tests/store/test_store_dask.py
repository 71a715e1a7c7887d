"""`verify(dask=...)` and `store verify --dask ADDRESS` (issue 12 §5): the replay check split
by root subtree across a Dask LocalCluster of 2 workers gives the serial report, clean or
broken."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from sfd_workflow import auto_plan, spec_from_document
from sfd_workflow.cli import main
from sfd_workflow.store import EventStore, migrate_store
from sfd_workflow.store._dask import partitions
from support.store import spec_and_roster, store_url_fixture, workload  # noqa: F401
from support.versions import add_only

distributed = pytest.importorskip("distributed", reason="the `dask` extra")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A LocalCluster with 2 worker processes."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c


def _filled(url: str) -> None:
    spec, roster = spec_and_roster()
    with EventStore.create(url, spec, roster, snapshot_every=4) as store:
        store.submit_many(workload(5, 600, [u.id for u in roster.units], roster))


def test_a_dask_verify_gives_the_serial_report(store_url: str, cluster: Any) -> None:
    """Clean store: same report. A snapshot edited with its digest recomputed and an edited
    event: the same broken links, in the same order, as the serial replay check."""
    _filled(store_url)
    with EventStore.open(store_url) as store:
        serial = store.verify(replay=True)
        assert serial.ok
        assert store.verify(dask=cluster.scheduler_address) == serial
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sfd_events SET actor = 'm4' WHERE unit = 'ps-2-1' "
                             "AND seq = 2")
        conn.exec_driver_sql("UPDATE sfd_events SET event = 'close' WHERE unit = 'gb-1' "
                             "AND seq = 3")
    engine.dispose()
    with EventStore.open(store_url) as store, distributed.Client(cluster) as client:
        serial = store.verify(replay=True)
        assert not serial.ok and len(serial.broken) >= 2
        assert store.verify(dask=client) == serial


def test_store_verify_dask_on_the_command_line(tmp_path: Any, cluster: Any,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`store verify --dask ADDRESS --json` prints the serial report; an unreachable
    scheduler is one line and exit 2."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    _filled(url)
    capsys.readouterr()
    assert main(["store", "verify", "--url", url, "--replay", "--json"]) == 0
    serial = json.loads(capsys.readouterr().out)
    assert main(["store", "verify", "--url", url, "--dask", cluster.scheduler_address,
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == serial
    assert main(["store", "verify", "--url", url, "--dask", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Dask scheduler" in err[0]


def test_partitions_balance_the_roots_by_events() -> None:
    """Largest root first, each to the lightest partition; never an empty partition."""
    assert partitions({"a": 10, "b": 7, "c": 3, "d": 1}, 2) == [["a", "d"], ["b", "c"]]
    assert partitions({"a": 1}, 4) == [["a"]]
    assert partitions({}, 3) == []


def test_a_dask_verify_after_some_trees_moved_to_another_version(tmp_path: Any,
                                                                 cluster: Any) -> None:
    """Half the trees migrated, more events on both versions: the split check judges each
    tree by its version, clean, and finds an edited migration entry as the serial one does."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    _filled(url)
    spec, roster = spec_and_roster()
    new = spec_from_document(add_only(dict(spec.document)))
    roots = [u.id for u in roster.units if u.parent is None]
    with EventStore.open(url) as store:
        migrate_store(store, new, auto_plan(spec, new), units=roots[::2])
    with EventStore.open(url) as store:
        store.submit_many(workload(6, 300, [u.id for u in roster.units], roster))
        serial = store.verify(replay=True)
        assert serial.ok, serial.lines()
        assert store.verify(dask=cluster.scheduler_address) == serial
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sfd_events SET payload = replace(payload, '\"to\":', "
                             f"'\"x\":') WHERE event = 'sfd:migrate' AND unit = '{roots[0]}'")
    engine.dispose()
    with EventStore.open(url) as store:
        serial = store.verify(replay=True)
        assert not serial.ok
        assert store.verify(dask=cluster.scheduler_address) == serial
