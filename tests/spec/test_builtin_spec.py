"""The built-in spec `builtin:xuhui-edu-2009`: citations, fixed ids, sample data, and its rules.

Each rule test drives a unit of the sample roster through the Runtime and cites the
requirement of the project's domain brief it checks (R1…R28). `Campaign`
(tests/support/campaign.py) is a small scripted "happy path" through the whole campaign for
any unit of the sample roster. The rules that follow the seed sentence by sentence (issue 16)
are in test_builtin_seed.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

import sfd_workflow as sfd
from sfd_workflow import Reason, Runtime
from sfd_workflow._spec._builtin import builtin_path
from support.campaign import EVENTS_PATH, ROSTER_PATH, SPEC_ID, Campaign, compiled, roster, rt, spec

SPEC_PATH = builtin_path(SPEC_ID)
#: Fixtures shared with test_builtin_seed.py (pytest finds them by name in this module).
FIXTURES = (compiled, roster, rt, spec)

#: BRIEF.md: the machine-checkable requirements, each cited in a comment and in `cites:`.
MACHINE_CHECKABLE = ["R1", *(f"R{i}" for i in range(5, 11)), *(f"R{i}" for i in range(12, 25)),
                     "R27"]
#: BRIEF.md: the content requirements, which live in titles and descriptions.
CONTENT = ["R2", "R3", "R4", "R11", "R25", "R26", "R28"]
#: R23, the "ten take-the-lead" items of party leading cadres, and the event modelling each.
TEN_TAKE_THE_LEAD = {
    1: "give_mobilisation_report",
    2: "fix_research_topic",
    3: "solicit_opinions",
    4: "submit_research_report",
    5: "contribute_to_discussion",
    6: "submit_speaking_outline",
    7: "submit_speaking_outline",
    8: "hold_democratic_life_meeting",
    9: "contribute_to_report",
    10: "propose_plan_item",
}


def _all_cites(spec: sfd.Spec) -> set[str]:
    cites: set[str] = set()
    for kind in spec.unit_kinds.values():
        cites.update(kind.cites)
    for phase in spec.phases:
        cites.update(phase.cites)
        for step in phase.steps:
            cites.update(step.cites)
            for t in step.transitions:
                cites.update(t.cites)
    return cites


def _cited_in_comments(text: str) -> set[str]:
    found: set[str] = set()
    for line in text.splitlines():
        if "#" in line:
            found.update(re.findall(r"\bR\d+\b", line.split("#", 1)[1]))
    return found


# --- the document ------------------------------------------------------------------------


@pytest.mark.parametrize("rid", MACHINE_CHECKABLE)
def test_every_machine_checkable_requirement_is_cited_in_a_comment_and_in_cites(
        spec: sfd.Spec, rid: str) -> None:
    """R1, R5–R10, R12–R24, R27: each is cited beside its rule and in a `cites:` key."""
    text = SPEC_PATH.read_text(encoding="utf-8")
    assert rid in _cited_in_comments(text), f"{rid} is cited in no YAML comment"
    assert rid in _all_cites(spec), f"{rid} is in no cites: key"


@pytest.mark.parametrize("rid", CONTENT)
def test_content_requirements_appear_in_descriptions(spec: sfd.Spec, rid: str) -> None:
    """R2–R4, R11, R25, R26, R28 are content: they are named in a description."""
    texts = [spec.description] + [k.description for k in spec.unit_kinds.values()]
    texts += [s.description for s in spec.steps]
    joined = " ".join(t.both() for t in texts if t is not None)
    assert re.search(rf"\b{rid}\b", joined)


def test_only_known_requirement_ids_are_cited(spec: sfd.Spec) -> None:
    """Every `cites:` entry is a requirement id of the brief (R1…R28)."""
    known = {f"R{i}" for i in range(1, 29)}
    assert _all_cites(spec) <= known


def test_six_steps_in_three_phases_with_the_fixed_ids(spec: sfd.Spec) -> None:
    """R6: three phases, six steps (三个阶段、六个环节), with the ids other code relies on."""
    assert spec.id == SPEC_ID
    assert spec.timezone == "Asia/Shanghai"
    assert spec.period is not None
    assert (spec.period.start, spec.period.end) == (dt.date(2009, 3, 1), dt.date(2009, 8, 31))
    layout = {p.id: (p.title.get("zh"), p.window, [s.id for s in p.steps]) for p in spec.phases}
    assert list(layout) == ["study", "analysis", "rectification"]
    assert layout["study"][0] == "学习调研"
    assert layout["analysis"][0] == "分析检查"
    assert layout["rectification"][0] == "整改落实"
    windows = {pid: (w.start, w.end) for pid, (_, w, _) in layout.items() if w is not None}
    assert windows == {
        "study": (dt.date(2009, 3, 1), dt.date(2009, 4, 30)),
        "analysis": (dt.date(2009, 5, 1), dt.date(2009, 6, 30)),
        "rectification": (dt.date(2009, 6, 1), dt.date(2009, 8, 31)),
    }
    assert layout["study"][2] == ["study_research", "discussion"]
    assert layout["analysis"][2] == ["life_meetings", "report"]
    assert layout["rectification"][2] == ["plan", "solve"]
    zh = {s.id: s.title.get("zh") for s in spec.steps}
    assert zh == {
        "study_research": "开展学习调研",
        "discussion": "解放思想讨论",
        "life_meetings": "专题民主生活会与主题组织生活会",
        "report": "分析检查报告",
        "plan": "整改落实方案",
        "solve": "集中解决突出问题",
    }


def test_the_unit_kinds_and_the_named_roles_exist(spec: sfd.Spec) -> None:
    """R1, R13, R18, R19, R20, R24: the kinds of organisation and the roles the seed names."""
    assert list(spec.unit_kinds) == ["organ", "institution", "school", "kindergarten",
                                     "general_branch", "joint_branch", "no_committee_branch",
                                     "retired_branch"]
    assert {"secretary", "committee", "member", "masses_rep", "principal", "leading_cadre",
            "non_party_cadre", "leadership"} <= set(spec.roles)


def test_every_title_is_in_chinese_and_english(spec: sfd.Spec) -> None:
    """Roles, kinds, phases, steps, transitions and record kinds have zh and en titles."""
    titles = {f"role {k}": v for k, v in spec.roles.items()}
    titles |= {f"kind {k}": v.title for k, v in spec.unit_kinds.items()}
    titles |= {f"phase {p.id}": p.title for p in spec.phases}
    titles |= {f"step {s.id}": s.title for s in spec.steps}
    titles |= {f"record {k}": v for k, v in spec.records.items()}
    for step, t in spec.transitions():
        assert t.title is not None, f"{step.id}.{t.event} has no title"
        titles[f"transition {t.path}"] = t.title
    for name, text in titles.items():
        assert text.by_lang.get("zh") and text.by_lang.get("en"), name
    assert set(spec.records) == set(spec.record_kinds)


def test_the_spec_loads_without_warnings(spec: sfd.Spec) -> None:
    """The linker finds nothing suspicious (every record kind recorded is also required)."""
    assert spec.warnings == ()


def test_due_dates_lie_inside_their_phase_windows(spec: sfd.Spec) -> None:
    """R6: deadlines are planned dates of their phase, and soft (they only flag lateness)."""
    dues = 0
    for step, t in spec.transitions():
        if t.due is None:
            continue
        window = spec.phase_of_step[step.id].window
        assert window is not None
        assert window.start <= t.due <= window.end, (step.id, t.event, t.due)
        dues += 1
    assert dues >= 10


def test_steps_follow_in_order_except_the_parallel_rectification_work(spec: sfd.Spec) -> None:
    """R6: the six steps are linked in order; `solve` is open from day one (边学边改)."""
    g = sfd.step_graph(spec)
    assert set(g.edges) == {("study_research", "discussion"), ("discussion", "life_meetings"),
                            ("life_meetings", "report"), ("report", "plan")}
    assert spec.step_by_id["solve"].after == ()


# --- the sample roster and log -----------------------------------------------------------


def test_the_sample_roster_is_a_small_district_with_every_kind(roster: sfd.Roster) -> None:
    """R1, R21: one unit of each kind, and a general branch with sub-branch schools."""
    assert 8 <= len(roster) <= 12
    kinds = {u.kind for u in roster.units}
    assert kinds == {"organ", "institution", "school", "kindergarten", "general_branch",
                     "joint_branch", "no_committee_branch", "retired_branch"}
    assert roster.children["xh-gb-primary"] == ("xh-ps-01", "xh-ps-02", "xh-ps-03")
    for unit in roster.units:
        assert 3 <= len(unit.people) <= 15, unit.id
        assert sum("secretary" in p.roles for p in unit.people) == 1, unit.id
        assert re.fullmatch(r"[a-z0-9-]+", unit.id)
        assert unit.title is not None
        if unit.kind != "retired_branch":
            assert any("masses_rep" in p.roles for p in unit.people), unit.id


def test_the_sample_log_replays_fully_accepted(compiled: sfd.CompiledWorkflow,
                                               roster: sfd.Roster) -> None:
    """R1–R27: the sample campaign of xh-ms-01 is accepted line by line, and completes."""
    assert EVENTS_PATH is not None
    lines = sfd.read_event_lines(EVENTS_PATH)
    rt = Runtime(compiled, roster)
    verdicts = list(sfd.replay(compiled, roster, lines, runtime=rt))
    rejected = [(r.line, r.event, r.verdict.reason) for r in verdicts if not r.verdict.accepted]
    assert rejected == []
    assert len(verdicts) == len(lines) >= 100
    late = [r.event for r in verdicts if r.verdict.late]
    # R6: quality before schedule; the report sent back once finishes a little late.
    assert late == ["submit_report_draft", "approve_report"]
    # R1, R6: the approval (2 July) falls after the analysis phase's months (May-June).
    outside = [r.event for r in verdicts if r.verdict.outside_window]
    assert outside == ["approve_report"]
    unit = "xh-ms-01"
    assert all(rt.is_complete(unit, s.id) for s in rt.spec.steps)
    assert rt.state(unit)["solve"] == "archived"


def test_the_sample_log_is_a_realistic_campaign() -> None:
    """R5, R14, R27: March–August, +08:00, one send-back, ≥48 hours per member."""
    assert EVENTS_PATH is not None
    events = [json.loads(line) for line in EVENTS_PATH.read_text(encoding="utf-8").splitlines()]
    assert {e["unit"] for e in events} == {"xh-ms-01"}
    times = [dt.datetime.fromisoformat(e["at"]) for e in events]
    assert all(t.utcoffset() == dt.timedelta(hours=8) for t in times)
    assert times == sorted(times)
    assert times[0].date() <= dt.date(2009, 3, 15) and times[-1].month == 8
    names = [e["event"] for e in events]
    assert names.count("send_back_report") == 1
    assert names.count("submit_report_draft") == 2
    hours: dict[str, float] = {}
    for e in events:
        if e["event"] == "log_study_hours":
            hours[e["actor"]] = hours.get(e["actor"], 0) + e["payload"]["hours"]
    assert len(hours) == 9 and min(hours.values()) >= 48


# --- the rules, through the Runtime -------------------------------------------------------


def test_steps_cannot_be_taken_out_of_order(rt: Runtime) -> None:
    """R6: the discussion cannot start before the research report ends step 1."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("submit_research_report")
    assert c.fire("set_discussion_topics", "ms01-01").reason is Reason.STEP_BLOCKED


