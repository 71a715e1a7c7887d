"""Compiling a linked spec into shared state machines, once per unit kind.

The compiled form is everything the engine needs on its hot path, computed once: step
indices and predecessor lists, per kind the skipped steps, the guard checks (effective roles
resolved through the kind's `role_map`), the candidate transitions of each (event, state),
and one `transitions` machine per step that executes them.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._backend import StepMachine
from ._checks import GUARD_CHECKS
from ._guards import GuardCheck, Predicate, late_threshold, registered_predicates
from ._spec._model import Spec, Step, Transition, UnitKind
from ._window import window_bounds

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["CompiledKind", "CompiledStep", "CompiledTransition", "CompiledWorkflow",
           "compile_workflow"]


class CompiledStep:
    """A step with its index, its unit attribute and its predecessors' indices."""

    __slots__ = ("after", "attr", "finals", "index", "initial", "step", "window")

    def __init__(self, index: int, step: Step, after: tuple[int, ...],
                 window: tuple[float, float]) -> None:
        self.index = index
        self.step = step
        self.attr = f"s{index}"
        self.after = after
        self.finals = step.finals
        self.initial = step.initial
        #: (lo, hi) epoch seconds: an accepted event outside [lo, hi) is `outside_window`
        self.window = window


class CompiledTransition:
    """A transition for one kind: its checks, effects and the threshold of lateness."""

    __slots__ = ("checks", "clears", "dest", "late_after", "records", "step", "transition")

    def __init__(self, step: CompiledStep, t: Transition, checks: tuple[GuardCheck, ...],
                 late_after: float) -> None:
        self.step = step
        self.transition = t
        self.checks = checks
        self.dest = t.dest
        self.records = t.records
        self.clears = t.clears
        self.late_after = late_after


class CompiledKind:
    """Everything kind-specific: skipped steps, candidates, machines."""

    __slots__ = ("candidates", "kind", "machines", "skipped")

    def __init__(self, kind: UnitKind, skipped: frozenset[int]) -> None:
        self.kind = kind
        self.skipped = skipped
        #: (event, state) -> candidate transitions in document order
        self.candidates: dict[tuple[str, str], tuple[CompiledTransition, ...]] = {}
        #: step index -> machine (absent for skipped steps)
        self.machines: dict[int, StepMachine] = {}


def compile_guard(spec: Spec, transition: Transition, kind: UnitKind, tz: Any,
                  predicates: Mapping[str, Predicate]) -> tuple[GuardCheck, ...]:
    """The checks of one transition's guard for one unit kind, in the check table's order."""
    built = (cls.make(spec, transition, kind, tz, predicates) for cls in GUARD_CHECKS)
    return tuple(c for c in built if c is not None)


def _condition(ct: CompiledTransition) -> Callable[[Context], bool]:
    """The transition's guard as a `transitions` condition; on failure it notes the first
    failing check of the first candidate (docs/format.md §4 step 9) in ``ctx.failed``."""
    checks = ct.checks
    if not checks:
        return lambda _ctx: True
    if len(checks) == 1:  # the common case, without the loop
        check = checks[0]
        holds = check.holds

        def single(ctx: Context) -> bool:
            if holds(ctx):
                return True
            if ctx.failed is None:
                ctx.failed = check
            return False

        return single

    def condition(ctx: Context) -> bool:
        for check in checks:
            if not check.holds(ctx):
                if ctx.failed is None:  # the first candidate's first failing key (§4.9)
                    ctx.failed = check
                return False
        return True

    return condition


class CompiledWorkflow:
    """A spec compiled for execution; build with `compile_workflow`."""

    def __init__(self, spec: Spec, predicates: Mapping[str, Predicate]) -> None:
        self.spec = spec
        self.tz = zoneinfo.ZoneInfo(spec.timezone)
        self.predicates = dict(predicates)
        index = {s.id: i for i, s in enumerate(spec.steps)}
        self.steps: tuple[CompiledStep, ...] = tuple(
            CompiledStep(i, s, tuple(index[a] for a in s.after),
                         window_bounds(spec, s.id, self.tz))
            for i, s in enumerate(spec.steps))
        self.step_index: Mapping[str, int] = index
        #: event -> its step
        self.event_step: Mapping[str, CompiledStep] = {
            e: self.steps[index[s.id]] for e, s in spec.step_of_event.items()}
        self.kinds: dict[str, CompiledKind] = {}
        for kid, kind in spec.unit_kinds.items():
            self.kinds[kid] = self._compile_kind(kind, index)

    def _compile_kind(self, kind: UnitKind, index: Mapping[str, int]) -> CompiledKind:
        ck = CompiledKind(kind, frozenset(index[s] for s in kind.skip))
        for cs in self.steps:
            if cs.index in ck.skipped:
                continue
            wiring = []
            for t in cs.step.transitions:
                ct = CompiledTransition(
                    cs, t, compile_guard(self.spec, t, kind, self.tz, self.predicates),
                    late_threshold(t.due, self.tz))
                for src in t.sources:
                    key = (t.event, src)
                    ck.candidates[key] = (*ck.candidates.get(key, ()), ct)
                wiring.append((t.event, t.sources, t.dest, _condition(ct), ct))
            ck.machines[cs.index] = StepMachine(f"{self.spec.id}:{kind.id}:{cs.step.id}",
                                                cs.step.states, cs.attr, wiring)
        return ck

    @property
    def attrs(self) -> tuple[str, ...]:
        """The unit attributes, one per step."""
        return tuple(s.attr for s in self.steps)

    def __repr__(self) -> str:
        return (f"<CompiledWorkflow {self.spec.id}: {len(self.steps)} steps, "
                f"{len(self.kinds)} unit kinds>")


def compile_workflow(spec: Spec, predicates: Mapping[str, Predicate] | None = None
                     ) -> CompiledWorkflow:
    """Compile `spec` into shared state machines, once per unit kind.

    Args:
        spec: a loaded spec.
        predicates: custom guard predicates by name, on top of those registered with
            `register_predicate` (these win on a name clash).

    Raises:
        CompileError: the spec names a custom predicate that is not registered.
    """
    merged: dict[str, Any] = dict(registered_predicates())
    merged.update(predicates or {})
    return CompiledWorkflow(spec, merged)
