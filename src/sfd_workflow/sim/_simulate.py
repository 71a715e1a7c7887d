"""Running simulations: one run, a sample expanded into events, and ensembles of runs.

Seeds: run ``i`` of seed ``s`` uses ``numpy.random.SeedSequence(s, spawn_key=(i,))``, split
in two streams (the draws of `_draws`, the exact engine's choices of actors and reviews).
A run is therefore the same whether it runs alone, in a process pool or on a Dask cluster.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from sfd_workflow._compile import compile_workflow
from sfd_workflow._spec._model import Roster, Spec, Unit
from sfd_workflow.sim._behaviour import SimModel, default_sim_model
from sfd_workflow.sim._calendar import WorkCalendar
from sfd_workflow.sim._draws import Draws, draw
from sfd_workflow.sim._errors import SimulationError
from sfd_workflow.sim._exact import run_exact
from sfd_workflow.sim._fast import schedule
from sfd_workflow.sim._plan import campaign_calendar
from sfd_workflow.sim._results import SimResult
from sfd_workflow.sim._rosters import UnitArrays, unit_arrays
from sfd_workflow.sim._shape import SpecShape, shape_of

__all__ = ["Engine", "Ensemble", "RunSummary", "expand", "run", "simulate"]

Engine = Literal["fast", "exact"]


def _calendar(spec: Spec, model: SimModel) -> tuple[WorkCalendar, int]:
    return campaign_calendar(spec, model.calendar, model.start)


def _opens(spec: Spec, model: SimModel, cal: WorkCalendar) -> dict[str, int]:
    """Per step, the first working day of its phase window (when the model waits for it)."""
    if not model.wait_for_window:
        return {}
    return {s.id: int(cal.on_or_after(cal.day(w.start))) for s in spec.steps
            if (w := spec.phase_of_step[s.id].window) is not None}


def _streams(seed: int, run_index: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    ss = np.random.SeedSequence(seed, spawn_key=(run_index,))
    a, b = ss.spawn(2)
    return a, b


def _check(spec: Spec, model: SimModel) -> None:
    if model.spec_id != spec.id:
        msg = f"the simulation model is for spec {model.spec_id!r}, not {spec.id!r}"
        raise SimulationError(msg)


def _draws(spec: Spec, model: SimModel, arrays: UnitArrays, seed: int, run_index: int) -> Draws:
    a, _ = _streams(seed, run_index)
    return draw(spec, model, arrays.kind, arrays.kind_names, np.random.default_rng(a))


def run(spec: Spec, units: Roster | UnitArrays, *, model: SimModel | None = None,
        engine: Engine = "fast", seed: int = 0, run_index: int = 0,
        progress: Callable[[int], None] | None = None) -> SimResult:
    """Simulate one run of the campaign for `units`.

    Args:
        units: a `Roster` (either engine) or `UnitArrays` (fast engine only), e.g. from
            `district` or `national`.
        model: the simulation model; default: the spec's packaged model.
        engine: ``"fast"`` (numpy, dates only) or ``"exact"`` (every event through the
            compiled `Runtime`; needs a roster).
        seed, run_index: reproduce the run.
        progress: called with a count of events processed (exact engine) or with 1 as
            each step is scheduled (fast engine).

    Raises:
        SimulationError: the spec, model or roster cannot be simulated (named reason).
        CalendarError: the campaign runs outside the calendar's known years.
    """
    model = model or default_sim_model(spec)
    _check(spec, model)
    shape = shape_of(spec)
    cal, first_day = _calendar(spec, model)
    roster = units if isinstance(units, Roster) else None
    arrays = unit_arrays(units, spec) if isinstance(units, Roster) else units
    draws = _draws(spec, model, arrays, seed, run_index)
    if engine == "fast":
        sched = schedule(spec, shape, arrays, draws, cal, first_day, _opens(spec, model, cal),
                         progress)
        return SimResult(spec=spec, model=model, units=arrays, schedule=sched, calendar=cal,
                         engine="fast", seed=seed, run=run_index, roster=roster)
    if engine != "exact":
        msg = f"unknown engine {engine!r} (known: exact, fast)"
        raise SimulationError(msg)
    if roster is None:
        msg = "the exact engine needs a roster with people (e.g. district(n)), not bare arrays"
        raise SimulationError(msg)
    return _exact(spec, roster, arrays, model, shape, draws, cal, first_day, seed, run_index,
                  progress)


def _exact(spec: Spec, roster: Roster, arrays: UnitArrays, model: SimModel, shape: SpecShape,
           draws: Draws, cal: WorkCalendar, first_day: int, seed: int, run_index: int,
           progress: Callable[[int], None] | None) -> SimResult:
    _, b = _streams(seed, run_index)
    rng = random.Random(int(b.generate_state(1, np.uint64)[0]))
    ex = run_exact(spec, compile_workflow(spec), roster, shape, arrays, model, draws, cal,
                   first_day, rng, progress, _opens(spec, model, cal))
    return SimResult(spec=spec, model=model, units=arrays, schedule=ex.schedule, calendar=cal,
                     engine="exact", seed=seed, run=run_index, roster=roster, events=ex.events,
                     event_steps=ex.steps, event_late=ex.late, retries=ex.retries)


def expand(result: SimResult, sample: int | Sequence[str] = 10, *, seed: int = 0) -> SimResult:
    """Expand some units of a fast run into events, through the real runtime.

    The sample (a number of units drawn with `seed`, or unit ids) is completed with every
    descendant (a parent waits for its children, R21); those units are run by the exact
    engine with *their own draws of the fast run*, so their dates equal the fast ones and
    their events form a log that replays fully accepted.

    Raises:
        SimulationError: the result has no roster (national arrays have no people).
    """
    if result.roster is None or result.units.ids is None:
        msg = "only a run over a roster can be expanded into events"
        raise SimulationError(msg)
    roster, arrays = result.roster, result.units
    ids = list(result.units.ids)
    pos = {u: i for i, u in enumerate(ids)}
    if isinstance(sample, int):
        rng = np.random.default_rng(seed)
        chosen = {ids[i] for i in rng.choice(len(ids), min(sample, len(ids)), replace=False)}
    else:
        unknown = [u for u in sample if u not in pos]
        if unknown:
            msg = f"unknown unit {unknown[0]!r} in the sample"
            raise SimulationError(msg)
        chosen = set(sample)
    children = roster.children
    stack = list(chosen)
    while stack:
        for c in children.get(stack.pop(), ()):
            if c not in chosen:
                chosen.add(c)
                stack.append(c)
    idx = np.array(sorted(pos[u] for u in chosen), dtype=np.intp)
    keep = {ids[i] for i in idx}
    units: list[Unit] = []
    for i in idx:
        u = roster.units[int(i)]
        units.append(u if u.parent is None or u.parent in keep else attrs.evolve(u, parent=None))
    sub = Roster(units=tuple(units), source=f"{roster.source} (sample of {len(units)})")
    spec, model = result.spec, result.model
    shape = shape_of(spec)
    cal, first_day = _calendar(spec, model)
    draws = _draws(spec, model, arrays, result.seed, result.run).take(idx)
    return _exact(spec, sub, arrays.take(idx), model, shape, draws, cal, first_day,
                  result.seed, result.run, None)


# -- ensembles -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True, eq=False)
class RunSummary:
    """What an ensemble keeps of one run: its KPIs, per-kind table and progress curves."""

    run: int
    seed: int
    summary: pd.DataFrame
    by_kind: pd.DataFrame
    progress: pd.DataFrame
    kpis: dict[str, float]
    events: int

    @classmethod
    def of(cls, result: Any, run: int, seed: int) -> RunSummary:
        """What an ensemble keeps of a finished run's `SimResult`."""
        return cls(run=run, seed=seed, summary=result.summary(), by_kind=result.by_kind(),
                   progress=result.progress(), kpis=result.kpis(),
                   events=len(result.events or ()))


