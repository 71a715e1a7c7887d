"""A training deck (python-pptx): title, overview, critical path, timeline, phases, steps,
and, given a runtime, progress.

Pictures are the diagrams of this package drawn as PNG at 1920 px; the timeline (a Gantt
chart of phase windows and ``due`` dates) is drawn with native shapes, so it stays sharp
and editable. Every text run names the CJK font for East Asian text (``a:ea``) so that
PowerPoint and LibreOffice draw Chinese with it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import attrs

from sfd_workflow._spec._model import Phase, Spec, Step, Transition
from sfd_workflow.diagrams._api import (
    DEFAULT_FONT,
    all_progress,
    dependencies,
    machine,
    overview,
    progress,
)
from sfd_workflow.diagrams._critical import critical_path, step_weights, weight_mode
from sfd_workflow.diagrams._deck import MIN_PT, SLIDE_H_IN, SLIDE_W_IN, Deck, _pptx_part, rgb
from sfd_workflow.diagrams._labels import phase_heading, step_number, window_words
from sfd_workflow.diagrams._progress import cohort_counts
from sfd_workflow.diagrams._views import acting_roles
from sfd_workflow.diagrams._words import check_lang, date_words, guard_phrases, role_words

__all__ = ["ROWS_PER_STEP_SLIDE", "build_deck", "deck_kind"]

ROWS_PER_STEP_SLIDE = 5  # transitions per step slide; longer steps continue on a next slide
_GANTT_COLOURS = ("4E79A7", "59A14F", "F28E2B", "B07AA1", "76B7B2")


def _both(text_zh: str, text_en: str, lang: str) -> str:
    return {"zh": text_zh, "en": text_en, "both": f"{text_zh} / {text_en}"}[lang]


def _one(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def _step_title(spec: Spec, step: Step, lang: str) -> str:
    n = step_number(spec, step)
    if lang == "both":
        return f"{n}. {step.title.get('zh')} / {step.title.get('en')}"
    return f"{n}. {step.title.get(lang)}"


def _transition_row(spec: Spec, t: Transition, lang: str) -> list[str]:
    langs = ("zh", "en") if lang == "both" else (lang,)
    title = "\n".join(t.title.get(x) for x in langs) if t.title else t.event
    guard = "\n".join("；".join(guard_phrases(t.guard, spec, x, records=t.records))
                      if x == "zh" else "; ".join(guard_phrases(t.guard, spec, x,
                                                                records=t.records))
                      for x in langs)
    record = "\n".join(spec.record_title(t.records).get(x) for x in langs) if t.records else "—"
    due = date_words(t.due, _one(lang)) if t.due else "—"
    return [title, guard or "—", record, due]


def _step_slides(deck: Deck, spec: Spec, step: Step, lang: str) -> None:
    one = _one(lang)
    roles = acting_roles(step)
    who = role_words(spec, roles, one).replace(" or ", ", ").replace("或", "、") if roles else "—"
    records = list(dict.fromkeys(t.records for t in step.transitions if t.records))
    outputs = ("、" if one == "zh" else ", ").join(spec.record_title(r).get(one) for r in records)
    cites = sorted({c for c in (*step.cites, *(c for t in step.transitions for c in t.cites))},
                   key=lambda c: (len(c), c))
    dues = [t.due for t in step.transitions if t.due is not None]
    header = [
        (_both("谁来办", "Who acts", lang) + "：" + who, 14, False),
        (_both("产出与存档", "Outputs and records", lang) + "：" + (outputs or "—"), 14, False),
        (_both("最后期限", "Last deadline", lang) + "："
         + (date_words(max(dues), one) if dues else "—"), 14, False),
        (_both("依据的要求", "Requirements implemented", lang) + "："
         + (", ".join(cites) or "—"), 14, False),
    ]
    columns = [_both("事件", "Event", lang), _both("条件（用文字说明）", "Guard in words", lang),
               _both("存档", "Record", lang), _both("期限", "Due", lang)]
    chunks = [step.transitions[i:i + ROWS_PER_STEP_SLIDE]
              for i in range(0, len(step.transitions), ROWS_PER_STEP_SLIDE)] or [()]
    for k, chunk in enumerate(chunks):
        more = ("（续）", " (continued)") if k else ("", "")
        slide = _titled(deck, spec, step, more, lang)
        deck.text(slide, 0.5, deck.content_top + 0.05, SLIDE_W_IN - 1, 1.5, header)
        rows = [columns, *(_transition_row(spec, t, lang) for t in chunk)]
        deck.table(slide, rows, [2.6, 6.6, 1.9, 1.2], top=deck.content_top + 1.7)


def _titled(deck: Deck, spec: Spec, step: Step, more: tuple[str, str], lang: str) -> Any:
    n = step_number(spec, step)
    return deck.slide_in(f"{n}. {step.title.get('zh')}{more[0]}",
                         f"{n}. {step.title.get('en')}{more[1]}", lang)


def _key_rules(spec: Spec, step: Step, lang: str) -> str:
    """The guards of the events that complete a step, in words: its key rules."""
    one = _one(lang)
    sep = "；" if one == "zh" else "; "
    out = []
    for t in step.transitions:
        if t.dest in step.finals and t.dest not in t.sources:
            words = sep.join(guard_phrases(t.guard, spec, one, records=t.records))
            if words and words not in out:
                out.append(words)
    return "\n".join(out[:2]) or "—"


def _phase_slide(deck: Deck, spec: Spec, index: int, lang: str) -> None:
    """A phase's plan: its window and description, then a table of its steps: who acts,
    when it opens and its last due date, and the rules that complete it."""
    phase = spec.phases[index]
    zh = phase_heading(spec, phase, "zh")[0].text
    en = phase_heading(spec, phase, "en")[0].text
    slide = deck.slide_in(zh, en, lang)
    one = _one(lang)
    paras: list[tuple[str, float, bool]] = []
    if phase.window is not None:
        paras.append((_both("计划时间", "Planned", lang) + "：" + window_words(phase.window, one),
                      16, True))
    if phase.description is not None:
        text = phase.description.get(one)
        paras.append((text if len(text) <= 200 else text[:198] + "……", 14, False))
    top = deck.content_top + 0.05
    if paras:
        deck.text(slide, 0.5, top, SLIDE_W_IN - 1, 1.0, paras)
        top += 0.45 * len(paras) + (0.3 if phase.description is not None else 0)
    rows = [[_both("环节", "Step", lang), _both("谁来办", "Who acts", lang),
             _both("开启与期限", "Opens · due", lang),
             _both("完成的条件", "Rules to finish", lang)]]
    for step in phase.steps:
        roles = acting_roles(step)
        who = role_words(spec, roles, one).replace(" or ", ", ").replace("或", "、") \
            if roles else "—"
        opens = ("、" if one == "zh" else ", ").join(
            str(step_number(spec, spec.step_by_id[a])) for a in step.after)
        opens = (f"{_both('在', 'after ', lang)}{opens}{_both('之后', '', lang)}" if opens
                 else _both("自始开启", "from the start", lang))
        dues = [t.due for t in step.transitions if t.due is not None]
        when = opens + ("\n" + date_words(max(dues), one) if dues else "")
        rows.append([_step_title(spec, step, lang), who, when, _key_rules(spec, step, lang)])
    deck.table(slide, rows, [3.3, 2.6, 2.2, 4.2], top=top)


def deck_kind(spec: Spec, kind: str | None = None) -> str:
    """The unit kind whose state machine the deck shows: `kind`, else the first kind that
    skips no step (its machine has every step), else the first kind.

    Raises:
        ValueError: `kind` is not a unit kind of the spec.
    """
    if kind is not None:
        if kind not in spec.unit_kinds:
            msg = f"unknown unit kind {kind!r}: the spec defines {', '.join(spec.unit_kinds)}"
            raise ValueError(msg)
        return kind
    full = [k for k, v in spec.unit_kinds.items() if not v.skip]
    return (full or list(spec.unit_kinds))[0]


def _runs(states: tuple[str, ...], parts: int) -> list[tuple[str, ...]]:
    size = -(-len(states) // parts)
    return [states[i:i + size] for i in range(0, len(states), size)]


def _machine_parts(deck: Deck, spec: Spec, phase: Phase, kind: str, lang: str,
                   fontname: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The pictures of a phase's machine that read on a slide: the whole phase, else one
    step a slide, else a step cut into runs of states; each as (title zh, title en, call)."""
    top = 1.2 if lang == "both" else 0.9

    def fits(call: dict[str, Any]) -> bool:
        return deck.picture_text_pt(_machine(spec, kind, lang, fontname, call), top) >= MIN_PT

    whole = {"phase": phase.id, "direction": "LR"}
    if fits(whole):
        title = spec.unit_kinds[kind].title
        return [(f"{phase_heading(spec, phase, 'zh')[0].text}：{title.get('zh')}状态机",
                 f"{phase_heading(spec, phase, 'en')[0].text}: {title.get('en')} state machine",
                 whole)]
    out = []
    for step in phase.steps:
        n = step_number(spec, step)
        for parts in range(1, len(step.states) + 1):
            runs = _runs(step.states, parts)
            calls = []
            for run in runs:
                options = [{"steps": [step.id], "direction": d,
                            **({"states": list(run)} if parts > 1 else {})} for d in ("LR", "TB")]
                calls.append(max(options, key=lambda c: deck.picture_text_pt(
                    _machine(spec, kind, lang, fontname, c), top)))
            if all(fits(c) for c in calls) or len(runs) == len(step.states):
                break
        kind_title = spec.unit_kinds[kind].title
        for k, call in enumerate(calls, 1):
            part = f"（{k}/{len(calls)}）" if len(calls) > 1 else ""
            en = f" ({k}/{len(calls)})" if part else ""
            long_en = f"{n}. {step.title.get('en')}: {kind_title.get('en')} machine{en}"
            out.append((f"{n}. {step.title.get('zh')}：{kind_title.get('zh')}状态机{part}",
                        long_en if deck.fits_one_line(long_en)
                        else f"{n}. {step.title.get('en')}{en}", call))
    return out


