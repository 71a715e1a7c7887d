"""The built-in 2009 campaign against its seed, sentence by sentence (issue 16).

The probes of issue 16 (the mobilisation by 20 March, branches without a committee, the
leadership team's outlines, events outside the plan's months, the institution kind), the
outputs R23 asks of each party leading cadre, and the trace table of
docs/builtin-xuhui-edu-2009.md, which must name every rule of the spec.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

import sfd_workflow as sfd
from sfd_workflow import Reason, Runtime, Verdict
from sfd_workflow.cli import main
from support.campaign import ROSTER_PATH, SPEC_ID, Campaign, compiled, roster, rt, spec

#: Fixtures shared with test_builtin_spec.py (pytest finds them by name in this module).
FIXTURES = (compiled, roster, rt, spec)
DOC = Path(__file__).parents[2] / "docs" / "builtin-xuhui-edu-2009.md"


def _mobilise(rt: Runtime, at: str) -> Verdict:
    """xh-ms-01's three party leading cadres report, then its secretary holds the meeting."""
    c = Campaign(rt, "xh-ms-01")
    for cadre in c.people("leading_cadre"):
        report = rt.submit({"unit": "xh-ms-01", "event": "give_mobilisation_report",
                            "actor": cadre, "at": at, "payload": {"report": "动员报告"}})
        assert report.accepted
    return rt.submit({"unit": "xh-ms-01", "event": "hold_mobilisation", "actor": "ms01-01",
                      "at": at, "payload": c.payload("hold_mobilisation")})


# --- the probes of issue 16 ----------------------------------------------------------------


@pytest.mark.parametrize(("at", "late"), [("2009-03-18T09:00:00+08:00", False),
                                          ("2009-03-20T23:59:00+08:00", False),
                                          ("2009-03-21T00:00:00+08:00", True)])
def test_the_mobilisation_is_due_by_the_end_of_mid_march(rt: Runtime, at: str,
                                                         late: bool) -> None:
    """R5: "各单位要在3月中旬完成……动员会": 中旬 ends on 20 March, so 18 March is on time
    and 21 March late (flagged, still accepted: R6)."""
    assert _mobilise(rt, at) == Verdict(True, None, late=late)


def test_every_party_leading_cadre_gives_a_mobilisation_report(rt: Runtime) -> None:
    """R5, R23 (1): "带头作动员报告": the secretary holds the meeting once each party leading
    cadre has given a report; a plain member gives none; only the secretary holds it."""
    c = Campaign(rt, "xh-ms-01")
    assert c.fire("hold_mobilisation", "ms01-01").reason is Reason.QUORUM
    assert c.fire("give_mobilisation_report", "ms01-05").reason is Reason.ROLE
    assert c.fire("give_mobilisation_report", "ms01-01").accepted
    assert c.fire("give_mobilisation_report", "ms01-01").reason is Reason.DUPLICATE
    assert c.fire("give_mobilisation_report", "ms01-02").accepted  # the principal
    assert c.fire("hold_mobilisation", "ms01-01").reason is Reason.QUORUM
    assert c.fire("give_mobilisation_report", "ms01-03").accepted
    assert c.fire("hold_mobilisation", "ms01-02").reason is Reason.ROLE
    assert c.fire("hold_mobilisation", "ms01-01").accepted


def test_a_unit_without_party_leading_cadres_mobilises_at_once(rt: Runtime) -> None:
    """R5, R23 (1) "where the unit has any": the joint branch has no party leading cadre,
    so its secretary's deployment is the mobilisation (a quorum of `all` over nobody)."""
    c = Campaign(rt, "xh-jb-01")
    assert c.people("leading_cadre") == []
    assert c.fire("give_mobilisation_report", "jb01-01").reason is Reason.ROLE
    assert c.fire("hold_mobilisation", "jb01-01").accepted


@pytest.mark.parametrize(("unit", "member"), [("xh-kg-02", "kg02-03"), ("xh-jb-01", "jb01-02")])
def test_a_member_of_a_branch_without_a_committee_sets_the_discussion_topics(
        rt: Runtime, unit: str, member: str) -> None:
    """R18: "不设支委会的党支部和联合党支部要依靠全体党员做好各项工作": any member does the
    committee's part; in a school with a committee a plain member cannot."""
    c = Campaign(rt, unit)
    c.run_until("set_discussion_topics")
    assert c.fire("set_discussion_topics", member).accepted
    school = Campaign(rt, "xh-ms-01")
    school.run_until("set_discussion_topics")
    assert school.fire("set_discussion_topics", "ms01-05").reason is Reason.ROLE


