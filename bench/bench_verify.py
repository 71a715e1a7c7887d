"""`EventStore.verify` speed: the whole call (every unit chain, the audit chain, snapshots),
with and without ``replay=True``, beside its floor: reading every stored row once.

    python bench/bench_verify.py [--events N] [--pg URL]

A store is filled with N events of the contended workload of the store tests (20 units,
review cycles, ~5 % bad events, so a few hundred rejected attempts go to the audit chain) by
one writer; then, best of 3, a new `EventStore` is opened and `verify()` and
`verify(replay=True)` are timed, and so is the floor: ``SELECT *`` of ``sfd_events``,
``sfd_audit`` and ``sfd_snapshots`` with every row fetched. Prints a table with ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import sqlalchemy as sa  # noqa: E402

from sfd_workflow.store import EventStore  # noqa: E402
from support.store import fresh_pg_database, spec_and_roster, workload  # noqa: E402


def _best(fn: Callable[[], Any], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _floor(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        for table in ("sfd_events", "sfd_audit", "sfd_snapshots"):
            for _row in conn.exec_driver_sql(f"SELECT * FROM {table}"):
                pass
    engine.dispose()


def _verify(url: str, replay: bool) -> None:
    with EventStore.open(url) as store:
        assert store.verify(replay=replay).ok


def measure(name: str, url: str, n: int) -> None:
    """Fill a store at `url` with `n` events and print verify's times beside the floor."""
    spec, roster = spec_and_roster()
    units = [u.id for u in roster.units]
    with EventStore.create(url, spec, roster) as store:
        for e in workload(1, n, units, roster):
            store.submit(e)
        events, rejected = store.counts()
    floor = _best(lambda: _floor(url))
    quick = _best(lambda: _verify(url, False))
    full = _best(lambda: _verify(url, True))
    print(f"{name:<12} {events:>7} {rejected:>8} {floor:>8.3f} {quick:>8.3f} "
          f"{quick / floor:>6.1f}x {full:>8.3f} {full / floor:>6.1f}x")


def main() -> None:
    """Run the measurements the arguments ask for."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=4000, help="events submitted")
    ap.add_argument("--pg", default=os.environ.get("SFD_TEST_PG_URL"))
    args = ap.parse_args()
    print(f"{'back end':<12} {'events':>7} {'rejected':>8} {'floor s':>8} {'verify s':>8} "
          f"{'ratio':>7} {'replay s':>8} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        measure("sqlite", f"sqlite:///{Path(tmp) / 'verify.db'}", args.events)
    if args.pg:
        os.environ.setdefault("SFD_TEST_PG_URL", args.pg)
        with fresh_pg_database() as url:
            measure("postgresql", url, args.events)


if __name__ == "__main__":
    main()
