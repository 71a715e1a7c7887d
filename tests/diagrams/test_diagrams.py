"""Diagrams: views, words, DOT/Mermaid text, snapshots of the built-in spec, rendering."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import sfd_workflow as sfd
from sfd_workflow import diagrams
from sfd_workflow._spec._builtin import sample_paths
from sfd_workflow.diagrams._labels import wrap
from sfd_workflow.errors import MissingToolError, UnknownUnitError
from support.diagram_geometry import layout, overlaps

HERE = Path(__file__).parent
SNAPSHOTS = HERE / "snapshots"
DATA = HERE.parent / "data" / "good"
BUILTIN = "builtin:xuhui-edu-2009"
UPDATE = os.environ.get("SFD_UPDATE_SNAPSHOTS") == "1"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


@pytest.fixture(scope="module")
def spec() -> sfd.Spec:
    """The built-in spec."""
    return sfd.load_spec(BUILTIN)


@pytest.fixture(scope="module")
def sample_rt(spec: sfd.Spec) -> object:
    """A runtime that judged the built-in sample event log."""
    roster_path, events_path = sample_paths("xuhui-edu-2009")
    assert roster_path is not None and events_path is not None
    roster = sfd.load_roster(roster_path, spec)
    return diagrams.runtime_from_lines(spec, roster, sfd.read_event_lines(events_path))


@pytest.fixture(scope="module")
def small_rt(spec: sfd.Spec) -> object:
    """A runtime over the small diagram roster: one school late, others barely started."""
    roster = sfd.load_roster(DATA / "diagrams-roster.yaml", spec)
    lines = sfd.read_event_lines(DATA / "diagrams-events.jsonl")
    return diagrams.runtime_from_lines(spec, roster, lines)


def _views(spec: sfd.Spec, sample_rt: object) -> dict[str, diagrams.Diagram]:
    return {
        "overview": diagrams.overview(spec),
        "overview-both": diagrams.overview(spec, lang="both"),
        "overview-cohort": diagrams.overview(spec, runtime=sample_rt),
        "machine-school": diagrams.machine(spec, "school"),
        "machine-retired_branch-en": diagrams.machine(spec, "retired_branch", lang="en"),
        "dependencies": diagrams.dependencies(spec),
        "unit-xh-ms-01": diagrams.unit(sample_rt, "xh-ms-01"),
        "unit-xh-ps-01-en": diagrams.unit(sample_rt, "xh-ps-01", lang="en"),
        "progress": diagrams.progress(sample_rt),
    }


SNAPSHOT_NAMES = ["overview", "overview-both", "overview-cohort", "machine-school",
                  "machine-retired_branch-en", "dependencies", "unit-xh-ms-01",
                  "unit-xh-ps-01-en", "progress"]


@pytest.mark.parametrize("name", SNAPSHOT_NAMES)
def test_dot_of_each_view_of_the_builtin_spec_matches_its_snapshot(
    spec: sfd.Spec, sample_rt: object, name: str
) -> None:
    """Each view's DOT text is byte-for-byte the committed snapshot (SFD_UPDATE_SNAPSHOTS=1
    rewrites them after a deliberate change; review the diff and the pictures)."""
    dot = _views(spec, sample_rt)[name].dot
    path = SNAPSHOTS / f"{name}.dot"
    if UPDATE:
        path.write_text(dot, encoding="utf-8")
    assert dot == path.read_text(encoding="utf-8")


@needs_dot
@pytest.mark.parametrize("name", SNAPSHOT_NAMES)
def test_every_snapshot_parses_with_dot(name: str) -> None:
    """Graphviz accepts every snapshot: `dot -Tcanon` exits 0 with nothing on stderr."""
    done = subprocess.run(["dot", "-Tcanon", str(SNAPSHOTS / f"{name}.dot")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_dot_text_is_the_same_for_a_reloaded_spec(spec: sfd.Spec) -> None:
    """Ids and order come from the spec, not from memory addresses or set order."""
    again = sfd.load_spec(BUILTIN)
    assert diagrams.machine(again, "school").dot == diagrams.machine(spec, "school").dot
    assert diagrams.overview(again).mermaid == diagrams.overview(spec).mermaid


def test_overview_has_numbered_phases_windows_steps_roles_and_dependencies(
    spec: sfd.Spec,
) -> None:
    """Phases are clusters titled 第一阶段…; steps are numbered 1–6 with their acting roles;
    every `after` is an edge and phases are kept in order by invisible edges."""
    g = diagrams.overview(spec).graph
    assert [c.label[0].text for c in g.clusters] == [
        "第一阶段 学习调研", "第二阶段 分析检查", "第三阶段 整改落实"]
    assert g.clusters[0].label[1].text == "2009年3月1日–2009年4月30日"
    steps = [n for n in g.nodes if n.kind == "step"]
    assert [n.label[0].text for n in steps][:2] == ["1. 开展学习调研", "2. 解放思想讨论"]
    after = {(e.source, e.target) for e in g.edges if e.kind == "after"}
    assert ("step_study_research", "step_discussion") in after
    assert not any(t == "step_solve" for _, t in after)  # 边学边改: open from the start
    solve = next(n for n in steps if n.id == "step_solve")
    assert any("自始开启" in x.text for x in solve.label)
    assert any(e.kind == "order" and e.target == "step_solve" for e in g.edges)


def test_machine_lists_self_loops_inside_states_and_draws_state_changes(
    spec: sfd.Spec,
) -> None:
    """A self-loop event (↻) is written in its state; a state change is an edge whose label
    has the event title, the guard in words, the record and the due date."""
    g = diagrams.machine(spec, "school").graph
    studying = next(n for n in g.nodes if n.id == "state_study_research_studying")
    assert any(x.text == "↻ 确定重点调研课题" for x in studying.label)
    approve = next(e for e in g.edges
                   if (e.source, e.target) == ("state_report_evaluating", "state_report_approved"))
    texts = [x.text for x in approve.label]
    assert texts[0] == "通过分析检查报告"
    assert "过半数党员评议" in texts
    assert "期限：2009年6月30日" in texts
    assert all(e.source != e.target for e in g.edges)


def test_send_back_arrow_is_drawn_reversed_with_its_label_in_a_node_of_its_own(
    spec: sfd.Spec,
) -> None:
    """退回修改 (evaluating → drafting) closes a cycle: it is the only back edge of the built-in
    spec; in DOT it is drawn drafting ← label node ← evaluating (``dir=back``), so the
    line ends at the label instead of running through it; Mermaid keeps one labelled edge."""
    from sfd_workflow.diagrams._machine import back_edges

    assert {s.id: sorted(back_edges(s)) for s in spec.steps if back_edges(s)} == {
        "report": [("evaluating", "drafting")]}
    d = diagrams.machine(spec, "school")
    back = [e for e in d.graph.edges if e.back]
    assert [(e.source, e.target) for e in back] == [
        ("state_report_evaluating", "state_report_drafting")]
    node = "state_report_evaluating__back__state_report_drafting"
    assert f'"state_report_drafting" -> "{node}" [dir="back"]' in d.dot
    assert f'"{node}" -> "state_report_evaluating" [arrowhead="none"]' in d.dot
    assert f'"{node}" [label=<<B>退回修改</B>' in d.dot
    assert '"state_report_evaluating" -> "state_report_drafting"' not in d.dot
    assert "state_report_evaluating -->|\"<small><b>退回修改</b></small>" in d.mermaid


@needs_dot
@pytest.mark.parametrize("kind", ["school", "organ", "joint_branch", "retired_branch"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_line_of_a_machine_crosses_a_text_and_no_texts_overlap(
    spec: sfd.Spec, kind: str, lang: str
) -> None:
    """From dot's own layout (`-Tjson`): every edge line keeps clear of every text (labels,
    states, step headings) and no two texts overlap. Before labels were padded and the
    send-back edge got its label node, the school machine failed this check 15 times."""
    assert overlaps(diagrams.machine(spec, kind, lang=lang).dot) == []


@needs_dot
def test_no_line_of_the_overview_or_dependencies_crosses_a_text(spec: sfd.Spec) -> None:
    """The same check on the views drawn left to right."""
    assert overlaps(diagrams.overview(spec, lang="both").dot) == []
    assert overlaps(diagrams.dependencies(spec).dot) == []


@pytest.mark.parametrize("phase", ["study", "analysis", "rectification"])
def test_machine_of_one_phase_shows_its_steps_left_to_right(spec: sfd.Spec, phase: str) -> None:
    """`phase=` keeps that phase's steps only, stacked and flowing left to right, every
    edge label a node on its line; the title names the phase."""
    d = diagrams.machine(spec, "school", phase=phase)
    g = d.graph
    wanted = [s.id for p in spec.phases if p.id == phase for s in p.steps]
    assert [c.id for c in reversed(g.clusters)] == [f"step_{x}" for x in wanted]
    assert g.direction == "LR" and g.label_nodes
    assert {n.cluster for n in g.nodes} == {f"step_{x}" for x in wanted}
    number = "一二三"[[p.id for p in spec.phases].index(phase)]
    heading = next(p for p in spec.phases if p.id == phase).title.get("zh")
    assert g.title[0].text.endswith(f"学校党组织状态机（第{number}阶段 {heading}）")
    assert g.name == f"xuhui-edu-2009-machine-school-{phase}"
    assert "__via__" in d.dot


def test_machine_of_chosen_steps_and_bad_selections(spec: sfd.Spec) -> None:
    """`steps=` picks steps; an unknown phase or step names the known ones."""
    g = diagrams.machine(spec, "organ", steps=["plan", "report"], lang="en").graph
    assert [c.id for c in g.clusters] == ["step_plan", "step_report"]  # LR: written last first
    assert g.title[0].text.endswith("state machine of a Education Bureau organ (steps 4, 5)")
    assert diagrams.machine(spec, "organ", steps=["plan"], direction="TB").graph.direction == "TB"
    with pytest.raises(ValueError, match=r"unknown phase 'nope'.*study, analysis, rectification"):
        diagrams.machine(spec, "school", phase="nope")
    with pytest.raises(ValueError, match=r"unknown step 'nope'.*study_research"):
        diagrams.machine(spec, "school", steps=["nope"])
    with pytest.raises(ValueError, match=r"no step of phase 'study'"):
        diagrams.machine(spec, "school", phase="study", steps=["plan"])
    with pytest.raises(ValueError, match="unknown direction 'up'"):
        diagrams.machine(spec, "school", direction="up")


@needs_dot
@pytest.mark.parametrize("phase", ["study", "analysis", "rectification"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_machine_of_a_phase_fits_a_slide_with_nothing_overlapping(
    spec: sfd.Spec, phase: str, lang: str
) -> None:
    """Without its title (the slide has one), a phase's machine fits the picture area of a
    16:9 slide at 1920 px (1829 × 878 px) with text at least 0.95 px per point: 11 pt
    text is 10.5 px or more. No line crosses a text, no texts overlap."""
    d = diagrams.machine(spec, "school", phase=phase, lang=lang).without_title()
    js = layout(d.dot)
    x0, y0, x1, y1 = (float(v) for v in js["bb"].split(","))
    scale = min(1829 / (x1 - x0), 878 / (y1 - y0))
    assert scale >= 0.95
    assert overlaps(d.dot) == []


def test_machine_of_a_kind_applies_its_role_map_and_marks_skipped_steps(
    spec: sfd.Spec,
) -> None:
    """In a joint branch a committee guard accepts members too (R18); a retired cadres'
    branch shows its skipped steps dashed and marked (R24)."""
    joint = diagrams.machine(spec, "joint_branch").dot
    assert "支委（党组织委员）或党员" in joint
    retired = diagrams.machine(spec, "retired_branch", lang="en").graph
    report = next(c for c in retired.clusters if c.id == "step_report")
    assert report.style.get("style") == "rounded,dashed"
    assert any(x.text == "skipped for this kind" for x in report.label)


def test_machine_of_an_unknown_kind_names_the_known_kinds(spec: sfd.Spec) -> None:
    """A typo in the kind is a ValueError listing the kinds of the spec."""
    with pytest.raises(ValueError, match=r"unknown unit kind 'shcool'.*school"):
        diagrams.machine(spec, "shcool")


def test_guard_words_read_like_the_campaign_documents() -> None:
    """Role titles come from `roles`, record titles from `records`; a quorum whose record
    title starts with the role reads "过半数党员评议"; keys follow the §4 order."""
    doc = {
        "format": "sfd-workflow/1", "id": "words",
        "title": {"zh": "词", "en": "Words"},
        "roles": {"secretary": {"zh": "书记", "en": "Secretary"},
                  "member": {"zh": "党员", "en": "Party member"},
                  "masses_rep": {"zh": "群众代表", "en": "Representative of the masses"}},
        "records": {"member_review": {"zh": "党员评议", "en": "member review"},
                    "mass_review": {"zh": "群众评议", "en": "mass review"}},
        "unit_kinds": {"school": {"title": "School"}},
        "phases": [{"id": "p", "title": "P", "steps": [{
            "id": "s", "title": "S", "states": ["a", "b"],
            "transitions": [
                {"event": "m", "from": "a", "to": "a", "guard": {"role": "member"},
                 "records": "member_review"},
                {"event": "r", "from": "a", "to": "a", "guard": {"role": "masses_rep"},
                 "records": "mass_review"},
                {"event": "go", "from": "a", "to": "b", "guard": {
                    "role": "secretary", "has": ["mass_review"],
                    "quorum": {"record": "member_review", "role": "member",
                               "at_least": "majority"}}},
            ]}]}],
    }
    s = sfd.spec_from_document(doc)
    go = s.step_by_id["s"].transitions[2]
    assert diagrams.guard_words(go, s, "zh") == "书记；已有群众评议；过半数党员评议"
    assert diagrams.guard_words(go, s, "en") == (
        "Secretary; has mass review; member review from a majority of Party members")
    both = diagrams.guard_words(go, s, "both").split("\n")
    assert both == ["书记；已有群众评议；过半数党员评议",
                    "Secretary; has mass review; member review from a majority of Party members"]
    assert diagrams.guard_words(sfd.Guard(), s) == ""


def test_guard_words_cover_every_guard_key(spec: sfd.Spec) -> None:
    """not_before, once_per_actor, fields, per_person, children and custom all have words."""
    g = sfd.Guard(not_before=__import__("datetime").date(2009, 5, 1), once_per_actor=True,
                  fields=("summary",), per_person=sfd.PerPerson(
                      record="study_hours", field="hours", role="member", at_least=48.0),
                  children=("plan",), custom=("budget_ok",))
    zh = diagrams.guard_phrases(g, spec, "zh", records="speaking_outline")
    assert zh == ("2009年5月1日起", "每人限一次个人发言提纲", "需填写总结",
                  "每名党员的集中活动时间中学时累计≥48", "下级组织均已完成整改落实方案",
                  "自定义条件budget_ok")
    en = diagrams.guard_phrases(g, spec, "en")
    assert en[0] == "from 2009-05-01" and en[1] == "once per person"


@pytest.mark.parametrize("text", [
    "党组织书记或支委（党组织委员）或党员领导干部或党员校长或非党员领导干部；需填写channel、opinions_count、topics",
    "Party organisation secretary or Committee member; fills in criticism_and_self_criticism",
    "短",
])
def test_wrapped_lines_fit_and_never_start_with_punctuation(text: str) -> None:
    """No line is wider than asked (a Chinese character counts 2, one trailing mark may
    overhang) and none starts with 、，；; nothing is lost."""
    lines = wrap(text, 30)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        width = sum(2 if ord(c) > 0x2E80 else 1 for c in line)
        assert width <= 32
        assert line[:1] not in "、，；:;,"


def test_critical_path_by_planned_days_follows_the_binding_dates(spec: sfd.Spec) -> None:
    """By days the chain 1→5 (ending 2009-07-10, 132 planned days from 2009-03-01) outweighs
    step 6, which starts with its window on 2009-06-01 (92 days)."""
    assert diagrams.critical_path(spec, weight="days") == (
        "study_research", "discussion", "life_meetings", "report", "plan")
    w = diagrams.step_weights(spec, "days")
    assert sum(w[s] for s in ("study_research", "discussion", "life_meetings", "report",
                              "plan")) == 132
    assert w["solve"] == 92


def test_critical_path_by_events_counts_the_fewest_events_per_step(spec: sfd.Spec) -> None:
    """By events a step weighs its shortest run from initial to final state: step 6 needs
    five (start, summary, notify, satisfaction, archive); the 1→5 chain needs 2+2+2+3+1 = 10."""
    w = diagrams.step_weights(spec, "events")
    assert w == {"study_research": 2, "discussion": 2, "life_meetings": 2, "report": 3,
                 "plan": 1, "solve": 5}
    assert diagrams.critical_path(spec, weight="events") == (
        "study_research", "discussion", "life_meetings", "report", "plan")


def test_dependencies_view_marks_the_critical_path_in_red(spec: sfd.Spec) -> None:
    """Edges on the path are `critical` and thick red; the title says which weight."""
    g = diagrams.dependencies(spec).graph
    critical = [(e.source, e.target) for e in g.edges if e.kind == "critical"]
    assert len(critical) == 4
    assert "按计划天数" in g.title[0].text
    assert diagrams.dependencies(spec, weight="events").graph.title[0].text.endswith(
        "按最少事件数）")


def test_unit_view_shows_done_active_blocked_late_and_what_is_missing(
    small_rt: object,
) -> None:
    """School 1 finished step 1 late (report after 2009-04-15), discusses now, and its
    step 3 waits for step 2; the active step says what it still needs."""
    p = diagrams.unit_progress(small_rt, "xh-ps-01")
    s1, s2, s3 = (p.steps[k] for k in ("study_research", "discussion", "life_meetings"))
    assert (s1.status, s1.late) == ("done", True)
    assert (s2.status, s2.state) == ("active", "discussing")
    assert any("讨论发言" in zh for zh, _ in s2.needs)
    assert (s3.status, s3.waiting_for) == ("blocked", ("discussion",))
    node = next(n for n in diagrams.unit(small_rt, "xh-ps-01").graph.nodes
                if n.id == "step_study_research")
    assert node.style.get("color") == "#d62728"


def test_unit_view_of_an_unknown_unit_raises_the_core_error(small_rt: object) -> None:
    """An unknown unit id is the core's UnknownUnitError, not a KeyError of ours."""
    with pytest.raises(UnknownUnitError, match="nope"):
        diagrams.unit(small_rt, "nope")


