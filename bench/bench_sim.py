"""Simulation benchmarks: exact engine events per second; fast engine time and peak memory.

Run:  python bench/bench_sim.py [--sizes 100000 3700000] [--district 140]

Each measurement runs in a fresh child process (fork) so that its peak memory (the
process's max RSS, and the RSS before the timed part: imports and the units' arrays) belongs
to it alone. The fast
engine is shown beside its *numpy floor*: drawing the same random quantities for the same
units (`_draws.draw`), which any vectorised engine must at least do. Target (issue 5): the
national run (3,700,000 units) under 60 s and 8 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _measure(job: str, arg: int, queue: Any) -> None:
    import numpy as np

    import sfd_workflow as sfd
    from sfd_workflow import sim
    from sfd_workflow.sim._draws import draw

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    model = sim.default_sim_model(spec)
    out: dict[str, float] = {}
    if job == "exact":
        roster = sim.district(arg, 1, spec=spec)
        t = time.perf_counter()
        res = sim.run(spec, roster, engine="exact", seed=1)
        dt = time.perf_counter() - t
        out = {"seconds": dt, "events": len(res.events or ()),
               "events_per_s": len(res.events or ()) / dt}
    else:
        units = sim.national(arg, 1, spec=spec)
        sim.run(spec, sim.national(1000, 2, spec=spec), model=model).summary()  # warm imports
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        if job == "floor":
            draw(spec, model, units.kind, units.kind_names, np.random.default_rng(1))
        else:
            res = sim.run(spec, units, model=model, engine="fast", seed=1)
            res.summary()
        dt = time.perf_counter() - t
        out = {"seconds": dt, "base_mib": base}
    out["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(out)


def measure(job: str, arg: int) -> dict[str, float]:
    """Run one measurement in a child process and return its numbers."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_measure, args=(job, arg, q))
    p.start()
    res: dict[str, float] = q.get()
    p.join()
    return res


def main() -> None:
    """Print the benchmark table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 3_700_000])
    ap.add_argument("--district", type=int, default=140)
    args = ap.parse_args()
    ex = measure("exact", args.district)
    print(f"exact engine, district of {args.district} units (builtin:xuhui-edu-2009):")
    print(f"  {ex['events']:,.0f} events in {ex['seconds']:.1f} s = "
          f"{ex['events_per_s']:,.0f} events/s (planning + Runtime.submit + log)")
    print()
    print(f"{'units':>10} | {'fast s':>7} {'RSS MiB':>8} {'(before)':>9} | "
          f"{'floor s':>7} {'RSS MiB':>8} | {'x floor':>7}")
    for n in args.sizes:
        fast = measure("fast", n)
        floor = measure("floor", n)
        print(f"{n:>10,} | {fast['seconds']:>7.2f} {fast['maxrss_mib']:>8.0f} "
              f"{fast['base_mib']:>9.0f} | {floor['seconds']:>7.2f} {floor['maxrss_mib']:>8.0f}"
              f" | {fast['seconds'] / floor['seconds']:>7.1f}")
    print("\nfast = draws + schedule (calendar, loops, gates, parents after children) + summary;"
          " floor = the same draws only.")


if __name__ == "__main__":
    main()
