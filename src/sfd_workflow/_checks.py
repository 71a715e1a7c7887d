"""The check table: docs/format.md §4, in order, once.

`TABLE` lists every check of §4 in the order it is made, which is the order of `Reason`:
step 1 (the event is well formed, `_eventlog.parse_event`), steps 2–8 (`EventCheck`s) and the
guard keys of step 9 (`GuardCheck` classes, whose instances a compiled transition holds).
`Runtime.submit` stops at the first check that fails; `Runtime.explain` runs the same checks
and collects every failure. Nothing else in the package spells out the order.

An event check's `holds(ctx)` may resolve what later checks read (the unit, the step, the
actor's roles, the step's state) into the context; `describe(ctx)` says in words why it
failed; `last` is True when no later check can be judged after it fails (an unknown unit has
no state to compare with).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ._guards import (
    ChildrenCheck,
    CustomCheck,
    FieldsCheck,
    GuardCheck,
    HasCheck,
    NotBeforeCheck,
    OncePerActorCheck,
    PerPersonCheck,
    QuorumCheck,
    RoleCheck,
)
from ._unit import is_complete
from ._verdict import Reason, Requirement
from ._words import list_words, sentence

if TYPE_CHECKING:
    from ._context import Context
    from ._eventlog import ParsedEvent

__all__ = ["EVENT_CHECKS", "GUARD_CHECKS", "GUARD_KEYS", "TABLE", "EventCheck", "WellFormed",
           "all_pass"]


class EventCheck:
    """A check of docs/format.md §4 steps 1–8, on the event and the unit (not on a guard)."""

    reason: ClassVar[Reason]
    #: True when the checks after this one cannot be judged once it fails
    last: ClassVar[bool] = False
    __slots__ = ()

    def holds(self, ctx: Context) -> bool:
        """True when the check passes (and what it resolved is in `ctx`)."""
        raise NotImplementedError

    def describe(self, ctx: Context) -> Requirement:
        """Why the check failed, in words."""
        return Requirement(self.reason, self._words(ctx, "zh"), self._words(ctx, "en"))

    def _words(self, ctx: Context, lang: str) -> str:
        raise NotImplementedError


class WellFormed(EventCheck):
    """1. ``malformed``: the event is a §3 event; `_eventlog.parse_event` makes this check
    (before there is a context) and its `Requirement` says what is wrong."""

    reason = Reason.MALFORMED
    last = True

    def holds(self, ctx: Context) -> bool:
        return True  # a context exists only for a parsed event


class KnownUnit(EventCheck):
    """2. ``unknown_unit``: the unit is in the roster."""

    reason = Reason.UNKNOWN_UNIT
    last = True

    def holds(self, ctx: Context) -> bool:
        us = ctx.units.get(ctx.unit_id)
        if us is None:
            return False
        ctx.unit = us
        return True

    def _words(self, ctx: Context, lang: str) -> str:
        return sentence("unknown_unit", lang, unit=ctx.unit_id)


class KnownEvent(EventCheck):
    """3. ``unknown_event``: the event is in the workflow."""

    reason = Reason.UNKNOWN_EVENT
    last = True

    def holds(self, ctx: Context) -> bool:
        cs = ctx.event_step.get(ctx.event)
        if cs is None:
            return False
        ctx.step = cs
        return True

    def _words(self, ctx: Context, lang: str) -> str:
        return sentence("unknown_event", lang, event=ctx.event)


class Applicable(EventCheck):
    """4. ``not_applicable``: the event's step is not skipped for the unit's kind."""

    reason = Reason.NOT_APPLICABLE
    last = True

    def holds(self, ctx: Context) -> bool:
        return ctx.step.index not in ctx.unit.kind.skipped

    def _words(self, ctx: Context, lang: str) -> str:
        return sentence("not_applicable", lang, kind=ctx.unit.kind.kind.title.get(lang),
                        step=ctx.step.step.title.get(lang))


class KnownActor(EventCheck):
    """5. ``unknown_actor``: the actor is a person of the unit."""

    reason = Reason.UNKNOWN_ACTOR
    last = True

    def holds(self, ctx: Context) -> bool:
        us = ctx.unit
        people = us.people_
        if people is None:
            people = us.people
        roles = people.get(ctx.actor)
        if roles is None:
            return False
        ctx.people = people
        ctx.roles = roles
        return True

    def _words(self, ctx: Context, lang: str) -> str:
        return sentence("unknown_actor", lang, actor=ctx.actor, unit=ctx.unit_id)


class InOrder(EventCheck):
    """6. ``out_of_order``: the event is not earlier than the unit's last accepted one."""

    reason = Reason.OUT_OF_ORDER

    def holds(self, ctx: Context) -> bool:
        return ctx.t >= ctx.unit.last

    def _words(self, ctx: Context, lang: str) -> str:
        last = ctx.unit.last_at
        return sentence("out_of_order", lang, last="" if last is None else last.isoformat())


