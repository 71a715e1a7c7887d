"""Guard checks: one small class per guard key of docs/format.md §1.

Each check is compiled once per unit kind (effective roles depend on the kind's `role_map`)
and has two faces: `holds(ctx)`, the hot path, and `describe(ctx)`, the unmet requirement in
Chinese and English (the key's phrase from `_words`, then where the unit stands). Their
order is the check table's (`_checks.TABLE`). Custom predicates come only from an explicit
registry; a spec names them, it never carries code.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ._spec._model import PerPerson, Quorum, Spec, Transition, UnitKind
from ._verdict import Reason, Requirement
from ._words import GUARD_PHRASES, list_words, requirement_words, sentence
from .errors import CompileError

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["GuardCheck", "Predicate", "late_threshold", "register_predicate",
           "registered_predicates"]

#: A custom guard predicate: receives a `PredicateContext`, returns True when the guard holds.
Predicate = Callable[[Any], bool]

_REGISTRY: dict[str, Predicate] = {}
_LOCK = threading.Lock()


def register_predicate(name: str) -> Callable[[Predicate], Predicate]:
    """Register a custom guard predicate under `name` (a spec's ``guard: {custom: name}``).

    Example:
        >>> @register_predicate("has_attachment")
        ... def has_attachment(ctx):
        ...     return bool(ctx.payload.get("attachment"))
    """
    if not isinstance(name, str) or not name:
        msg = "a predicate name must be a non-empty string"
        raise TypeError(msg)

    def decorate(fn: Predicate) -> Predicate:
        if not callable(fn):
            msg = f"predicate '{name}' must be callable"
            raise TypeError(msg)
        with _LOCK:
            _REGISTRY[name] = fn
        return fn

    return decorate


def registered_predicates() -> Mapping[str, Predicate]:
    """A copy of the registry of custom predicates."""
    with _LOCK:
        return dict(_REGISTRY)


class GuardCheck:
    """A compiled guard key: `holds` for the hot path, `describe` for explanations."""

    #: the guard key (docs/format.md §1) and the reason it gives (§4 step 9)
    key: ClassVar[str]
    reason: ClassVar[Reason]
    __slots__ = ("kind", "spec", "transition")

    def __init__(self, spec: Spec, transition: Transition, kind: UnitKind) -> None:
        self.spec = spec
        self.transition = transition
        self.kind = kind

    @classmethod
    def make(cls, spec: Spec, transition: Transition, kind: UnitKind, tz: Any,
             predicates: Mapping[str, Predicate]) -> GuardCheck | None:
        """The check of this key for the transition's guard and kind, or None without it."""
        value = getattr(transition.guard, cls.key)
        if value is None or value is False or value == ():
            return None
        check = cls(spec, transition, kind)
        return check if check.setup(value, tz, predicates) else None

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        """Compile the key's `value`; False when the key does not apply after all."""
        raise NotImplementedError

    def holds(self, ctx: Context) -> bool:
        """True when the key holds for the event in `ctx`."""
        raise NotImplementedError

    def phrase(self, lang: str) -> str:
        """The key in words, as the diagrams label it (`_words.GUARD_PHRASES`)."""
        phrase = GUARD_PHRASES[self.key](self.transition.guard, self.spec, lang, self.kind,
                                         self.transition.records)
        return phrase or ""

    def where(self, ctx: Context, lang: str) -> str:
        """Where the unit stands against the key (the second half of the sentence)."""
        raise NotImplementedError

    def describe(self, ctx: Context) -> Requirement:
        """The unmet requirement in words."""
        return Requirement(self.reason,
                           requirement_words(self.phrase("zh"), self.where(ctx, "zh"), "zh"),
                           requirement_words(self.phrase("en"), self.where(ctx, "en"), "en"))

    def unmet(self, ctx: Context) -> Requirement | None:
        """The requirement in words when it does not hold, else None."""
        return None if self.holds(ctx) else self.describe(ctx)


class RoleCheck(GuardCheck):
    """``role``: the actor holds one of these effective roles."""

    key = "role"
    reason = Reason.ROLE
    __slots__ = ("accepted",)
    accepted: frozenset[str]

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        self.accepted = frozenset().union(*(self.kind.accepted_roles(r) for r in value))
        return True

    def holds(self, ctx: Context) -> bool:
        return not self.accepted.isdisjoint(ctx.roles)

    def where(self, ctx: Context, lang: str) -> str:
        return sentence("role", lang, actor=ctx.actor)


def _midnight(day: dt.date, tz: Any) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


class NotBeforeCheck(GuardCheck):
    """``not_before``: the event's time is at or after the date's 00:00 (spec timezone)."""

    key = "not_before"
    reason = Reason.NOT_BEFORE
    __slots__ = ("threshold",)
    threshold: float

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        self.threshold = _midnight(value, tz)
        return True

    def holds(self, ctx: Context) -> bool:
        return ctx.t >= self.threshold

    def where(self, ctx: Context, lang: str) -> str:
        return sentence("not_before", lang, at=ctx.at.isoformat())


class HasCheck(GuardCheck):
    """``has``: the unit holds a live record of each kind."""

    key = "has"
    reason = Reason.MISSING_RECORD
    __slots__ = ("kinds",)
    kinds: tuple[str, ...]

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        self.kinds = value
        return True

    def holds(self, ctx: Context) -> bool:
        live = ctx.unit.live
        if live is None:
            return False
        return all(live.get(k) for k in self.kinds)

    def where(self, ctx: Context, lang: str) -> str:
        live = ctx.unit.live or {}
        missing = [self.spec.record_title(k).get(lang) for k in self.kinds if not live.get(k)]
        return sentence("missing_record", lang, missing=list_words(missing, lang))


class OncePerActorCheck(GuardCheck):
    """``once_per_actor``: the actor holds no live record of the transition's kind."""

    key = "once_per_actor"
    reason = Reason.DUPLICATE
    __slots__ = ("records",)
    records: str

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        if not self.transition.records:
            return False  # once_per_actor needs records (docs/format.md §1)
        self.records = self.transition.records
        return True

    def holds(self, ctx: Context) -> bool:
        live = ctx.unit.live
        if not live:
            return True
        actor = ctx.actor
        return not any(r.actor == actor for r in live.get(self.records, ()))

    def where(self, ctx: Context, lang: str) -> str:
        return sentence("duplicate", lang, actor=ctx.actor)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and not value)


