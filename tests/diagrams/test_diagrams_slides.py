"""The training deck and the `render`/`slides` commands."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sfd_workflow as sfd
from sfd_workflow import diagrams
from sfd_workflow._spec._builtin import sample_paths
from sfd_workflow.cli import main
from sfd_workflow.diagrams._slides import ROWS_PER_STEP_SLIDE

pptx = pytest.importorskip("pptx", reason="the slides extra (python-pptx) is not installed")
pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="Graphviz's dot is not installed (apt-get install graphviz)")

BUILTIN = "builtin:xuhui-edu-2009"
ROSTER, EVENTS = (str(p) for p in sample_paths("xuhui-edu-2009"))


@pytest.fixture(scope="module")
def spec() -> sfd.Spec:
    """The built-in spec."""
    return sfd.load_spec(BUILTIN)


def _expected_titles(spec: sfd.Spec, *, progress: bool,
                     kind: str = "教育局机关党组织") -> list[str]:
    titles = ["", "总览", "环节依赖与关键路径", "时间安排"]
    for phase in ("第一阶段 学习调研", "第二阶段 分析检查", "第三阶段 整改落实"):
        titles += [phase, f"{phase}：{kind}状态机"]
    for i, step in enumerate(spec.steps, 1):
        pages = max(1, math.ceil(len(step.transitions) / ROWS_PER_STEP_SLIDE))
        titles += [f"{i}. {step.title.get('zh')}" + ("（续）" if k else "") for k in range(pages)]
    if progress:
        titles += ["各环节单位数", "各单位进度", "进度统计"]
    return titles


def _titles(path: Path) -> list[str]:
    deck = pptx.Presentation(str(path))
    return [s.shapes.title.text if s.shapes.title is not None else "" for s in deck.slides]


@pytest.fixture(scope="module")
def deck(spec: sfd.Spec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deck with progress slides from the sample roster and log."""
    rt = diagrams.runtime_from_lines(spec, sfd.load_roster(ROSTER, spec),
                                     sfd.read_event_lines(EVENTS))
    return diagrams.build_deck(spec, tmp_path_factory.mktemp("deck") / "deck.pptx", runtime=rt)


def test_deck_has_title_overview_timeline_phases_steps_and_progress(
    spec: sfd.Spec, deck: Path
) -> None:
    """Slide titles, in order: each phase is followed by its steps' state machine (of the
    first kind that skips no step: the organ); a step with more than five transitions
    continues (续)."""
    assert _titles(deck) == _expected_titles(spec, progress=True)
    assert len(_titles(deck)) == 23  # 4 + 3 phases × 2 + 2+1+1+2+1+3 step slides + 3


def test_machine_slides_show_the_chosen_kind_in_one_picture_each(
    spec: sfd.Spec, tmp_path: Path
) -> None:
    """`kind="school"`: the machine slides name the school; each holds one picture, the
    phase's machine without its own title, as wide as the slide allows."""
    path = diagrams.build_deck(spec, tmp_path / "school.pptx", kind="school")
    assert _titles(path) == _expected_titles(spec, progress=False, kind="学校党组织")
    slides = list(pptx.Presentation(str(path)).slides)
    for slide in slides[5:10:2]:
        pictures = [sh for sh in slide.shapes if sh.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert len(pictures) == 1
        assert pictures[0].width > pptx.util.Inches(9)
    with pytest.raises(ValueError, match="unknown unit kind 'shcool'"):
        diagrams.build_deck(spec, tmp_path / "x.pptx", kind="shcool")


def test_step_slide_says_who_outputs_guards_deadline_and_requirement_ids(deck: Path) -> None:
    """The report step's slide names the secretary, the guard in words, the due date and
    R14 (the secretary chairs the drafting)."""
    slides = list(pptx.Presentation(str(deck)).slides)
    step4 = next(s for s in slides if s.shapes.title is not None
                 and s.shapes.title.text == "4. 分析检查报告")
    text = "\n".join(
        shape.text_frame.text for shape in step4.shapes if shape.has_text_frame
    )
    cells = "\n".join(c.text for shape in step4.shapes if shape.has_table
                      for row in shape.table.rows for c in row.cells)
    assert "谁来办：" in text and "党组织书记" in text
    assert "最后期限：2009年6月30日" in text
    assert re.search(r"依据的要求：.*R14", text)
    assert "书记提交分析检查报告稿" in cells
    assert "党组织书记；已有参与起草分析检查报告" in cells


def test_every_run_names_the_cjk_font_for_east_asian_text(deck: Path) -> None:
    """PowerPoint and LibreOffice pick the East Asian font from `a:ea`: we set it."""
    xml = pptx.Presentation(str(deck)).slides[4].shapes[1]._element.xml  # a phase slide
    assert 'typeface="WenQuanYi Micro Hei"' in xml
    assert "<a:ea " in xml


def test_english_deck_has_english_titles(spec: sfd.Spec, tmp_path: Path) -> None:
    """`lang="en"`: titles and the timeline in English; no progress slides without a runtime."""
    path = diagrams.build_deck(spec, tmp_path / "en.pptx", lang="en")
    titles = _titles(path)
    assert titles[1:4] == ["Overview", "Dependencies and critical path", "Timeline"]
    assert titles[4] == "Phase 1: Study and research"
    assert titles[5] == ("Phase 1: Study and research: state machine of a "
                         "Education Bureau organ")
    assert titles[-1].startswith("6. Solve prominent problems")


def test_libreoffice_converts_the_deck_to_a_pdf_with_one_page_per_slide(
    deck: Path, tmp_path: Path
) -> None:
    """`soffice --headless --convert-to pdf` reads our pptx: as many pages as slides.

    Skipped when LibreOffice is absent, except in CI (`.ci/run` installs it and sets
    SFD_REQUIRE_SOFFICE=1, so a missing soffice there is a failure)."""
    if shutil.which("soffice") is None:
        if os.environ.get("SFD_REQUIRE_SOFFICE") == "1":
            pytest.fail("SFD_REQUIRE_SOFFICE=1 but soffice is not on PATH")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-impress); "
                    "CI installs it")
    done = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(deck)],
        capture_output=True, text=True, timeout=300, check=False)
    pdf = tmp_path / "deck.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))
    assert pages == len(pptx.Presentation(str(deck)).slides)


