"""Benchmark sfd-workflow against its peers on one 16-state workflow (`make bench`).

Prints the machine, then one table: time and bytes per unit to create the units, and
microseconds per event, for

* ours: ``sfd_workflow.roster_from_document`` and ``Runtime(compiled, roster)`` (create),
  ``Runtime.submit`` on the event log, ``sfd_workflow.replay`` on the same log as JSON Lines;
* (a) ``transitions``, one ``Machine`` per unit; (b) one shared bare ``transitions.Machine``
  fired with ``machine.events[name].trigger(unit, ...)``; (c) python-statemachine, one per
  unit; (d) a plain dict transition table;

then the ratios against the targets. No assertion on any time: it only measures.
See bench/README.md for what each column means and the numbers measured so far.

Usage: python bench/run.py [--units N] [--events N] [--quick] [--small N] [--repeats N]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _baselines as base
import bench_core as core

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
if (SRC / "sfd_workflow").is_dir():
    # measure the checkout this script lives in, installed or not
    sys.path.insert(0, str(SRC))

CREATE_US_TARGET = 2.0
BYTES_TARGET = 1024
SUBMIT_RATIO_TARGET = 1.5


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--units", type=int, default=None, help="units to create (default 100000)")
    p.add_argument("--events", type=int, default=None, help="events in the log (default 100000)")
    p.add_argument(
        "--small",
        type=int,
        default=None,
        help="units for the machine-per-unit peers (a) and (c) (default 2000)",
    )
    p.add_argument("--repeats", type=int, default=None, help="runs per timing (default 3)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 10000 units and events, 300 for (a) and (c), 1 repeat",
    )
    p.add_argument(
        "--peers-only", action="store_true", help="measure only the peers (a)-(d), not ours"
    )
    args = p.parse_args(argv)
    quick = {"units": 10_000, "events": 10_000, "small": 300, "repeats": 1}
    full = {"units": 100_000, "events": 100_000, "small": 2_000, "repeats": 3}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if min(args.units, args.small, args.repeats) < 1 or args.events < 1:
        p.error("--units, --events, --small and --repeats must be at least 1")
    if args.events > args.units * base.EVENTS_PER_UNIT:
        p.error(f"--events is at most {base.EVENTS_PER_UNIT} × --units (all events are legal)")
    args.small = min(args.small, args.units)
    return args


_STARTED = time.perf_counter()


def progress(what: str) -> None:
    """One progress line on standard error (the table goes to standard output)."""
    at = time.perf_counter() - _STARTED
    print(f"  [{at:5.0f} s] measuring {what} ...", file=sys.stderr, flush=True)


class Line:
    """One line of the table and the jobs that measure it."""

    def __init__(self, label: str, units: int | None = None) -> None:
        self.row = core.Row(label, create_units=units)
        self.create: core.Job | None = None
        self.make: Any = None  # the creation callable, for the tracemalloc run
        self.fire: core.Job | None = None
        self.events = 0

    def creates(self, make: Any) -> Line:
        """Measure `make()`, which creates the line's units."""
        self.make = make
        self.create = core.Job(f"{self.row.label}: create", lambda _: make())
        return self

    def fires(self, events: int, run: Any, setup: Any = lambda: None, check: Any = None) -> Line:
        """Measure `run(setup())`, which fires `events` events and returns how many it accepted."""
        accepted = core.accepted_all(self.row.label, events)

        def checks(state: object, result: object) -> None:
            accepted(state, result)
            if check is not None:
                check(state)

        self.events = events
        self.fire = core.Job(f"{self.row.label}: events", run, setup, checks)
        return self

    def finish(self) -> core.Row:
        """The row, from the jobs' best times."""
        r = self.row
        if self.create is not None and r.create_units:
            r.create_us = self.create.best / r.create_units * 1e6
        if self.fire is not None:
            r.events = self.events
            r.event_us = self.fire.best / self.events * 1e6
            r.event_cpu_us = self.fire.best_cpu / self.events * 1e6
        return r


def finished_check(label: str, expected: int, count: Any) -> Any:
    """A check that `count(state)` units reached the final state, as the log implies."""

    def check(state: object) -> None:
        done = count(state)
        if done != expected:
            msg = f"{label}: {done} units finished, expected {expected}"
            raise RuntimeError(msg)

    return check


def ours_lines(
    roster_doc: dict[str, Any], events: list[dict[str, Any]], lines: list[str]
) -> tuple[list[Line], float]:
    """Our lines (roster, Runtime + submit, replay) and the compile time in seconds."""
    import sfd_workflow as sw

    units = len(roster_doc["units"])
    spec = sw.spec_from_document(base.spec_document(), source="bench-16")
    t0 = time.perf_counter()
    compiled = sw.compile_workflow(spec)
    compile_s = time.perf_counter() - t0
    roster = sw.roster_from_document(roster_doc, spec, source="bench-roster")
    finished = base.finished_units(units, len(events))
    last_step = f"step{base.STEPS - 1}"

    def submit_all(rt: Any) -> int:
        submit = rt.submit
        ok = 0
        for e in events:
            if submit(e).accepted:
                ok += 1
        return ok

    def count_finished(rt: Any) -> int:
        return sum(rt.state(uid)[last_step] == base.FINAL for uid in rt.unit_ids())

    def replay_all(_: object) -> int:
        ok = 0
        for judged in sw.replay(compiled, roster, lines):
            if judged.verdict.accepted:
                ok += 1
        return ok

    roster_line = Line("ours: roster_from_document", units).creates(
        lambda: sw.roster_from_document(roster_doc, spec, source="bench-roster")
    )
    submit_line = (
        Line("ours-submit: Runtime + submit", units)
        .creates(lambda: sw.Runtime(compiled, roster))
        .fires(
            len(events),
            submit_all,
            lambda: sw.Runtime(compiled, roster),
            finished_check("ours-submit", finished, count_finished),
        )
    )
    replay_line = Line("ours-replay: replay(JSON Lines)").fires(len(lines), replay_all)
    replay_line.row.notes.append(
        "µs/event includes replay's own Runtime set-up over all units and JSON parsing"
    )
    return [roster_line, submit_line, replay_line], compile_s