class FieldsCheck(GuardCheck):
    """``fields``: the payload has each field, non-empty."""

    key = "fields"
    reason = Reason.FIELDS
    __slots__ = ("fields",)
    fields: tuple[str, ...]

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        self.fields = value
        return True

    def holds(self, ctx: Context) -> bool:
        p = ctx.payload
        return not any(_is_empty(p.get(f)) for f in self.fields)

    def where(self, ctx: Context, lang: str) -> str:
        missing = [self.spec.field_title(f).get(lang) for f in self.fields
                   if _is_empty(ctx.payload.get(f))]
        return sentence("fields", lang, missing=list_words(missing, lang))


class QuorumCheck(GuardCheck):
    """``quorum``: enough distinct people with a role hold a live record."""

    key = "quorum"
    reason = Reason.QUORUM
    __slots__ = ("accepted", "quorum")
    accepted: frozenset[str]
    quorum: Quorum

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        self.quorum = value
        self.accepted = self.kind.accepted_roles(value.role)
        return True

    def counts(self, ctx: Context) -> tuple[int, int, int]:
        """(have, needed, n) for the unit in `ctx`."""
        people = ctx.people
        acc = self.accepted
        n = ctx.unit.role_count(acc)
        live = ctx.unit.live
        recs = live.get(self.quorum.record) if live else None
        have = 0
        if recs:
            holders = {r.actor for r in recs}
            have = sum(1 for a in holders if not acc.isdisjoint(people[a]))
        return have, self.quorum.needed(n), n

    def holds(self, ctx: Context) -> bool:
        have, needed, _n = self.counts(ctx)
        return have >= needed

    def where(self, ctx: Context, lang: str) -> str:
        have, needed, n = self.counts(ctx)
        return sentence("quorum", lang, needed=needed, have=have, n=n,
                        more=max(needed - have, 0))


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