def test_retired_branch_skips_three_steps_and_cohort_counts_add_up(small_rt: object) -> None:
    """R24: three steps do not apply; every unit is counted once in every step."""
    progress = diagrams.all_progress(small_rt)
    retired = progress["xh-retired-01"]
    assert retired.applicable == 3
    assert [k for k, s in retired.steps.items() if s.status == "skipped"] == [
        "life_meetings", "report", "plan"]
    counts = diagrams.cohort_counts(progress.values())
    assert all(sum(c.values()) == len(progress) for c in counts.values())
    assert counts["study_research"] == {"active": 5, "done": 1, "waiting": 0, "skipped": 0}


def test_progress_view_hangs_parentless_units_under_the_district(small_rt: object) -> None:
    """The hierarchy of `unit_graph` plus one district root; started units are yellow."""
    g = diagrams.progress(small_rt).graph
    edges = {(e.source, e.target) for e in g.edges}
    assert ("district", "unit_xh_gb_primary") in edges
    assert ("unit_xh_gb_primary", "unit_xh_ps_01") in edges
    fills = {n.id: n.style.get("fillcolor") for n in g.nodes}
    assert fills["unit_xh_ps_01"] == "#fff2a8"
    assert fills["unit_xh_ps_02"] == "#fff2a8"
    assert fills["unit_xh_organ"] == "#e3e3e3"


