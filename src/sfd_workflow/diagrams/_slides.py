"""A training deck (python-pptx): title, overview, critical path, timeline, phases, steps,
and, given a runtime, progress.

Pictures are the diagrams of this package drawn as PNG at 1920 px; the timeline (a Gantt
chart of phase windows and ``due`` dates) is drawn with native shapes, so it stays sharp
and editable. Every text run names the CJK font for East Asian text (``a:ea``) so that
PowerPoint and LibreOffice draw Chinese with it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sfd_workflow._extras import require
from sfd_workflow._spec._model import Spec, Step, Transition
from sfd_workflow.diagrams._api import (
    DEFAULT_FONT,
    all_progress,
    dependencies,
    machine,
    overview,
    progress,
)
from sfd_workflow.diagrams._labels import phase_heading, step_number, window_words
from sfd_workflow.diagrams._progress import cohort_counts
from sfd_workflow.diagrams._views import acting_roles
from sfd_workflow.diagrams._words import check_lang, date_words, guard_phrases, role_words

__all__ = ["ROWS_PER_STEP_SLIDE", "build_deck", "deck_kind"]

SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5
ROWS_PER_STEP_SLIDE = 5  # transitions per step slide; longer steps continue on a next slide
_GANTT_COLOURS = ("4E79A7", "59A14F", "F28E2B", "B07AA1", "76B7B2")


def _rgb(hex_colour: str) -> Any:
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour)  # type: ignore[no-untyped-call]


def _pptx() -> Any:
    return require("pptx", feature="building slides", extra="slides", package="python-pptx")


class _Deck:
    """A thin helper over a `pptx.Presentation` with our fonts and positions."""

    def __init__(self, fontname: str) -> None:
        self.pptx = _pptx()
        from pptx.util import Emu, Inches, Pt

        self.Emu, self.Inches, self.Pt = Emu, Inches, Pt
        self.prs = self.pptx.Presentation()
        self.prs.slide_width = Inches(SLIDE_W_IN)
        self.prs.slide_height = Inches(SLIDE_H_IN)
        self.font = fontname

    def style_run(self, run: Any, size: float, *, bold: bool = False,
                  colour: str | None = None) -> None:
        from pptx.oxml.ns import qn

        run.font.size = self.Pt(size)
        run.font.bold = bold
        run.font.name = self.font
        if colour is not None:
            run.font.color.rgb = _rgb(colour)
        rpr = run._r.get_or_add_rPr()  # python-pptx has no East Asian font API
        for tag in ("a:ea", "a:cs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = rpr.makeelement(qn(tag), {})
                rpr.append(el)
            el.set("typeface", self.font)

    def slide(self, title: str) -> Any:
        layout = self.prs.slide_layouts[5]  # "Title Only": a real title placeholder
        slide = self.prs.slides.add_slide(layout)
        t = slide.shapes.title
        t.left, t.top = self.Inches(0.5), self.Inches(0.25)
        t.width, t.height = self.Inches(SLIDE_W_IN - 1), self.Inches(0.9)
        t.text_frame.text = title
        t.text_frame.word_wrap = True
        for p in t.text_frame.paragraphs:
            p.alignment = self.pptx.enum.text.PP_ALIGN.LEFT
            for r in p.runs:
                self.style_run(r, 28, bold=True, colour="1F3864")
        return slide

    def text(self, slide: Any, left: float, top: float, width: float, height: float,
             paragraphs: Sequence[tuple[str, float, bool]]) -> Any:
        box = slide.shapes.add_textbox(self.Inches(left), self.Inches(top),
                                       self.Inches(width), self.Inches(height))
        tf = box.text_frame
        tf.word_wrap = True
        for i, (text, size, bold) in enumerate(paragraphs):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            r = p.add_run()
            r.text = text
            self.style_run(r, size, bold=bold)
        return box

    def picture(self, slide: Any, png: bytes, top: float = 1.2) -> None:
        from pptx.util import Inches

        width_px = int.from_bytes(png[16:20], "big")
        height_px = int.from_bytes(png[20:24], "big")
        max_w, max_h = SLIDE_W_IN - 0.6, SLIDE_H_IN - top - 0.2
        scale = min(max_w / width_px, max_h / height_px)
        w, h = width_px * scale, height_px * scale
        slide.shapes.add_picture(io.BytesIO(png), Inches((SLIDE_W_IN - w) / 2), Inches(top),
                                 Inches(w), Inches(h))

    def table(self, slide: Any, rows: Sequence[Sequence[str]], widths: Sequence[float],
              top: float, size: float = 11) -> None:
        from pptx.util import Inches

        # rows start low and grow with their text in PowerPoint and LibreOffice
        row_h = 0.4
        shape = slide.shapes.add_table(len(rows), len(widths), Inches(0.5), Inches(top),
                                       Inches(sum(widths)), Inches(row_h * len(rows)))
        table = shape.table
        for j, w in enumerate(widths):
            table.columns[j].width = Inches(w)
        for r in table.rows:
            r.height = Inches(row_h)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                cell = table.cell(i, j)
                cell.text = ""
                tf = cell.text_frame
                tf.word_wrap = True
                for k, line in enumerate(value.split("\n")):
                    p = tf.paragraphs[0] if k == 0 else tf.add_paragraph()
                    r = p.add_run()
                    r.text = line
                    self.style_run(r, size, bold=i == 0)


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


def _step_slides(deck: _Deck, spec: Spec, step: Step, lang: str) -> None:
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
        title = _step_title(spec, step, lang)
        if k:
            title += _both("（续）", " (continued)", lang)
        slide = deck.slide(title)
        deck.text(slide, 0.5, 1.15, SLIDE_W_IN - 1, 1.5, header)
        rows = [columns, *(_transition_row(spec, t, lang) for t in chunk)]
        deck.table(slide, rows, [2.6, 6.6, 1.9, 1.2], top=2.75, size=11)


def _phase_slide(deck: _Deck, spec: Spec, index: int, lang: str) -> None:
    phase = spec.phases[index]
    heading = phase_heading(spec, phase, lang)
    slide = deck.slide(" / ".join(x.text for x in heading if x.size == "title"))
    one = _one(lang)
    paras: list[tuple[str, float, bool]] = []
    if phase.window is not None:
        paras.append((_both("计划时间", "Planned", lang) + "：" + window_words(phase.window, one),
                      16, True))
    if phase.description is not None:
        paras.append((phase.description.get(one), 14, False))
    for step in phase.steps:
        paras.append((_step_title(spec, step, lang), 18, True))
        if step.description is not None:
            text = step.description.get(one)
            paras.append((text if len(text) <= 160 else text[:158] + "……", 12, False))
    deck.text(slide, 0.6, 1.2, SLIDE_W_IN - 1.2, SLIDE_H_IN - 1.6, paras)


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


def _machine_slide(deck: _Deck, spec: Spec, index: int, kind: str, lang: str,
                   fontname: str) -> None:
    phase = spec.phases[index]
    title = spec.unit_kinds[kind].title
    zh = f"{phase_heading(spec, phase, 'zh')[0].text}：{title.get('zh')}状态机"
    en = f"state machine of a {title.get('en')}"
    if lang == "en":
        en = f"{phase_heading(spec, phase, 'en')[0].text}: {en}"
    slide = deck.slide(_both(zh, en, lang))
    picture = machine(spec, kind, lang=lang, phase=phase.id, fontname=fontname)
    deck.picture(slide, picture.without_title().render("png"), top=1.1)


def _gantt_slide(deck: _Deck, spec: Spec, lang: str) -> None:
    from pptx.enum.shapes import MSO_SHAPE

    one = _one(lang)
    slide = deck.slide(_both("时间安排", "Timeline", lang))
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
    left, label_w, top = 0.5, 3.6, 1.5
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
            line.line.color.rgb = _rgb("CCCCCC")
        label = f"{month.month}月" if one == "zh" else month.strftime("%b %Y")
        deck.text(slide, x_of(max(month, first)), top - 0.45, 1.2, 0.35, [(label, 11, False)])
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
            bar.fill.fore_color.rgb = _rgb(colour)
            bar.line.fill.background()
        row += 1
        for step in phase.steps:
            y = top + row * row_h
            deck.text(slide, left + 0.25, y, label_w - 0.25, row_h,
                      [(_step_title(spec, step, "en" if lang == "en" else "zh"), 11, False)])
            for t in step.transitions:
                if t.due is None:
                    continue
                size = row_h * 0.5
                mark = slide.shapes.add_shape(
                    MSO_SHAPE.DIAMOND, deck.Inches(x_of(t.due) - size / 2),
                    deck.Inches(y + (row_h - size) / 2), deck.Inches(size), deck.Inches(size))
                mark.fill.solid()
                mark.fill.fore_color.rgb = _rgb(colour)
                mark.line.fill.background()
            row += 1
    note = _both("条形：阶段计划时间；菱形：各事件的期限（due）",
                 "Bars: phase windows; diamonds: the due dates of events", lang)
    deck.text(slide, left, SLIDE_H_IN - 0.6, SLIDE_W_IN - 1, 0.4, [(note, 11, False)])


def _progress_slides(deck: _Deck, spec: Spec, runtime: Any, lang: str, fontname: str) -> None:
    slide = deck.slide(_both("各环节单位数", "Units in each step", lang))
    deck.picture(slide, overview(spec, lang=lang, runtime=runtime, fontname=fontname)
                 .render("png"))
    slide = deck.slide(_both("各单位进度", "Progress of each unit", lang))
    deck.picture(slide, progress(runtime, lang=lang, fontname=fontname).render("png"))
    counts = cohort_counts(all_progress(runtime).values())
    slide = deck.slide(_both("进度统计", "Progress in numbers", lang))
    rows = [[_both("环节", "Step", lang), _both("进行中", "Active", lang),
             _both("已完成", "Done", lang), _both("未开启", "Waiting", lang),
             _both("不适用", "Skipped", lang)]]
    for step in spec.steps:
        c = counts.get(step.id, {})
        rows.append([_step_title(spec, step, lang), *(str(c.get(k, 0)) for k in
                                                       ("active", "done", "waiting", "skipped"))])
    deck.table(slide, rows, [6.0, 1.5, 1.5, 1.5, 1.5], top=1.3, size=13)


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

    Slides, in order: title; overview; critical path; timeline (Gantt of phase windows and
    ``due`` dates); for each phase, its slide and the state machine of its steps for the
    unit kind `kind` (default `deck_kind`: the first kind that skips no step); one per step
    (continued on a further slide past `ROWS_PER_STEP_SLIDE` transitions) with who acts,
    outputs, guards in words, deadlines and the cited requirement ids; with `runtime`,
    three progress slides (units per step, the unit hierarchy, the counts as a table).

    Raises:
        MissingExtraError: python-pptx (``slides`` extra) or graphviz is not installed.
        MissingToolError: Graphviz's ``dot`` or the CJK font is not installed.
        ValueError: `kind` is not a unit kind of the spec.
    """
    check_lang(lang)
    kind = deck_kind(spec, kind)
    deck = _Deck(fontname)
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

    slide = deck.slide(_both("总览", "Overview", lang))
    deck.picture(slide, overview(spec, lang=lang, fontname=fontname).render("png"))
    slide = deck.slide(_both("环节依赖与关键路径", "Dependencies and critical path", lang))
    deck.picture(slide, dependencies(spec, lang=lang, fontname=fontname).render("png"),
                 top=1.2)
    _gantt_slide(deck, spec, lang)
    for i in range(len(spec.phases)):
        _phase_slide(deck, spec, i, lang)
        _machine_slide(deck, spec, i, kind, lang, fontname)
    for step in spec.steps:
        _step_slides(deck, spec, step, lang)
    if runtime is not None:
        _progress_slides(deck, spec, runtime, lang, fontname)
    out = Path(path)
    deck.prs.save(str(out))
    return out
