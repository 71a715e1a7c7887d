"""The measuring harness of the benchmark: timing, memory, the table.

Nothing here asserts a time. Each measurement is:

* **time**: `time.perf_counter` around the measured call, best of `repeats` runs, each on
  fresh state built outside the timed region, the runs of all lines interleaved
  round-robin; the garbage collector stays on (users have it on), after `gc.collect()`;
  the inputs are built first and `gc.freeze()`-ed so that collections only walk what the
  implementation itself allocates;
* **memory**: `tracemalloc` growth (current traced bytes after − before) over one run of the
  creation, with the result still alive, divided by the number of units.
"""

from __future__ import annotations

import gc
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    """One line of the table; None means "not measured for this line"."""

    label: str
    create_units: int | None = None
    create_us: float | None = None  # µs per unit
    bytes_per_unit: float | None = None
    events: int | None = None
    event_us: float | None = None  # µs per event
    event_cpu_us: float | None = None  # µs of CPU time per event (less moved by other load)
    notes: list[str] = field(default_factory=list)


@dataclass
class Job:
    """One timed thing: ``run(setup())``, repeated, interleaved with the other jobs.

    `setup` runs outside the timed region; `check(state, result)` too, after every run (it
    raises when the run did not do what it should, e.g. refused a legal event).
    """

    name: str
    run: Callable[[Any], object]
    setup: Callable[[], Any] = lambda: None
    check: Callable[[Any, object], None] | None = None
    best: float = float("inf")  # wall seconds (time.perf_counter)
    best_cpu: float = float("inf")  # this process's CPU seconds (time.process_time)


def run_interleaved(
    jobs: Sequence[Job], repeats: int, progress: Callable[[str], None] | None = None
) -> None:
    """Time every job `repeats` times, round-robin, keeping each job's best time.

    Round-robin rather than job after job, so that a burst of load from other processes
    hits every line alike and the ratios between lines stay fair.
    """
    for r in range(max(1, repeats)):
        for job in jobs:
            if progress is not None:
                progress(f"{job.name} (run {r + 1} of {repeats})")
            state = job.setup()
            gc.collect()
            c0 = time.process_time()
            t0 = time.perf_counter()
            result = job.run(state)
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - c0
            job.best = min(job.best, elapsed)
            job.best_cpu = min(job.best_cpu, cpu)
            if job.check is not None:
                job.check(state, result)
            del state, result  # release before the next job builds its own


def traced_growth(make: Callable[[], object]) -> int:
    """Bytes `tracemalloc` sees still allocated after `make()`, its result kept alive."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = make()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return after - before


def accepted_all(label: str, events: int) -> Callable[[Any, object], None]:
    """A `Job.check` that the run returned `events`, the number of events it accepted."""

    def check(_state: object, accepted: object) -> None:
        if accepted != events:
            msg = f"{label}: accepted {accepted} of {events} legal events"
            raise RuntimeError(msg)

    return check


def machine_info() -> list[str]:
    """Lines describing the interpreter, the machine and the libraries measured."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    lines = [
        f"python     {platform.python_implementation()} {sys.version.split()[0]}"
        f" ({platform.system()} {platform.machine()})",
        f"cpus       {os.cpu_count()} (usable by this process: {usable})",
        f"processor  {_processor_name()}",
    ]
    versions = []
    for dist in ("sfd-workflow", "transitions", "python-statemachine"):
        versions.append(f"{dist} {_version(dist)}")
    lines.append("libraries  " + ", ".join(versions))
    lines.append(f"load       {load_line()}")
    return lines


def load_line() -> str:
    """The 1/5/15-minute load averages, flagged when other work competes for the CPUs."""
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):  # not on Unix
        return "unknown"
    text = f"{one:.2f} {five:.2f} {fifteen:.2f}"
    cpus = os.cpu_count() or 1
    if one > cpus * 0.75:
        text += f"  (busy: other work shares the {cpus} cpus; times are inflated, ratios less so)"
    return text


def _processor_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        if dist == "sfd-workflow":
            return "(source tree)"
        return "(not installed)"


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def format_table(rows: Sequence[Row], reference: Row | None) -> list[str]:
    """The side-by-side table; `reference` gives the "÷ (b)" column of µs per event."""
    head = ("", "units", "create µs/unit", "bytes/unit", "events", "µs/event", "÷ (b)")
    body = []
    for r in rows:
        ratio = None
        if reference and reference.event_us and r.event_us is not None:
            ratio = r.event_us / reference.event_us
        body.append(
            (
                r.label,
                _fmt(r.create_units, ",d"),
                _fmt(r.create_us, ",.2f"),
                _fmt(r.bytes_per_unit, ",.0f"),
                _fmt(r.events, ",d"),
                _fmt(r.event_us, ",.2f"),
                _fmt(ratio, ".2f"),
            )
        )
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    out = [line(head), line(["-" * w for w in widths])]
    out.extend(line(cells) for cells in body)
    return out


def notes_of(rows: Sequence[Row]) -> list[str]:
    """The notes attached to rows, as footnote lines."""
    return [f"{r.label}: {n}" for r in rows for n in r.notes]