class StepOpen(EventCheck):
    """7. ``step_blocked``: every step in the event's step's `after` is complete."""

    reason = Reason.STEP_BLOCKED

    def holds(self, ctx: Context) -> bool:
        cs = ctx.step
        if not cs.after:
            return True
        steps = ctx.steps
        us = ctx.unit
        st = us.st
        for a in cs.after:  # is_open, with the common case (a final state) first
            if st[a] not in steps[a].finals and not is_complete(us, steps[a], steps):
                return False
        return True

    def _words(self, ctx: Context, lang: str) -> str:
        steps = ctx.steps
        pending = [steps[a].step.title.get(lang) for a in ctx.step.after
                   if not is_complete(ctx.unit, steps[a], steps)]
        return sentence("step_blocked", lang, step=list_words(pending, lang))


class RightState(EventCheck):
    """8. ``wrong_state``: a transition of the event leaves the step's current state."""

    reason = Reason.WRONG_STATE
    last = True

    def holds(self, ctx: Context) -> bool:
        state = ctx.unit.st[ctx.step.index]
        ctx.state = state
        return (ctx.event, state) in ctx.unit.kind.candidates

    def _words(self, ctx: Context, lang: str) -> str:
        step = ctx.step.step
        sources = sorted({s for t in step.transitions if t.event == ctx.event
                          for s in t.sources})
        return sentence("wrong_state", lang,
                        state=step.state_title(ctx.unit.st[ctx.step.index]).get(lang),
                        event=ctx.event,
                        sources=list_words((step.state_title(s).get(lang) for s in sources),
                                           lang))


#: docs/format.md §4 steps 1–8, in order
EVENT_CHECKS: tuple[EventCheck, ...] = (
    WellFormed(), KnownUnit(), KnownEvent(), Applicable(), KnownActor(), InOrder(), StepOpen(),
    RightState())
#: docs/format.md §4 step 9: the guard keys, in the order they are checked
GUARD_CHECKS: tuple[type[GuardCheck], ...] = (
    RoleCheck, NotBeforeCheck, HasCheck, OncePerActorCheck, FieldsCheck, QuorumCheck,
    PerPersonCheck, ChildrenCheck, CustomCheck)
#: every check of docs/format.md §4, in order; their reasons are `Reason` in order
TABLE: tuple[EventCheck | type[GuardCheck], ...] = (*EVENT_CHECKS, *GUARD_CHECKS)
#: the guard keys in check order (for whoever lists a guard's keys: diagrams, slides)
GUARD_KEYS: tuple[str, ...] = tuple(c.key for c in GUARD_CHECKS)


def all_pass(ctx: Context, ev: ParsedEvent) -> bool:
    """Load `ev` into `ctx`; True when every check of steps 2–8 holds (what they resolve is
    then in `ctx`).

    The hot path of `Runtime.submit`: the conjunction of `EVENT_CHECKS[1:]` written out in
    one function, because seven calls per event cost more than the rest of our overhead
    (bench/instructions.py). It says only *whether* all hold; when it says no, `submit` runs
    the table itself to find the first failing check, its reason and its words, so the
    order and the reasons stay the table's. The property test of explain = submit holds
    the two together (a conjunction that passed an event the table refuses would make
    `submit` accept what `explain` rejects).
    """
    ctx.unit_id = unit_id = ev.unit
    ctx.event = event = ev.event
    ctx.actor = ev.actor
    ctx.at = ev.at
    ctx.t = t = ev.t
    ctx.payload = ev.payload
    ctx.failed = None
    us = ctx.units.get(unit_id)  # 2
    if us is None:
        return False
    cs = ctx.event_step.get(event)  # 3
    if cs is None:
        return False
    kind = us.kind
    if cs.index in kind.skipped:  # 4
        return False
    people = us.people_
    if people is None:
        people = us.people
    roles = people.get(ev.actor)  # 5
    if roles is None or t < us.last:  # 5, 6
        return False
    st = us.st
    if cs.after:  # 7
        steps = ctx.steps
        for a in cs.after:
            if st[a] not in steps[a].finals and not is_complete(us, steps[a], steps):
                return False
    state = st[cs.index]
    if (event, state) not in kind.candidates:  # 8
        return False
    ctx.unit = us
    ctx.step = cs
    ctx.people = people
    ctx.roles = roles
    ctx.state = state
    return True