@attrs.frozen(kw_only=True)
class _Task:
    spec: Spec
    units: Roster | UnitArrays
    model: SimModel
    engine: str
    seed: int
    run: int


def _run_task(task: _Task) -> RunSummary:
    res = run(task.spec, task.units, model=task.model, engine=task.engine,  # type: ignore[arg-type]
              seed=task.seed, run_index=task.run)
    return RunSummary.of(res, task.run, task.seed)


@attrs.frozen(kw_only=True, eq=False)
class Ensemble:
    """Replications of one simulation; `summary` gives a band for every KPI."""

    runs: tuple[RunSummary, ...]

    def kpi_table(self) -> pd.DataFrame:
        """One row per run, one column per KPI (``"<step>.<kpi>"``)."""
        return pd.DataFrame([r.kpis for r in self.runs], index=[r.run for r in self.runs])

    def summary(self, level: float = 0.9) -> pd.DataFrame:
        """Every KPI over the runs: mean, std, and the central `level` band (quantiles).

        Dates (``median_end``, ``p90_end``) are given as dates. Index: (step, kpi).
        """
        table = self.kpi_table()
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        out = pd.DataFrame({
            "mean": table.mean(), "std": table.std(ddof=1) if len(table) > 1 else 0.0,
            "low": table.quantile(lo), "high": table.quantile(hi), "runs": table.count(),
        })
        out.index = pd.MultiIndex.from_tuples([tuple(i.split(".", 1)) for i in out.index],
                                              names=["step", "kpi"])
        return out

    def progress_band(self, step: str, level: float = 0.9) -> pd.DataFrame:
        """Share of units done with `step`, by date: the central `level` band and median."""
        curves = pd.concat([r.progress[step].rename(r.run) for r in self.runs], axis=1)
        curves = curves.sort_index().ffill().fillna(0.0)
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        return pd.DataFrame({"low": curves.quantile(lo, axis=1),
                             "median": curves.quantile(0.5, axis=1),
                             "high": curves.quantile(hi, axis=1)})


