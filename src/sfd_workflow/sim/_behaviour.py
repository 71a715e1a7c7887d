"""The simulation model: how long steps take, how often reports come back, who reviews.

A model is a small YAML (or JSON) document, ``format: sfd-workflow-sim/1``, written for one
spec; docs/simulation.md is its reference. It is parsed into frozen attrs classes and
checked against the spec (unknown steps, kinds and events are errors that name the file,
the path inside it and the line), exactly like a spec (docs/format.md §1).

Durations are in working days of the model's calendar (`WorkCalendar`), probabilities are
in [0, 1]. A distribution is written as one of::

    5                                   # fixed
    {fixed: 5}
    {triangular: [min, mode, max]}
    {uniform: [min, max]}
    {lognormal: {median: m, p90: q}}    # q > m > 0: median and 90th percentile
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from sfd_workflow._spec._model import Spec
from sfd_workflow._spec._reader import out_of_range
from sfd_workflow.sim._calendar import CalendarKind
from sfd_workflow.sim._dist import Dist
from sfd_workflow.sim._errors import CalendarError, SimModelError
from sfd_workflow.sim._modelio import ModelReader, builtin_model, known, mapping, read_model_file
from sfd_workflow.sim._plan import (
    LATE_START,
    LOOP,
    UNDATED_MEDIAN,
    campaign_calendar,
    planned_durations,
    spread,
)

__all__ = [
    "FORMAT",
    "Dist",
    "EventParams",
    "LateStart",
    "Loop",
    "SimModel",
    "StepParams",
    "default_sim_model",
    "load_sim_model",
    "sim_model_from_document",
]

FORMAT = "sfd-workflow-sim/1"


_ZERO = Dist("fixed", (0.0,))


@attrs.frozen(kw_only=True)
class LateStart:
    """With probability `p` a unit starts a step `delay` working days after it opens."""

    p: float = 0.0
    delay: Dist = _ZERO


@attrs.frozen(kw_only=True)
class Loop:
    """Each submission is returned for revision with probability `p`; a revision takes
    `duration` more working days (at most `SimModel.max_loops` returns per step)."""

    p: float = 0.0
    duration: Dist = _ZERO


@attrs.frozen(kw_only=True)
class StepParams:
    """What a simulated unit of one kind does in one step."""

    duration: Dist
    late_start: LateStart = LateStart()
    loop: Loop = Loop()


@attrs.frozen(kw_only=True)
class EventParams:
    """How one event is fired by the exact engine.

    `p`: chance that each eligible person fires it when it records a kind counted by a
    quorum (members' reviews arriving; the quorum is always reached). `repeat`: how many
    times an activity (a transition that stays in its state) is fired per visit.
    `hours`: the value of a numeric payload field (hours per activity, R27).
    """

    p: float = 1.0
    repeat: Dist | None = None
    hours: Dist | None = None


_DEFAULT_HOURS = Dist("triangular", (1.0, 2.0, 4.0))


@attrs.frozen(kw_only=True)
class SimModel:
    """A checked simulation model for one spec (see the module docstring)."""

    spec_id: str
    start: dt.date
    calendar: CalendarKind = "cn"
    max_loops: int = 4
    wait_for_window: bool = True
    title: str = ""
    steps: Mapping[tuple[str, str], StepParams] = attrs.field(factory=dict)
    events: Mapping[str, EventParams] = attrs.field(factory=dict)
    source: str = "<model>"
    document: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    def params(self, step: str, kind: str) -> StepParams:
        """The parameters of `step` for units of `kind`."""
        return self.steps[(step, kind)]

    def event(self, event: str) -> EventParams:
        """The parameters of `event` (defaults when the model does not name it)."""
        return self.events.get(event) or EventParams()

    def hours(self, event: str) -> Dist:
        """The hours distribution of `event`."""
        return self.event(event).hours or _DEFAULT_HOURS

    # -- what-if helpers ------------------------------------------------------------
    def delayed(self, days: int) -> SimModel:
        """The same model with the campaign reaching units `days` calendar days later."""
        return attrs.evolve(self, start=self.start + dt.timedelta(days=days))

    def with_loop_factor(self, factor: float) -> SimModel:
        """The same model with every return probability multiplied by `factor` (max 0.95)."""
        steps = {
            key: attrs.evolve(sp, loop=attrs.evolve(sp.loop, p=min(0.95, sp.loop.p * factor)))
            for key, sp in self.steps.items()
        }
        return attrs.evolve(self, steps=steps)


# -- parsing ----------------------------------------------------------------------------


_STEP_KEYS = ("duration", "late_start", "loop")


_Patch = dict[str, Any]


def _step_patch(r: ModelReader, doc: Any, path: str) -> _Patch:
    """The overrides a step-parameter block gives (checked once, applied per kind)."""
    out: _Patch = {}
    if not r.keys(doc, path, (*_STEP_KEYS, "kinds")):
        return out
    if "duration" in doc:
        out["duration"] = r.dist(doc["duration"], f"{path}.duration")
    for key, plim, sub_key in (("late_start", 1.0, "delay"), ("loop", 0.95, "duration")):
        if key not in doc:
            continue
        sub = f"{path}.{key}"
        block = doc[key]
        if r.keys(block, sub, ("p", sub_key)):
            if "p" in block:
                out[f"{key}.p"] = r.number(block["p"], f"{sub}.p", hi=plim)
            if sub_key in block:
                out[f"{key}.{sub_key}"] = r.dist(block[sub_key], f"{sub}.{sub_key}")
    return {k: v for k, v in out.items() if v is not None}


def _apply(base: StepParams, patch: _Patch) -> StepParams:
    ls, lp = base.late_start, base.loop
    return StepParams(
        duration=patch.get("duration", base.duration),
        late_start=LateStart(p=patch.get("late_start.p", ls.p),
                             delay=patch.get("late_start.delay", ls.delay)),
        loop=Loop(p=patch.get("loop.p", lp.p), duration=patch.get("loop.duration", lp.duration)),
    )


def _no_kinds(r: ModelReader, doc: Any, path: str) -> Any:
    if isinstance(doc, Mapping) and "kinds" in doc:
        r.fail(f"{path}.kinds", "kinds cannot be nested inside a kind")
        return {k: v for k, v in doc.items() if k != "kinds"}
    return doc


def sim_model_from_document(doc: Any, spec: Spec, source: str = "<model>",
                            lines: Mapping[str, int] | None = None, *,
                            start: dt.date | None = None) -> SimModel:
    """Check a parsed model document against `spec` and build a `SimModel`.

    What the document does not give comes from the spec's plan (`_plan`): durations from
    its dues and phase windows, a few late starts and, where a step can send work back,
    revision loops. `start` (``--start``) replaces the document's ``start:``.

    Raises:
        SimModelError: listing every problem, each with its path (and line when known).
    """
    r = ModelReader(source, lines or {})
    top = ("format", "spec", "title", "start", "calendar", "max_loops", "wait_for_window",
           "defaults", "steps", "events")
    if not r.keys(doc, "", top):
        raise SimModelError(r.problems)
    if doc.get("format") != FORMAT:
        r.fail("format", f"expected format: {FORMAT}, got {doc.get('format')!r}")
    spec_id = doc.get("spec", spec.id)
    if spec_id != spec.id:
        r.fail("spec", f"this model is for spec {spec_id!r}, not {spec.id!r}")
    if start is None:
        start = doc.get("start")
    if start is None:
        start = spec.period.start if spec.period else next(
            (p.window.start for p in spec.phases if p.window), None)
        if start is None:
            r.fail("start", "the spec has no period or phase window: give start: YYYY-MM-DD "
                            "(or --start DATE)")
            start = dt.date(2000, 1, 1)
    elif isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            r.fail("start", f"not a date: {start!r}")
            start = dt.date(2000, 1, 1)
    elif not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        r.fail("start", f"not a date: {start!r}")
        start = dt.date(2000, 1, 1)
    if out_of_range(start):  # the spec's rule (9999-12-31 overflows, pandas ends in 2262)
        r.fail("start", str(out_of_range(start)))
        start = dt.date(2000, 1, 1)
    calendar = doc.get("calendar", "cn")
    if calendar not in ("cn", "weekdays"):
        r.fail("calendar", f"unknown calendar {calendar!r} (known: cn, weekdays)")
        calendar = "cn"
    max_loops = doc.get("max_loops", 4)
    if isinstance(max_loops, bool) or not isinstance(max_loops, int) or not 0 <= max_loops <= 20:
        r.fail("max_loops", f"expected an integer from 0 to 20, got {max_loops!r}")
        max_loops = 4

    wait = doc.get("wait_for_window", True)
    if not isinstance(wait, bool):
        r.fail("wait_for_window", f"expected true or false, got {wait!r}")
        wait = True
    plan = _derived(r, spec, calendar, start, wait)

    defaults = doc.get("defaults", {})
    kind_docs: Mapping[str, Any] = {}
    patch: _Patch = {}
    if isinstance(defaults, Mapping):
        patch = _step_patch(r, defaults, "defaults")
        kind_docs = mapping(r, defaults.get("kinds", {}), "defaults.kinds")
    else:
        r.keys(defaults, "defaults", ())
    kind_patch: dict[str, _Patch] = {k: {} for k in spec.unit_kinds}
    for kind, kdoc in kind_docs.items():
        path = f"defaults.kinds.{kind}"
        if known(r, kind, path, spec.unit_kinds, "unit kind"):
            kind_patch[kind] = _step_patch(r, _no_kinds(r, kdoc, path), path)
    steps: dict[tuple[str, str], StepParams] = {
        (s.id, k): _apply(_apply(plan[s.id], patch), kind_patch[k])
        for s in spec.steps for k in spec.unit_kinds
    }
    for sid, sdoc in mapping(r, doc.get("steps", {}), "steps").items():
        path = f"steps.{sid}"
        if not known(r, sid, path, spec.step_by_id, "step"):
            continue
        spatch = _step_patch(r, sdoc, path)
        for kind in spec.unit_kinds:
            steps[(sid, kind)] = _apply(steps[(sid, kind)], spatch)
        if not isinstance(sdoc, Mapping):
            continue
        for kind, kdoc in mapping(r, sdoc.get("kinds", {}), f"{path}.kinds").items():
            kpath = f"{path}.kinds.{kind}"
            if known(r, kind, kpath, spec.unit_kinds, "unit kind"):
                steps[(sid, kind)] = _apply(steps[(sid, kind)],
                                            _step_patch(r, _no_kinds(r, kdoc, kpath), kpath))

    events: dict[str, EventParams] = {}
    for name, edoc in mapping(r, doc.get("events", {}), "events").items():
        path = f"events.{name}"
        if not known(r, name, path, spec.step_of_event, "event"):
            continue
        if not r.keys(edoc, path, ("p", "repeat", "hours")):
            continue
        p = r.number(edoc.get("p", 1.0), f"{path}.p", hi=1.0)
        rep = r.dist(edoc["repeat"], f"{path}.repeat") if "repeat" in edoc else None
        hrs = r.dist(edoc["hours"], f"{path}.hours") if "hours" in edoc else None
        events[name] = EventParams(p=p, repeat=rep, hours=hrs)

    if r.problems:
        raise SimModelError(r.problems)
    return SimModel(spec_id=spec.id, start=start, calendar=calendar, max_loops=max_loops,
                    wait_for_window=wait,
                    title=str(doc.get("title", "")), steps=steps, events=events,
                    source=source, document=doc)


def load_sim_model(path: str | Path, spec: Spec, *, start: dt.date | None = None) -> SimModel:
    """Load a model file (YAML or JSON) for `spec`; ``"builtin:<spec id>"`` loads the default.

    `start` replaces the file's ``start:`` (the CLI's ``--start``).

    Raises:
        SimModelError: the file cannot be read or breaks the model format.
    """
    doc, source, lines = read_model_file(path, "sim")
    return sim_model_from_document(doc, spec, source, lines, start=start)


def default_sim_model(spec: Spec, *, start: dt.date | None = None) -> SimModel:
    """The packaged model of a built-in spec, else the spec's own plan (`_plan`).

    `start` is the day the campaign reaches units (needed when the spec has no dates).
    """
    if builtin_model(spec.id, "sim").is_file():
        return load_sim_model(f"builtin:{spec.id}", spec, start=start)
    return sim_model_from_document({"format": FORMAT, "spec": spec.id}, spec,
                                   f"<default model of {spec.id}>", start=start)


def _derived(r: ModelReader, spec: Spec, calendar: CalendarKind, start: dt.date,
             wait: bool) -> dict[str, StepParams]:
    """Every step's parameters from the spec's plan (placeholders once a problem is found)."""
    plain = {s.id: StepParams(duration=spread(UNDATED_MEDIAN)) for s in spec.steps}
    if r.problems:
        return plain
    try:
        cal, first_day = campaign_calendar(spec, calendar, start)
    except CalendarError as exc:
        r.fail("start" if "start" in r.lines else "calendar", str(exc))
        return plain
    durations, loops = planned_durations(spec, cal, first_day, wait_for_window=wait)
    late = LateStart(p=LATE_START[0], delay=LATE_START[1])
    loop = Loop(p=LOOP[0], duration=LOOP[1])
    return {sid: StepParams(duration=d, late_start=late, loop=loop if sid in loops else Loop())
            for sid, d in durations.items()}
