"""What changed between two versions of a spec, and whether units under way can follow.

`diff(old, new)` compares phases, steps, states, transitions, guards, record kinds, dues,
unit kinds and roles (issue 14). Each `Change` is *safe for units under way* (a title, a
later due, a new state or optional transition, a looser guard: a unit keeps its place and
every event accepted before would still be accepted) or *needs a plan* (a removed state,
step or record kind, a stricter guard, an earlier due, a changed `after`: units under way
may sit where the new version has no place, or have passed a rule they never met). The
plan itself is `sfd_workflow._migrate`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ._checks import GUARD_KEYS
from ._spec._model import Guard, Spec, Step, Text, Transition

__all__ = ["Change", "SpecDiff", "diff"]

#: What a change is about: (en, zh) names.
WHAT = {
    "spec": ("spec", "方案"), "role": ("role", "角色"), "unit_kind": ("unit kind", "单位类型"),
    "record": ("record kind", "记录类型"), "phase": ("phase", "阶段"), "step": ("step", "环节"),
    "state": ("state", "状态"), "transition": ("transition", "转换"),
    "guard": ("guard", "条件"), "due": ("due date", "截止日期"),
}
_CHANGE = {"added": ("added", "新增"), "removed": ("removed", "删除"),
           "changed": ("changed", "修改")}
#: The two classes of a change, in words (en, zh).
VERDICT = {True: ("safe for units under way", "进行中的单位可直接沿用"),
           False: ("needs a plan", "需要迁移计划")}


def _shown(value: Any) -> str:
    if isinstance(value, Text):
        return value.both()
    if isinstance(value, tuple | list | frozenset | set):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if value is None:
        return "—"
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, Text):
        return value.to_document()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list | frozenset | set):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if attrs.has(type(value)):
        return {k: _json(v) for k, v in attrs.asdict(value, recurse=False).items()}
    return value


@attrs.frozen(kw_only=True)
class Change:
    """One difference between two versions of a spec.

    Attributes:
        what: ``spec``, ``role``, ``unit_kind``, ``record``, ``phase``, ``step``, ``state``,
            ``transition``, ``guard`` or ``due``.
        where: the item, e.g. ``report``, ``report.in_review``, ``report.approve_report``
            (``#2`` for the second transition of an event), ``…​.guard.has``.
        change: ``added``, ``removed`` or ``changed``.
        safe: True when units under way can follow without a plan.
        old: the old value (JSON-safe), None when added.
        new: the new value (JSON-safe), None when removed.
    """

    what: str
    where: str
    change: str
    safe: bool
    old: Any = None
    new: Any = None
    shown_old: str = attrs.field(default="", repr=False)
    shown_new: str = attrs.field(default="", repr=False)

    def text(self, lang: str = "en") -> str:
        """The change in one sentence (``en``, ``zh`` or ``both``)."""
        if lang == "both":
            return f"{self.text('zh')} / {self.text('en')}"
        i = 1 if lang == "zh" else 0
        words = f"{WHAT[self.what][i]} {self.where} {_CHANGE[self.change][i]}"
        if self.change == "changed":
            words += f": {self.shown_old} → {self.shown_new}"
        elif self.shown_new or self.shown_old:
            words += f": {self.shown_new or self.shown_old}"
        return words

    def verdict(self, lang: str = "en") -> str:
        """``safe for units under way`` or ``needs a plan``, in `lang`."""
        en, zh = VERDICT[self.safe]
        return _pick(lang, zh, en)

    def to_json(self) -> dict[str, Any]:
        """The change as a JSON object (with both sentences)."""
        return {"what": self.what, "where": self.where, "change": self.change,
                "safe": self.safe, "old": self.old, "new": self.new,
                "zh": self.text("zh"), "en": self.text("en")}


@attrs.frozen
class SpecDiff:
    """Every change from one version of a spec to another, in document order."""

    old: str
    new: str
    changes: tuple[Change, ...]

    @property
    def safe(self) -> bool:
        """True when every change is safe for units under way."""
        return all(c.safe for c in self.changes)

    def needing_plan(self) -> tuple[Change, ...]:
        """The changes that need a migration plan."""
        return tuple(c for c in self.changes if not c.safe)

    def to_json(self) -> dict[str, Any]:
        """The diff as one JSON object."""
        return {"old": self.old, "new": self.new, "safe": self.safe,
                "changes": [c.to_json() for c in self.changes]}

    def lines(self, lang: str = "both") -> list[str]:
        """A headline, then the changes that need a plan, then the safe ones, one a line."""
        n = len(self.changes)
        k = len(self.needing_plan())
        zh = f"{n} 处变化，{k} 处需要迁移计划"
        en = f"{n} change{'s' if n != 1 else ''}, {k} need{'s' if k == 1 else ''} a plan"
        out = [f"{self.old} → {self.new}: {_pick(lang, zh, en)}"]
        for safe in (False, True):
            group = [c for c in self.changes if c.safe is safe]
            if group:
                out.append(f"{group[0].verdict(lang)}:")
                out.extend(f"  - {c.text(lang)}" for c in group)
        return out


def _pick(lang: str, zh: str, en: str) -> str:
    return {"zh": zh, "en": en, "both": f"{zh} / {en}"}[lang]


class _Collector:
    def __init__(self) -> None:
        self.out: list[Change] = []

    def add(self, what: str, where: str, change: str, safe: bool, old: Any = None,
            new: Any = None) -> None:
        self.out.append(Change(what=what, where=where, change=change, safe=safe,
                               old=_json(old), new=_json(new),
                               shown_old="" if old is None else _shown(old),
                               shown_new="" if new is None else _shown(new)))

    def keyed(self, what: str, old: Mapping[str, Any], new: Mapping[str, Any], prefix: str,
              *, removed_safe: bool = False,
              same: Callable[[str, Any, Any], None] | None = None) -> None:
        """Added, removed and (through `same`) compared items of two keyed collections."""
        for key, value in old.items():
            if key not in new:
                self.add(what, prefix + key, "removed", removed_safe)
            elif same is not None:
                same(prefix + key, value, new[key])
        for key in new:
            if key not in old:
                self.add(what, prefix + key, "added", True)

    def field(self, what: str, where: str, old: Any, new: Any, safe: bool) -> None:
        if old != new:
            self.add(what, where, "changed", safe, old, new)


def _looser_set(old: Iterable[str], new: Iterable[str], *, more_is_looser: bool) -> bool:
    o, n = set(old), set(new)
    if more_is_looser:  # e.g. role: more roles accepted, or none asked (any role)
        return not n or (bool(o) and o <= n)
    return n <= o  # e.g. has: fewer records asked


def _guard(c: _Collector, where: str, old: Guard, new: Guard) -> None:
    for key in GUARD_KEYS:  # the guard's checks, in the check table's order
        a, b = getattr(old, key), getattr(new, key)
        if a == b:
            continue
        if key == "role":
            safe = _looser_set(a, b, more_is_looser=True)
        elif key == "not_before":
            safe = b is None or (a is not None and b <= a)
        elif key in ("quorum", "per_person", "once_per_actor"):
            safe = not b  # dropped: looser; added or changed: judged case by case
        else:
            safe = _looser_set(a, b, more_is_looser=False)
        c.add("guard", f"{where}.guard.{key}", "changed", safe, a or None, b or None)


def _transition(c: _Collector, where: str, old: Transition, new: Transition) -> None:
    c.field("transition", f"{where}.from", old.sources, new.sources,
            set(old.sources) <= set(new.sources))
    c.field("transition", f"{where}.to", old.dest, new.dest, False)
    c.field("transition", f"{where}.records", old.records, new.records, old.records is None)
    c.field("transition", f"{where}.clears", old.clears, new.clears, False)
    c.field("transition", f"{where}.title", old.title, new.title, True)
    _guard(c, where, old.guard, new.guard)
    if old.due != new.due:
        later = new.due is None or (old.due is not None and new.due > old.due)
        c.add("due", where, "changed", later, old.due, new.due)


def _transitions(step: Step) -> dict[str, Transition]:
    """A step's transitions keyed ``event`` (``event#2`` for an event's second one)."""
    seen: dict[str, int] = {}
    out = {}
    for t in step.transitions:
        n = seen[t.event] = seen.get(t.event, 0) + 1
        out[t.event if n == 1 else f"{t.event}#{n}"] = t
    return out


def _step(c: _Collector, sid: str, old: Step, new: Step, old_spec: Spec, new_spec: Spec) -> None:
    c.field("step", f"{sid}.title", old.title, new.title, True)
    c.field("step", f"{sid}.phase", old_spec.phase_of_step[sid].id,
            new_spec.phase_of_step[sid].id, True)
    c.field("step", f"{sid}.after", old.after, new.after, set(new.after) <= set(old.after))
    c.field("state", f"{sid}.initial", old.initial, new.initial, False)
    c.keyed("state", dict.fromkeys(old.states), dict.fromkeys(new.states), f"{sid}.")
    c.keyed("transition", _transitions(old), _transitions(new), f"{sid}.",
            same=lambda w, a, b: _transition(c, w, a, b))


def diff(old: Spec, new: Spec) -> SpecDiff:
    """Every change from spec `old` to spec `new`, each classified (see `Change`).

    Example:
        >>> from sfd_workflow import load_spec
        >>> spec = load_spec("builtin:xuhui-edu-2009")
        >>> diff(spec, spec).changes
        ()
    """
    c = _Collector()
    c.field("spec", "id", old.id, new.id, True)
    c.field("spec", "title", old.title, new.title, True)
    c.field("spec", "timezone", old.timezone, new.timezone, False)
    c.field("spec", "period", old.period, new.period, True)
    c.keyed("role", old.roles, new.roles, "",
            same=lambda w, a, b: c.field("role", f"{w}.title", a, b, True))

    def kind(w: str, a: Any, b: Any) -> None:
        c.field("unit_kind", f"{w}.title", a.title, b.title, True)
        c.field("unit_kind", f"{w}.skip", a.skip, b.skip, False)
        looser = all(set(v) <= set(b.role_map.get(k, ())) for k, v in a.role_map.items())
        c.field("unit_kind", f"{w}.role_map", dict(a.role_map), dict(b.role_map), looser)

    c.keyed("unit_kind", old.unit_kinds, new.unit_kinds, "", same=kind)
    c.keyed("record", dict.fromkeys(old.record_kinds), dict.fromkeys(new.record_kinds), "")
    for k in old.records.keys() & new.records.keys():
        c.field("record", f"{k}.title", old.records[k], new.records[k], True)

    def phase(w: str, a: Any, b: Any) -> None:
        c.field("phase", f"{w}.title", a.title, b.title, True)
        c.field("phase", f"{w}.window", a.window, b.window, True)

    c.keyed("phase", {p.id: p for p in old.phases}, {p.id: p for p in new.phases}, "",
            removed_safe=True, same=phase)
    c.keyed("step", old.step_by_id, new.step_by_id, "",
            same=lambda w, a, b: _step(c, w, a, b, old, new))
    return SpecDiff(old.id, new.id, tuple(c.out))
