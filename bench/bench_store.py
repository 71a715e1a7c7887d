"""Submits per second of the event store: SQLite and PostgreSQL, 1 writer and 4 writers.

    python bench/bench_store.py [--events N] [--pg URL]

Each writer submits N events of the contended workload of the store tests (20 units, reviews,
approvals and reopens aimed at the same units, ~5 % bad events) through its own `EventStore`
in its own process. PostgreSQL is measured when --pg or $SFD_TEST_PG_URL gives a server
(a scratch database is created and dropped). Prints a table; numbers are wall-clock.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from sfd_workflow.store import EventStore  # noqa: E402
from store_support import spec_and_roster, workload  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2000, help="events per writer")
    ap.add_argument("--pg", default=os.environ.get("SFD_TEST_PG_URL"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for w in (1, 4):
            url = f"sqlite:///{tmp}/bench-{w}.db"
            rows.append(("sqlite (WAL, synchronous=FULL)", w, *run(url, w, args.events)))
    if args.pg:
        import sqlalchemy as sa

        admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
        for w in (1, 4):
            name = f"sfd_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as c:
                c.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                # Durable commits whatever the server's default (the test role turns them off).
                url = (sa.make_url(args.pg).set(database=name)
                       .update_query_dict({"options": "-csynchronous_commit=on"})
                       .render_as_string(False))
                rows.append(("postgresql (synchronous_commit=on)", w, *run(url, w, args.events)))
            finally:
                with admin.connect() as c:
                    c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()
    print(f"{'back end':<36} {'writers':>7} {'submits/s':>10} {'accepted':>9}")
    for name, w, rate, acc in rows:
        print(f"{name:<36} {w:>7} {rate:>10.0f} {acc:>9}")


if __name__ == "__main__":
    main()
