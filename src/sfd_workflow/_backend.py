"""The only module that imports `transitions` (STYLE.md 5).

One shared `Machine` per (unit kind, step), built with ``model=None`` and
``auto_transitions=False`` (no ``to_<state>()`` jumps), guards passed as callables (never
string names), fired with ``machine.events[name].trigger(unit, ctx)`` on light unit objects
without ``add_model`` — which is quadratic in the number of models (NOTES.md, transitions
issues #146, #434). Each unit object carries one attribute per step, which is the
``model_attribute`` of that step's machine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from transitions import Machine, MachineError

from .errors import SfdWorkflowError

__all__ = ["BackendError", "StepMachine"]

# transitions logs every state change at DEBUG through the "transitions" logger; the cost of
# formatting is paid only when enabled, but an app that enables DEBUG globally should not get
# a line per unit event from us.
logging.getLogger("transitions").setLevel(logging.WARNING)


class BackendError(SfdWorkflowError, RuntimeError):
    """The state-machine engine refused an event the engine believed legal (a bug)."""


class StepMachine:
    """A shared `transitions` machine for one step of one unit kind.

    Args:
        states: the step's states, the first being the initial state.
        attribute: the unit attribute holding this step's state.
        transitions: ``(event, sources, dest, condition)`` in document order; `condition`
            receives the context passed to `fire`.
    """

    __slots__ = ("_events", "attribute", "machine")

    def __init__(self, name: str, states: Sequence[str], attribute: str,
                 transitions: Sequence[tuple[str, Sequence[str], str, Callable[[Any], bool]]]
                 ) -> None:
        self.attribute = attribute
        self.machine = Machine(
            model=None,
            states=list(states),
            initial=states[0],
            auto_transitions=False,
            send_event=False,
            model_attribute=attribute,
            name=name,
        )
        for event, sources, dest, condition in transitions:
            self.machine.add_transition(event, list(sources), dest, conditions=[condition])
        self._events = self.machine.events

    def fire(self, unit: object, event: str, ctx: Any) -> bool:
        """Fire `event` on `unit`; True when a transition whose condition holds fired."""
        try:
            return bool(self._events[event].trigger(unit, ctx))
        except MachineError as exc:  # the engine checks the state first; this is a bug
            msg = f"transitions refused '{event}': {exc.value}"
            raise BackendError(msg) from exc
