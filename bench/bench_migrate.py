"""Spec migration speed (issue 14): the whole calls a user makes, beside their floors.

    python bench/bench_migrate.py [--units N] [--repeats R]

A district of N units (`sfd_workflow.sim.district`) runs the built-in spec; the exact
simulator gives its event log, and the first half of it is judged. The new version renames
`report.evaluating` and moves the report's approval due (the scenario of docs/migration.md),
with a plan naming the renamed state.

Lines (measured: floor beside it):

* `diff(old, new)`: `spec_from_document` of the new version (loading it);
* `migrate_runtime` over N units: `snapshot` + `restore` of every unit into a new `Runtime`
  (a copy with no plan), and replaying the half log from scratch;
* `store migrate`, the whole command (`main([...])`, opening the store included) on SQLite:
  `store verify --replay`, the whole command (the same full replay, no writes).

Best of R runs (default 3), wall clock; nothing is asserted. Prints ratios to the floors.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src")]

import json  # noqa: E402

import yaml  # noqa: E402

import sfd_workflow as sfd  # noqa: E402
from sfd_workflow.cli import main  # noqa: E402
from sfd_workflow.sim import district, run  # noqa: E402
from sfd_workflow.testing import move_due, rename_state, spec_document  # noqa: E402

PLAN = ("from: {id: xuhui-edu-2009}\nto: {id: xuhui-edu-2009}\n"
        "states: {report: {evaluating: under_review}}\n")


def best(fn: Callable[[], Any], repeats: int) -> float:
    """The best wall-clock seconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _judged(spec: sfd.Spec, roster: sfd.Roster, lines: list[str]) -> sfd.Runtime:
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
    for _ in sfd.replay(rt.compiled, roster, lines, runtime=rt):
        pass
    return rt


def main_bench(units: int, repeats: int) -> None:
    """Measure and print."""
    old = sfd.load_spec("builtin:xuhui-edu-2009")
    new_doc = rename_state(move_due(spec_document(old), "approve_report", "2009-07-31"),
                           "report", "evaluating", "under_review")
    new = sfd.spec_from_document(new_doc, source="<new version>")
    roster = district(units, seed=1, spec=old)
    events = run(old, roster, engine="exact", seed=1).events or []
    lines = [json.dumps(e, ensure_ascii=False) for e in events]
    half = lines[: len(lines) // 2]
    print(f"{units} units, {len(lines)} simulated events, migrating after {len(half)}")
    plan = sfd.plan_from_text(PLAN, old, new)
    rt = _judged(old, roster, half)
    rows: list[tuple[str, float, str, float]] = []

    t = best(lambda: sfd.diff(old, new), repeats)
    floor = best(lambda: sfd.spec_from_document(new_doc), repeats)
    rows.append(("diff(old, new)", t, "spec_from_document(new)", floor))

    def copy() -> None:
        out = sfd.Runtime(rt.compiled, roster, keep_log=False)
        for u in rt.unit_ids():
            out.restore(u, rt.snapshot(u))

    t = best(lambda: sfd.migrate_runtime(rt, plan), repeats)
    rows.append(("migrate_runtime", t, "snapshot+restore copy", best(copy, repeats)))
    rows.append(("migrate_runtime", t, "replay of the half log",
                 best(lambda: _judged(old, roster, half), repeats)))

    with tempfile.TemporaryDirectory() as folder:
        d = Path(folder)
        (d / "new.yaml").write_text(yaml.safe_dump(new_doc, allow_unicode=True), "utf-8")
        (d / "plan.yaml").write_text(PLAN, "utf-8")
        (d / "half.jsonl").write_text("\n".join(half) + "\n", "utf-8")
        (d / "roster.yaml").write_text(yaml.safe_dump(roster.to_document(), allow_unicode=True),
                                       "utf-8")
        migrate_times, verify_times = [], []
        for i in range(repeats):
            url = f"sqlite:///{d / f's{i}.db'}"
            assert main(["store", "init", "--url", url, "builtin:xuhui-edu-2009",
                         str(d / "roster.yaml")]) == 0
            assert main(["store", "submit", "--url", url, str(d / "half.jsonl")]) == 0
            t0 = time.perf_counter()
            assert main(["store", "verify", "--url", url, "--replay"]) == 0
            verify_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            assert main(["store", "migrate", "--url", url, "--to", str(d / "new.yaml"),
                         "--plan", str(d / "plan.yaml")]) == 0
            migrate_times.append(time.perf_counter() - t0)
        rows.append(("store migrate (command)", min(migrate_times),
                     "store verify --replay (command)", min(verify_times)))
    print(f"{'measured':<26} {'seconds':>9}   {'floor':<34} {'seconds':>9} {'ratio':>7}")
    for label, t, floor_label, f in rows:
        print(f"{label:<26} {t:>9.4f}   {floor_label:<34} {f:>9.4f} {t / f:>6.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    main_bench(args.units, args.repeats)
