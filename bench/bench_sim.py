"""Simulation benchmarks: the national command end to end, the fast engine, the exact engine.

Run:  python bench/bench_sim.py [--units 3700000] [--sizes 100000] [--district 140]

Each measurement runs in a fresh child process (fork) so that its peak memory belongs to it
alone. Three rows for the national run, each shown as a ratio to the one below it:

* **command** — the whole ``sfd-workflow simulate builtin:xuhui-edu-2009 --national
  --engine fast --seed 1 --out DIR`` a user runs (interpreter start, imports, units, run,
  every table, ``kpis.yaml`` and the four plots), as a subprocess; its peak memory is the
  child's max RSS (``getrusage(RUSAGE_CHILDREN)``). Target: <= 15 s, <= 3 GiB
  on a 2-core machine.
* **sim.run** — the fast engine and its summary in process, the units already built;
* **floor** — drawing the same random quantities for the same units (`_draws.draw`),
  which any vectorised engine must at least do.

The exact engine is shown as events per second through the compiled `Runtime`, beside
``Runtime.submit`` alone replaying the same log (its floor). Target: >= 30,000 events/s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))


def _measure(job: str, arg: int, queue: Any) -> None:
    out: dict[str, float] = {}
    if job == "command":
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC),
                                                            os.environ.get("PYTHONPATH", "")])}
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "sfd_workflow", "simulate",
                            "builtin:xuhui-edu-2009", "--national", "--units", str(arg),
                            "--engine", "fast", "--seed", "1", "--out", d, "--no-progress"],
                           check=True, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            out["seconds"] = time.perf_counter() - t
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["cpu"] = usage.ru_utime + usage.ru_stime
        out["maxrss_mib"] = usage.ru_maxrss / 1024
        queue.put(out)
        return
    import numpy as np

    import sfd_workflow as sfd
    from sfd_workflow import sim
    from sfd_workflow.sim._draws import draw

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    model = sim.default_sim_model(spec)
    if job in ("exact", "submit"):
        roster = sim.district(arg, 1, spec=spec)
        run = sim.run  # a lazy import (pandas...): resolved before the clock starts
        t, c = time.perf_counter(), time.process_time()
        res = run(spec, roster, engine="exact", seed=1)
        dt, cpu = time.perf_counter() - t, time.process_time() - c
        events = res.events or []
        if job == "submit":
            rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
            t, c = time.perf_counter(), time.process_time()
            for e in events:
                rt.submit(e)
            dt, cpu = time.perf_counter() - t, time.process_time() - c
        out = {"seconds": dt, "cpu": cpu, "events": len(events),
               "events_per_s": len(events) / dt, "events_per_cpu_s": len(events) / cpu}
    else:
        units = sim.national(arg, 1, spec=spec)
        sim.run(spec, sim.national(1000, 2, spec=spec), model=model).summary()  # warm imports
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t, c = time.perf_counter(), time.process_time()
        if job == "floor":
            draw(spec, model, units.kind, units.kind_names, np.random.default_rng(1))
        else:
            res = sim.run(spec, units, model=model, engine="fast", seed=1)
            res.summary()
        out = {"seconds": time.perf_counter() - t, "cpu": time.process_time() - c,
               "base_mib": base}
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
    """Print the benchmark tables."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--units", type=int, default=3_700_000, help="national units")
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000],
                    help="further sizes for the fast engine alone")
    ap.add_argument("--district", type=int, default=140)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} (other jobs share the machine)")
    ex = measure("exact", args.district)
    sub = measure("submit", args.district)
    print(f"exact engine, district of {args.district} units (builtin:xuhui-edu-2009):")
    print(f"  {ex['events']:,.0f} events in {ex['seconds']:.2f} s ({ex['cpu']:.2f} s CPU) = "
          f"{ex['events_per_s']:,.0f} events/s, {ex['events_per_cpu_s']:,.0f} per CPU second "
          f"(planning + Runtime.submit + log)")
    print(f"  Runtime.submit alone on the same log: {sub['seconds']:.2f} s "
          f"({sub['cpu']:.2f} s CPU) = {sub['events_per_cpu_s']:,.0f} per CPU second; "
          f"engine / submit = {ex['cpu'] / sub['cpu']:.2f}x (CPU)")
    print()
    n = args.units
    cmd = measure("command", n)
    fast = measure("fast", n)
    floor = measure("floor", n)
    print(f"national, {n:,} units (wall s; CPU s = user + system, what an idle machine takes):")
    print(f"  {'':12} {'wall s':>7} {'CPU s':>7} {'peak MiB':>9} {'CPU x next':>10}")
    print(f"  {'command':12} {cmd['seconds']:>7.2f} {cmd['cpu']:>7.2f} {cmd['maxrss_mib']:>9.0f} "
          f"{cmd['cpu'] / fast['cpu']:>10.1f}")
    print(f"  {'sim.run':12} {fast['seconds']:>7.2f} {fast['cpu']:>7.2f} "
          f"{fast['maxrss_mib']:>9.0f} {fast['cpu'] / floor['cpu']:>10.1f}")
    print(f"  {'floor':12} {floor['seconds']:>7.2f} {floor['cpu']:>7.2f} "
          f"{floor['maxrss_mib']:>9.0f}")
    print(f"  command / floor = {cmd['cpu'] / floor['cpu']:.1f}x (CPU); "
          f"target: command <= 15 s and <= 3072 MiB")
    for size in args.sizes:
        f = measure("fast", size)
        fl = measure("floor", size)
        print(f"  fast engine at {size:,} units: {f['cpu']:.2f} s CPU, {f['maxrss_mib']:.0f} MiB "
              f"(floor {fl['cpu']:.2f} s, {f['cpu'] / fl['cpu']:.1f}x)")


if __name__ == "__main__":
    main()