def test_the_organs_life_meeting_waits_for_the_leadership_team_only(rt: Runtime) -> None:
    """R13: "领导班子要召开专题民主生活会……撰写个人发言提纲": the organ's meeting waits for the
    outline of every leadership-team member (its three bureau leading cadres) and not for
    jyj-04, a committee member outside the team, who writes none."""
    c = Campaign(rt, "xh-jyj-organ")
    assert c.people("leadership") == ["jyj-01", "jyj-02", "jyj-03"]
    assert "jyj-04" in c.people("committee")
    c.run_until("submit_speaking_outline")
    assert c.fire("submit_speaking_outline", "jyj-01").accepted
    assert c.fire("submit_speaking_outline", "jyj-02").accepted
    assert c.fire("hold_democratic_life_meeting", "jyj-01").reason is Reason.QUORUM
    assert c.fire("submit_speaking_outline", "jyj-04").reason is Reason.ROLE
    assert c.fire("submit_speaking_outline", "jyj-03").accepted
    assert c.fire("hold_democratic_life_meeting", "jyj-01").accepted


def test_every_party_leading_cadre_counts_on_the_leadership_team(rt: Runtime) -> None:
    """R13, R23 (7): a party leading cadre the roster does not list as `leadership` is on the
    team all the same (role_map), so his or her outline is required too."""
    for unit in rt.roster.units:
        kind = rt.spec.unit_kinds[unit.kind]
        if "life_meetings" in kind.skip:
            continue
        team = kind.accepted_roles("leadership")
        for person in unit.people:
            if "leading_cadre" in person.roles:
                assert team & set(person.roles), (unit.id, person.id)


@pytest.mark.parametrize("at", ["2009-02-20T10:00:00+08:00", "2009-09-01T10:00:00+08:00"])
def test_an_event_outside_the_campaign_months_is_accepted_and_flagged(rt: Runtime,
                                                                      at: str) -> None:
    """R1, R6: "从2009年3月至8月": a rule adopted on 20 February or on 1 September is
    accepted (never refused) with `outside_window`."""
    verdict = rt.submit({"unit": "xh-kg-01", "event": "adopt_mechanism", "actor": "kg01-01",
                         "at": at, "payload": {"name": "制度", "scope": "学校规章制度"}})
    assert verdict == Verdict(True, None, late=False, outside_window=True)


def test_a_mobilisation_in_february_is_accepted_outside_the_window(rt: Runtime) -> None:
    """R1, R6: the study phase is March-April: a mobilisation on 20 February is accepted and
    flagged, and not late."""
    assert _mobilise(rt, "2009-02-20T10:00:00+08:00") == Verdict(
        True, None, late=False, outside_window=True)


def test_a_step_past_its_phase_months_is_flagged_and_early_rectification_is_not(
        rt: Runtime) -> None:
    """R1, R6: a study-phase event in May is outside its phase's months (March-April); the
    rectification phase's window has no flag, so a mechanism adopted in March (边学边改,
    "从活动一开始") is not flagged."""
    c = Campaign(rt, "xh-ms-01")
    assert c.fire("adopt_mechanism", "ms01-01").outside_window is False
    c.run_until("submit_research_report")
    payload = c.payload("submit_research_report")
    may = rt.submit({"unit": "xh-ms-01", "event": "submit_research_report", "actor": "ms01-01",
                     "at": "2009-05-04T10:00:00+08:00", "payload": payload})
    assert may == Verdict(True, None, late=True, outside_window=True)


def test_replay_prints_outside_window_as_an_extra_key(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """R1, R6, SPEC-FORMAT §5 extended: the flagged line carries `"outside_window": true`
    beside the six keys and `detail`; the other lines print exactly those seven keys."""
    assert ROSTER_PATH is not None
    log = tmp_path / "events.jsonl"
    lines = [{"unit": "xh-kg-01", "event": "adopt_mechanism", "actor": "kg01-01", "at": at,
              "payload": {"name": "制度", "scope": "规章制度"}}
             for at in ("2009-02-27T10:00:00+08:00", "2009-03-02T10:00:00+08:00")]
    log.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                   encoding="utf-8")
    assert main(["replay", f"builtin:{SPEC_ID}", str(ROSTER_PATH), str(log)]) == 0
    out = [json.loads(x) for x in io.StringIO(capsys.readouterr().out)]
    assert out[0] == {"line": 1, "unit": "xh-kg-01", "event": "adopt_mechanism",
                      "verdict": "accepted", "reason": None, "late": False,
                      "outside_window": True, "detail": None}
    assert set(out[1]) == {"line", "unit", "event", "verdict", "reason", "late", "detail"}


def test_an_institution_runs_the_whole_campaign(rt: Runtime, spec: sfd.Spec) -> None:
    """R24: "机构主要是改进服务": the institution kind says so and runs all six steps."""
    kind = spec.unit_kinds["institution"]
    assert kind.title.get("zh") == "教育系统机构党组织"
    assert kind.description is not None and "改进服务" in kind.description.get("zh")
    assert kind.skip == ()
    Campaign(rt, "xh-inst-01").run_until()
    assert all(rt.is_complete("xh-inst-01", s.id) for s in spec.steps)