def _machine(spec: Spec, kind: str, lang: str, fontname: str, call: dict[str, Any]) -> Any:
    return machine(spec, kind, lang=lang, guards=False, fontname=fontname, **call
                   ).without_title()


def _machine_slides(deck: Deck, spec: Spec, index: int, kind: str, lang: str,
                    fontname: str) -> None:
    phase = spec.phases[index]
    for zh, en, call in _machine_parts(deck, spec, phase, kind, lang, fontname):
        slide = deck.slide_in(zh, en, lang)
        deck.picture(slide, _machine(spec, kind, lang, fontname, call),
                     {"view": "machine", "kind": kind, "lang": lang, "guards": False, **call})


def _gantt_slide(deck: Deck, spec: Spec, lang: str) -> None:
    MSO_SHAPE = _pptx_part("pptx.enum.shapes").MSO_SHAPE
    one = _one(lang)
    slide = deck.slide_in("时间安排", "Timeline", lang)
    dates = [d for p in spec.phases if p.window for d in (p.window.start, p.window.end)]
    dates += [t.due for _, t in spec.transitions() if t.due is not None]
    if spec.period is not None:
        dates += [spec.period.start, spec.period.end]
    if not dates:
        deck.text(slide, 0.6, 1.5, 10, 1, [(_both("本流程没有计划日期。",
                                                  "This workflow has no planned dates.",
                                                  lang), 18, False)])
        return
    first, last = min(dates), max(dates)
    span = max((last - first).days + 1, 1)
    left, label_w, top = 0.5, 3.9, deck.content_top + 0.55
    chart_w = SLIDE_W_IN - left - label_w - 0.5
    rows = len(spec.phases) + len(spec.steps)
    row_h = min(0.5, (SLIDE_H_IN - top - 0.8) / max(rows, 1))

    def x_of(day: dt.date) -> float:
        return left + label_w + chart_w * (day - first).days / span

    # month ticks along the top
    month = dt.date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            line = slide.shapes.add_connector(1, deck.Inches(x_of(month)), deck.Inches(top - 0.1),
                                              deck.Inches(x_of(month)),
                                              deck.Inches(top + rows * row_h))
            line.line.color.rgb = rgb("CCCCCC")
        label = f"{month.month}月" if one == "zh" else month.strftime("%b %Y")
        deck.text(slide, x_of(max(month, first)), top - 0.45, 1.2, 0.35, [(label, MIN_PT, False)])
        month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    row = 0
    for i, phase in enumerate(spec.phases):
        colour = _GANTT_COLOURS[i % len(_GANTT_COLOURS)]
        y = top + row * row_h
        deck.text(slide, left, y, label_w, row_h,
                  [(phase_heading(spec, phase, "en" if lang == "en" else "zh")[0].text, 13, True)])
        if phase.window is not None:
            bar = slide.shapes.add_shape(
                MSO_SHAPE.RECTANGLE, deck.Inches(x_of(phase.window.start)),
                deck.Inches(y + row_h * 0.15),
                deck.Inches(max(x_of(phase.window.end + dt.timedelta(days=1))
                                - x_of(phase.window.start), 0.05)),
                deck.Inches(row_h * 0.7))
            bar.fill.solid()
            bar.fill.fore_color.rgb = rgb(colour)
            bar.line.fill.background()
        row += 1
        for step in phase.steps:
            y = top + row * row_h
            deck.text(slide, left + 0.25, y, label_w - 0.25, row_h,
                      [(_step_title(spec, step, "en" if lang == "en" else "zh"), MIN_PT, False)])
            for t in step.transitions:
                if t.due is None:
                    continue
                size = row_h * 0.5
                mark = slide.shapes.add_shape(
                    MSO_SHAPE.DIAMOND, deck.Inches(x_of(t.due) - size / 2),
                    deck.Inches(y + (row_h - size) / 2), deck.Inches(size), deck.Inches(size))
                mark.fill.solid()
                mark.fill.fore_color.rgb = rgb(colour)
                mark.line.fill.background()
            row += 1
    note = _both("条形：阶段计划时间；菱形：各事件的期限（due）",
                 "Bars: phase windows; diamonds: the due dates of events", lang)
    deck.text(slide, left, SLIDE_H_IN - 0.6, SLIDE_W_IN - 1, 0.4, [(note, MIN_PT, False)])