class PerPersonCheck(GuardCheck):
    """``per_person``: every person with a role has a sum of a field ≥ X in their own records."""

    key = "per_person"
    reason = Reason.PER_PERSON
    __slots__ = ("accepted", "rule")
    accepted: frozenset[str]
    rule: PerPerson

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        self.rule = value
        self.accepted = self.kind.accepted_roles(value.role)
        return True

    def shortfalls(self, ctx: Context) -> list[tuple[str, float]]:
        """(person, sum) of everyone with the role whose sum is below the threshold."""
        sums: dict[str, float] = {}
        live = ctx.unit.live
        field = self.rule.field
        for r in (live.get(self.rule.record, ()) if live else ()):
            sums[r.actor] = sums.get(r.actor, 0.0) + _number(r.payload.get(field))
        least = self.rule.at_least
        acc = self.accepted
        return [(pid, sums.get(pid, 0.0)) for pid, roles in ctx.people.items()
                if not acc.isdisjoint(roles) and sums.get(pid, 0.0) < least]

    def holds(self, ctx: Context) -> bool:
        return not self.shortfalls(ctx)

    def where(self, ctx: Context, lang: str) -> str:
        short = self.shortfalls(ctx)
        who = ", ".join(f"{p} {s:g}" for p, s in short[:8]) + (" …" if len(short) > 8 else "")
        return sentence("per_person", lang, count=len(short), who=who)


class ChildrenCheck(GuardCheck):
    """``children``: every child unit has each named step complete."""

    key = "children"
    reason = Reason.CHILDREN
    __slots__ = ("steps",)
    steps: tuple[int, ...]

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        ids = [s.id for s in self.spec.steps]  # compiled steps keep the spec's order
        self.steps = tuple(ids.index(s) for s in value)
        return True

    def pending(self, ctx: Context) -> list[str]:
        """The child units with a named step not yet complete."""
        steps = ctx.steps
        return [child for child in ctx.children.get(ctx.unit.id, ())
                if not all(ctx.complete(child, steps[i]) for i in self.steps)]

    def holds(self, ctx: Context) -> bool:
        steps = ctx.steps
        complete = ctx.complete
        return all(complete(child, steps[i])
                   for child in ctx.children.get(ctx.unit.id, ()) for i in self.steps)

    def where(self, ctx: Context, lang: str) -> str:
        units = sorted(self.pending(ctx))
        return sentence("children", lang,
                        units=", ".join(units[:8]) + (" …" if len(units) > 8 else ""))


class CustomCheck(GuardCheck):
    """``custom``: registered predicates, each must return true."""

    key = "custom"
    reason = Reason.CUSTOM
    __slots__ = ("names", "predicates")
    names: tuple[str, ...]
    predicates: tuple[Predicate, ...]

    def setup(self, value: Any, tz: Any, predicates: Mapping[str, Predicate]) -> bool:
        missing = [n for n in value if n not in predicates]
        if missing:
            known = ", ".join(sorted(predicates)) or "none registered"
            msg = (f"{self.spec.source}: {self.transition.path}.guard.custom: predicate "
                   f"'{missing[0]}' is not registered (known: {known}); register it with "
                   "@sfd_workflow.register_predicate(name) or pass predicates=")
            raise CompileError(msg)
        self.names = value
        self.predicates = tuple(predicates[n] for n in value)
        return True

    def holds(self, ctx: Context) -> bool:
        view = ctx.predicate_view()
        return all(p(view) for p in self.predicates)

    def where(self, ctx: Context, lang: str) -> str:
        # the predicates are not called again for words: they may count their calls
        return sentence("custom", lang, names=list_words(self.names, lang))


def late_threshold(day: dt.date | None, tz: Any) -> float:
    """Epoch seconds of 00:00 of the day after `day` (spec timezone); +inf without a day."""
    if day is None or day == dt.date.max:  # no day after 9999-12-31: never late
        return math.inf
    return _midnight(day + dt.timedelta(days=1), tz)
