"""`verify(dask=...)` and `store verify --dask ADDRESS` (issue 12 §5): the chain check and the
replay check split by root subtree across a Dask LocalCluster of 2 workers give the serial
report, clean or broken, and the chains are read on the workers only."""

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
from support.store import (  # noqa: F401
    snapshot_state_edit,
    spec_and_roster,
    sql_edit,
    store_url_fixture,
    workload,
)
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


# Edits of the store `_filled` makes, in units of every root (gb-0 .. gb-3): each is caught
# by the check of its unit's partition, the deleted last event by the commit numbers (a
# store-wide check), the snapshot with its digest recomputed by the replay check only.
EDITS = {
    "an edited event": sql_edit(
        "UPDATE sfd_events SET actor = 'm4' WHERE unit = 'ps-1-2' AND seq = 5"),
    "a deleted middle event": sql_edit(
        "DELETE FROM sfd_events WHERE unit = 'ps-2-1' AND seq = 10"),
    "a deleted last event, its count lowered": sql_edit(
        "DELETE FROM sfd_events WHERE unit = 'ps-3-1' AND seq = 23",
        "UPDATE sfd_units SET head_seq = 22 WHERE unit = 'ps-3-1'"),
    "an edited snapshot": sql_edit(
        "UPDATE sfd_snapshots SET state = '{}' WHERE unit = 'ps-0-2' AND seq = 8"),
    "a snapshot edited, its digest recomputed": snapshot_state_edit("ps-1-0", 20),
    "an event and a snapshot moved to a unit the roster does not have": sql_edit(
        "UPDATE sfd_events SET unit = 'zz-9' WHERE unit = 'gb-3' AND seq = 21",
        "UPDATE sfd_snapshots SET unit = 'zz-9' WHERE unit = 'gb-3' AND seq = 20"),
}


@pytest.mark.parametrize("edits", [[], *([e] for e in EDITS), list(EDITS)],
                         ids=["clean", *EDITS, "all at once"])
def test_a_dask_verify_of_an_edited_store_gives_the_serial_report(
        store_url: str, cluster: Any, edits: list[str]) -> None:
    """Clean, after each edit and after all of them (with an anchor that also pins a unit
    the store does not have): the chains-only and the replaying check on the cluster give
    the serial reports, the same broken links in the same order."""
    _filled(store_url)
    with EventStore.open(store_url) as store:
        anchor = store.verify().anchor()
    if len(edits) > 1:
        anchor["units"]["zz-8"] = [1, "0" * 64]
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        for edit in edits:
            EDITS[edit](conn)
    engine.dispose()
    with EventStore.open(store_url) as store:
        for replay in (False, True):
            serial = store.verify(anchor, replay=replay)
            quiet = edits == ["a snapshot edited, its digest recomputed"] and not replay
            assert serial.ok == (not edits or quiet)
            assert store.verify(anchor, replay=replay, dask=cluster.scheduler_address) == serial
        if len(edits) > 1:
            assert {b.unit for b in serial.broken} >= {"ps-1-2", "ps-2-1", "ps-3-1", "ps-0-2",
                                                       "ps-1-0", "gb-3", "zz-8", "zz-9", "*"}


def test_the_chain_check_runs_on_the_workers(tmp_path: Any, cluster: Any) -> None:
    """With `dask`, the calling process never reads a stored event or snapshot: one task a
    partition reads them; without `replay` nothing is replayed. Serial, the caller reads
    them."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    _filled(url)
    with EventStore.open(url) as store, distributed.Client(cluster) as client:
        said: list[str] = []
        sa.event.listen(store._engine, "before_cursor_execute",
                        lambda _c, _cur, statement, *_: said.append(statement))
        with distributed.get_task_stream(client) as tasks:
            report = store.verify(dask=client, replay=False)
        assert report.ok and not report.replayed and report.events == 241
        assert said and not [s for s in said if "sfd_events" in s or "sfd_snapshots" in s]
        keys = [str(task["key"]) for task in tasks.data]
        assert len(keys) == 4 and all("_check_part" in k for k in keys)  # a task a root
        said.clear()
        assert store.verify() == report
        assert [s for s in said if "FROM sfd_events" in s]


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
    assert main(["store", "verify", "--url", url, "--json"]) == 0
    chains = json.loads(capsys.readouterr().out)
    assert not chains["replayed"]
    assert main(["store", "verify", "--url", url, "--dask", cluster.scheduler_address,
                 "--no-replay", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == chains
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