def test_mechanism_work_and_the_hours_ledger_are_open_from_day_one(rt: Runtime) -> None:
    """R6 (边学边改), R16, R27: on 1 March a fresh unit may adopt a rule and log hours, but
    the concentrated solving waits for the published plan."""
    c = Campaign(rt, "xh-kg-01")
    c.clock = dt.datetime(2009, 2, 28, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert c.fire("adopt_mechanism", "kg01-01").accepted
    assert c.fire("log_study_hours", "kg01-04", hours=3).accepted
    assert c.fire("start_solving", "kg01-01").reason is Reason.MISSING_RECORD


def test_the_research_report_needs_the_three_exchanges(rt: Runtime) -> None:
    """R7, R8, R10: central group, members' meeting and staff meeting exchanges, the
    research topics and the opinions come before the research report."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("exchange_at_staff_meeting")
    c.done += 1  # skip the staff meeting exchange
    c.run_until("submit_research_report")
    assert c.fire("submit_research_report", "ms01-01").reason is Reason.MISSING_RECORD
    assert c.fire("exchange_at_staff_meeting", "ms01-10").accepted  # R20: non-party cadre
    assert c.fire("submit_research_report", "ms01-01").accepted


def test_the_discussion_ends_with_a_recorded_consensus(rt: Runtime) -> None:
    """R12: the consensus is recorded with its content; without it the step cannot end."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("record_consensus")
    assert c.fire("record_consensus", "ms01-01", drop=("consensus",)).reason is Reason.FIELDS
    assert c.fire("record_consensus", "ms01-01").accepted
    assert rt.state("xh-ms-01")["discussion"] == "concluded"


def test_only_the_secretary_submits_the_analysis_report(rt: Runtime) -> None:
    """R14: the secretary chairs the drafting: a committee member or the principal cannot
    submit the draft (reason `role`)."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("submit_report_draft")
    assert c.fire("submit_report_draft", "ms01-04").reason is Reason.ROLE
    assert c.fire("submit_report_draft", "ms01-02").reason is Reason.ROLE
    assert c.fire("submit_report_draft", "ms01-01").accepted


def test_approval_needs_a_majority_of_member_evaluations(rt: Runtime) -> None:
    """R14: with 4 of 9 members' evaluations the report cannot be approved (reason
    `quorum`); the fifth makes the majority."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("evaluate_report")
    for person in ["ms01-05", "ms01-06", "ms01-07", "ms01-08"]:
        assert c.fire("evaluate_report", person).accepted
    assert c.fire("masses_evaluate_report", "ms01-11").accepted
    assert c.fire("approve_report", "ms01-01").reason is Reason.QUORUM
    assert c.fire("evaluate_report", "ms01-09").accepted
    assert c.fire("approve_report", "ms01-01").accepted