def test_render_command_writes_each_format(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`render` infers the format from the suffix and says what it wrote."""
    for name in ("o.svg", "o.png", "o.pdf", "o.dot", "o.mmd"):
        assert main(["render", BUILTIN, "--view", "dependencies", "-o",
                     str(tmp_path / name)]) == 0
        assert (tmp_path / name).stat().st_size > 0
    assert "wrote" in capsys.readouterr().err
    assert main(["render", BUILTIN, "--view", "unit", "--roster", ROSTER, "--events", EVENTS,
                 "--unit", "xh-ms-01", "--lang", "both", "-o", str(tmp_path / "u.dot")]) == 0
    assert "xh-ms-01" in (tmp_path / "u.dot").read_text(encoding="utf-8")


def test_render_command_writes_dot_to_standard_output(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    """`-o -` with `--format` writes the text to standard output."""
    assert main(["render", BUILTIN, "--view", "machine", "--kind", "school",
                 "--format", "dot", "-o", "-"]) == 0
    assert capsysbinary.readouterr().out.startswith(b'digraph "xuhui-edu-2009-machine-school"')


def test_render_command_draws_one_phase_or_chosen_steps_of_a_machine(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    """`--phase` and `--step` (repeatable) pick the steps of the machine view."""
    assert main(["render", BUILTIN, "--view", "machine", "--kind", "school", "--phase",
                 "analysis", "--format", "dot", "-o", "-"]) == 0
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert out.startswith('digraph "xuhui-edu-2009-machine-school-analysis"')
    assert "cluster_step_report" in out and "cluster_step_plan" not in out
    assert main(["render", BUILTIN, "--view", "machine", "--kind", "school", "--step", "plan",
                 "--step", "report", "--format", "dot", "-o", "-"]) == 0
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert out.startswith('digraph "xuhui-edu-2009-machine-school-report-plan"')
    assert "（环节4、5）" in out


@pytest.mark.parametrize(("args", "message"), [  # each case pins one message
    (["--view", "machine"], "--view machine needs --kind: one of organ, institution, school"),
    (["--view", "machine", "--kind", "shcool"], "unknown unit kind 'shcool'"),
    (["--view", "progress"], "--view progress needs --roster R --events E"),
    (["--view", "unit", "--roster", ROSTER], "--roster and --events go together"),
    (["--view", "unit", "--roster", ROSTER, "--events", EVENTS, "--unit", "nope"],
     "unknown unit 'nope'"),
    (["--phase", "study"], "--phase and --step go with --view machine"),
    (["--view", "machine", "--kind", "school", "--phase", "nope"], "unknown phase 'nope'"),
    (["--view", "machine", "--kind", "school", "--step", "nope"], "unknown step 'nope'"),
    (["-o", "out.jpeg"], "cannot tell the format of 'out.jpeg'"),
    (["-o", "-"], "writing to standard output needs --format"),
])
def test_render_command_errors_are_one_line_with_status_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every misuse exits 2 with one line on standard error, never a traceback."""
    out = [] if "-o" in args else ["-o", str(tmp_path / "x.svg")]
    assert main(["render", BUILTIN, *args, *out]) == 2
    assert not (tmp_path / "x.svg").exists()
    err = capsys.readouterr().err
    assert err.startswith("sfd-workflow: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_render_command_reports_a_bad_spec_file(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A spec that does not exist is the loader's one-line error."""
    assert main(["render", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "x.svg")]) == 2
    assert "none.yaml" in capsys.readouterr().err


def test_slides_command_writes_a_deck_in_a_subprocess(tmp_path: Path) -> None:
    """The installed entry point: `python -m sfd_workflow slides … -o deck.pptx`."""
    out = tmp_path / "deck.pptx"
    done = subprocess.run(
        [sys.executable, "-m", "sfd_workflow", "slides", BUILTIN, "-o", str(out),
         "--roster", ROSTER, "--events", EVENTS, "--lang", "both", "--kind", "school"],
        capture_output=True, text=True, check=False,
        env={**os.environ,
             "PYTHONPATH": str(Path(sfd.__file__).parent.parent)},
    )
    assert done.returncode == 0, done.stderr
    assert "(23 slides)" in done.stderr
    slides = pptx.Presentation(str(out)).slides
    assert len(slides) == 23
    assert slides[5].shapes.title.text == ("第一阶段 学习调研：学校党组织状态机 / "
                                           "state machine of a School")
