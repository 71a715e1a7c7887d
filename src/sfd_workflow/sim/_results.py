"""Results of one simulated run: tables (pandas) and key performance indicators.

Every KPI says what it measures (simulators disagree on words like "processing
time"). The words used here:

* **completion date** — the calendar date of the event completing the step (a skipped step
  completes when the steps before it do, docs/format.md §4);
* **deadline** — the ``due`` date of the transition completing the step, else the latest
  ``due`` on its route, else the end of its phase's window;
* **on time** — completed on or before the deadline; **days late** — *working days* after it;
* **working days in step** — working days from the step's start (first event) to completion;
* **waiting** — working days from the day the step opens to its start (a late start);
* **elapsed days** — *calendar days* from the campaign's first day to completion;
* **first late here** — units late at this step that were on time at every step before it
  in the step order: where lateness is *created*, the bottleneck ranking.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from sfd_workflow._spec._model import Roster, Spec
from sfd_workflow.sim._behaviour import SimModel
from sfd_workflow.sim._calendar import WorkCalendar
from sfd_workflow.sim._fast import Schedule
from sfd_workflow.sim._rosters import UnitArrays

__all__ = ["KPI_DEFINITIONS", "SimResult"]

#: what each column of `SimResult.summary` measures
KPI_DEFINITIONS: Mapping[str, str] = {
    "units": "units the step applies to (not skipped for their kind)",
    "on_time": "share of those units completing the step on or before its deadline",
    "late": "units completing the step after its deadline",
    "first_late_here": "units late at this step and on time at every earlier step",
    "median_end": "median completion date (calendar date)",
    "p90_end": "90th percentile of the completion date (calendar date)",
    "median_elapsed_days": "median calendar days from the campaign's first day to completion",
    "median_work_days": "median working days from the step's start to its completion",
    "median_wait_days": "median working days from the step opening to its start (late start)",
    "mean_days_late": "mean working days after the deadline, over late units",
    "mean_returns": "mean revision loops (reports sent back) per unit",
    "deadline": "the step's deadline (due of its completing transition, else phase end)",
    "bottleneck_rank": "1 = the step where the most units first become late",
}


def _dates(days: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    return days.astype("datetime64[D]")


@attrs.frozen(kw_only=True, eq=False)
class SimResult:
    """One simulated run of a campaign (from `sfd_workflow.sim.run`).

    Attributes:
        engine: ``"fast"`` or ``"exact"``.
        seed, run: the seed and replication index that reproduce it.
        schedule: per step, arrays over units of day numbers (open, start, end).
        events: the accepted events of an exact run, as event-log dicts (else None).
    """

    spec: Spec
    model: SimModel
    units: UnitArrays
    schedule: Schedule
    calendar: WorkCalendar
    engine: str
    seed: int
    run: int = 0
    roster: Roster | None = None
    events: list[dict[str, Any]] | None = None
    event_steps: list[str] | None = None
    event_late: list[bool] | None = None
    retries: Mapping[str, int] = attrs.field(factory=dict)
    # each summary is computed once (the CLI, the tables and the plots all read it)
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False)

    # -- tables -------------------------------------------------------------------------
    def steps_frame(self) -> pd.DataFrame:
        """One row per unit and step: open, start, end, deadline, late and durations.

        Columns: ``unit``, ``kind``, ``step``, ``applies`` (False where skipped), ``open``,
        ``start``, ``end`` (dates), ``deadline``, ``late``, ``days_late`` (working days),
        ``work_days``, ``wait_days`` (working days), ``elapsed_days`` (calendar days from
        the campaign's first day), ``returns``.
        """
        sc, cal = self.schedule, self.calendar
        n = len(self.units)
        ids = (np.asarray(self.units.ids, dtype=object) if self.units.ids is not None
               else np.arange(n))
        kinds = self.units.kinds_of()
        frames = []
        for sid in sc.steps:
            end, dl = sc.end[sid], sc.deadline[sid]
            ap = sc.applies[sid]
            late = ap & (dl >= 0) & (end > dl)
            frames.append(pd.DataFrame({
                "unit": ids, "kind": kinds, "step": sid, "applies": ap,
                "open": _dates(sc.open[sid]), "start": _dates(sc.start[sid]),
                "end": _dates(end),
                "deadline": np.where(dl >= 0, dl, np.iinfo(np.int64).min).astype("datetime64[D]"),
                "late": late,
                "days_late": np.where(late, cal.working_days_between(dl, end), 0),
                "work_days": np.where(ap, cal.working_days_between(sc.start[sid], end), 0),
                "wait_days": np.where(ap, cal.working_days_between(sc.open[sid], sc.start[sid]),
                                      0),
                "elapsed_days": end - sc.first_day,
                "returns": sc.loops[sid],
            }))
        out = pd.concat(frames, ignore_index=True)
        out["step"] = pd.Categorical(out["step"], categories=list(sc.steps))
        return out

    def events_frame(self) -> pd.DataFrame:
        """One row per accepted event of an exact run (empty for the fast engine).

        Columns: ``unit``, ``step``, ``event``, ``actor``, ``at`` (aware date-time),
        ``late`` (the runtime's flag: after the transition's ``due``), ``payload`` (JSON).
        """
        cols = ["unit", "step", "event", "actor", "at", "late", "payload"]
        if not self.events:
            return pd.DataFrame(columns=cols)
        ev = self.events
        return pd.DataFrame({
            "unit": [e["unit"] for e in ev],
            "step": self.event_steps,
            "event": [e["event"] for e in ev],
            "actor": [e["actor"] for e in ev],
            "at": pd.to_datetime([e["at"] for e in ev]),
            "late": self.event_late,
            "payload": [json.dumps(e["payload"], ensure_ascii=False) for e in ev],
        })

    # -- KPIs ---------------------------------------------------------------------------
    def late(self) -> dict[str, npt.NDArray[np.bool_]]:
        """Per step, over units: completed after the deadline (where the step applies)."""
        if "late" not in self._cache:
            sc = self.schedule
            self._cache["late"] = {
                s: sc.applies[s] & (sc.deadline[s] >= 0) & (sc.end[s] > sc.deadline[s])
                for s in sc.steps}
        late: dict[str, npt.NDArray[np.bool_]] = self._cache["late"]
        return late

    def summary(self) -> pd.DataFrame:
        """Per step KPIs (columns defined in `KPI_DEFINITIONS`), in step order."""
        if "summary" not in self._cache:
            self._cache["summary"] = self._summary()
        summary: pd.DataFrame = self._cache["summary"]
        return summary.copy()

    def _summary(self) -> pd.DataFrame:
        sc, cal = self.schedule, self.calendar
        late = self.late()
        seen = np.zeros(len(self.units), dtype=np.bool_)
        first_late: dict[str, int] = {}
        order = [s for s in self.spec.step_by_id if s in sc.steps]
        rows = []
        for sid in order:
            first_late[sid] = int((late[sid] & ~seen).sum())
            seen |= late[sid]
        for sid in sc.steps:
            ap = sc.applies[sid]
            end = sc.end[sid][ap]
            dl = sc.deadline[sid][ap]
            lt = late[sid][ap]
            m = int(ap.sum())
            step = self.spec.step_by_id[sid]
            row: dict[str, Any] = {
                "step": sid, "title": step.title.get("zh"), "units": m,
                "on_time": float(1 - lt.mean()) if m else float("nan"),
                "late": int(lt.sum()), "first_late_here": first_late[sid],
            }
            if m:
                ends = _Counts(end)  # completions per day: every quantile from one histogram
                row["median_end"] = ends.date(50)
                row["p90_end"] = ends.date(90)
                row["median_elapsed_days"] = ends.median() - sc.first_day
                row["median_work_days"] = _Counts(
                    cal.working_days_between(sc.start[sid][ap], end)).median()
                row["median_wait_days"] = _Counts(
                    cal.working_days_between(sc.open[sid][ap], sc.start[sid][ap])).median()
                row["mean_days_late"] = (float(cal.working_days_between(dl[lt], end[lt]).mean())
                                         if lt.any() else 0.0)
                row["mean_returns"] = float(sc.loops[sid][ap].mean())
                row["deadline"] = (pd.Timestamp(_dates(dl[:1])[0])
                                   if dl.min() == dl.max() and dl[0] >= 0 else pd.NaT)
            rows.append(row)
        out = pd.DataFrame(rows).set_index("step")
        out["bottleneck_rank"] = out["first_late_here"].rank(ascending=False,
                                                             method="min").astype(int)
        return out

    def by_kind(self) -> pd.DataFrame:
        """Per step and unit kind: units, share on time, median and p90 completion date."""
        sc = self.schedule
        late = self.late()
        order = np.argsort(self.units.kind, kind="stable")
        bounds = np.searchsorted(self.units.kind[order], np.arange(len(self.units.kind_names) + 1))
        rows = []
        for sid in sc.steps:
            ap, end, lt = sc.applies[sid][order], sc.end[sid][order], late[sid][order]
            for code, kind in enumerate(self.units.kind_names):
                lo, hi = int(bounds[code]), int(bounds[code + 1])
                sel = ap[lo:hi]
                m = int(sel.sum())
                if not m:
                    continue
                e = end[lo:hi][sel]
                ends = _Counts(e)
                rows.append({"step": sid, "kind": kind, "units": m,
                             "on_time": float(1 - lt[lo:hi][sel].mean()),
                             "median_end": ends.date(50), "p90_end": ends.date(90)})
        return pd.DataFrame(rows).set_index(["step", "kind"])

    def progress(self) -> pd.DataFrame:
        """Share of units (where the step applies) that completed each step, day by day.

        Index: calendar dates from a week before the campaign to a week after the last
        completion; one column per step. Counted per day (a histogram), not per unit.
        """
        if "progress" not in self._cache:
            sc = self.schedule
            first = sc.first_day - 7
            ends = {s: sc.end[s][sc.applies[s]] for s in sc.steps}
            last = max(int(e.max(initial=sc.first_day)) for e in ends.values())
            days = np.arange(first, last + 8)
            data = {}
            for sid, end in ends.items():
                counts = np.bincount(np.clip(end - first, 0, None), minlength=len(days))
                data[sid] = (np.cumsum(counts[:len(days)]) / len(end) if len(end)
                             else np.zeros(len(days)))
            self._cache["progress"] = pd.DataFrame(
                data, index=pd.DatetimeIndex(_dates(days), name="date"))
        progress: pd.DataFrame = self._cache["progress"]
        return progress.copy()

    def lateness(self) -> pd.DataFrame:
        """Late units per step by working days late: index 1, 2, … (days), one column per
        step (counts; a histogram of `steps_frame`'s ``days_late`` over late rows)."""
        if "lateness" not in self._cache:
            sc, cal = self.schedule, self.calendar
            late = self.late()
            counts = {s: np.bincount(cal.working_days_between(sc.deadline[s][late[s]],
                                                              sc.end[s][late[s]]))
                      for s in sc.steps}
            top = max([len(c) for c in counts.values()] + [2])
            self._cache["lateness"] = pd.DataFrame(
                {s: np.pad(c, (0, top - len(c)))[1:] for s, c in counts.items()},
                index=pd.RangeIndex(1, top, name="days_late"))
        lateness: pd.DataFrame = self._cache["lateness"]
        return lateness.copy()

    def kpis(self) -> dict[str, float]:
        """The numeric KPIs as a flat mapping ``"<step>.<kpi>"`` (ensembles band these)."""
        out: dict[str, float] = {}
        for sid, row in self.summary().iterrows():
            for col in ("on_time", "late", "first_late_here", "median_elapsed_days",
                        "median_work_days", "median_wait_days", "mean_days_late",
                        "mean_returns"):
                if col in row and pd.notna(row[col]):
                    out[f"{sid}.{col}"] = float(row[col])
            for col in ("median_end", "p90_end"):
                if col in row and pd.notna(row[col]):
                    out[f"{sid}.{col}"] = float((row[col] - pd.Timestamp("1970-01-01")).days)
        return out

    # -- files --------------------------------------------------------------------------
    def write_events(self, path: str | Path) -> int:
        """Write the exact run's events as a JSON Lines event log; returns the line count."""
        with Path(path).open("w", encoding="utf-8") as fh:
            for e in self.events or ():
                fh.write(json.dumps(e, ensure_ascii=False) + "\n")
        return len(self.events or ())


class _Counts:
    """A histogram of whole numbers (day numbers, working days): quantiles without sorting."""

    def __init__(self, values: npt.NDArray[np.int64]) -> None:
        self.low = int(values.min())
        self.cdf = np.cumsum(np.bincount(values - self.low))
        self.n = int(self.cdf[-1])

    def _at(self, rank: int) -> int:
        """The value of the `rank`-th smallest (1-based)."""
        return self.low + int(np.searchsorted(self.cdf, rank, side="left"))

    def quantile(self, q: float) -> int:
        """The smallest value with at least q % of values at or below it (numpy's
        ``inverted_cdf``): a day, not a day between two."""
        return self._at(max(1, math.ceil(self.n * q / 100)))

    def median(self) -> float:
        """The median (the mean of the two middle values when their count is even)."""
        if self.n % 2:
            return float(self._at(self.n // 2 + 1))
        return (self._at(self.n // 2) + self._at(self.n // 2 + 1)) / 2

    def date(self, q: float) -> pd.Timestamp:
        """The `q` % quantile as a date."""
        return pd.Timestamp(np.datetime64(self.quantile(q), "D"))