@pytest.mark.parametrize("unit", ["xh-jyj-organ", "xh-gb-primary", "xh-ps-01", "xh-ps-02",
                                  "xh-ps-03", "xh-ms-01", "xh-kg-01", "xh-inst-01", "xh-kg-02",
                                  "xh-jb-01", "xh-rb-01"])
def test_every_unit_of_the_sample_roster_can_finish(rt: Runtime, unit: str) -> None:
    """R1: every organisation of the sample district can run its campaign to the end (a
    general branch waits for its children, R21, so they run first)."""
    for child in rt.children(unit):
        Campaign(rt, child).run_until()
    Campaign(rt, unit).run_until()
    assert rt.state(unit)["solve"] == "archived"


# --- R23: what each party leading cadre produces --------------------------------------------


#: R23's outputs required of each person: (item, the output's event, the person left out,
#: the event that waits for it, the people it waits for (effective role)).
PER_PERSON_OUTPUTS = [
    # (1) "带头作动员报告": the meeting waits for every party leading cadre's report
    ("1 report", "give_mobilisation_report", "ms01-03", "hold_mobilisation", "leading_cadre"),
    # (2) "带头确定重点调研课题": personal reports wait for every party leading cadre's topic
    ("2 topic", "fix_research_topic", "ms01-03", "write_research_report", "leading_cadre"),
    # (4) "带头撰写调研报告": the leadership's report waits for every personal report
    ("4 report", "write_research_report", "ms01-03", "submit_research_report",
     "leading_cadre"),
    # (7) "带头撰写民主生活会发言材料": the meeting waits for every leadership-team outline
    ("7 outline", "submit_speaking_outline", "ms01-02", "hold_democratic_life_meeting",
     "leadership"),
    # (10) "带头制定整改措施", R20 "共同研究本单位整改方案的制定": the plan waits for a proposal
    # of every leading cadre, the non-party deputy principal included
    ("10 measures", "propose_plan_item", "ms01-10", "publish_plan", "cadre"),
]


@pytest.mark.parametrize(("item", "output", "person", "gate", "role"), PER_PERSON_OUTPUTS)
def test_each_cadre_produces_the_output_r23_names(rt: Runtime, item: str, output: str,
                                                   person: str, gate: str, role: str) -> None:
    """R5, R8, R13, R20, R23 (1)(2)(4)(7)(10): with one cadre's output missing, the event that
    waits for all of them is refused (`quorum`); once it is given, accepted."""
    c = Campaign(rt, "xh-ms-01")
    assert person in c.people(role), item
    c.skip(output, person)
    c.run_until(gate)
    secretary = "ms01-01"
    assert c.fire(gate, secretary).reason is Reason.QUORUM, item
    assert c.fire(output, person).accepted, item
    assert c.fire(gate, secretary).accepted, item


def test_the_people_each_output_is_required_of(rt: Runtime) -> None:
    """R13, R20, R23: in xh-ms-01 the three party leading cadres are the leadership team and,
    with the non-party deputy, the cadres of the plan; a plain member writes no personal
    report and a committee member outside the team no outline."""
    c = Campaign(rt, "xh-ms-01")
    cadres = ["ms01-01", "ms01-02", "ms01-03"]
    assert c.people("leading_cadre") == cadres == c.people("leadership")
    assert c.people("cadre") == [*cadres, "ms01-10"]
    c.run_until("write_research_report")
    assert c.fire("write_research_report", "ms01-05").reason is Reason.ROLE
    assert c.fire("write_research_report", "ms01-03").accepted
    assert c.fire("write_research_report", "ms01-03").reason is Reason.DUPLICATE
    c.skip("write_research_report", "ms01-03")
    c.run_until("submit_speaking_outline")
    assert c.fire("submit_speaking_outline", "ms01-04").reason is Reason.ROLE


def test_every_bureau_leading_cadre_researches_at_a_contact_point(rt: Runtime) -> None:
    """R9, R23 (3): in the organ the research report needs a contact point of each bureau
    leading cadre where he or she heard at least one opinion; elsewhere nobody holds the
    role."""
    c = Campaign(rt, "xh-jyj-organ")
    assert c.people("bureau_cadre") == ["jyj-01", "jyj-02", "jyj-03"]
    c.run_until("fix_contact_point")
    assert c.fire("fix_contact_point", "jyj-04").reason is Reason.ROLE
    assert c.fire("fix_contact_point", "jyj-01").accepted
    assert c.fire("fix_contact_point", "jyj-01").reason is Reason.DUPLICATE
    assert c.fire("fix_contact_point", "jyj-02").accepted
    assert c.fire("fix_contact_point", "jyj-03", opinions_count=0).accepted
    c.done += 3
    c.run_until("submit_research_report")
    assert c.fire("submit_research_report", "jyj-01").reason is Reason.PER_PERSON
    school = Campaign(rt, "xh-ms-01")
    school.run_until("submit_research_report")
    assert school.fire("fix_contact_point", "ms01-02").reason is Reason.ROLE


