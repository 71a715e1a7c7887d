"""Event store speed: submits per second (SQLite and PostgreSQL, 1 writer and 4 writers) and
the time to open a store with a long history and rebuild its units, with and without
persisted snapshots.

    python bench/bench_store.py [--events N] [--history N] [--pg URL] [--only submit|open]

Submits: each writer submits N events of the contended workload of the store tests (20
units, reviews, approvals and reopens aimed at the same units, ~5 % bad events) through its
own `EventStore` in its own process.

Open: a store is filled with --history accepted events for each of the 20 units (review
cycles, interleaved across units; snapshots every 100 events), then opened by a new
`EventStore` and every unit's state rebuilt (`state(u)` for all 20 units: 4 branch subtrees
of 5 units and 16 schools), once from snapshots and once with ``snapshot_every=0`` (a replay
of every event); best of 3.

PostgreSQL is measured when --pg or $SFD_TEST_PG_URL gives a server (a scratch database is
created and dropped). Prints tables; numbers are wall-clock.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from sfd_workflow.store import EventStore  # noqa: E402
from support.store import spec_and_roster, workload  # noqa: E402


def _writer(url: str, seed: int, n: int, start: mp.synchronize.Event) -> None:
    _, roster = spec_and_roster()
    events = workload(seed, n, [u.id for u in roster.units], roster)
    with EventStore.open(url) as store:
        store.state(roster.units[0].id)  # warm the connection pool
        start.wait()
        for e in events:
            store.submit(e)


def run(url: str, writers: int, n: int) -> tuple[float, int]:
    """Submits per second and lost races, `writers` processes × `n` events, on a new store."""
    spec, roster = spec_and_roster()
    EventStore.create(url, spec, roster).close()
    ctx = mp.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(url, seed, n, start)) for seed in range(writers)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # let every writer open its store
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    took = time.perf_counter() - t0
    if any(p.exitcode != 0 for p in procs):
        raise SystemExit("a writer failed")
    with EventStore.open(url) as store:
        accepted, rejected = store.counts()
        assert accepted + rejected == writers * n, (accepted, rejected)
        assert store.verify().ok
    return writers * n / took, accepted


def long_history(per_unit: int, units: list[str]) -> Iterator[dict[str, Any]]:
    """`per_unit` events for each unit, every one accepted: a draft, then review cycles
    (submit, three reviews, approve, reopen), the units taking turns, one second apart."""
    cycle = [("submit", "s"), ("review", "m1"), ("review", "m2"), ("review", "m3"),
             ("approve", "s"), ("reopen", "s")]
    start = dt.datetime(2009, 5, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    tick = 0
    for i in range(per_unit):
        for unit in units:
            event, actor = ("write_draft", "s") if i == 0 else cycle[(i - 1) % len(cycle)]
            tick += 1
            yield {"unit": unit, "event": event, "actor": actor,
                   "at": (start + dt.timedelta(seconds=tick)).isoformat(),
                   "payload": {"text": f"draft of {unit}"} if i == 0 else None}


def open_times(url: str, per_unit: int) -> tuple[int, int, float, float, float, float]:
    """Fill a new store at `url`; return (events, snapshots, seconds to fill, seconds to
    open and rebuild all units with snapshots, the same without, one school with)."""
    spec, roster = spec_and_roster()
    ids = [u.id for u in roster.units]
    t0 = time.perf_counter()
    with EventStore.create(url, spec, roster) as store:
        for e in long_history(per_unit, ids):
            if not store.submit(e).accepted:
                raise SystemExit(f"the long history was refused at {e}")
        fill = time.perf_counter() - t0
        events, _ = store.counts()
        snapshots = store.verify().snapshots

    def rebuild(every: int, units: list[str]) -> float:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            with EventStore.open(url, snapshot_every=every) as s:
                for u in units:
                    s.state(u)
            best = min(best, time.perf_counter() - t)
        return best

    with_snap = rebuild(100, ids)
    without = rebuild(0, ids)
    one = rebuild(100, [ids[1]])
    return events, snapshots, fill, with_snap, without, one


@contextlib.contextmanager
def pg_database(base: str, durable: bool) -> Iterator[str]:
    """A scratch database on the server of `base`, dropped afterwards."""
    import sqlalchemy as sa

    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"sfd_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = sa.make_url(base).set(database=name)
        if durable:  # durable commits whatever the server's default (the test role's is off)
            url = url.update_query_dict({"options": "-csynchronous_commit=on"})
        yield url.render_as_string(False)
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2000, help="events per writer")
    ap.add_argument("--history", type=int, default=2000,
                    help="events per unit of the store that is opened")
    ap.add_argument("--only", choices=["submit", "open"])
    ap.add_argument("--pg", default=os.environ.get("SFD_TEST_PG_URL"))
    args = ap.parse_args()
    rows = []
    opens = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "open":
            for w in (1, 4):
                url = f"sqlite:///{tmp}/bench-{w}.db"
                rows.append(("sqlite (WAL, synchronous=FULL)", w, *run(url, w, args.events)))
        if args.only != "submit":
            opens.append(("sqlite", *open_times(f"sqlite:///{tmp}/long.db", args.history)))
    if args.pg:
        if args.only != "open":
            for w in (1, 4):
                with pg_database(args.pg, durable=True) as url:
                    rows.append(("postgresql (synchronous_commit=on)", w,
                                 *run(url, w, args.events)))
        if args.only != "submit":
            with pg_database(args.pg, durable=False) as url:
                opens.append(("postgresql", *open_times(url, args.history)))
    if rows:
        print(f"{'back end':<36} {'writers':>7} {'submits/s':>10} {'accepted':>9}")
        for name, w, rate, acc in rows:
            print(f"{name:<36} {w:>7} {rate:>10.0f} {acc:>9}")
    if opens:
        print(f"\nopen + rebuild all 20 units, {args.history} events per unit (seconds, best of 3)")
        print(f"{'back end':<12} {'events':>7} {'snapshots':>9} {'fill':>7} "
              f"{'with snapshots':>15} {'without':>8} {'one school, with':>17}")
        for name, n, snaps, fill, with_snap, without, one in opens:
            print(f"{name:<12} {n:>7} {snaps:>9} {fill:>7.1f} {with_snap:>15.3f} "
                  f"{without:>8.3f} {one:>17.3f}")


if __name__ == "__main__":
    main()
