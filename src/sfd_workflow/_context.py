"""The context of one judgement: what the checks of docs/format.md §4 read and resolve.

A runtime keeps one `Context` for `submit` (the hot path reuses it); `explain` makes its own.
The early checks of the table fill it as they pass (the unit, the step, the actor's roles,
the step's state); guard checks read it. Custom predicates get a read-only
`PredicateContext`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._jsonvalue import EMPTY
from ._record import Record
from ._unit import UnitState, is_complete

if TYPE_CHECKING:
    from ._compile import CompiledStep, CompiledWorkflow
    from ._eventlog import ParsedEvent

__all__ = ["Context", "PredicateContext"]


class Context:
    """The mutable scratch of one judgement, shared by the checks."""

    __slots__ = (
        "actor",
        "at",
        "children",
        "event",
        "event_step",
        "failed",
        "payload",
        "people",
        "roles",
        "state",
        "step",
        "steps",
        "t",
        "unit",
        "unit_id",
        "units",
    )

    def __init__(self, compiled: CompiledWorkflow, units: Mapping[str, UnitState],
                 children: Mapping[str, tuple[str, ...]]) -> None:
        self.units = units
        self.steps: Sequence[CompiledStep] = compiled.steps
        self.event_step: Mapping[str, CompiledStep] = compiled.event_step
        self.children = children
        self.unit_id = ""
        self.unit: UnitState = None  # type: ignore[assignment]
        self.step: CompiledStep = None  # type: ignore[assignment]
        self.actor = ""
        self.event = ""
        self.roles: frozenset[str] = frozenset()
        self.people: dict[str, frozenset[str]] = {}
        self.state = ""
        self.at: dt.datetime = None  # type: ignore[assignment]
        self.t = 0.0
        self.payload: Mapping[str, Any] = EMPTY
        #: the first failing guard check of the first candidate (set while firing)
        self.failed: Any = None

    def load(self, ev: ParsedEvent) -> None:
        """Start judging `ev`."""
        self.unit_id = ev.unit
        self.event = ev.event
        self.actor = ev.actor
        self.at = ev.at
        self.t = ev.t
        self.payload = ev.payload
        self.failed = None

    def complete(self, unit_id: str, step: CompiledStep) -> bool:
        """True when the unit's step is complete (docs/format.md §4)."""
        return is_complete(self.units[unit_id], step, self.steps)

    def predicate_view(self) -> PredicateContext:
        """The read-only view given to custom predicates."""
        return PredicateContext(self)


class PredicateContext:
    """What a custom predicate sees: read-only views of the event and the unit."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @property
    def unit(self) -> str:
        """The unit id."""
        return self._ctx.unit.id

    @property
    def kind(self) -> str:
        """The unit's kind."""
        return self._ctx.unit.kind.kind.id

    @property
    def actor(self) -> str:
        """The acting person's id."""
        return self._ctx.actor

    @property
    def roles(self) -> frozenset[str]:
        """The actor's roster roles."""
        return self._ctx.roles

    @property
    def at(self) -> dt.datetime:
        """The event's time (aware)."""
        return self._ctx.at

    @property
    def payload(self) -> Mapping[str, Any]:
        """The event's payload (frozen)."""
        return self._ctx.payload

    @property
    def event(self) -> str:
        """The event name."""
        return self._ctx.event

    def state(self) -> dict[str, str]:
        """The unit's step states."""
        us = self._ctx.unit
        return {cs.step.id: us.st[cs.index] for cs in self._ctx.steps}

    def records(self, kind: str | None = None) -> list[Record]:
        """The unit's live records, of one kind or all."""
        return [r for r in self._ctx.unit.live_records() if kind is None or r.kind == kind]