def test_mermaid_text_has_subgraphs_classes_and_invisible_order_links(spec: sfd.Spec) -> None:
    """Clusters become subgraphs, styles classDef lines, invisible edges `~~~`."""
    text = diagrams.overview(spec).mermaid
    assert text.splitlines()[3] == "flowchart LR"
    assert 'subgraph phase_study["<b>第一阶段 学习调研</b>' in text
    assert "step_study_research --> step_discussion" in text
    assert "~~~" in text


@needs_dot
def test_png_is_1920_pixels_wide_and_svg_shows_in_jupyter(spec: sfd.Spec) -> None:
    """PNG is drawn at slide width; `_repr_svg_`/`_repr_html_` give the inline SVG."""
    d = diagrams.overview(spec)
    png = d.render("png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == diagrams.SLIDE_WIDTH_PX
    svg = d._repr_svg_()
    assert svg is not None and "<svg" in svg and "开展学习调研" in svg
    assert d._repr_html_().startswith('<div style="max-width:100%')
    assert d.render("pdf")[:5] == b"%PDF-"


@needs_dot
def test_saving_takes_the_format_from_the_suffix(spec: sfd.Spec, tmp_path: Path) -> None:
    """`.svg`, `.dot` and `.mmd` are recognised; an unknown suffix names the known ones."""
    d = diagrams.dependencies(spec, lang="en")
    assert d.save(tmp_path / "d.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert d.save(tmp_path / "d.dot").read_text(encoding="utf-8") == d.dot
    assert d.save(tmp_path / "d.mmd").read_text(encoding="utf-8") == d.mermaid
    with pytest.raises(ValueError, match=r"\.svg"):
        d.save(tmp_path / "d.jpeg")


def test_a_missing_cjk_font_names_the_debian_package(spec: sfd.Spec) -> None:
    """Without the font Graphviz would draw boxes: we refuse, naming fonts-wqy-microhei."""
    if shutil.which("dot") is None or shutil.which("fc-list") is None:
        pytest.skip("needs dot and fontconfig to get as far as the font check")
    d = diagrams.overview(spec, fontname="No Such CJK Font")
    with pytest.raises(MissingToolError, match="apt-get install fonts-wqy-microhei") as info:
        d.render("png")
    assert info.value.package == "fonts-wqy-microhei"
    assert d._repr_svg_() is None
    assert "fonts-wqy-microhei" in d._repr_html_()


def test_a_missing_dot_program_names_graphviz(spec: sfd.Spec,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Without `dot` on PATH rendering stops with a message saying to install graphviz;
    DOT and Mermaid text still work."""
    monkeypatch.setenv("PATH", "/nonexistent")
    d = diagrams.overview(spec)
    with pytest.raises(MissingToolError, match="apt-get install graphviz"):
        d.render("svg")
    assert d.render("dot").startswith(b"digraph")


def test_english_only_text_needs_no_cjk_font(spec: sfd.Spec) -> None:
    """An English drawing has no Chinese, so any font will do: no font check fails."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    d = diagrams.dependencies(spec, lang="en", fontname="No Such CJK Font")
    assert "<svg" in d.render("svg").decode("utf-8")
