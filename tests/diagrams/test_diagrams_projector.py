"""Decks that read on a projector: no text under 12 pt on any slide at 16:9.

A slide of 13.333 × 7.5 in is shown at 1280 × 720 px. Text runs are measured at their size;
the text of a picture at its smallest DOT font size times the picture's scale on the slide:
the test rebuilds each picture from the call its description names, lays it out with
Graphviz itself and divides the picture's width on the slide by the laid-out width.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import attrs
import pytest

import sfd_workflow as sfd
from sfd_workflow import diagrams
from sfd_workflow._spec._builtin import sample_paths

pptx = pytest.importorskip("pptx", reason="the slides extra (python-pptx) is not installed")
pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="Graphviz's dot is not installed (apt-get install graphviz)")

MIN_PT = 12.0
EMU_PER_IN = 914_400
USER_SPEC = Path(__file__).parents[1] / "data" / "good" / "review.yaml"


def _layout_width_in(dot: str, pad: float) -> float:
    """The laid-out width of a DOT graph (Graphviz's `plain` output) plus its margins."""
    plain = subprocess.run(["dot", "-Tplain"], input=dot.encode(), capture_output=True,
                           check=True).stdout.decode()
    scale, width = (float(x) for x in plain.split("\n", 1)[0].split()[1:3])
    return scale * width + 2 * pad


def _rebuild(spec: sfd.Spec, call: dict[str, Any], runtime: Any) -> Any:
    view, lang = call["view"], call["lang"]
    rt = runtime if call.get("runtime") else None
    if view == "machine":
        d = diagrams.machine(spec, call["kind"], lang=lang, guards=call["guards"],
                             phase=call.get("phase"), steps=call.get("steps"),
                             states=call.get("states"), direction=call.get("direction"))
    elif view == "overview":
        d = diagrams.overview(spec, lang=lang, runtime=rt, phases=call.get("phases"))
    elif view == "dependencies":
        d = diagrams.dependencies(spec, lang=lang)
        d = attrs.evolve(d, graph=attrs.evolve(d.graph, direction=call["direction"]))
    else:
        d = diagrams.progress(rt, lang=lang)
    return d.without_title()


def _smallest(spec: sfd.Spec, slide: Any, runtime: Any) -> tuple[float, str]:
    """The smallest text on a slide, in points, and what it is."""
    found: list[tuple[float, str]] = []

    def runs(frame: Any, what: str) -> None:
        for p in frame.paragraphs:
            for r in p.runs:
                if r.text.strip():
                    assert r.font.size is not None, f"{what}: {r.text!r} has no size"
                    found.append((r.font.size.pt, f"{what} {r.text[:30]!r}"))

    for shape in slide.shapes:
        if shape.has_text_frame:
            runs(shape.text_frame, "text")
        if shape.has_table:
            for row in shape.table.rows:
                for cell in row.cells:
                    runs(cell.text_frame, "table")
        if shape.shape_type == pptx.enum.shapes.MSO_SHAPE_TYPE.PICTURE:
            call = json.loads(shape._element.nvPicPr.cNvPr.get("descr"))
            d = _rebuild(spec, call, runtime)
            sizes = [float(x) for x in re.findall(r'(?:fontsize|POINT-SIZE)="([0-9.]+)"', d.dot)]
            scale = shape.width / EMU_PER_IN / _layout_width_in(d.dot, call["pad"])
            found.append((min(sizes) * scale, f"picture {call}"))
    return min(found) if found else (99.0, "")


def _title_fits(slide: Any) -> bool:
    """The title is one line: its width (a Chinese character one em, others about 0.6 em)
    is within its box."""
    title = slide.shapes.title
    if title is None:
        return True
    text = title.text_frame.text
    size = title.text_frame.paragraphs[0].runs[0].font.size.pt
    ems = sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F") else 0.6 for c in text)
    return ems * size <= title.width / EMU_PER_IN * 72


def _check(spec: sfd.Spec, path: Path, runtime: Any = None) -> list[str]:
    problems = []
    for i, slide in enumerate(pptx.Presentation(str(path)).slides, 1):
        size, what = _smallest(spec, slide, runtime)
        title = slide.shapes.title.text if slide.shapes.title is not None else ""
        if size < MIN_PT:
            problems.append(f"slide {i} {title!r}: {size:.1f} pt: {what}")
        if not _title_fits(slide):
            problems.append(f"slide {i} {title!r}: the title wraps")
    return problems


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
def test_the_builtin_deck_reads_on_a_projector(lang: str, tmp_path: Path) -> None:
    """The built-in spec's deck, in each language: every slide ≥ 12 pt, titles on one line."""
    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    path = diagrams.build_deck(spec, tmp_path / "deck.pptx", lang=lang)
    assert _check(spec, path) == []


@pytest.mark.parametrize("lang", ["zh", "both"])
def test_a_users_deck_reads_on_a_projector(lang: str, tmp_path: Path) -> None:
    """A user's spec (tests/data/good/review.yaml) likewise."""
    spec = sfd.load_spec(USER_SPEC)
    path = diagrams.build_deck(spec, tmp_path / "deck.pptx", lang=lang, kind="school")
    assert _check(spec, path) == []


def test_the_progress_slides_read_on_a_projector(tmp_path: Path) -> None:
    """With a runtime (the built-in sample roster and log) the progress slides too."""
    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    roster, events = sample_paths("xuhui-edu-2009")
    assert roster is not None and events is not None
    rt = diagrams.runtime_from_lines(spec, sfd.load_roster(roster, spec),
                                     sfd.read_event_lines(events))
    path = diagrams.build_deck(spec, tmp_path / "deck.pptx", runtime=rt)
    assert _check(spec, path, rt) == []


def test_both_languages_put_the_english_under_the_title(tmp_path: Path) -> None:
    """``both``: the title is Chinese, the English is a subtitle; the machine legend is in
    both languages."""
    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    path = diagrams.build_deck(spec, tmp_path / "deck.pptx", lang="both")
    slide = pptx.Presentation(str(path)).slides[1]
    assert slide.shapes.title.text.startswith("总览")
    assert "Overview" not in slide.shapes.title.text
    assert any(s.has_text_frame and s.text_frame.text.startswith("Overview")
               for s in slide.shapes)
    legend = diagrams.machine(spec, "organ", lang="both", phase="study", guards=False).dot
    assert "初始状态" in legend and "initial state" in legend


def test_a_phase_slide_carries_its_plan(tmp_path: Path) -> None:
    """A phase slide has its window and a table of its steps with who acts and the rules
    that complete each step."""
    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    path = diagrams.build_deck(spec, tmp_path / "deck.pptx")
    slide = next(s for s in pptx.Presentation(str(path)).slides
                 if s.shapes.title is not None and s.shapes.title.text == "第二阶段 分析检查")
    table = next(s.table for s in slide.shapes if s.has_table)
    steps = [table.cell(i, 0).text for i in range(1, len(table.rows))]
    assert steps == [f"{spec.steps.index(s) + 1}. {s.title.get('zh')}"
                     for s in spec.phases[1].steps]
    assert all(table.cell(i, 3).text not in ("", "—") for i in range(1, len(table.rows)))
    text = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert "计划时间" in text and "2009年5月1日" in text
