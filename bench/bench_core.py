"""The measuring harness of the benchmark: timing, memory, the table.

Nothing here asserts a time. Each measurement is:

* **time**: `time.perf_counter` around the measured call, best of `repeats` runs, each on
  fresh state built outside the timed region; the garbage collector stays on (users have
  it on), after `gc.collect()`; the inputs are built first and `gc.freeze()`-ed so that
  collections only walk what the implementation itself allocates;
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
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Row:
    """One line of the table; None means "not measured for this line"."""

    label: str
    create_units: int | None = None
    create_us: float | None = None  # µs per unit
    bytes_per_unit: float | None = None
    events: int | None = None
    event_us: float | None = None  # µs per event
    notes: list[str] = field(default_factory=list)


def best_time(
    run: Callable[[T], object], setup: Callable[[], T], repeats: int
) -> tuple[float, object, T]:
    """Best wall time in seconds of `run(setup())` over `repeats` runs.

    `setup` runs outside the timed region; each repeat's state is released before the next
    one is set up. Returns the best time, the last result and the last state.
    """
    best = float("inf")
    result: object = None
    held: list[T] = []
    for _ in range(max(1, repeats)):
        held.clear()  # release the previous state before building the next
        held.append(setup())
        gc.collect()
        t0 = time.perf_counter()
        result = run(held[0])
        elapsed = time.perf_counter() - t0
        best = min(best, elapsed)
    return best, result, held[0]


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


def measure_create(label: str, create: Callable[[], object], units: int, repeats: int) -> Row:
    """A row with the time and bytes per unit of `create()` (which builds `units` units)."""
    seconds, _, _ = best_time(lambda _state: create(), lambda: None, repeats)
    grown = traced_growth(create)
    return Row(
        label,
        create_units=units,
        create_us=seconds / units * 1e6,
        bytes_per_unit=grown / units,
    )


def measure_events(
    row: Row,
    fire: Callable[[T], int],
    setup: Callable[[], T],
    events: int,
    repeats: int,
) -> T:
    """Fill `row` with µs per event of `fire(setup())`, which must accept all `events`.

    Returns the state of the last run, for checks outside the timed region.
    """
    seconds, accepted, state = best_time(fire, setup, repeats)
    if accepted != events:
        msg = f"{row.label}: accepted {accepted} of {events} legal events"
        raise RuntimeError(msg)
    row.events = events
    row.event_us = seconds / events * 1e6
    return state


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
