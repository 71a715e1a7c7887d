"""The unit object: one unit's state while a runtime judges its events (docs/format.md §4).

Units are small ``__slots__`` objects: step states in the list `st` (one property per step,
the ``model_attribute`` its shared `transitions` machine reads and writes), live records by
kind, the history, the time of the last accepted event. People and role counts are built on
first use, so 100,000 units start in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ._record import Record
from ._spec._model import Unit

if TYPE_CHECKING:
    from ._compile import CompiledKind, CompiledStep

__all__ = ["UnitState", "is_complete", "is_open", "unit_class"]

#: `UnitState.last` before any accepted event (earlier than any event)
NEVER = -1e300


class UnitState:
    """Base of the per-workflow unit classes (see `unit_class`)."""

    __slots__ = ("history", "id", "kind", "last", "last_at", "live", "people_", "roles_", "st",
                 "unit")

    def __init__(self, unit: Unit, kind: CompiledKind, states: list[str]) -> None:
        self.unit = unit
        self.id = unit.id
        self.kind = kind
        self.st = states
        self.last = NEVER
        self.last_at: dt.datetime | None = None
        #: record kind -> its live records, in the order stored (None: none yet)
        self.live: dict[str, list[Record]] | None = None
        #: every record in the order stored, retired ones included (None: none yet)
        self.history: list[Record] | None = None
        #: person id -> roster roles (None until `people` is first read)
        self.people_: dict[str, frozenset[str]] | None = None
        self.roles_: dict[frozenset[str], int] | None = None

    @property
    def people(self) -> dict[str, frozenset[str]]:
        """Person id -> roster roles, built on first use."""
        p = self.people_
        if p is None:
            p = self.people_ = {x.id: frozenset(x.roles) for x in self.unit.people}
        return p

    def role_count(self, accepted: frozenset[str]) -> int:
        """How many people hold one of the `accepted` roster roles (cached)."""
        cache = self.roles_
        if cache is None:
            cache = self.roles_ = {}
        n = cache.get(accepted)
        if n is None:
            n = cache[accepted] = sum(1 for r in self.people.values()
                                      if not accepted.isdisjoint(r))
        return n

    def live_records(self) -> list[Record]:
        """The live records in the order stored."""
        return [r for r in self.history or () if not r.retired]


def is_complete(us: UnitState, cs: CompiledStep, steps: Sequence[CompiledStep]) -> bool:
    """docs/format.md §4: in a final state, or skipped for the kind with its `after` complete."""
    if us.st[cs.index] in cs.finals:
        return True
    if cs.index in us.kind.skipped:
        return all(is_complete(us, steps[a], steps) for a in cs.after)
    return False


def is_open(us: UnitState, cs: CompiledStep, steps: Sequence[CompiledStep]) -> bool:
    """docs/format.md §4: every step in the step's `after` is complete."""
    return all(is_complete(us, steps[a], steps) for a in cs.after)


def _state_property(index: int) -> property:
    def get(self: UnitState) -> str:
        return self.st[index]

    def put(self: UnitState, value: str) -> None:
        self.st[index] = value

    return property(get, put, doc=f"the state of step {index}")


def unit_class(name: str, attrs: Mapping[str, int]) -> type[UnitState]:
    """A `UnitState` subclass with one state property per step (attribute -> step index)."""
    props = {attr: _state_property(index) for attr, index in attrs.items()}
    return type(f"Unit_{name.replace('-', '_')}", (UnitState,), {"__slots__": (), **props})
