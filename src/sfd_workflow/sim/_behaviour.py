"""The simulation model: how long steps take, how often reports come back, who reviews.

A model is a small YAML (or JSON) document, ``format: sfd-workflow-sim/1``, written for one
spec; docs/simulation.md is its reference. It is parsed into frozen attrs classes and
checked against the spec (unknown steps, kinds and events are errors that name the file,
the path inside it and the line), exactly like a spec (SPEC-FORMAT §1).

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
import math
import random
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from sfd_workflow._spec._document import parse_text
from sfd_workflow._spec._marks import visible
from sfd_workflow._spec._model import Spec
from sfd_workflow._spec._reader import out_of_range
from sfd_workflow.errors import Problem
from sfd_workflow.sim._calendar import CalendarKind
from sfd_workflow.sim._errors import SimModelError

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
_Z90 = 1.2815515655446004  # the standard normal's 90th percentile


@attrs.frozen
class Dist:
    """A distribution of a non-negative quantity (working days, hours, counts)."""

    kind: str  # fixed | triangular | uniform | lognormal
    params: tuple[float, ...]

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        """`size` independent draws."""
        p = self.params
        if self.kind == "fixed":
            return np.full(size, p[0], dtype=np.float64)
        if self.kind == "triangular":
            if p[0] == p[2]:
                return np.full(size, p[0], dtype=np.float64)
            return rng.triangular(p[0], p[1], p[2], size)
        if self.kind == "uniform":
            return rng.uniform(p[0], p[1], size)
        mu, sigma = math.log(p[0]), (math.log(p[1]) - math.log(p[0])) / _Z90
        return rng.lognormal(mu, sigma, size)

    def draw_one(self, r: random.Random) -> float:
        """One draw from a stdlib generator (fast for the exact engine's single values)."""
        p = self.params
        if self.kind == "fixed":
            return p[0]
        if self.kind == "triangular":
            return r.triangular(p[0], p[2], p[1])
        if self.kind == "uniform":
            return r.uniform(p[0], p[1])
        return r.lognormvariate(math.log(p[0]), (math.log(p[1]) - math.log(p[0])) / _Z90)

    def median(self) -> float:
        """The median (for documentation and sanity checks)."""
        p = self.params
        if self.kind in ("fixed", "lognormal"):
            return p[0]
        if self.kind == "uniform":
            return (p[0] + p[1]) / 2
        a, c, b = p
        if b == a:
            return a
        if c >= (a + b) / 2:
            return a + math.sqrt((b - a) * (c - a) / 2)
        return b - math.sqrt((b - a) * (b - c) / 2)

    def to_document(self) -> Any:
        """The distribution as written in a model."""
        if self.kind == "fixed":
            return self.params[0]
        if self.kind == "lognormal":
            return {"lognormal": {"median": self.params[0], "p90": self.params[1]}}
        return {self.kind: list(self.params)}

    def scaled(self, factor: float) -> Dist:
        """The same shape with every value multiplied by `factor`."""
        return Dist(self.kind, tuple(v * factor for v in self.params))


@attrs.frozen(kw_only=True)
class LateStart:
    """With probability `p` a unit starts a step `delay` working days after it opens."""

    p: float = 0.0
    delay: Dist = Dist("fixed", (0.0,))


@attrs.frozen(kw_only=True)
class Loop:
    """Each submission is returned for revision with probability `p`; a revision takes
    `duration` more working days (at most `SimModel.max_loops` returns per step)."""

    p: float = 0.0
    duration: Dist = Dist("fixed", (0.0,))


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


_DEFAULT_DURATION = Dist("triangular", (3.0, 5.0, 10.0))
_DEFAULT_HOURS = Dist("triangular", (1.0, 2.0, 4.0))


@attrs.frozen(kw_only=True)
class SimModel:
    """A checked simulation model for one spec (see the module docstring)."""

    spec_id: str
    start: dt.date
    calendar: CalendarKind = "cn"
    max_loops: int = 4
    title: str = ""
    steps: Mapping[tuple[str, str], StepParams] = attrs.field(factory=dict)
    events: Mapping[str, EventParams] = attrs.field(factory=dict)
    source: str = "<model>"
    document: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    def params(self, step: str, kind: str) -> StepParams:
        """The parameters of `step` for units of `kind`."""
        return self.steps.get((step, kind)) or StepParams(duration=_DEFAULT_DURATION)

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


class _Reader:
    """Collects problems with file, path and line."""

    def __init__(self, source: str, lines: Mapping[str, int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.source, visible(path), visible(message),
                                     self.lines.get(path)))

    def keys(self, obj: Any, path: str, allowed: tuple[str, ...]) -> bool:
        if not isinstance(obj, Mapping):
            self.fail(path, f"expected a mapping, got {type(obj).__name__}")
            return False
        for k in obj:
            if k not in allowed:
                sub = f"{path}.{k}" if path else str(k)
                self.fail(sub, f"unknown key {k!r} (known: {', '.join(allowed)})")
        return True

    def number(self, value: Any, path: str, *, lo: float = 0.0, hi: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.fail(path, f"expected a number, got {value!r}")
            return lo
        if value < lo or (hi is not None and value > hi):
            rng = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
            self.fail(path, f"{value!r} is out of range: must be {rng}")
            return lo
        return float(value)

    def dist(self, value: Any, path: str) -> Dist | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Dist("fixed", (self.number(value, path),))
        if not isinstance(value, Mapping) or len(value) != 1:
            self.fail(path, "expected a number or one of {fixed: v}, {triangular: [min, mode, "
                            "max]}, {uniform: [min, max]}, {lognormal: {median: m, p90: q}}")
            return None
        (kind, arg), = value.items()
        sub = f"{path}.{kind}"
        if kind == "fixed":
            return Dist("fixed", (self.number(arg, sub),))
        if kind in ("triangular", "uniform"):
            n = 3 if kind == "triangular" else 2
            if not isinstance(arg, list) or len(arg) != n:
                self.fail(sub, f"expected a list of {n} numbers")
                return None
            vals = tuple(self.number(v, f"{sub}[{i}]") for i, v in enumerate(arg))
            if list(vals) != sorted(vals):
                what = "min <= mode <= max" if n == 3 else "min <= max"
                self.fail(sub, f"{list(arg)} is not ordered: need {what}")
                return None
            return Dist(kind, vals)
        if kind == "lognormal":
            if not self.keys(arg, sub, ("median", "p90")):
                return None
            if "median" not in arg or "p90" not in arg:
                self.fail(sub, "needs both median and p90")
                return None
            m = self.number(arg["median"], f"{sub}.median")
            q = self.number(arg["p90"], f"{sub}.p90")
            if not 0 < m < q:
                self.fail(sub, f"needs 0 < median < p90, got median {m:g}, p90 {q:g}")
                return None
            return Dist("lognormal", (m, q))
        self.fail(path, f"unknown distribution {kind!r} (known: fixed, lognormal, triangular, "
                        "uniform)")
        return None


_STEP_KEYS = ("duration", "late_start", "loop")


_Patch = dict[str, Any]


def _step_patch(r: _Reader, doc: Any, path: str) -> _Patch:
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


def _mapping(r: _Reader, obj: Any, path: str) -> Mapping[str, Any]:
    if obj is None:
        return {}
    if not isinstance(obj, Mapping):
        r.fail(path, f"expected a mapping, got {type(obj).__name__}")
        return {}
    return obj


def _no_kinds(r: _Reader, doc: Any, path: str) -> Any:
    if isinstance(doc, Mapping) and "kinds" in doc:
        r.fail(f"{path}.kinds", "kinds cannot be nested inside a kind")
        return {k: v for k, v in doc.items() if k != "kinds"}
    return doc


def _known(r: _Reader, name: str, path: str, known: Any, what: str) -> bool:
    if name in known:
        return True
    r.fail(path, f"unknown {what} {name!r} (known: {', '.join(sorted(known))})")
    return False


def sim_model_from_document(doc: Any, spec: Spec, source: str = "<model>",
                            lines: Mapping[str, int] | None = None) -> SimModel:
    """Check a parsed model document against `spec` and build a `SimModel`.

    Raises:
        SimModelError: listing every problem, each with its path (and line when known).
    """
    r = _Reader(source, lines or {})
    top = ("format", "spec", "title", "start", "calendar", "max_loops", "defaults", "steps",
           "events")
    if not r.keys(doc, "", top):
        raise SimModelError(r.problems)
    if doc.get("format") != FORMAT:
        r.fail("format", f"expected format: {FORMAT}, got {doc.get('format')!r}")
    spec_id = doc.get("spec", spec.id)
    if spec_id != spec.id:
        r.fail("spec", f"this model is for spec {spec_id!r}, not {spec.id!r}")
    start = doc.get("start")
    if start is None:
        start = spec.period.start if spec.period else next(
            (p.window.start for p in spec.phases if p.window), None)
        if start is None:
            r.fail("start", "the spec has no period or phase window: give start: YYYY-MM-DD")
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

    base = StepParams(duration=_DEFAULT_DURATION)
    defaults = doc.get("defaults", {})
    kind_docs: Mapping[str, Any] = {}
    if isinstance(defaults, Mapping):
        base = _apply(base, _step_patch(r, defaults, "defaults"))
        kind_docs = _mapping(r, defaults.get("kinds", {}), "defaults.kinds")
    else:
        r.keys(defaults, "defaults", ())
    kind_base: dict[str, StepParams] = {k: base for k in spec.unit_kinds}
    for kind, kdoc in kind_docs.items():
        path = f"defaults.kinds.{kind}"
        if _known(r, kind, path, spec.unit_kinds, "unit kind"):
            kind_base[kind] = _apply(base, _step_patch(r, _no_kinds(r, kdoc, path), path))

    steps: dict[tuple[str, str], StepParams] = {
        (s.id, k): kind_base[k] for s in spec.steps for k in spec.unit_kinds
    }
    for sid, sdoc in _mapping(r, doc.get("steps", {}), "steps").items():
        path = f"steps.{sid}"
        if not _known(r, sid, path, spec.step_by_id, "step"):
            continue
        patch = _step_patch(r, sdoc, path)
        for kind in spec.unit_kinds:
            steps[(sid, kind)] = _apply(kind_base[kind], patch)
        if not isinstance(sdoc, Mapping):
            continue
        for kind, kdoc in _mapping(r, sdoc.get("kinds", {}), f"{path}.kinds").items():
            kpath = f"{path}.kinds.{kind}"
            if _known(r, kind, kpath, spec.unit_kinds, "unit kind"):
                steps[(sid, kind)] = _apply(steps[(sid, kind)],
                                            _step_patch(r, _no_kinds(r, kdoc, kpath), kpath))

    events: dict[str, EventParams] = {}
    for name, edoc in _mapping(r, doc.get("events", {}), "events").items():
        path = f"events.{name}"
        if not _known(r, name, path, spec.step_of_event, "event"):
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
                    title=str(doc.get("title", "")), steps=steps, events=events,
                    source=source, document=doc)


def load_sim_model(path: str | Path, spec: Spec) -> SimModel:
    """Load a model file (YAML or JSON) for `spec`; ``"builtin:<spec id>"`` loads the default.

    Raises:
        SimModelError: the file cannot be read or breaks the model format.
    """
    text: str
    source = str(path)
    if isinstance(path, str) and path.startswith("builtin:"):
        name = path.removeprefix("builtin:")
        res = resources.files("sfd_workflow.sim").joinpath("models").joinpath(f"{name}.sim.yaml")
        if not res.is_file():
            raise SimModelError([Problem(source, "", f"no built-in simulation model {name!r}")])
        text = res.read_text(encoding="utf-8")
        source = f"builtin:{name}.sim.yaml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SimModelError([Problem(source, "", f"cannot read: {exc.strerror}")]) from exc
        except UnicodeDecodeError as exc:
            raise SimModelError([Problem(source, "", f"not UTF-8 text ({exc.reason})")]) from None
    document = parse_text(text, source, error=SimModelError)  # bounded, one-line errors
    return sim_model_from_document(document.value, spec, source, document.marks.by_name())


def default_sim_model(spec: Spec) -> SimModel:
    """The packaged model of a built-in spec, else generic defaults starting at its period."""
    res = resources.files("sfd_workflow.sim").joinpath("models").joinpath(f"{spec.id}.sim.yaml")
    if res.is_file():
        return load_sim_model(f"builtin:{spec.id}", spec)
    return sim_model_from_document({"format": FORMAT, "spec": spec.id}, spec,
                                   f"<default model of {spec.id}>")
