"""Guards: one small class per guard key of SPEC-FORMAT §1.

Each check is compiled once per unit kind (effective roles depend on the kind's `role_map`)
and has two faces: `holds(ctx)`, the hot path, and `unmet(ctx)`, which says in Chinese and
English what is missing (used by `Runtime.explain`). Custom predicates come only from an
explicit registry; a spec names them, it never carries code.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._spec._model import Guard, Spec, Transition, UnitKind
from ._verdict import Reason
from .errors import CompileError

if TYPE_CHECKING:
    from ._engine import Context

__all__ = ["Check", "Predicate", "Requirement", "compile_guard", "register_predicate",
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


@attrs.frozen
class Requirement:
    """One unmet requirement of an event, with its reason code and a sentence in zh and en."""

    reason: Reason
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.en}"


def _in_sentence(title: str) -> str:
    """'Party members' -> 'party members' inside a sentence; 'NPC deputy' stays."""
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def _ids(titles: list[str]) -> str:
    return "、".join(titles)


class Check:
    """A compiled guard key: `holds` for the hot path, `unmet` for explanations."""

    reason: Reason
    __slots__ = ("spec",)

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def holds(self, ctx: Context) -> bool:
        raise NotImplementedError

    def unmet(self, ctx: Context) -> Requirement | None:
        """The requirement in words when it does not hold, else None."""
        return None if self.holds(ctx) else self.describe(ctx)

    def describe(self, ctx: Context) -> Requirement:
        raise NotImplementedError

    def _rec(self, kind: str, lang: str) -> str:
        return _in_sentence(self.spec.record_title(kind).get(lang))

    def _role(self, role: str, lang: str) -> str:
        return _in_sentence(self.spec.role_title(role).get(lang))


class RoleCheck(Check):
    """``role``: the actor holds one of these effective roles."""

    reason = Reason.ROLE
    __slots__ = ("accepted", "roles")

    def __init__(self, spec: Spec, roles: tuple[str, ...], kind: UnitKind) -> None:
        super().__init__(spec)
        self.roles = roles
        self.accepted = frozenset().union(*(kind.accepted_roles(r) for r in roles))

    def holds(self, ctx: Context) -> bool:
        return not self.accepted.isdisjoint(ctx.roles)

    def describe(self, ctx: Context) -> Requirement:
        zh = "或".join(self._role(r, "zh") for r in self.roles)
        en = " or ".join(self._role(r, "en") for r in self.roles)
        return Requirement(self.reason, f"需由{zh}办理", f"needs the role {en}")


def _midnight(day: dt.date, ctx_tz: Any) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=ctx_tz).timestamp()


class NotBeforeCheck(Check):
    """``not_before``: the event's time is at or after the date's 00:00 (spec timezone)."""

    reason = Reason.NOT_BEFORE
    __slots__ = ("day", "threshold")

    def __init__(self, spec: Spec, day: dt.date, tz: Any) -> None:
        super().__init__(spec)
        self.day = day
        self.threshold = _midnight(day, tz)

    def holds(self, ctx: Context) -> bool:
        return ctx.t >= self.threshold

    def describe(self, ctx: Context) -> Requirement:
        return Requirement(self.reason, f"{self.day.isoformat()} 起方可办理",
                           f"not before {self.day.isoformat()}")


class HasCheck(Check):
    """``has``: the unit holds a live record of each kind."""

    reason = Reason.MISSING_RECORD
    __slots__ = ("kinds",)

    def __init__(self, spec: Spec, kinds: tuple[str, ...]) -> None:
        super().__init__(spec)
        self.kinds = kinds

    def holds(self, ctx: Context) -> bool:
        live = ctx.unit.live
        if live is None:
            return False
        return all(live.get(k) for k in self.kinds)

    def describe(self, ctx: Context) -> Requirement:
        live = ctx.unit.live or {}
        missing = [k for k in self.kinds if not live.get(k)]
        return Requirement(self.reason,
                           f"尚缺：{_ids([self._rec(k, 'zh') for k in missing])}",
                           f"missing: {', '.join(self._rec(k, 'en') for k in missing)}")


class OncePerActorCheck(Check):
    """``once_per_actor``: the actor holds no live record of the transition's kind."""

    reason = Reason.DUPLICATE
    __slots__ = ("kind",)

    def __init__(self, spec: Spec, kind: str) -> None:
        super().__init__(spec)
        self.kind = kind

    def holds(self, ctx: Context) -> bool:
        live = ctx.unit.live
        if not live:
            return True
        actor = ctx.actor
        return not any(r.actor == actor for r in live.get(self.kind, ()))

    def describe(self, ctx: Context) -> Requirement:
        return Requirement(self.reason, f"{ctx.actor} 已提交过{self._rec(self.kind, 'zh')}",
                           f"{ctx.actor} already has a {self._rec(self.kind, 'en')}")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


