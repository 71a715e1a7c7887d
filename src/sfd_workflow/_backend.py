"""The only module that imports `transitions` (ARCHITECTURE.md, rules of the house).

One shared `Machine` per (unit kind, step), built with ``model=None`` and
``auto_transitions=False`` (no ``to_<state>()`` jumps), guards passed as callables (never
string names), and units as light objects never added with ``add_model``, which is quadratic
in the number of models (transitions issues #146, #434: 100,000 units take minutes). Each
unit object carries one attribute per step, the ``model_attribute`` of that step's machine.

Firing: the engine has already resolved the unit's state and checked that the event has
transitions from it (docs/format.md §4 steps 1–8), so `fire` hands the machine's own
`Transition` objects for that state, in order, an `EventData` and lets each `execute`:
transitions evaluates the condition (our guard), runs the state change (exit, set_state,
enter) and its callbacks. This is `Event._process` without the dispatch that `Event.trigger`
wraps around it (``Machine._process``, ``get_model_state``, source validation, and the
``prepare_event``/``finalize_event`` hooks, which these machines do not use): the same
execution, ≈ 30 % less time per event. `fire_via_trigger` keeps the public path; a test
checks both agree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from transitions import EventData, Machine, MachineError

from .errors import BackendError

__all__ = ["StepMachine"]

# transitions logs every state change at DEBUG through the "transitions" logger; the cost of
# formatting is paid only when enabled, but an app that enables DEBUG globally should not get
# a line per unit event from us.
logging.getLogger("transitions").setLevel(logging.WARNING)


class StepMachine:
    """A shared `transitions` machine for one step of one unit kind.

    Args:
        states: the step's states, the first being the initial state.
        attribute: the unit attribute holding this step's state.
        transitions: ``(event, sources, dest, condition, tag)`` in document order; `condition`
            receives the context passed to `fire`, which returns the `tag` of the transition
            that fired.
    """

    __slots__ = ("_conditions", "_events", "_pairs", "_states", "attribute", "machine")

    def __init__(self, name: str, states: Sequence[str], attribute: str,
                 transitions: Sequence[tuple[str, Sequence[str], str, Callable[[Any], bool],
                                             Any]]) -> None:
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
        tags: dict[tuple[str, str], list[Any]] = {}
        self._conditions: dict[tuple[str, str], list[tuple[Callable[[Any], bool], Any]]] = {}
        for event, sources, dest, condition, tag in transitions:
            self.machine.add_transition(event, list(sources), dest, conditions=[condition])
            for src in sources:
                tags.setdefault((event, src), []).append(tag)
                self._conditions.setdefault((event, src), []).append((condition, tag))
        self._events = self.machine.events
        self._states = self.machine.states
        # (event, state) -> (the machine's Transition, our tag) pairs, in document order
        self._pairs: dict[tuple[str, str], tuple[tuple[Any, Any], ...]] = {
            (event, src): tuple(zip(self._events[event].transitions[src], tag_list,
                                    strict=True))
            for (event, src), tag_list in tags.items()}

    def fire(self, unit: object, event: str, state: str, ctx: Any) -> Any:
        """Execute `event`'s transitions from `state` (the unit's current state) in order.

        Returns the tag of the first one whose condition held (it fired), or None.
        """
        data = EventData(self._states[state], self._events[event], self.machine, unit, (ctx,),
                         {})
        for trans, tag in self._pairs[event, state]:
            data.transition = trans
            if trans.execute(data):
                data.result = True
                return tag
        return None

    def fire_via_trigger(self, unit: object, event: str, state: str, ctx: Any) -> Any:
        """Fire through transitions' public `Event.trigger` (slower; same result as `fire`).

        `trigger` says only whether a transition fired; the tag returned is that of the first
        condition that holds, evaluated (in the same order) just before triggering.
        """
        tag = next((t for cond, t in self._conditions[event, state] if cond(ctx)), None)
        try:
            fired = bool(self._events[event].trigger(unit, ctx))
        except MachineError as exc:  # the engine checks the state first; this is a bug
            msg = f"transitions refused '{event}': {exc.value}"
            raise BackendError(msg) from exc
        if fired != (tag is not None):
            msg = f"transitions and the conditions disagree on '{event}' from '{state}'"
            raise BackendError(msg)
        return tag