def _picture_slides(deck: Deck, spec: Spec, zh: str, en: str, lang: str,
                    options: list[list[tuple[str, str, Any, dict[str, Any]]]]) -> bool:
    """Slides of the first of `options` (each a list of pictures: title parts, diagram,
    call) whose every picture reads at `MIN_PT`; False (and no slide) when none does."""
    top = 1.2 if lang == "both" else 0.9
    for pictures in options:
        if all(deck.picture_text_pt(d, top) >= MIN_PT for _, _, d, _ in pictures):
            for part_zh, part_en, d, call in pictures:
                slide = deck.slide_in(zh + part_zh, en + part_en, lang)
                deck.picture(slide, d, call)
            return True
    return False


def _overview_slides(deck: Deck, spec: Spec, lang: str, fontname: str,
                     runtime: Any = None) -> None:
    """The overview on one slide, else one phase a slide (it is wider than a slide)."""
    zh, en = ("各环节单位数", "Units in each step") if runtime is not None else ("总览", "Overview")
    whole = [("", "", overview(spec, lang=lang, runtime=runtime, fontname=fontname).without_title(),
              {"view": "overview", "lang": lang, "runtime": runtime is not None})]
    per_phase = []
    for phase in spec.phases:
        d = overview(spec, lang=lang, runtime=runtime, phases=[phase.id],
                     fontname=fontname).without_title()
        heading_zh = phase_heading(spec, phase, "zh")[0].text
        heading_en = phase_heading(spec, phase, "en")[0].text
        per_phase.append((f" · {heading_zh}", f" · {heading_en}", d,
                          {"view": "overview", "lang": lang, "phases": [phase.id],
                           "runtime": runtime is not None}))
    if not _picture_slides(deck, spec, zh, en, lang, [whole, per_phase]):
        # a phase wider than a slide: drawn all the same (the deck test names such a slide)
        for part_zh, part_en, d, call in per_phase:
            deck.picture(deck.slide_in(zh + part_zh, en + part_en, lang), d, call)


