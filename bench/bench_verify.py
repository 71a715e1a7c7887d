"""`EventStore.verify` speed: the whole call (every unit chain, the audit chain, snapshots),
with and without ``replay=True``, beside its floor: reading every stored row once.

    python bench/bench_verify.py [--events N] [--pg URL] [--dask]

A store of the built-in spec is filled by one writer with N submitted lines: a simulated
district's events (`sfd_workflow.sim`, the exact engine) in log order, each followed by up to
three bad attempts (an unknown actor or unit, an event out of order, a truncated line, an
`at` that is no date-time, a NaN in the payload), so that about 3 lines in 5 are rejected and
the audit chain is longer than the events'. Then, best of 3, a new `EventStore` is opened and
`verify()` and `verify(replay=True)` are timed, and so is the floor: ``SELECT *`` of
``sfd_events``, ``sfd_audit`` and ``sfd_snapshots`` with every row fetched. Prints a table
with ratios. PostgreSQL is measured too when --pg or $SFD_TEST_PG_URL names a server (in a
scratch schema, dropped afterwards). With --dask, also `verify(dask=..., replay=False)` and
`verify(dask=...)` (with the replay check) on a LocalCluster of 2 worker processes, the
cluster started once, before (extra ``dask``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src")]

import sqlalchemy as sa  # noqa: E402

import sfd_workflow as sfd  # noqa: E402
from sfd_workflow.sim import district, run  # noqa: E402
from sfd_workflow.store import EventStore  # noqa: E402
from sfd_workflow.testing import scratch_schema  # noqa: E402

SPEC = "builtin:xuhui-edu-2009"


def _bad(event: dict[str, Any], rng: random.Random) -> Any:
    """A bad attempt at `event`: one the store audits as rejected."""
    line = json.dumps(event, ensure_ascii=False)
    return rng.choice([
        {**event, "actor": "nobody"},                  # unknown_actor
        {**event, "unit": "no-such-unit"},             # unknown_unit
        {**event, "at": "2009-01-01T09:00:00+08:00"},  # out_of_order (or before the period)
        line[: len(line) // 2],                        # a truncated line: malformed
        {**event, "at": "yesterday"},                  # malformed
        {**event, "payload": {"x": float("nan")}},     # not storable
    ])


def workload(n: int, seed: int = 1) -> tuple[sfd.Spec, sfd.Roster, list[Any]]:
    """The spec, a district roster and `n` lines to submit: simulated events, each followed
    by 0-3 bad attempts (1.5 on average)."""
    spec = sfd.load_spec(SPEC)
    roster = district(max(12, n // 300), seed=seed, spec=spec)
    rng = random.Random(seed)
    out: list[Any] = []
    for event in run(spec, roster, engine="exact", seed=seed).events or []:
        out.append(event)
        out.extend(_bad(event, rng) for _ in range(rng.choice([0, 1, 1, 2, 2, 3])))
        if len(out) >= n:
            break
    return spec, roster, out[:n]


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


def _verify(url: str, replay: bool, dask: Any = None) -> None:
    with EventStore.open(url) as store:
        assert store.verify(replay=replay, dask=dask).ok


def measure(name: str, url: str, n: int, dask: Any = None) -> None:
    """Fill a store at `url` with `n` events and print verify's times beside the floor (and
    on the Dask cluster of the client `dask`)."""
    spec, roster, lines = workload(n)
    with EventStore.create(url, spec, roster) as store:
        for line in lines:
            store.submit(line)
        events, rejected = store.counts()
    floor = _best(lambda: _floor(url))
    quick = _best(lambda: _verify(url, False))
    full = _best(lambda: _verify(url, True))
    row = (f"{name:<12} {events:>7} {rejected:>8} {floor:>8.3f} {quick:>8.3f} "
           f"{quick / floor:>6.1f}x {full:>8.3f} {full / floor:>6.1f}x")
    if dask is not None:
        split = _best(lambda: _verify(url, False, dask))
        both = _best(lambda: _verify(url, True, dask))
        row += f" {split:>8.3f} {split / quick:>6.2f}x {both:>8.3f} {both / full:>6.2f}x"
    print(row)


def main() -> None:
    """Run the measurements the arguments ask for."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=4000, help="lines submitted")
    ap.add_argument("--pg", default=os.environ.get("SFD_TEST_PG_URL"))
    ap.add_argument("--dask", action="store_true",
                    help="also on a LocalCluster of 2 workers (ratios to the serial times)")
    args = ap.parse_args()
    with contextlib.ExitStack() as stack:
        dask = None
        if args.dask:
            import distributed

            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
            dask = stack.enter_context(distributed.Client(cluster))
        print(f"{'back end':<12} {'events':>7} {'rejected':>8} {'floor s':>8} {'verify s':>8} "
              f"{'ratio':>7} {'replay s':>8} {'ratio':>7}"
              + (f" {'dask s':>8} {'/verify':>7} {'dask+r s':>8} {'/replay':>7}"
                 if dask else ""))
        with tempfile.TemporaryDirectory() as tmp:
            measure("sqlite", f"sqlite:///{Path(tmp) / 'verify.db'}", args.events, dask)
        if args.pg:
            with scratch_schema(args.pg) as url:
                measure("postgresql", url, args.events, dask)


if __name__ == "__main__":
    main()