def test_approval_needs_an_evaluation_by_the_masses(rt: Runtime) -> None:
    """R14: the masses' representatives evaluate too; members alone cannot approve."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("masses_evaluate_report")
    assert c.fire("approve_report", "ms01-01").reason is Reason.MISSING_RECORD
    assert c.fire("masses_evaluate_report", "ms01-05").reason is Reason.ROLE


def test_each_member_evaluates_a_version_once_and_a_send_back_retires_them(
        rt: Runtime) -> None:
    """R14, R6: one evaluation per member; a review sending the report back retires the
    evaluations, so the revised report is evaluated afresh."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("evaluate_report")
    assert c.fire("evaluate_report", "ms01-05").accepted
    assert c.fire("evaluate_report", "ms01-05").reason is Reason.DUPLICATE
    assert c.fire("masses_evaluate_report", "ms01-11").accepted
    assert c.fire("send_back_report", "ms01-05").reason is Reason.ROLE
    assert c.fire("send_back_report", "ms01-04").accepted
    assert rt.state("xh-ms-01")["report"] == "drafting"
    live = {r.kind for r in rt.records("xh-ms-01")}
    assert not live & {"member_evaluation", "masses_evaluation", "report_draft"}
    retired = [r for r in rt.records("xh-ms-01", live=False) if r.retired]
    assert {r.kind for r in retired} == {"member_evaluation", "masses_evaluation", "report_draft"}
    assert c.fire("submit_report_draft", "ms01-01").accepted
    assert c.fire("open_evaluation", "ms01-01").accepted
    assert c.fire("evaluate_report", "ms01-05").accepted


