"""Explanations: every unmet requirement of an event, from the check table (docs/format.md §4).

`Runtime.submit` stops at the first failing check of `_checks.TABLE`; `explain` runs the same
checks on the same context and collects every failure, so its first unmet requirement is
always the reason `submit` would give (a property test checks this on drawn specs).
"""

from __future__ import annotations

import attrs

from ._checks import EVENT_CHECKS
from ._context import Context
from ._eventlog import ParsedEvent
from ._guards import FieldsCheck, GuardCheck
from ._verdict import Reason, Requirement

__all__ = ["Explanation", "explain", "fields_needed"]

_AFTER_PARSE = EVENT_CHECKS[1:]  # step 1 is the parse itself


@attrs.frozen
class Explanation:
    """Why an event would or would not be accepted now: every unmet requirement."""

    unit: str
    event: str
    actor: str
    unmet: tuple[Requirement, ...]
    #: unmet requirements of each further candidate transition (alternative guards)
    alternatives: tuple[tuple[Requirement, ...], ...] = ()

    @property
    def allowed(self) -> bool:
        """True when the event would be accepted."""
        return not self.unmet or any(not alt for alt in self.alternatives)

    @property
    def reason(self) -> Reason | None:
        """The reason a submission would get (the first unmet requirement's)."""
        return None if self.allowed else self.unmet[0].reason

    def lines(self, lang: str = "en") -> list[str]:
        """One sentence per unmet requirement."""
        return [f"{r.reason}: {r.text(lang)}" for r in self.unmet]


def _guard_unmet(ctx: Context, checks: tuple[GuardCheck, ...]) -> tuple[Requirement, ...]:
    return tuple(req for check in checks if (req := check.unmet(ctx)) is not None)


def explain(ctx: Context, parsed: ParsedEvent | Requirement, unit: str, event: str,
            actor: str) -> Explanation:
    """Judge `parsed` in `ctx` like `submit`, collecting every unmet requirement."""
    if not isinstance(parsed, ParsedEvent):
        return Explanation(unit, event, actor, (parsed,))
    ctx.load(parsed)
    unmet: list[Requirement] = []
    for check in _AFTER_PARSE:
        if not check.holds(ctx):
            unmet.append(check.describe(ctx))
            if check.last:
                return Explanation(unit, event, actor, tuple(unmet))
    first, *rest = ctx.unit.kind.candidates[ctx.event, ctx.state]
    blocked = bool(unmet)  # out of order or step blocked: no alternative guard can help
    unmet.extend(_guard_unmet(ctx, first.checks))
    alternatives = () if blocked else tuple(_guard_unmet(ctx, c.checks) for c in rest)
    return Explanation(unit, event, actor, tuple(unmet), alternatives)


def fields_needed(ctx: Context, parsed: ParsedEvent) -> tuple[str, ...] | None:
    """The payload fields the event needs to be accepted now, or None when no payload helps.

    `parsed` is the event without a payload. The answer is () when it would be accepted as it
    is, else the `fields` of the first candidate whose every other guard key holds.
    """
    ex = explain(ctx, parsed, parsed.unit, parsed.event, parsed.actor)
    if ex.allowed:
        return ()
    if not any(all(r.reason is Reason.FIELDS for r in reqs)
               for reqs in (ex.unmet, *ex.alternatives)):
        return None  # something other than the payload stands in the way
    for candidate in ctx.unit.kind.candidates[ctx.event, ctx.state]:
        others = [c for c in candidate.checks if not isinstance(c, FieldsCheck)]
        if all(c.holds(ctx) for c in others):
            return tuple(f for c in candidate.checks if isinstance(c, FieldsCheck)
                         for f in c.fields)
    return None