class FieldsCheck(Check):
    """``fields``: the payload has each field, non-empty."""

    reason = Reason.FIELDS
    __slots__ = ("fields",)

    def __init__(self, spec: Spec, fields: tuple[str, ...]) -> None:
        super().__init__(spec)
        self.fields = fields

    def holds(self, ctx: Context) -> bool:
        p = ctx.payload
        return not any(_is_empty(p.get(f)) for f in self.fields)

    def describe(self, ctx: Context) -> Requirement:
        missing = [f for f in self.fields if _is_empty(ctx.payload.get(f))]
        return Requirement(self.reason, f"内容缺少：{'、'.join(missing)}",
                           f"the payload lacks: {', '.join(missing)}")


def _quorum_words(q: Any) -> tuple[str, str]:
    if q == "majority":
        return "过半数", "a majority of"
    if q == "all":
        return "全体", "all"
    if isinstance(q, float):
        return f"至少{q:.0%}的", f"at least {q:.0%} of"
    return f"至少 {q} 名", f"at least {q}"


class QuorumCheck(Check):
    """``quorum``: enough distinct people with a role hold a live record."""

    reason = Reason.QUORUM
    __slots__ = ("accepted", "quorum")

    def __init__(self, spec: Spec, quorum: Any, kind: UnitKind) -> None:
        super().__init__(spec)
        self.quorum = quorum
        self.accepted = kind.accepted_roles(quorum.role)

    def counts(self, ctx: Context) -> tuple[int, int, int]:
        """(have, needed, n) for the unit in `ctx`."""
        people = ctx.people
        acc = self.accepted
        n = ctx.unit.role_count(acc, people)
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

    def describe(self, ctx: Context) -> Requirement:
        have, needed, n = self.counts(ctx)
        qzh, qen = _quorum_words(self.quorum.at_least)
        role = self.quorum.role
        rec = self.quorum.record
        more = max(needed - have, 0)
        return Requirement(
            self.reason,
            f"需要{qzh}{self._role(role, 'zh')}提交{self._rec(rec, 'zh')}："
            f"已有 {have}/{n}，还差 {more}",
            f"needs {self._rec(rec, 'en')} from {qen} {self._role(role, 'en')}s: "
            f"{have} of {n}, {more} more needed")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


class PerPersonCheck(Check):
    """``per_person``: every person with a role has a sum of a field ≥ X in their own records."""

    reason = Reason.PER_PERSON
    __slots__ = ("accepted", "rule")

    def __init__(self, spec: Spec, rule: Any, kind: UnitKind) -> None:
        super().__init__(spec)
        self.rule = rule
        self.accepted = kind.accepted_roles(rule.role)

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

    def describe(self, ctx: Context) -> Requirement:
        short = self.shortfalls(ctx)
        who = ", ".join(f"{p} ({s:g})" for p, s in short[:8]) + (" …" if len(short) > 8 else "")
        rule = self.rule
        return Requirement(
            self.reason,
            f"每名{self._role(rule.role, 'zh')}的{rule.field}合计须达 {rule.at_least:g}："
            f"{len(short)} 人未达到（{who}）",
            f"every {self._role(rule.role, 'en')} needs {rule.field} ≥ {rule.at_least:g} "
            f"in their {self._rec(rule.record, 'en')}: {len(short)} short ({who})")


