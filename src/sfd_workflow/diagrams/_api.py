"""The five views as functions returning `Diagram` objects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from attrs import evolve

from sfd_workflow._spec._model import Spec
from sfd_workflow.diagrams._diagram import Diagram
from sfd_workflow.diagrams._ir import Graph
from sfd_workflow.diagrams._labels import check_phases
from sfd_workflow.diagrams._machine import machine_graph, machine_steps
from sfd_workflow.diagrams._progress import (
    UnitProgress,
    cohort_counts,
    late_steps,
    reference_time,
    unit_progress,
)
from sfd_workflow.diagrams._status_views import progress_graph, unit_graph_view
from sfd_workflow.diagrams._views import dependencies_graph, overview_graph
from sfd_workflow.diagrams._words import check_lang

__all__ = ["GROUP_ABOVE", "VIEWS", "all_progress", "dependencies", "machine", "overview",
           "progress", "unit"]

VIEWS = ("overview", "machine", "unit", "progress", "dependencies")
DEFAULT_FONT = "WenQuanYi Micro Hei"


def _diagram(graph: Graph, view: str, lang: str, fontname: str) -> Diagram:
    if fontname != graph.fontname:
        graph = evolve(graph, fontname=fontname)
    return Diagram(graph=graph, view=view, lang=lang)


def all_progress(runtime: Any, *, at: dt.datetime | None = None,
                 explain: bool = False) -> dict[str, UnitProgress]:
    """The progress of every unit of a runtime, in roster order.

    Args:
        runtime: a `sfd_workflow.Runtime` that has judged the events (its ``log`` gives
            the late steps).
        at: the reference time for ``overdue`` (default: the latest accepted event).
        explain: also work out what each active step still needs (slower: it asks
            ``Runtime.explain`` for every person of every unit).
    """
    when = at if at is not None else reference_time(runtime)
    late = late_steps(runtime)
    return {u: unit_progress(runtime, u, at=when, late=late, explain=explain)
            for u in runtime.unit_ids()}


def overview(spec: Spec, *, lang: str = "zh", runtime: Any = None,
             phases: Sequence[str] | None = None, fontname: str = DEFAULT_FONT) -> Diagram:
    """Phases, steps, roles and dependencies; with `runtime`, how many units are in each step.

    Args:
        spec: the workflow.
        lang: ``zh``, ``en`` or ``both`` (Chinese above English).
        runtime: optional `Runtime`: draws the cohort overlay (units active, done, waiting
            and skipping each step).
        phases: draw only these phases (ids): the deck shows one phase a slide when the
            whole overview would be too small to read.
        fontname: a font family with Chinese glyphs known to fontconfig.
    """
    check_lang(lang)
    counts = None
    if runtime is not None:
        counts = cohort_counts(all_progress(runtime).values())
    if phases is not None:
        check_phases(spec, phases)
    graph = overview_graph(spec, lang=lang, counts=counts, phases=phases)
    return _diagram(graph, "overview", lang, fontname)


def machine(spec: Spec, kind: str, *, lang: str = "zh", phase: str | None = None,
            steps: Sequence[str] | None = None, direction: str | None = None,
            guards: bool = True, states: Sequence[str] | None = None,
            fontname: str = DEFAULT_FONT) -> Diagram:
    """The state machine of one unit kind, with every guard in words.

    Args:
        spec: the workflow.
        kind: a unit kind of the spec (its role map and skipped steps are applied).
        lang: ``zh``, ``en`` or ``both``.
        phase: draw only the steps of this phase (one slide per phase: the whole machine
            is taller than a slide).
        steps: draw only these steps (ids); with `phase`, those of them in the phase.
        direction: ``TB`` (steps side by side, states flowing down: the default for the
            whole machine) or ``LR`` (steps stacked, states flowing right: the default for
            a phase or a few steps, which then fit a 16:9 slide).
        guards: write each event's guard in words, record and due date (default); False:
            only states and event titles (the deck's machine slides, which must read on a
            projector; the step slides after them list the guards).
        states: draw only these states of the steps shown and the arrows leaving them (a
            long step cut into runs of states); an arrow to a state left out ends at a
            dashed box naming it.
        fontname: a font family with Chinese glyphs known to fontconfig.

    Raises:
        ValueError: `kind`, `phase` or a step is not in the spec; a bad `direction`.
    """
    chosen = None if phase is None and steps is None else machine_steps(
        spec, phase=phase, steps=steps)
    if direction is None:
        direction = "TB" if chosen is None else "LR"
    if direction not in ("TB", "LR"):
        msg = f"unknown direction {direction!r}: use TB or LR"
        raise ValueError(msg)
    graph = machine_graph(spec, kind, lang=lang, steps=chosen, direction=direction,
                          guards=guards, states=states)
    return _diagram(graph, "machine", lang, fontname)


def dependencies(spec: Spec, *, lang: str = "zh", weight: str = "auto",
                 fontname: str = DEFAULT_FONT) -> Diagram:
    """The step graph with its critical path in red.

    Args:
        weight: ``days`` (planned days from phase windows and ``due`` dates), ``events``
            (fewest events to finish each step) or ``auto`` (``days`` when every step is
            dated); see `critical_path`.
    """
    return _diagram(dependencies_graph(spec, lang=lang, weight=weight), "dependencies",
                    lang, fontname)


def unit(runtime: Any, unit_id: str, *, lang: str = "zh", at: dt.datetime | None = None,
         fontname: str = DEFAULT_FONT) -> Diagram:
    """One unit's position: done, active, blocked and skipped steps, late steps in red.

    Raises:
        sfd_workflow.UnknownUnitError: the roster has no such unit.
    """
    check_lang(lang)
    p = unit_progress(runtime, unit_id, at=at)
    graph = unit_graph_view(runtime.spec, runtime.roster, p, lang=lang)
    return _diagram(graph, "unit", lang, fontname)


GROUP_ABOVE = 40  # `progress` groups the units of a roster larger than this


def progress(runtime: Any, *, lang: str = "zh", at: dt.datetime | None = None,
             grouped: bool | None = None, fontname: str = DEFAULT_FONT) -> Diagram:
    """The unit hierarchy under the district, each unit coloured by its progress.

    Args:
        runtime: a `Runtime` that has judged the events.
        lang: ``zh``, ``en`` or ``both``.
        at: the reference time for ``overdue`` (default: the latest accepted event).
        grouped: gather the units with no units under them by parent and kind, one box
            per group with its counts and a grid of one square per unit (see
            `progress_graph`); default: when the roster has more than `GROUP_ABOVE` units.
        fontname: a font family with Chinese glyphs known to fontconfig.
    """
    check_lang(lang)
    if grouped is None:
        grouped = len(runtime.roster.units) > GROUP_ABOVE
    graph = progress_graph(runtime.spec, runtime.roster, all_progress(runtime, at=at),
                           lang=lang, grouped=grouped)
    return _diagram(graph, "progress", lang, fontname)
