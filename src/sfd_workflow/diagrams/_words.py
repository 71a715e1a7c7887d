"""Spec facts in words, in Chinese and English: guards, roles, records, dates.

A guard ``{role: secretary, quorum: {record: member_review, role: member, at_least:
majority}, has: [mass_review]}`` reads "书记；过半数党员评议；已有群众评议" /
"Party secretary; member review by a majority of party members; has mass review".
Role titles come from ``spec.roles``, record titles from ``spec.records``
(SPEC-FORMAT §1 guard keys, in their check order of §4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from fractions import Fraction

from sfd_workflow._spec._model import Guard, Spec, Text, Transition, UnitKind

__all__ = [
    "LANGS",
    "check_lang",
    "date_words",
    "guard_phrases",
    "guard_words",
    "role_words",
    "text_lines",
]

LANGS = ("zh", "en", "both")
_SEP = {"zh": "；", "en": "; "}
_OR = {"zh": "或", "en": " or "}
_LIST = {"zh": "、", "en": ", "}


def check_lang(lang: str) -> str:
    """`lang` itself when it is one of ``zh``, ``en``, ``both``; else a ValueError."""
    if lang not in LANGS:
        msg = f"unknown language {lang!r}: use one of {', '.join(LANGS)}"
        raise ValueError(msg)
    return lang


def text_lines(text: Text | None, lang: str) -> tuple[str, ...]:
    """A text as label lines: one line, or Chinese then English for ``both``."""
    if text is None:
        return ()
    if lang == "both":
        zh, en = text.by_lang.get("zh"), text.by_lang.get("en")
        if zh and en and zh != en:
            return (zh, en)
        return (text.get("zh"),)
    return (text.get(lang),)


def _one(lang: str) -> tuple[str, ...]:
    return ("zh", "en") if lang == "both" else (lang,)


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


def date_words(day: dt.date, lang: str) -> str:
    """A date as people write it: ``2009年6月30日`` or ``2009-06-30``."""
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def _role_titles(spec: Spec, role: str, kind: UnitKind | None, lang: str) -> list[str]:
    roles = [role]
    if kind is not None:
        roles += [r for r in kind.role_map.get(role, ()) if r not in roles]
    return [spec.role_title(r).get(lang) for r in roles]


def role_words(
    spec: Spec, roles: Iterable[str], lang: str, *, kind: UnitKind | None = None
) -> str:
    """Role titles joined with "或" / "or"; with `kind`, the roles its ``role_map`` adds (R18)."""
    titles: list[str] = []
    for role in roles:
        for title in _role_titles(spec, role, kind, lang):
            if title not in titles:
                titles.append(title)
    return _OR[lang].join(titles)


def _quorum_amount(at_least: int | float | str, lang: str) -> str:
    if at_least == "majority":
        return "过半数" if lang == "zh" else "a majority of"
    if at_least == "all":
        return "全体" if lang == "zh" else "all"
    if isinstance(at_least, float):
        frac = Fraction(at_least).limit_denominator(100)
        return f"至少{frac}的" if lang == "zh" else f"at least {frac} of"
    return f"至少{at_least}名" if lang == "zh" else f"at least {at_least}"


def _phrases(
    guard: Guard, spec: Spec, lang: str, kind: UnitKind | None, records: str | None
) -> list[str]:
    out: list[str] = []
    zh = lang == "zh"
    if guard.role:
        out.append(role_words(spec, guard.role, lang, kind=kind))
    if guard.not_before is not None:
        day = date_words(guard.not_before, lang)
        out.append(f"{day}起" if zh else f"from {day}")
    if guard.has:
        recs = _LIST[lang].join(spec.record_title(k).get(lang) for k in guard.has)
        out.append(f"已有{recs}" if zh else f"has {recs}")
    if guard.once_per_actor:
        what = spec.record_title(records).get(lang) if records else ""
        if zh:
            out.append(f"每人限一次{what}" if what else "每人限一次")
        else:
            out.append(f"one {what} per person" if what else "once per person")
    if guard.fields:
        names = _LIST[lang].join(guard.fields)
        out.append(f"需填写{names}" if zh else f"fills in {names}")
    if guard.quorum is not None:
        q = guard.quorum
        amount = _quorum_amount(q.at_least, lang)
        role = role_words(spec, [q.role], lang, kind=kind)
        record = spec.record_title(q.record).get(lang)
        if zh:
            # "过半数党员评议" reads better than "过半数党员已有党员评议"
            if record.startswith(role):
                out.append(f"{amount}{record}")
            else:
                out.append(f"{amount}{role}已有{record}")
        else:
            roles = " or ".join(_plural(r) for r in role.split(" or "))
            out.append(f"{record} from {amount} {roles}")
    if guard.per_person is not None:
        p = guard.per_person
        role = role_words(spec, [p.role], lang, kind=kind)
        record = spec.record_title(p.record).get(lang)
        amount = _number(p.at_least)
        if zh:
            out.append(f"每名{role}的{record}中{p.field}累计≥{amount}")
        else:
            out.append(f"each {role}: total {p.field} in {record} ≥ {amount}")
    if guard.children:
        steps = _LIST[lang].join(
            spec.step_by_id[s].title.get(lang) if s in spec.step_by_id else s
            for s in guard.children
        )
        out.append(f"下级组织均已完成{steps}" if zh else f"every child unit has completed {steps}")
    if guard.custom:
        names = _LIST[lang].join(guard.custom)
        out.append(f"自定义条件{names}" if zh else f"custom check {names}")
    return out


def guard_phrases(
    guard: Guard,
    spec: Spec,
    lang: str = "zh",
    *,
    kind: UnitKind | None = None,
    records: str | None = None,
) -> tuple[str, ...]:
    """One phrase per guard key, in the check order of SPEC-FORMAT §4.

    Args:
        guard: the guard to describe.
        spec: the spec that gives role and record titles.
        lang: ``zh`` or ``en`` (``both`` gives the Chinese phrases then the English ones).
        kind: a unit kind whose ``role_map`` widens the roles (R18), or None.
        records: the record kind the transition stores (named by ``once_per_actor``).
    """
    check_lang(lang)
    return tuple(p for one in _one(lang) for p in _phrases(guard, spec, one, kind, records))


def guard_words(
    guard: Guard | Transition,
    spec: Spec,
    lang: str = "zh",
    *,
    kind: UnitKind | None = None,
) -> str:
    """A guard in words: ``"书记；过半数党员评议；已有群众评议"``; ``""`` for no guard.

    Pass a `Transition` to let ``once_per_actor`` name the record kind it stores. With
    ``lang="both"`` the Chinese and the English sentences are joined by a newline.
    """
    check_lang(lang)
    records = guard.records if isinstance(guard, Transition) else None
    g = guard.guard if isinstance(guard, Transition) else guard
    parts = [
        _SEP[one].join(_phrases(g, spec, one, kind, records)) for one in _one(lang)
    ]
    return "\n".join(p for p in parts if p)
