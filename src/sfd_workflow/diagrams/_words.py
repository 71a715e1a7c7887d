"""Spec facts in words, in Chinese and English, for labels: guards, roles, records, dates.

A guard ``{role: secretary, quorum: {record: member_review, role: member, at_least:
majority}, has: [mass_review]}`` reads "书记；过半数党员评议；已有群众评议" /
"Party secretary; member review by a majority of party members; has mass review".
The phrases are the core's (`sfd_workflow._words`, the one place they are written, which
`explain` uses too); the keys come in the order of the core's check table (docs/format.md §4).
"""

from __future__ import annotations

from sfd_workflow._checks import GUARD_KEYS
from sfd_workflow._spec._model import Guard, Spec, Text, Transition, UnitKind
from sfd_workflow._words import GUARD_PHRASES, date_words, role_words

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


def _phrases(
    guard: Guard, spec: Spec, lang: str, kind: UnitKind | None, records: str | None
) -> list[str]:
    found = (GUARD_PHRASES[key](guard, spec, lang, kind, records) for key in GUARD_KEYS)
    return [p for p in found if p is not None]


def guard_phrases(
    guard: Guard,
    spec: Spec,
    lang: str = "zh",
    *,
    kind: UnitKind | None = None,
    records: str | None = None,
) -> tuple[str, ...]:
    """One phrase per guard key, in the check order of docs/format.md §4.

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