def _dependencies_slides(deck: Deck, spec: Spec, lang: str, fontname: str) -> None:
    """The step graph left to right, else top to bottom, else the critical path as a table."""
    d = dependencies(spec, lang=lang, fontname=fontname).without_title()
    options = [[("", "", attrs.evolve(d, graph=attrs.evolve(d.graph, direction=direction)),
                 {"view": "dependencies", "lang": lang, "direction": direction})]
               for direction in ("LR", "TB")]
    zh, en = "环节依赖与关键路径", "Dependencies and critical path"
    if _picture_slides(deck, spec, zh, en, lang, options):
        return
    mode = weight_mode(spec)
    weights = step_weights(spec, mode)
    path = set(critical_path(spec, weight=mode))
    slide = deck.slide_in(zh, en, lang)
    unit = {"days": ("天", "days"), "events": ("个事件", "events")}[mode]
    rows = [[_both("环节", "Step", lang), _both("在其后开启", "Opens after", lang),
             _both("权重", "Weight", lang), _both("关键路径", "Critical path", lang)]]
    for step in spec.steps:
        after = ", ".join(str(step_number(spec, spec.step_by_id[a])) for a in step.after)
        rows.append([_step_title(spec, step, lang), after or "—",
                     _both(f"{weights[step.id]}{unit[0]}", f"{weights[step.id]} {unit[1]}", lang),
                     "★" if step.id in path else ""])
    deck.table(slide, rows, [6.2, 2.2, 2.2, 1.6], top=deck.content_top + 0.1)