def simulate(spec: Spec, units: Roster | UnitArrays, *, model: SimModel | None = None,
             engine: Engine = "fast", seed: int = 0, runs: int = 1,
             executor: Executor | Any | None = None,
             progress: Callable[[int], None] | None = None,
             first: Any = None) -> Ensemble:
    """Run `runs` replications and summarise them with bands on every KPI.

    Args:
        executor: where replications run: None means a local process pool (in this process
            when ``runs == 1``); pass ``client.get_executor()`` of a ``dask.distributed``
            client to run on a Dask cluster, or any `concurrent.futures.Executor`.
        progress: called with 1 as each run finishes (in run order).
        first: the `SimResult` of run 0 when the caller already has it (``run(...)`` with
            the same spec, units, model, engine and seed): it is summarised, not run again.

    The result is the same for the same seed whatever the executor.
    """
    if runs < 1:
        msg = f"runs must be at least 1, got {runs}"
        raise SimulationError(msg)
    model = model or default_sim_model(spec)
    _check(spec, model)
    done = [RunSummary.of(first, 0, seed)] if first is not None else []
    tasks = [_Task(spec=spec, units=units, model=model, engine=engine, seed=seed, run=i)
             for i in range(len(done), runs)]
    results: list[RunSummary] = list(done)
    if not tasks:
        return Ensemble(runs=tuple(results))
    if executor is None and runs == 1:
        results.append(_run_task(tasks[0]))
        if progress:
            progress(1)
        return Ensemble(runs=tuple(results))
    own = executor is None
    ex = executor if executor is not None else ProcessPoolExecutor(
        max_workers=min(len(tasks), os.cpu_count() or 1))
    try:
        futures = [ex.submit(_run_task, t) for t in tasks]
        for f in futures:
            results.append(f.result())
            if progress:
                progress(1)
    finally:
        if own:
            ex.shutdown()
    return Ensemble(runs=tuple(results))