def test_a_unit_without_non_party_cadres_publishes_without_waiting(rt: Runtime) -> None:
    """R20 "where the unit has any": xh-kg-02 has no non-party leading cadre, so only its
    party leading cadre's proposal is needed (a quorum of `all` over 1 person)."""
    c = Campaign(rt, "xh-kg-02")
    assert c.people("non_party_cadre") == []
    assert c.people("cadre") == ["kg02-01"]
    c.run_until("publish_plan")
    assert c.fire("publish_plan", "kg02-01").accepted


def test_the_report_description_claims_only_what_the_spec_enforces(spec: sfd.Spec) -> None:
    """R14: the seed has no rule that a report found wanting is sent back; the description
    names the send-back as a design choice and no longer promises it after 不满意."""
    desc = spec.step_by_id["report"].description
    assert desc is not None
    assert "不满意" not in desc.get("zh") and "设计选择" in desc.get("zh")
    assert "design choice" in desc.get("en")


# --- the trace table ------------------------------------------------------------------------


def _trace_rows() -> dict[str, list[str]]:
    """The rows of the trace table, keyed by their first cell's code span."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## Trace table"):]
    table = table[:table.index("\n## ", 5)]
    rows: dict[str, list[str]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([^`]+)`", cells[0]) if line.startswith("|") else None
        if m:
            assert m.group(1) not in rows, f"{m.group(1)} twice in the trace table"
            rows[m.group(1)] = cells
    return rows


def _transition_keys(spec: sfd.Spec) -> dict[str, sfd.Transition]:
    """`step.event`, or `step.event#n` for the n-th of several transitions of one event."""
    keys: dict[str, sfd.Transition] = {}
    for step in spec.steps:
        for event in step.events:
            ts = [t for t in step.transitions if t.event == event]
            for n, t in enumerate(ts, 1):
                keys[f"{step.id}.{event}" + (f"#{n}" if len(ts) > 1 else "")] = t
    return keys


def _rule_keys(spec: sfd.Spec) -> set[str]:
    """Every rule that is not a transition: role maps, skips, the period and phase windows."""
    keys = {f"{kid}.role_map.{role}" for kid, k in spec.unit_kinds.items() for role in k.role_map}
    keys |= {f"{kid}.skip" for kid, k in spec.unit_kinds.items() if k.skip}
    keys |= {"period"} | {f"{p.id}.window" for p in spec.phases if p.window is not None}
    return keys


def _covered(rows: dict[str, list[str]], expected: set[str]) -> dict[str, set[str]]:
    """What each row covers: itself, or (``*.role_map.r``) that role map in every kind."""
    out: dict[str, set[str]] = {}
    for key in rows:
        if key.startswith("*."):
            out[key] = {k for k in expected if k.partition(".")[2] == key[2:]}
        else:
            out[key] = {key} & expected
    return out


def test_the_trace_table_covers_every_transition_and_rule(spec: sfd.Spec) -> None:
    """Issue 16: every transition (guard, due, quorum), role map, skip and window of the
    built-in spec has a row in the trace table, and the table names nothing else."""
    expected = set(_transition_keys(spec)) | _rule_keys(spec)
    covered = _covered(_trace_rows(), expected)
    assert sorted(k for k, v in covered.items() if not v) == []
    assert sorted(expected - set().union(*covered.values())) == []


def test_every_trace_row_quotes_the_seed_or_names_a_design_choice() -> None:
    """Issue 16: the source cell quotes the seed in Chinese (「…」) or says "design choice"."""
    for key, cells in _trace_rows().items():
        source = cells[-1]
        assert re.search(r"「[^」]*[\u4e00-\u9fff][^」]*」", source) or \
            "design choice" in source, key


def test_every_due_date_says_whether_the_seed_gives_it(spec: sfd.Spec) -> None:
    """Issue 16: the due cell of a transition with a due gives the date and says `seed` or
    `chosen`; only R5's 20 March and the end of August come from the seed."""
    rows = _trace_rows()
    seed_dues = set()
    for key, t in _transition_keys(spec).items():
        due = rows[key][2]
        if t.due is None:
            assert due == "—", key
            continue
        assert t.due.isoformat() in due and re.search(r"\b(seed|chosen)\b", due), key
        if "seed" in due:
            seed_dues.add(t.due.isoformat())
    assert seed_dues == {"2009-03-20", "2009-08-31"}
