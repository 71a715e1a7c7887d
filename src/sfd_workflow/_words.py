"""The words of the rules, in Chinese and English: one phrase per guard key, one sentence per
check of docs/format.md §4.

The only place these words are written. `explain` and verdict details build their sentences
from them, and the diagrams and slides (`sfd_workflow.diagrams`) label guards with the very
same phrases, so a guard reads the same on a picture and in an explanation. Role titles come
from ``spec.roles``, record titles from ``spec.records``; a quorum fraction is written as a
fraction (``至少2/3的`` / ``at least 2/3 of``), the count it asks for (⌈x·n⌉) in the
explanation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

from ._spec._model import Guard, Spec, UnitKind

__all__ = ["GUARD_PHRASES", "date_words", "list_words", "quorum_amount", "requirement_words",
           "role_words"]

_OR = {"zh": "或", "en": " or "}
_LIST = {"zh": "、", "en": ", "}


def list_words(items: Iterable[str], lang: str) -> str:
    """Items joined as a list: ``a、b`` / ``a, b``."""
    return _LIST[lang].join(items)


def date_words(day: dt.date, lang: str) -> str:
    """A date as people write it: ``2009年6月30日`` or ``2009-06-30``."""
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def _plural(noun: str) -> str:
    head, sep, tail = noun.partition(" of ")  # "Representative of the masses"
    if sep:
        return _plural(head) + sep + tail
    if noun.endswith("s"):
        return noun
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def role_words(spec: Spec, roles: Iterable[str], lang: str, *,
               kind: UnitKind | None = None) -> str:
    """Role titles joined with "或" / "or"; with `kind`, the roles its ``role_map`` adds (R18)."""
    titles: list[str] = []
    for role in roles:
        names = [role]
        if kind is not None:
            names += [r for r in kind.role_map.get(role, ()) if r not in names]
        for r in names:
            title = spec.role_title(r).get(lang)
            if title not in titles:
                titles.append(title)
    return _OR[lang].join(titles)


def quorum_amount(at_least: int | float | str, lang: str) -> str:
    """How many a quorum asks for: 过半数 / a majority of, 全体 / all, 至少2/3的 / at least 2/3
    of, 至少3名 / at least 3."""
    if at_least == "majority":
        return "过半数" if lang == "zh" else "a majority of"
    if at_least == "all":
        return "全体" if lang == "zh" else "all"
    if isinstance(at_least, float):
        frac = Fraction(at_least).limit_denominator(100)
        return f"至少{frac}的" if lang == "zh" else f"at least {frac} of"
    return f"至少{at_least}名" if lang == "zh" else f"at least {at_least}"


# --- one phrase per guard key (None when the guard does not have the key) --------------------
# Each takes (guard, spec, lang, kind, records): `kind` widens roles through its role_map,
# `records` is the record kind the transition stores (named by once_per_actor).
Phrase = Callable[[Guard, Spec, str, "UnitKind | None", "str | None"], "str | None"]


def _role(g: Guard, spec: Spec, lang: str, kind: UnitKind | None, _r: str | None) -> str | None:
    return role_words(spec, g.role, lang, kind=kind) if g.role else None


def _not_before(g: Guard, _s: Spec, lang: str, _k: UnitKind | None, _r: str | None
                ) -> str | None:
    if g.not_before is None:
        return None
    day = date_words(g.not_before, lang)
    return f"{day}起" if lang == "zh" else f"from {day}"


def _has(g: Guard, spec: Spec, lang: str, _k: UnitKind | None, _r: str | None) -> str | None:
    if not g.has:
        return None
    recs = list_words((spec.record_title(k).get(lang) for k in g.has), lang)
    return f"已有{recs}" if lang == "zh" else f"has {recs}"


def _once(g: Guard, spec: Spec, lang: str, _k: UnitKind | None, records: str | None
          ) -> str | None:
    if not g.once_per_actor:
        return None
    what = spec.record_title(records).get(lang) if records else ""
    if lang == "zh":
        return f"每人限一次{what}" if what else "每人限一次"
    return f"one {what} per person" if what else "once per person"


def _fields(g: Guard, spec: Spec, lang: str, _k: UnitKind | None, _r: str | None
            ) -> str | None:
    if not g.fields:
        return None
    names = list_words((spec.field_title(f).get(lang) for f in g.fields), lang)
    return f"需填写{names}" if lang == "zh" else f"fills in {names}"


def _quorum(g: Guard, spec: Spec, lang: str, kind: UnitKind | None, _r: str | None
            ) -> str | None:
    q = g.quorum
    if q is None:
        return None
    amount = quorum_amount(q.at_least, lang)
    role = role_words(spec, [q.role], lang, kind=kind)
    record = spec.record_title(q.record).get(lang)
    if lang == "zh":
        # "过半数党员评议" reads better than "过半数党员已有党员评议"
        return f"{amount}{record}" if record.startswith(role) else f"{amount}{role}已有{record}"
    roles = " or ".join(_plural(r) for r in role.split(" or "))
    return f"{record} from {amount} {roles}"


def _per_person(g: Guard, spec: Spec, lang: str, kind: UnitKind | None, _r: str | None
                ) -> str | None:
    p = g.per_person
    if p is None:
        return None
    role = role_words(spec, [p.role], lang, kind=kind)
    record = spec.record_title(p.record).get(lang)
    amount = _number(p.at_least)
    field = spec.field_title(p.field).get(lang)
    if lang == "zh":
        return f"每名{role}的{record}中{field}累计≥{amount}"
    return f"each {role}: total {field} in {record} ≥ {amount}"


def _children(g: Guard, spec: Spec, lang: str, _k: UnitKind | None, _r: str | None
              ) -> str | None:
    if not g.children:
        return None
    steps = list_words((spec.step_by_id[s].title.get(lang) if s in spec.step_by_id else s
                        for s in g.children), lang)
    return f"下级组织均已完成{steps}" if lang == "zh" else f"every child unit has completed {steps}"


def _custom(g: Guard, _s: Spec, lang: str, _k: UnitKind | None, _r: str | None) -> str | None:
    if not g.custom:
        return None
    names = list_words(g.custom, lang)
    return f"自定义条件{names}" if lang == "zh" else f"custom check {names}"


#: guard key -> its phrase (the order of the keys is the check table's, not this mapping's)
GUARD_PHRASES: Mapping[str, Phrase] = {
    "role": _role, "not_before": _not_before, "has": _has, "once_per_actor": _once,
    "fields": _fields, "quorum": _quorum, "per_person": _per_person, "children": _children,
    "custom": _custom,
}


# --- sentences of explanations and verdict details ------------------------------------------

def requirement_words(phrase: str, state: str, lang: str) -> str:
    """An unmet guard key as a sentence: its phrase, then where the unit stands."""
    if lang == "zh":
        return f"须满足“{phrase}”：{state}"
    return f"requires “{phrase}”: {state}"


_SENTENCES: Mapping[str, tuple[str, str]] = {
    # check -> (zh, en), formatted with the names given to `sentence`
    "unknown_unit": ("没有单位 {unit}", "no unit '{unit}'"),
    "unknown_event": ("流程中没有事件 {event}", "the workflow has no event '{event}'"),
    "not_applicable": ("{kind}不参加“{step}”环节", "step '{step}' does not apply to {kind} units"),
    "unknown_actor": ("{actor} 不是本单位人员", "'{actor}' is not a person of unit '{unit}'"),
    "out_of_order": ("时间早于本单位上一事件（{last}）",
                     "earlier than the unit's last accepted event ({last})"),
    "step_blocked": ("需先完成：{step}", "complete first: {step}"),
    "wrong_state": ("当前状态为 {state}，该事件只能从 {sources} 发出",
                    "the step is in state '{state}'; '{event}' leaves only from {sources}"),
    # where the unit stands, after a guard key's phrase
    "role": ("{actor} 不具备该角色", "{actor} does not hold it"),
    "not_before": ("事件时间为 {at}", "the event is at {at}"),
    "missing_record": ("尚缺{missing}", "missing {missing}"),
    "duplicate": ("{actor} 已提交过", "{actor} already has one"),
    "fields": ("内容缺少{missing}", "the payload lacks {missing}"),
    "quorum": ("需 {needed} 人，已有 {have}/{n}，还差 {more}",
               "{needed} needed, {have} of {n}, {more} more needed"),
    "per_person": ("{count} 人未达到（{who}）", "{count} short ({who})"),
    "children": ("尚未完成：{units}", "not yet complete: {units}"),
    "custom": ("未满足{names}", "not met: {names}"),
}


def sentence(check: str, lang: str, **names: Any) -> str:
    """The sentence of a check (a `Reason` value) in ``zh`` or ``en``, names filled in."""
    zh, en = _SENTENCES[check]
    return (zh if lang == "zh" else en).format(**names)