def test_the_plan_is_refused_without_each_field(rt: Runtime) -> None:
    """R15: goals, items, time limits, measures, responsible leaders and departments are all
    needed to publish the plan (reason `fields`)."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("publish_plan")
    for field in ["goals", "items", "time_limits", "measures", "responsible_leaders",
                  "responsible_departments"]:
        assert c.fire("publish_plan", "ms01-01", drop=(field,)).reason is Reason.FIELDS, field
    assert c.fire("publish_plan", "ms01-01", goals="").reason is Reason.FIELDS
    assert c.fire("publish_plan", "ms01-01").accepted


def test_principal_and_non_party_cadres_take_part(rt: Runtime) -> None:
    """R19, R20: the principal and a non-party leading cadre study, research and shape the
    plan, but only the secretary drafts the report."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("fix_research_topic")
    assert c.fire("fix_research_topic", "ms01-10").accepted
    c.run_until("contribute_to_report")
    assert c.fire("contribute_to_report", "ms01-10").accepted
    assert c.fire("submit_report_draft", "ms01-10").reason is Reason.ROLE
    c.run_until("propose_plan_item")
    assert c.fire("propose_plan_item", "ms01-10").accepted
    assert c.fire("propose_plan_item", "ms01-02").accepted


def test_the_summary_needs_48_hours_from_every_member(rt: Runtime) -> None:
    """R27: each member's concentrated activity is at least 48 hours; with 47.5 hours for
    one member the summary is refused (reason `per_person`)."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("log_study_hours")
    members = c.people("member")
    assert len(members) == 9
    for person in members[:-1]:
        assert c.fire("log_study_hours", person, hours=30).accepted
        assert c.fire("log_study_hours", person, hours=18).accepted
    assert c.fire("log_study_hours", members[-1], hours=47.5).accepted
    c.done += len(members)
    c.run_until("summarise_campaign")
    assert c.fire("summarise_campaign", "ms01-01").reason is Reason.PER_PERSON
    assert c.fire("log_study_hours", members[-1], hours=0.5).accepted
    assert c.fire("summarise_campaign", "ms01-01").accepted


def test_closing_needs_summary_notification_and_satisfaction(rt: Runtime) -> None:
    """R16, R17: summary after problems solved and mechanisms built; then notification,
    satisfaction evaluation and archiving, in that order."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("resolve_problem")
    c.done += 1
    assert c.fire("summarise_campaign", "ms01-01").reason is Reason.MISSING_RECORD
    assert c.fire("resolve_problem", "ms01-02").accepted  # R19: the principal
    c.run_until("notify_results")
    assert c.fire("archive_materials", "ms01-01").reason is Reason.WRONG_STATE
    c.run_until()
    assert rt.state("xh-ms-01")["solve"] == "archived"


