"""``sfd-workflow simulate``: a thin click command over `sfd_workflow.sim`.

Only click and the core are imported at module level: the heavy packages of the ``sim``
extra load when the command runs, so the rest of the CLI starts fast and works without it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from sfd_workflow._cli_kit import Choice, fail, fail_load
from sfd_workflow._extras import require
from sfd_workflow._roster import load_roster
from sfd_workflow._spec._loader import load_spec
from sfd_workflow.errors import LoadError, SfdWorkflowError

__all__ = ["simulate_command"]


@click.command(name="simulate")
@click.argument("spec")
@click.option("--roster", "roster_path", metavar="R", default=None,
              help="Simulate the units of this roster file.")
@click.option("--district", "district_n", metavar="N", type=click.IntRange(min=1), default=None,
              help="Simulate a generated district of N units (with people).")
@click.option("--national", is_flag=True,
              help="Simulate a national-scale set of units (arrays, fast engine).")
@click.option("--units", "n_units", type=click.IntRange(min=1), default=3_700_000,
              show_default=True, help="With --national: how many units.")
@click.option("--engine", type=Choice(["exact", "fast"]), default=None,
              help="exact: every event through the runtime (default with a roster or "
                   "district); fast: numpy dates only (default and only choice with "
                   "--national).")
@click.option("--model", "model_path", metavar="M", default=None,
              help="Simulation model file (default: the spec's packaged model, else its "
                   "plan: durations from its dues and phase windows).")
@click.option("--hierarchy", "hierarchy_path", metavar="H", default=None,
              help="Hierarchy model file for --district and --national (default: the spec's "
                   "packaged one, else one derived from the spec).")
@click.option("--start", "start", metavar="DATE", type=click.DateTime(["%Y-%m-%d"]),
              default=None, help="The day the campaign reaches units (needed for a spec "
                                 "without dates; replaces the model's start:).")
@click.option("--seed", type=click.IntRange(min=0), required=True,
              help="Seed (≥ 0): the same seed, the same run.")
@click.option("--runs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Replications; above 1, runs go to a process pool and KPIs get bands.")
@click.option("--dask", "dask_address", metavar="ADDRESS", default=None,
              help="Run the replications on this dask.distributed scheduler.")
@click.option("--out", "out_dir", metavar="DIR", required=True, type=click.Path(file_okay=False),
              help="Directory for roster.yaml, events.jsonl, tables and plots.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show a progress bar on standard error (only when it is a terminal).")
def simulate_command(spec: str, roster_path: str | None, district_n: int | None, national: bool,
                     n_units: int, engine: str | None, model_path: str | None,
                     hierarchy_path: str | None, start: Any, seed: int,
                     runs: int, dask_address: str | None, out_dir: str, progress: bool) -> None:
    """Simulate units running SPEC (a path or builtin:<id>) through the campaign.

    Writes roster.yaml, events.jsonl (exact engine; replayable with `sfd-workflow replay`),
    CSV and Parquet tables and PNG plots into --out, and one JSON line of KPIs per step on
    standard output. docs/simulation.md defines every KPI.
    """
    sources = [x for x in (roster_path, district_n, national or None) if x is not None]
    if len(sources) != 1:
        fail("give exactly one of --roster R, --district N, --national")
    try:
        _simulate(spec, roster_path, district_n, national, n_units, engine, model_path,
                  hierarchy_path, start.date() if start is not None else None, seed,
                  runs, dask_address, out_dir, progress and sys.stderr.isatty())
    except LoadError as exc:
        fail_load(exc)
    except SfdWorkflowError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.filename or out_dir}: {exc.strerror}")


def _sim(module: str) -> Any:
    """`sfd_workflow.sim.<module>` through the gate (the ``sim`` extra)."""
    return require(f"sfd_workflow.sim.{module}", feature="simulation", extra="sim")


def _simulate(spec_arg: str, roster_path: str | None, district_n: int | None, national: bool,
              n_units: int, engine: str | None, model_path: str | None,
              hierarchy_path: str | None, start: Any, seed: int, runs: int,
              dask_address: str | None, out_dir: str, progress: bool) -> None:
    # the simulation's modules import numpy and pandas: through the gate, here
    behaviour, hierarchies = _sim("_behaviour"), _sim("_hierarchy")
    default_sim_model, load_sim_model = behaviour.default_sim_model, behaviour.load_sim_model
    default_hierarchy, load_hierarchy = hierarchies.default_hierarchy, hierarchies.load_hierarchy
    write_outputs = _sim("_output").write_outputs
    district, national_units = _sim("_rosters").district, _sim("_rosters").national
    run, simulate = _sim("_simulate").run, _sim("_simulate").simulate
    tqdm_module: Any = require("tqdm", feature="the progress bar", extra="sim")
    spec = load_spec(spec_arg)
    model = (load_sim_model(model_path, spec, start=start) if model_path
             else default_sim_model(spec, start=start))
    hierarchy = (load_hierarchy(hierarchy_path, spec) if hierarchy_path
                 else default_hierarchy(spec) if roster_path is None else None)
    units: Any
    if national:
        if engine == "exact":
            fail("--national has no people: use --engine fast (or --district N)")
        engine = "fast"
        units = national_units(n_units, seed, spec=spec, hierarchy=hierarchy)
    elif district_n is not None:
        units = district(district_n, seed, spec=spec, hierarchy=hierarchy)
    else:
        assert roster_path is not None
        units = load_roster(roster_path, spec)
    engine = engine or "exact"
    unit, total = ((" events", None) if engine == "exact" else (" steps", len(spec.steps)))
    if runs > 1:
        unit, total = " runs", runs
    bar = tqdm_module.tqdm(disable=not progress, file=sys.stderr, unit=unit, total=total,
                           desc=f"simulate ({engine})")
    try:
        result = run(spec, units, model=model, engine=engine,
                     seed=seed, progress=bar.update if runs == 1 else None)
        ensemble = None
        if runs > 1:
            bar.update(1)
            executor = None
            client = None
            if dask_address:
                distributed = require("distributed", feature="Dask ensembles", extra="dask",
                                      package="dask[distributed]")
                client = distributed.Client(dask_address)
                executor = client.get_executor()
            try:
                ensemble = simulate(spec, units, model=model, engine=engine,
                                    seed=seed, runs=runs, executor=executor,
                                    progress=lambda k: None, first=result)
            finally:
                if client is not None:
                    client.close()
            bar.update(runs - 1)
    finally:
        bar.close()
    written = write_outputs(result, out_dir, ensemble=ensemble)
    summary = ensemble.summary() if ensemble is not None else None
    for sid, row in result.summary().iterrows():
        line = {"step": sid, **{k: _jsonable(v) for k, v in row.items()}}
        if summary is not None:
            band = summary.loc[sid]
            line["on_time_band"] = [float(band.loc["on_time", "low"]),
                                    float(band.loc["on_time", "high"])]
        click.echo(json.dumps(line, ensure_ascii=False))
    for path in written.values():
        click.echo(f"wrote {path}", err=True)
    if result.events is not None:
        click.echo(f"{len(result.events):,} events; check with: sfd-workflow replay {spec_arg} "
                   f"{Path(out_dir) / 'roster.yaml'} {Path(out_dir) / 'events.jsonl'}", err=True)


def _jsonable(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        try:
            return v.date().isoformat()
        except (AttributeError, ValueError):
            return None
    if isinstance(v, float) and v != v:  # NaN
        return None
    if hasattr(v, "item"):
        return v.item()
    return v
