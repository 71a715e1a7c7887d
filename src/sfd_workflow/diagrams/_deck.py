"""A thin helper over a python-pptx presentation: our fonts, one-line titles, pictures that
read on a projector.

"Reads on a projector" is measured: at 16:9 (13.333 × 7.5 in, shown at 1280 × 720 px) no
text is smaller than `MIN_PT` points. A text run is written at its size; a picture's text
is at its DOT font size times the picture's scale on the slide (slide inches per layout
inch), so `picture_scale` says before drawing whether a picture can be shown readably.
"""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from sfd_workflow._extras import require
from sfd_workflow.diagrams._diagram import Diagram
from sfd_workflow.diagrams._render import (
    layout_size_inches,
    rasterise,
    smallest_font_pt,
    with_pad,
)

__all__ = ["MIN_PT", "SLIDE_H_IN", "SLIDE_W_IN", "Deck", "rgb"]

SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5
MIN_PT = 12  # the smallest text on any slide
TITLE_PT, SUBTITLE_PT, SMALLEST_TITLE_PT = 28, 16, 16
PICTURE_PAD_IN = 0.05  # the slide has its own margins: the picture's can be thin
_MARGIN_IN = 0.15


def rgb(hex_colour: str) -> Any:
    """A python-pptx colour from ``RRGGBB``."""
    return _pptx_part("pptx.dml.color").RGBColor.from_string(hex_colour)


def _pptx() -> Any:
    return _pptx_part("pptx")


def _pptx_part(module: str) -> Any:
    """`module` of python-pptx through the gate (the ``slides`` extra)."""
    return require(module, feature="building slides", extra="slides", package="python-pptx")


def _ems(text: str) -> float:
    """The width of `text` in ems, generously: a Chinese character is one em, others 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F") else 0.6 for c in text)


class Deck:
    """A 16:9 presentation with our fonts and positions."""

    def __init__(self, fontname: str) -> None:
        self.pptx = _pptx()
        util = _pptx_part("pptx.util")
        Inches = util.Inches
        self.Emu, self.Inches, self.Pt = util.Emu, Inches, util.Pt
        self.prs = self.pptx.Presentation()
        self.prs.slide_width = Inches(SLIDE_W_IN)
        self.prs.slide_height = Inches(SLIDE_H_IN)
        self.font = fontname
        self.cache: dict[str, tuple[float, float, float]] = {}

    def style_run(self, run: Any, size: float, *, bold: bool = False,
                  colour: str | None = None) -> None:
        """Size, weight, colour and the CJK font (``a:ea``) of one text run."""
        qn = _pptx_part("pptx.oxml.ns").qn
        run.font.size = self.Pt(size)
        run.font.bold = bold
        run.font.name = self.font
        if colour is not None:
            run.font.color.rgb = rgb(colour)
        rpr = run._r.get_or_add_rPr()  # python-pptx has no East Asian font API
        for tag in ("a:ea", "a:cs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = rpr.makeelement(qn(tag), {})
                rpr.append(el)
            el.set("typeface", self.font)

    def slide(self, title: str, subtitle: str = "") -> Any:
        """A slide with `title` on one line (its size lowered, not below 16 pt, to fit) and
        an optional `subtitle` under it (the English of a ``both`` deck); the content
        starts at `content_top`."""
        layout = self.prs.slide_layouts[5]  # "Title Only": a real title placeholder
        slide = self.prs.slides.add_slide(layout)
        width = SLIDE_W_IN - 1
        size = max(SMALLEST_TITLE_PT, min(TITLE_PT, int(width * 72 / max(_ems(title), 1))))
        t = slide.shapes.title
        t.left, t.top = self.Inches(0.5), self.Inches(0.2)
        t.width, t.height = self.Inches(width), self.Inches(0.6)
        t.text_frame.text = title
        t.text_frame.word_wrap = True
        for p in t.text_frame.paragraphs:
            p.alignment = self.pptx.enum.text.PP_ALIGN.LEFT
            for r in p.runs:
                self.style_run(r, size, bold=True, colour="1F3864")
        self.content_top = 0.9
        if subtitle:
            sub = self.text(slide, 0.5, 0.78, width, 0.4, [(subtitle, SUBTITLE_PT, False)])
            sub.text_frame.word_wrap = False
            self.content_top = 1.2
        return slide

    @staticmethod
    def fits_one_line(title: str) -> bool:
        """True when `title` fits one line at the smallest title size."""
        return _ems(title) * SMALLEST_TITLE_PT <= (SLIDE_W_IN - 1) * 72

    def slide_in(self, zh: str, en: str, lang: str) -> Any:
        """A slide titled in `lang`: with ``both`` the Chinese is the title and the English
        its subtitle, so that neither wraps."""
        if lang == "both":
            return self.slide(zh, en)
        return self.slide(en if lang == "en" else zh)

    def text(self, slide: Any, left: float, top: float, width: float, height: float,
             paragraphs: Sequence[tuple[str, float, bool]]) -> Any:
        """A text box of paragraphs ``(text, size, bold)``."""
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

    def _measure(self, diagram: Diagram) -> tuple[float, float, float]:
        """(width, height in inches with the thin pad, smallest font in points)."""
        key = diagram.dot
        if key not in self.cache:
            w, h = layout_size_inches(diagram.dot)
            self.cache[key] = (w + 2 * PICTURE_PAD_IN, h + 2 * PICTURE_PAD_IN,
                               smallest_font_pt(diagram.dot))
        return self.cache[key]

    def _area(self, top: float) -> tuple[float, float]:
        return SLIDE_W_IN - 2 * _MARGIN_IN, SLIDE_H_IN - top - 0.1

    def picture_text_pt(self, diagram: Diagram, top: float) -> float:
        """The size its smallest text would have on a slide, the picture scaled to fit
        below `top`."""
        w, h, smallest = self._measure(diagram)
        max_w, max_h = self._area(top)
        return smallest * min(max_w / w, max_h / h, 1.6)

    def picture(self, slide: Any, diagram: Diagram, source: Mapping[str, Any],
                top: float | None = None) -> float:
        """Draw `diagram` scaled to fit below `top` (not above 1.6 ×); `source` (the call
        that makes it) goes in the picture's description, so that a test can measure it.
        Returns the size of its smallest text on the slide."""
        top = self.content_top if top is None else top
        w, h, smallest = self._measure(diagram)
        max_w, max_h = self._area(top)
        scale = min(max_w / w, max_h / h, 1.6)
        png = rasterise(with_pad(diagram.dot, PICTURE_PAD_IN), "png",
                        fontname=diagram.graph.fontname, width_px=1920)
        shape = slide.shapes.add_picture(
            io.BytesIO(png), self.Inches((SLIDE_W_IN - w * scale) / 2), self.Inches(top),
            self.Inches(w * scale), self.Inches(h * scale))
        shape._element.nvPicPr.cNvPr.set(
            "descr", json.dumps({**source, "pad": PICTURE_PAD_IN}, ensure_ascii=False))
        return smallest * scale

    def table(self, slide: Any, rows: Sequence[Sequence[str]], widths: Sequence[float],
              top: float, size: float = MIN_PT) -> None:
        """A table; the first row is the heading (bold)."""
        Inches = _pptx_part("pptx.util").Inches
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
