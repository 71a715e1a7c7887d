"""Concurrent writers (issue 6 §2): 4 processes × 2,500 events on the same 20 units, with
conflicting reviews (once per actor) and approvals (a quorum); the stored history must be
exactly the serial replay of its commit order, with every rejected attempt getting, at its
recorded place in that order, the reason it was given. On SQLite and on PostgreSQL."""

from __future__ import annotations

import collections
import json
import multiprocessing as mp
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sfd_workflow as sfd
from sfd_workflow.store import EventStore
from sfd_workflow.store._canonical import canonical_json
from support.store import fresh_pg_database, spec_and_roster, workload

WRITERS = 4
EVENTS = 2500


def _writer(url: str, seed: int, n: int, out: str, start: Any) -> None:
    _, roster = spec_and_roster()
    events = workload(seed, n, [u.id for u in roster.units], roster)
    with EventStore.open(url, snapshot_every=10) as store:  # snapshots under contention
        start.wait()
        verdicts = [store.submit(e) for e in events]
        conflicts = store.conflicts
    Path(out).write_text(json.dumps({
        "verdicts": [[v.accepted, None if v.reason is None else str(v.reason), v.late]
                     for v in verdicts],
        "conflicts": conflicts}))


def _normal(e: Any) -> str:
    return canonical_json({**e, "payload": e.get("payload") or {}})


def check_serial(url: str, submitted: list[list[Any]], verdicts: list[list[Any]]) -> None:
    """The store equals a serial replay of its commit order, and every writer's verdicts are
    in it: accepted ones as events, rejected ones as audit rows with the same reason."""
    spec, roster = spec_and_roster()
    with EventStore.open(url) as store:
        stored = list(store.stored_events())
        audit = store.audit()
        report = store.verify(replay=True)  # rejections judged again too
        states = {u.id: store.state(u.id) for u in roster.units}
        # Rebuilt from the snapshots the writers took: records and times included.
        whole = {u.id: store.runtime(u.id).snapshot(u.id) for u in roster.units}
    assert report.ok, report.lines()
    flat = [(e, v) for es, vs in zip(submitted, verdicts, strict=True)
            for e, v in zip(es, vs, strict=True)]
    # Every accepted verdict is one stored event, every rejected one an audit row.
    assert collections.Counter(_normal(e) for e, v in flat if v[0]) == \
        collections.Counter(_normal(s.to_event()) for s in stored)
    assert collections.Counter(v[1] for _, v in flat if not v[0]) == \
        collections.Counter(a.reason for a in audit)
    # The serial replay: accepted events in commit order, each rejected attempt right after
    # the last event it read (its after_gseq).
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
    at_place = collections.defaultdict(list)
    for a in audit:
        at_place[a.after_gseq].append(a)
    assert [s.gseq for s in stored] == list(range(1, len(stored) + 1))
    for place in range(len(stored) + 1):
        for a in at_place.pop(place, []):
            v = rt.submit_line(a.raw)
            assert str(v.reason) == a.reason, (a, v)
        if place < len(stored):
            s = stored[place]
            v = rt.submit(s.to_event())
            assert v.accepted, (s, v)
            assert v.late == s.late
    assert not at_place
    assert {u: rt.state(u) for u in states} == states
    assert {u: rt.snapshot(u) for u in whole} == whole


def run_processes(url: str, tmp_path: Path, writers: int, events: int) -> list[dict[str, Any]]:
    spec, roster = spec_and_roster()
    EventStore.create(url, spec, roster).close()
    ctx = mp.get_context("fork")
    start = ctx.Event()
    outs = [tmp_path / f"writer-{i}.json" for i in range(writers)]
    procs = [ctx.Process(target=_writer, args=(url, seed, events, str(out), start))
             for seed, out in enumerate(outs)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=600)
    assert [p.exitcode for p in procs] == [0] * writers
    return [json.loads(out.read_text()) for out in outs]


def _concurrent_processes(url: str, tmp_path: Path) -> None:
    results = run_processes(url, tmp_path, WRITERS, EVENTS)
    _, roster = spec_and_roster()
    units = [u.id for u in roster.units]
    submitted = [workload(seed, EVENTS, units, roster) for seed in range(WRITERS)]
    verdicts = [r["verdicts"] for r in results]
    check_serial(url, submitted, verdicts)
    reasons = collections.Counter(v[1] for vs in verdicts for v in vs)
    # The workload really collides: duplicate reviews, approvals and submits that lost.
    print(dict(reasons), "conflicts", sum(r["conflicts"] for r in results))
    assert reasons["duplicate"] > 20
    assert reasons["wrong_state"] > 100
    assert reasons[None] > 1000
    assert sum(r["conflicts"] for r in results) > 0  # writers lost races and retried


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """A private directory on tmpfs when there is one: the tests are about the concurrency
    protocol, not the disk, and on tmpfs an fsync costs nothing."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    d = Path(tempfile.mkdtemp(prefix="sfd-store-test-", dir=shm))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.slow
def test_four_processes_on_sqlite_store_exactly_a_serial_history(tmp_path: Path,
                                                                 fast_dir: Path) -> None:
    """4 × 2,500 contended events on SQLite: history == serial replay of commit order."""
    _concurrent_processes(f"sqlite:///{fast_dir / 'store.db'}", tmp_path)


@pytest.mark.slow
@pytest.mark.postgres
def test_four_processes_on_postgresql_store_exactly_a_serial_history(tmp_path: Path) -> None:
    """4 × 2,500 contended events on PostgreSQL: history == serial replay of commit order."""
    with fresh_pg_database() as url:
        _concurrent_processes(url, tmp_path)


def test_threads_sharing_one_store_and_threads_with_their_own(fast_dir: Path) -> None:
    """Threads may share a store object (it serialises them) or hold one each."""
    spec, roster = spec_and_roster()
    url = f"sqlite:///{fast_dir / 'threads.db'}"
    shared = EventStore.create(url, spec, roster)
    units = [u.id for u in roster.units]
    submitted = [workload(100 + i, 300, units, roster) for i in range(4)]
    verdicts: list[list[Any]] = [[] for _ in range(4)]

    def run(i: int) -> None:
        store = shared if i < 2 else EventStore.open(url)
        verdicts[i] = [[v.accepted, None if v.reason is None else str(v.reason), v.late]
                       for v in map(store.submit, submitted[i])]
        if store is not shared:
            store.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    shared.close()
    check_serial(url, submitted, verdicts)