def test_a_general_branch_cannot_close_before_its_children(rt: Runtime) -> None:
    """R21: the general branch archives only when every sub-branch has finished all six
    steps (reason `children`)."""
    gb = Campaign(rt, "xh-gb-primary")
    gb.run_until("archive_materials")
    assert gb.fire("archive_materials", "gbp-01").reason is Reason.CHILDREN
    for child in ["xh-ps-01", "xh-ps-02"]:
        Campaign(rt, child).run_until()
    assert gb.fire("archive_materials", "gbp-01").reason is Reason.CHILDREN
    last = Campaign(rt, "xh-ps-03")
    last.run_until("archive_materials")
    assert gb.fire("archive_materials", "gbp-01").reason is Reason.CHILDREN
    last.run_until()
    assert gb.fire("archive_materials", "gbp-01").accepted


@pytest.mark.parametrize("event", ["submit_speaking_outline", "hold_democratic_life_meeting",
                                   "submit_report_draft", "evaluate_report",
                                   "propose_plan_item", "publish_plan"])
def test_a_retired_branch_gets_not_applicable_for_skipped_steps(rt: Runtime,
                                                                event: str) -> None:
    """R24: a retired cadres' branch holds no leadership life meeting, writes no analysis
    report and no rectification plan."""
    c = Campaign(rt, "xh-rb-01")
    assert c.fire(event, "rb01-01").reason is Reason.NOT_APPLICABLE


def test_a_retired_branch_completes_its_reduced_campaign(rt: Runtime) -> None:
    """R24, R12, R27: after the discussion's consensus the retired branch's secretary starts
    solving (second alternative of `start_solving`) and the campaign completes."""
    c = Campaign(rt, "xh-rb-01")
    c.run_until()
    assert all(rt.is_complete("xh-rb-01", s.id) for s in rt.spec.steps)
    assert rt.state("xh-rb-01")["plan"] == "drafting"  # skipped, hence complete


def test_a_school_cannot_start_solving_by_the_retired_branches_route(rt: Runtime) -> None:
    """R6, R24: a school's secretary with a consensus but no plan gets the first
    alternative's reason (`missing_record`): the retired route needs its own role."""
    c = Campaign(rt, "xh-ms-01")
    c.run_until("submit_speaking_outline")
    assert c.fire("start_solving", "ms01-01").reason is Reason.MISSING_RECORD


def test_a_member_acts_only_in_his_or_her_own_branch(rt: Runtime) -> None:
    """R22: a member of one school cannot log hours in another branch."""
    c = Campaign(rt, "xh-ps-01")
    assert c.fire("log_study_hours", "ms01-05").reason is Reason.UNKNOWN_ACTOR


@pytest.mark.parametrize(("item", "event"), sorted(TEN_TAKE_THE_LEAD.items()))
def test_each_take_the_lead_item_is_modelled_and_cited(spec: sfd.Spec, item: int,
                                                       event: str) -> None:
    """R23: each of the ten take-the-lead items maps to a transition citing R23 that a
    party leading cadre (or the secretary, a leading cadre) may fire."""
    transitions = [t for _, t in spec.transitions() if t.event == event]
    assert transitions
    assert all("R23" in t.cites for t in transitions), item
    roles = {r for t in transitions for r in t.guard.role}
    assert roles & {"leading_cadre", "secretary"}, item


def test_the_sample_files_are_shipped_beside_the_spec() -> None:
    """The spec, its roster and its log are package data next to each other."""
    assert ROSTER_PATH is not None and EVENTS_PATH is not None
    assert Path(ROSTER_PATH).parent == Path(SPEC_PATH).parent
    assert Path(EVENTS_PATH).read_text(encoding="utf-8").endswith("\n")