def _progress_slides(deck: Deck, spec: Spec, runtime: Any, lang: str, fontname: str) -> None:
    _overview_slides(deck, spec, lang, fontname, runtime)
    _picture_slides(deck, spec, "各单位进度", "Progress of each unit", lang, [[(
        "", "", progress(runtime, lang=lang, fontname=fontname).without_title(),
        {"view": "progress", "lang": lang, "runtime": True})]])
    counts = cohort_counts(all_progress(runtime).values())
    slide = deck.slide_in("进度统计", "Progress in numbers", lang)
    rows = [[_both("环节", "Step", lang), _both("进行中", "Active", lang),
             _both("已完成", "Done", lang), _both("未开启", "Waiting", lang),
             _both("不适用", "Skipped", lang)]]
    for step in spec.steps:
        c = counts.get(step.id, {})
        rows.append([_step_title(spec, step, lang), *(str(c.get(k, 0)) for k in
                                                       ("active", "done", "waiting", "skipped"))])
    deck.table(slide, rows, [6.0, 1.5, 1.5, 1.5, 1.5], top=deck.content_top + 0.2, size=13)


def build_deck(
    spec: Spec,
    path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    runtime: Any = None,
    fontname: str = DEFAULT_FONT,
    kind: str | None = None,
) -> Path:
    """Write a training deck for `spec` to `path` (``.pptx``) and return the path.

    Every text reads on a projector: no text is smaller than 12 pt on a 16:9 slide, text
    in pictures measured through the picture's scale. A picture that would be smaller is
    split rather than shrunk: the overview one phase a slide, a phase's machine one step a
    slide, a long step in runs of its states.

    Slides, in order: title; overview; critical path; timeline (Gantt of phase windows and
    ``due`` dates); for each phase, its plan (window, steps, who acts, dates, the rules
    that complete each step) and the state machine of its steps (states and events; the
    guards are on the step slides) for the unit kind `kind` (default `deck_kind`: the first
    kind that skips no step); one per step (continued on a further slide past
    `ROWS_PER_STEP_SLIDE` transitions) with who acts, outputs, guards in words, deadlines
    and the cited requirement ids; with `runtime`, the progress slides (units per step,
    the unit hierarchy when it reads at 12 pt, the counts as a table). With
    ``lang="both"`` a title is the Chinese and its subtitle the English.

    Raises:
        MissingExtraError: python-pptx (``slides`` extra) or graphviz is not installed.
        MissingToolError: Graphviz's ``dot`` or the CJK font is not installed.
        ValueError: `kind` is not a unit kind of the spec.
    """
    check_lang(lang)
    kind = deck_kind(spec, kind)
    deck = Deck(fontname)
    one = _one(lang)
    first = deck.prs.slides.add_slide(deck.prs.slide_layouts[6])  # blank: our own layout
    title_zh, title_en = spec.title.get("zh"), spec.title.get("en")
    lines = [(title_zh if lang != "en" else title_en, 32, True)]
    if lang == "both" and title_en != title_zh:
        lines.append((title_en, 18, False))
    if spec.period is not None:
        lines.append((window_words(spec.period, one), 18, False))
    lines.append((f"sfd-workflow · {spec.id} · {len(spec.phases)}"
                  + (f" 个阶段、{len(spec.steps)} 个环节" if one == "zh"
                     else f" phases, {len(spec.steps)} steps"), 14, False))
    deck.text(first, 0.8, 2.0, SLIDE_W_IN - 1.6, 3.0, lines)
    _overview_slides(deck, spec, lang, fontname)
    _dependencies_slides(deck, spec, lang, fontname)
    _gantt_slide(deck, spec, lang)
    for i in range(len(spec.phases)):
        _phase_slide(deck, spec, i, lang)
        _machine_slides(deck, spec, i, kind, lang, fontname)
    for step in spec.steps:
        _step_slides(deck, spec, step, lang)
    if runtime is not None:
        _progress_slides(deck, spec, runtime, lang, fontname)
    out = Path(path)
    deck.prs.save(str(out))
    return out
