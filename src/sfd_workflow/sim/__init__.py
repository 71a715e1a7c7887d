"""Simulation of campaign progress over many units: exact and fast engines.

Needs the ``sim`` extra (``pip install 'sfd-workflow[sim]'``)::

    import sfd_workflow as sfd
    from sfd_workflow import sim

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    roster = sim.district(140, seed=1, spec=spec)            # from the spec's hierarchy model
    result = sim.run(spec, roster, engine="exact", seed=1)   # every event through Runtime
    result.summary()                                          # KPIs per step
    sim.simulate(spec, sim.national(100_000), runs=20).summary()   # bands over 20 runs

docs/simulation.md describes the model file, the engines and every KPI.

Names are imported on first use (PEP 562), so ``import sfd_workflow.sim`` and the CLI stay
cheap and a missing extra is reported, when a name is used, by `MissingExtraError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sfd_workflow._extras import require as _require

if TYPE_CHECKING:
    from sfd_workflow.sim._behaviour import (
        Dist,
        EventParams,
        LateStart,
        Loop,
        SimModel,
        StepParams,
        default_sim_model,
        load_sim_model,
        sim_model_from_document,
    )
    from sfd_workflow.sim._calendar import WorkCalendar, chinese_calendar_years
    from sfd_workflow.sim._demo import demo_main
    from sfd_workflow.sim._errors import CalendarError, SimModelError, SimulationError
    from sfd_workflow.sim._hierarchy import (
        Hierarchy,
        KindMix,
        Level,
        default_hierarchy,
        derived_hierarchy,
        hierarchy_from_document,
        load_hierarchy,
    )
    from sfd_workflow.sim._output import roster_document, summary_lines, write_outputs
    from sfd_workflow.sim._plots import (
        cjk_font,
        plot_gantt,
        plot_heatmap,
        plot_lateness,
        plot_progress,
        write_plots,
    )
    from sfd_workflow.sim._results import KPI_DEFINITIONS, SimResult
    from sfd_workflow.sim._rosters import UnitArrays, district, national, unit_arrays
    from sfd_workflow.sim._simulate import Engine, Ensemble, RunSummary, expand, run, simulate

_WHERE = {
    "WorkCalendar": "_calendar", "chinese_calendar_years": "_calendar",
    "demo_main": "_demo",
    "CalendarError": "_errors", "SimModelError": "_errors", "SimulationError": "_errors",
    "Hierarchy": "_hierarchy", "KindMix": "_hierarchy", "Level": "_hierarchy",
    "default_hierarchy": "_hierarchy", "derived_hierarchy": "_hierarchy",
    "hierarchy_from_document": "_hierarchy", "load_hierarchy": "_hierarchy",
    "Dist": "_behaviour", "EventParams": "_behaviour", "LateStart": "_behaviour",
    "Loop": "_behaviour",
    "SimModel": "_behaviour", "StepParams": "_behaviour", "default_sim_model": "_behaviour",
    "load_sim_model": "_behaviour", "sim_model_from_document": "_behaviour",
    "roster_document": "_output", "summary_lines": "_output", "write_outputs": "_output",
    "cjk_font": "_plots", "plot_gantt": "_plots", "plot_heatmap": "_plots",
    "plot_lateness": "_plots", "plot_progress": "_plots", "write_plots": "_plots",
    "KPI_DEFINITIONS": "_results", "SimResult": "_results",
    "UnitArrays": "_rosters", "district": "_rosters", "national": "_rosters",
    "unit_arrays": "_rosters",
    "Engine": "_simulate", "Ensemble": "_simulate", "RunSummary": "_simulate",
    "expand": "_simulate", "run": "_simulate", "simulate": "_simulate",
}

__all__ = [
    "KPI_DEFINITIONS",
    "CalendarError",
    "Dist",
    "Engine",
    "Ensemble",
    "EventParams",
    "Hierarchy",
    "KindMix",
    "LateStart",
    "Level",
    "Loop",
    "RunSummary",
    "SimModel",
    "SimModelError",
    "SimResult",
    "SimulationError",
    "StepParams",
    "UnitArrays",
    "WorkCalendar",
    "chinese_calendar_years",
    "cjk_font",
    "default_hierarchy",
    "default_sim_model",
    "demo_main",
    "derived_hierarchy",
    "district",
    "expand",
    "hierarchy_from_document",
    "load_hierarchy",
    "load_sim_model",
    "national",
    "plot_gantt",
    "plot_heatmap",
    "plot_lateness",
    "plot_progress",
    "roster_document",
    "run",
    "sim_model_from_document",
    "simulate",
    "summary_lines",
    "unit_arrays",
    "write_outputs",
    "write_plots",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        msg = f"module 'sfd_workflow.sim' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(_require(f"sfd_workflow.sim.{module}", feature="sfd_workflow.sim",
                            extra="sim"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
