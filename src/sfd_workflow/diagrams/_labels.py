"""Shared pieces of the extractors: ASCII ids, colours, phase and step headings."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sfd_workflow._spec._model import Phase, Spec, Step, Window
from sfd_workflow.diagrams._ir import Line, Style
from sfd_workflow.diagrams._words import date_words, text_lines

__all__ = [
    "COLOURS",
    "PHASE_FILLS",
    "Ids",
    "check_phases",
    "in_lang",
    "lines",
    "phase_heading",
    "step_number",
    "window_words",
    "wrap",
]

# Light fills for phase clusters, in phase order (repeats after five phases).
PHASE_FILLS = ("#eef4fb", "#eef8ee", "#fdf3e6", "#f5eefb", "#eef7f7")
COLOURS = {
    "done": "#b9e4b4",
    "active": "#fff2a8",
    "waiting": "#ffffff",
    "blocked": "#e3e3e3",
    "skipped": "#f2f2f2",
    "late": "#d62728",
    "critical": "#d62728",
    "border": "#444444",
    "muted": "#999999",
}
_CN_NUMERALS = "一二三四五六七八九十"


class Ids:
    """Gives ASCII node ids made from spec ids, unique within one graph, deterministically."""

    def __init__(self) -> None:
        self._given: dict[tuple[str, ...], str] = {}
        self._used: set[str] = set()

    def __call__(self, *parts: str) -> str:
        """The id for `parts` (the same parts always get the same id)."""
        if parts in self._given:
            return self._given[parts]
        base = "_".join(re.sub(r"[^A-Za-z0-9]", "_", p) for p in parts) or "n"
        if base[0].isdigit():
            base = "n" + base
        candidate, i = base, 2
        while candidate in self._used:
            candidate, i = f"{base}_{i}", i + 1
        self._used.add(candidate)
        self._given[parts] = candidate
        return candidate


def check_phases(spec: Spec, phases: Sequence[str]) -> None:
    """Raise ValueError naming the first of `phases` that is not a phase id of `spec`."""
    known = [p.id for p in spec.phases]
    for phase in phases:
        if phase not in known:
            msg = f"unknown phase {phase!r}: the spec defines {', '.join(known)}"
            raise ValueError(msg)


def in_lang(zh: str, en: str, lang: str) -> str:
    """A word in `lang`: Chinese, English, or ``中文 / English`` for ``both`` (legends)."""
    return {"zh": zh, "en": en}.get(lang, f"{zh} / {en}")


def lines(text_or_lines: tuple[str, ...], size: str = "body", *, bold: bool = False) -> list[Line]:
    """Label lines of one size; with two texts (zh, en) the second is drawn smaller."""
    out = []
    for i, text in enumerate(text_or_lines):
        out.append(Line(text, size if i == 0 else "small", bold=bold and i == 0))
    return out


def window_words(window: Window | None, lang: str) -> str:
    """``2009年3月1日–2009年4月30日`` / ``2009-03-01 – 2009-04-30``; ``""`` without a window."""
    if window is None:
        return ""
    one = "en" if lang == "en" else "zh"
    if one == "zh":
        return f"{date_words(window.start, 'zh')}–{date_words(window.end, 'zh')}"
    return f"{window.start.isoformat()} – {window.end.isoformat()}"


def phase_heading(spec: Spec, phase: Phase, lang: str) -> list[Line]:
    """``第一阶段 学习调研`` (and ``Phase 1: Study and research``), then its window."""
    number = spec.phases.index(phase) + 1
    cn = _CN_NUMERALS[number - 1] if number <= len(_CN_NUMERALS) else str(number)
    out: list[Line] = []
    titles = text_lines(phase.title, lang)
    if lang in ("zh", "both"):
        out.append(Line(f"第{cn}阶段 {titles[0]}", "title", bold=True))
    if lang == "en":
        out.append(Line(f"Phase {number}: {titles[0]}", "title", bold=True))
    if lang == "both" and len(titles) > 1:
        out.append(Line(f"Phase {number}: {titles[1]}", "small"))
    if phase.window is not None:
        out.append(Line(window_words(phase.window, lang), "small"))
        if lang == "both":
            out.append(Line(window_words(phase.window, "en"), "small"))
    return out


def step_number(spec: Spec, step: Step) -> int:
    """The step's number in the whole workflow, from 1 (六个环节 are 1…6)."""
    return spec.steps.index(step) + 1


def muted() -> Style:
    """The style of things that do not apply (skipped steps)."""
    return Style.of(color=COLOURS["muted"], fontcolor=COLOURS["muted"],
                    fillcolor=COLOURS["skipped"])


_BREAK_AFTER = set("；、，：;, ）)")
_BREAK_BEFORE = set("或（(")
_NO_BREAK_BEFORE = set("、，；：）)。,;:")


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def wrap(text: str, columns: int = 36) -> list[str]:
    """`text` cut into lines of at most `columns` columns (a Chinese character counts 2).

    Lines break after punctuation or a space where one falls in the line, else anywhere
    (Chinese has no spaces; a long ASCII identifier is cut too rather than overflow).
    """
    out: list[str] = []
    line = ""
    width = 0
    last_break = -1  # index in `line` just after the last break opportunity
    for ch in text:
        if ch in _BREAK_BEFORE and line:
            last_break = len(line)
        elif ch in _NO_BREAK_BEFORE and last_break == len(line):
            last_break = -1  # never start a line with a comma
        line += ch
        width += _width(ch)
        if ch in _BREAK_AFTER:
            last_break = len(line)
        if width > columns:
            cut = last_break if 0 < last_break <= len(line) else len(line) - 1
            head, line = line[:cut], line[cut:]
            out.append(head.rstrip())
            line = line.lstrip()
            width = sum(_width(c) for c in line)
            last_break = -1
    if line.strip() or not out:
        out.append(line.rstrip())
    return out