class ChildrenCheck(Check):
    """``children``: every child unit has each named step complete."""

    reason = Reason.CHILDREN
    __slots__ = ("steps",)

    def __init__(self, spec: Spec, steps: tuple[str, ...]) -> None:
        super().__init__(spec)
        self.steps = steps

    def pending(self, ctx: Context) -> list[tuple[str, str]]:
        """(child unit, step) pairs not yet complete."""
        rt = ctx.runtime
        return [(child, s) for child in rt.children(ctx.unit.id) for s in self.steps
                if not rt.is_complete(child, s)]

    def holds(self, ctx: Context) -> bool:
        rt = ctx.runtime
        return all(rt.is_complete(child, s)
                   for child in rt.children(ctx.unit.id) for s in self.steps)

    def describe(self, ctx: Context) -> Requirement:
        pending = self.pending(ctx)
        units = sorted({c for c, _ in pending})
        shown = ", ".join(units[:8]) + (" …" if len(units) > 8 else "")
        return Requirement(self.reason, f"下属组织尚未完成：{shown}",
                           f"child units not yet complete: {shown}")


class CustomCheck(Check):
    """``custom``: registered predicates, each must return true."""

    reason = Reason.CUSTOM
    __slots__ = ("names", "predicates")

    def __init__(self, spec: Spec, names: tuple[str, ...],
                 predicates: Mapping[str, Predicate]) -> None:
        super().__init__(spec)
        self.names = names
        self.predicates = tuple(predicates[n] for n in names)

    def failing(self, ctx: Context) -> list[str]:
        """The predicate names that do not hold."""
        view = ctx.predicate_view()
        return [n for n, p in zip(self.names, self.predicates, strict=True) if not p(view)]

    def holds(self, ctx: Context) -> bool:
        view = ctx.predicate_view()
        return all(p(view) for p in self.predicates)

    def describe(self, ctx: Context) -> Requirement:
        names = ", ".join(self.failing(ctx)) or ", ".join(self.names)
        return Requirement(self.reason, f"自定义条件未满足：{names}",
                           f"custom condition not met: {names}")


def compile_guard(spec: Spec, transition: Transition, kind: UnitKind, tz: Any,
                  predicates: Mapping[str, Predicate]) -> tuple[Check, ...]:
    """The checks of one transition's guard for one unit kind, in SPEC-FORMAT §4 order."""
    g: Guard = transition.guard
    checks: list[Check] = []
    if g.role:
        checks.append(RoleCheck(spec, g.role, kind))
    if g.not_before is not None:
        checks.append(NotBeforeCheck(spec, g.not_before, tz))
    if g.has:
        checks.append(HasCheck(spec, g.has))
    if g.once_per_actor and transition.records:
        checks.append(OncePerActorCheck(spec, transition.records))
    if g.fields:
        checks.append(FieldsCheck(spec, g.fields))
    if g.quorum is not None:
        checks.append(QuorumCheck(spec, g.quorum, kind))
    if g.per_person is not None:
        checks.append(PerPersonCheck(spec, g.per_person, kind))
    if g.children:
        checks.append(ChildrenCheck(spec, g.children))
    if g.custom:
        missing = [n for n in g.custom if n not in predicates]
        if missing:
            known = ", ".join(sorted(predicates)) or "none registered"
            msg = (f"{spec.source}: {transition.path}.guard.custom: predicate "
                   f"'{missing[0]}' is not registered (known: {known}); register it with "
                   "@sfd_workflow.register_predicate(name) or pass predicates=")
            raise CompileError(msg)
        checks.append(CustomCheck(spec, g.custom, predicates))
    return tuple(checks)


def late_threshold(day: dt.date | None, tz: Any) -> float:
    """Epoch seconds of 00:00 of the day after `day` (spec timezone); +inf without a day."""
    if day is None:
        return math.inf
    return _midnight(day + dt.timedelta(days=1), tz)
