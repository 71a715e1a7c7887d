"""Time `sfd-workflow report` on simulated districts, beside its floor (`sfd-workflow replay`).

For each district size: simulate it (exact engine, seed 1) into a directory, then time the
whole commands a user runs, each in a fresh process:

* floor: ``sfd-workflow replay SPEC ROSTER EVENTS`` (judging every line; the report must do
  at least that);
* ``sfd-workflow report SPEC ROSTER EVENTS --as-of 2009-06-15 -o report.html`` (mid-campaign:
  many open steps, so many ``explain`` calls), with and without ``--no-diagrams``;
* the same report of the whole campaign (no ``--as-of``).

Prints seconds, the ratio to the floor and the page size. No assertion: it only measures.

Usage: python bench/bench_report.py [--units 140 300]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
SPEC = "builtin:xuhui-edu-2009"


def _run(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sfd_workflow", *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    """Measure and print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--units", type=int, nargs="+", default=[140, 300])
    args = p.parse_args()
    print(f"{'units':>6} {'events':>7} {'what':<34} {'seconds':>8} {'× floor':>8} {'MB':>6}")
    for n in args.units:
        with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
            d = Path(tmp)
            _run(["simulate", SPEC, "--district", str(n), "--engine", "exact", "--seed", "1",
                  "--out", str(d)])
            files = [SPEC, str(d / "roster.yaml"), str(d / "events.jsonl")]
            events = sum(1 for _ in (d / "events.jsonl").open(encoding="utf-8"))
            floor = _run(["replay", *files])
            print(f"{n:>6} {events:>7} {'replay (floor)':<34} {floor:>8.2f} {1:>8.2f}")
            for what, extra in (
                ("report --as-of 2009-06-15", ["--as-of", "2009-06-15"]),
                ("report --as-of … --no-diagrams", ["--as-of", "2009-06-15", "--no-diagrams"]),
                ("report (whole campaign)", []),
            ):
                out = d / "report.html"
                s = _run(["report", *files, "-o", str(out), *extra])
                mb = out.stat().st_size / 1e6
                print(f"{n:>6} {events:>7} {what:<34} {s:>8.2f} {s / floor:>8.2f} {mb:>6.2f}")


if __name__ == "__main__":
    main()