def peer_line(peer: base.Peer, roster_doc: dict[str, Any], events: list[dict[str, Any]]) -> Line:
    """Create the roster's units with `peer`; fire `events` on freshly created units."""
    label = f"({peer.key}) {peer.label}"
    units = len(roster_doc["units"])
    return (
        Line(label, units)
        .creates(lambda: peer.create(roster_doc))
        .fires(
            len(events),
            lambda world: peer.fire(world, events),
            lambda: peer.create(roster_doc),
            finished_check(label, base.finished_units(units, len(events)), peer.final_count),
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    args = parse_args(argv)
    print("sfd-workflow benchmark: 16-state workflow (4 steps × 4 states, 12 events per unit,")
    print("one role guard per event, 2 people per unit), events legal, unit-round-robin")
    for text in core.machine_info():
        print(text)
    small_events_n = min(args.events, args.small * base.EVENTS_PER_UNIT)
    print(
        f"sizes      {args.units:,} units, {args.events:,} events; (a) and (c): "
        f"{args.small:,} units, {small_events_n:,} events; best of {args.repeats}"
    )
    print(flush=True)

    started = time.perf_counter()
    roster_doc = base.roster_document(args.units)
    events = base.event_documents(args.units, args.events)
    lines = base.event_lines(events)
    small_doc = {"units": roster_doc["units"][: args.small]}
    small_events = base.event_documents(args.small, small_events_n)

    table: list[Line] = []
    compile_s = None
    if not args.peers_only:
        ours, compile_s = ours_lines(roster_doc, events, lines)
        table += ours
    by_key: dict[str, Line] = {}
    for make in base.PEERS:
        peer = make()
        small = peer.key in ("a", "c")
        line = peer_line(
            peer, small_doc if small else roster_doc, small_events if small else events
        )
        if small:
            line.row.notes.append(
                f"measured on {args.small:,} units (one machine per unit: 100,000 take minutes)"
            )
        by_key[peer.key] = line
        table.append(line)
    # inputs are built once; frozen, they are not walked by the collections we measure
    gc.collect()
    gc.freeze()

    for line in table:
        if line.make is not None:
            progress(f"{line.row.label}: memory")
            line.row.bytes_per_unit = core.traced_growth(line.make) / (line.row.create_units or 1)
    jobs = [job for line in table for job in (line.create, line.fire) if job is not None]
    core.run_interleaved(jobs, args.repeats, progress)
    rows = [line.finish() for line in table]
    elapsed = time.perf_counter() - started

    print("\n".join(core.format_table(rows, by_key["b"].row)))
    print()
    for note in core.notes_of(rows):
        print(f"* {note}")
    if compile_s is not None:
        print(f"* ours: compile_workflow once: {compile_s * 1e3:.1f} ms (not per unit)")
    print()
    if not args.peers_only:
        print_targets(rows[0], rows[1], by_key["b"].row)
    print(f"total {elapsed:.0f} s; load at the end {core.load_line()}")
    return 0


def print_targets(roster_row: core.Row, submit_row: core.Row, shared: core.Row) -> None:
    """Our numbers against the targets (bench/README.md)."""
    assert submit_row.event_us and shared.event_us
    assert submit_row.create_us is not None and roster_row.create_us is not None
    assert submit_row.bytes_per_unit is not None and roster_row.bytes_per_unit is not None

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    ratio = submit_row.event_us / shared.event_us
    assert submit_row.event_cpu_us and shared.event_cpu_us
    cpu_ratio = submit_row.event_cpu_us / shared.event_cpu_us
    runtime_us, total_us = submit_row.create_us, submit_row.create_us + roster_row.create_us
    runtime_b = submit_row.bytes_per_unit
    total_b = runtime_b + roster_row.bytes_per_unit
    print("targets")
    print(
        f"  submit ÷ (b) per event          {ratio:6.2f}      target ≤ {SUBMIT_RATIO_TARGET}"
        f"   {verdict(ratio <= SUBMIT_RATIO_TARGET)}"
    )
    print(
        f"  same, by CPU time               {cpu_ratio:6.2f}      target ≤ {SUBMIT_RATIO_TARGET}"
        f"   {verdict(cpu_ratio <= SUBMIT_RATIO_TARGET)}"
        "  (process_time: less moved by other processes)"
    )
    print(
        f"  create µs/unit, Runtime only    {runtime_us:6.2f}      target ≤ {CREATE_US_TARGET}"
        f"   {verdict(runtime_us <= CREATE_US_TARGET)}"
    )
    print(
        f"  create µs/unit, roster+Runtime  {total_us:6.2f}      target ≤ {CREATE_US_TARGET}"
        f"   {verdict(total_us <= CREATE_US_TARGET)}"
    )
    print(
        f"  bytes/unit, Runtime only        {runtime_b:6.0f}      target ≤ {BYTES_TARGET}"
        f"   {verdict(runtime_b <= BYTES_TARGET)}"
    )
    print(
        f"  bytes/unit, roster+Runtime      {total_b:6.0f}      target ≤ {BYTES_TARGET}"
        f"   {verdict(total_b <= BYTES_TARGET)}"
    )


if __name__ == "__main__":
    sys.exit(main())
