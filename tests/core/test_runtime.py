"""The verdict of every kind of event (SPEC-FORMAT §4) on a small spec unlike the seed.

The spec (`data/good/review.yaml`) has parallel steps (`after: []` and a two-parent `after`),
a review loop with `clears`, alternative guarded transitions of one event, `skip`,
`role_map`, `children`, `per_person`, `quorum` and `not_before`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import sfd_workflow as sfd
from sfd_workflow import Reason

DATA = Path(__file__).parents[1] / "data" / "good"


@pytest.fixture
def spec() -> sfd.Spec:
    return sfd.load_spec(DATA / "review.yaml")


@pytest.fixture
def rt(spec: sfd.Spec) -> sfd.Runtime:
    return sfd.Runtime(sfd.compile_workflow(spec), sfd.load_roster(DATA / "review.roster.yaml",
                                                                   spec))


def ev(unit: str, event: str, actor: str, at: str, **payload: Any) -> dict[str, Any]:
    return {"unit": unit, "event": event, "actor": actor, "at": at, "payload": payload}


def finish_learning(rt: sfd.Runtime, unit: str, members: list[str], secretary: str,
                    day: str = "2009-04-01") -> None:
    for m in members:
        assert rt.submit(ev(unit, "log_hours", m, f"{day}T09:00:00", hours=48)).accepted
    assert rt.submit(ev(unit, "finish_learning", secretary, f"{day}T10:00:00")).accepted


def open_report(rt: sfd.Runtime) -> None:
    """Bring s1 to the report step: learning done, research filed."""
    finish_learning(rt, "s1", ["a", "b", "c", "d"], "a")
    assert rt.submit(ev("s1", "file_research", "b", "2009-04-02T10:00:00")).accepted


def test_an_accepted_event_moves_the_step_and_stores_a_record(rt: sfd.Runtime) -> None:
    """An accepted event moves its step to `to` and adds a live record of its `records` kind."""
    v = rt.submit(ev("s1", "log_hours", "c", "2009-03-02T09:00:00", hours=4))
    assert v == sfd.Verdict(True, None, False)
    assert rt.state("s1")["learn"] == "todo"
    [rec] = rt.records("s1")
    assert (rec.kind, rec.actor, rec.payload) == ("study_hours", "c", {"hours": 4})
    assert rec.at == dt.datetime(2009, 3, 2, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.mark.parametrize(("event", "reason"), [
    ({"unit": "s1", "event": "log_hours", "actor": "c"}, Reason.MALFORMED),
    ({"unit": "s1", "event": "log_hours", "actor": "c", "at": "2009-03-02"}, Reason.MALFORMED),
    ({"unit": "s1", "event": "log_hours", "actor": 7, "at": "2009-03-02T09:00"},
     Reason.MALFORMED),
    ({"unit": "s1", "event": "log_hours", "actor": "c", "at": "2009-03-02T09:00",
      "payload": [1]}, Reason.MALFORMED),
    (ev("nowhere", "log_hours", "c", "2009-03-02T09:00"), Reason.UNKNOWN_UNIT),
    (ev("s1", "log_hourz", "c", "2009-03-02T09:00"), Reason.UNKNOWN_EVENT),
    (ev("r1", "submit_report", "o", "2009-03-02T09:00"), Reason.NOT_APPLICABLE),
    (ev("s1", "log_hours", "zz", "2009-03-02T09:00"), Reason.UNKNOWN_ACTOR),
    (ev("s1", "submit_report", "a", "2009-03-02T09:00"), Reason.STEP_BLOCKED),
    (ev("s1", "approve_report", "a", "2009-03-02T09:00"), Reason.STEP_BLOCKED),
    (ev("s1", "log_hours", "m", "2009-03-02T09:00", hours=1), Reason.ROLE),
    (ev("s1", "log_hours", "c", "2009-03-02T09:00"), Reason.FIELDS),
    (ev("s1", "log_hours", "c", "2009-03-02T09:00", hours=""), Reason.FIELDS),
    (ev("s1", "file_research", "b", "2009-03-14T23:59:59"), Reason.NOT_BEFORE),
    (ev("s1", "finish_learning", "a", "2009-03-20T09:00"), Reason.PER_PERSON),
])
def test_each_first_failing_check_gives_the_reason(
        rt: sfd.Runtime, event: dict[str, Any], reason: Reason) -> None:
    """The first failing check of SPEC-FORMAT §4 is the reason, and nothing changes."""
    before = rt.state("s1"), rt.records("s1")
    assert rt.submit(event) == sfd.Verdict(False, reason, False)
    assert (rt.state("s1"), rt.records("s1")) == before


def test_not_before_is_midnight_in_the_spec_timezone(rt: sfd.Runtime) -> None:
    """`not_before: 2009-03-15` holds from 00:00 Shanghai time (16:00 UTC the day before)."""
    assert rt.submit(ev("s1", "file_research", "b", "2009-03-14T15:59:59Z")).reason == \
        Reason.NOT_BEFORE
    assert rt.submit(ev("s1", "file_research", "b", "2009-03-14T16:00:00Z")).accepted


def test_out_of_order_is_earlier_than_the_last_accepted_event(rt: sfd.Runtime) -> None:
    """An event earlier than the unit's last accepted one is out of order; equal is fine."""
    assert rt.submit(ev("s1", "log_hours", "c", "2009-03-05T09:00:00", hours=1)).accepted
    assert rt.submit(ev("s1", "log_hours", "d", "2009-03-05T08:59:59",
                        hours=1)).reason == Reason.OUT_OF_ORDER
    assert rt.submit(ev("s1", "log_hours", "d", "2009-03-05T09:00:00", hours=1)).accepted
    # a rejected event does not move the clock
    assert rt.submit(ev("s1", "log_hours", "m", "2009-03-09T09:00", hours=1)).reason == \
        Reason.ROLE
    assert rt.submit(ev("s1", "log_hours", "d", "2009-03-06T09:00:00", hours=1)).accepted
    # other units have their own clocks
    assert rt.submit(ev("j1", "log_hours", "y", "2009-03-01T09:00:00", hours=1)).accepted


def test_per_person_counts_only_numbers_and_each_persons_own_records(rt: sfd.Runtime) -> None:
    """R27: every member needs 48 hours; strings and booleans count 0."""
    for m, hours in (("a", 48), ("b", 40), ("c", 48), ("d", 48)):
        assert rt.submit(ev("s1", "log_hours", m, "2009-03-10T09:00", hours=hours)).accepted
    assert rt.submit(ev("s1", "log_hours", "b", "2009-03-10T09:00", hours="8")).accepted
    assert rt.submit(ev("s1", "log_hours", "b", "2009-03-10T09:00", hours=True)).accepted
    assert rt.submit(ev("s1", "finish_learning", "a", "2009-03-11T09:00")).reason == \
        Reason.PER_PERSON
    assert rt.submit(ev("s1", "log_hours", "b", "2009-03-11T09:00", hours=8.0)).accepted
    assert rt.submit(ev("s1", "finish_learning", "a", "2009-03-11T10:00")).accepted


def test_two_parent_after_blocks_until_both_are_complete(rt: sfd.Runtime) -> None:
    """`after: [learn, research]` opens the report only when both are complete."""
    finish_learning(rt, "s1", ["a", "b", "c", "d"], "a")
    assert rt.submit(ev("s1", "submit_report", "a", "2009-04-03T09:00")).reason == \
        Reason.STEP_BLOCKED
    assert not rt.is_open("s1", "report")
    assert rt.submit(ev("s1", "file_research", "b", "2009-04-03T10:00")).accepted
    assert rt.is_open("s1", "report")


def test_review_loop_clears_reviews_and_quorum_counts_distinct_live_holders(
        rt: sfd.Runtime) -> None:
    """R14: a returned report retires its reviews; approval needs a fresh member majority."""
    open_report(rt)
    assert rt.submit(ev("s1", "submit_report", "a", "2009-05-10T09:00")).accepted
    assert rt.submit(ev("s1", "review_report", "b", "2009-05-11T09:00")).accepted
    assert rt.submit(ev("s1", "review_report", "b", "2009-05-11T09:30")).reason == \
        Reason.DUPLICATE
    assert rt.submit(ev("s1", "review_report", "c", "2009-05-11T10:00")).accepted
    # 2 of 4 members: majority is 3
    assert rt.submit(ev("s1", "approve_report", "a", "2009-05-12T09:00")).reason == \
        Reason.QUORUM
    assert rt.submit(ev("s1", "return_report", "a", "2009-05-12T10:00")).accepted
    assert rt.state("s1")["report"] == "drafting"
    assert [r.kind for r in rt.records("s1") if r.kind != "study_hours"] == []
    assert {r.kind for r in rt.records("s1", live=False) if r.retired} == {
        "report_draft", "member_review"}
    assert rt.submit(ev("s1", "review_report", "b", "2009-05-12T11:00")).reason == \
        Reason.WRONG_STATE
    assert rt.submit(ev("s1", "submit_report", "a", "2009-05-13T09:00")).accepted
    for who, hour in (("b", "09"), ("c", "10"), ("d", "11")):
        assert rt.submit(ev("s1", "review_report", who, f"2009-05-14T{hour}:00")).accepted
    assert rt.submit(ev("s1", "approve_report", "a", "2009-05-15T09:00")).accepted
    assert rt.is_complete("s1", "report")


def test_alternative_guards_are_tried_in_order_and_the_first_candidate_gives_the_reason(
        rt: sfd.Runtime) -> None:
    """Two `approve_report` transitions: either may fire; a refusal reports the first's key."""
    open_report(rt)
    assert rt.submit(ev("s1", "submit_report", "a", "2009-05-10T09:00")).accepted
    for who in ("b", "c", "d"):
        assert rt.submit(ev("s1", "review_report", who, "2009-05-11T09:00")).accepted
    # the masses' representative fails the first candidate (role) and the second (quorum: all)
    assert rt.submit(ev("s1", "approve_report", "m", "2009-05-12T09:00")).reason == Reason.ROLE
    assert rt.submit(ev("s1", "review_report", "a", "2009-05-12T09:30")).accepted
    # now every member reviewed: the second candidate fires for the masses' representative
    assert rt.submit(ev("s1", "approve_report", "m", "2009-05-12T10:00")).accepted


def test_late_is_from_midnight_after_due_in_the_spec_timezone(rt: sfd.Runtime) -> None:
    """R6: a late event is accepted and flagged, never refused; due 2009-04-30 ends at 24:00."""
    for m in ("a", "b", "c", "d"):
        assert rt.submit(ev("s1", "log_hours", m, "2009-04-30T09:00", hours=48)).accepted
    assert rt.submit(ev("s1", "finish_learning", "a", "2009-04-30T23:59:59+08:00")) == \
        sfd.Verdict(True, None, False)
    for m in ("x", "y"):
        assert rt.submit(ev("j1", "log_hours", m, "2009-04-30T09:00", hours=48)).accepted
    assert rt.submit(ev("j1", "finish_learning", "x", "2009-05-01T00:00:00+08:00")) == \
        sfd.Verdict(True, None, True)


def test_role_map_lets_members_act_as_committee_in_joint_branches(rt: sfd.Runtime) -> None:
    """R18: a joint branch relies on all members; `committee` guards accept a member there."""
    assert rt.submit(ev("j1", "file_research", "y", "2009-03-20T09:00")).accepted
    assert rt.submit(ev("s1", "file_research", "c", "2009-03-20T09:00")).reason == Reason.ROLE


def test_skipped_steps_are_complete_once_their_after_is(rt: sfd.Runtime) -> None:
    """R24: a retired branch skips the report; wrap-up opens when learn and research are done."""
    assert rt.is_skipped("r1", "report")
    assert not rt.is_complete("r1", "report")
    assert rt.submit(ev("r1", "close", "o", "2009-03-20T09:00")).reason == Reason.STEP_BLOCKED
    finish_learning(rt, "r1", ["o"], "o", day="2009-03-20")
    assert rt.submit(ev("r1", "file_research", "o", "2009-03-21T09:00")).reason == Reason.ROLE
    assert not rt.is_complete("r1", "report")


def test_a_parent_step_stays_blocked_on_its_own_predecessors(spec: sfd.Spec) -> None:
    """A skipped step of a child is complete once its `after` is; the parent's own order holds."""
    roster = sfd.roster_from_document({"units": [
        {"id": "gb", "kind": "general_branch", "people": [{"id": "g", "roles": ["secretary"]}]},
        {"id": "c1", "kind": "retired_branch", "parent": "gb",
         "people": [{"id": "o", "roles": ["secretary", "committee", "member"]}]},
    ]}, spec)
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster)
    assert rt.submit(ev("c1", "log_hours", "o", "2009-03-19T09:00", hours=48)).accepted
    assert rt.submit(ev("c1", "finish_learning", "o", "2009-03-20T09:00")).accepted
    assert not rt.is_complete("c1", "report")  # skipped, but research is not done yet
    assert rt.submit(ev("c1", "file_research", "o", "2009-03-20T10:00")).accepted
    assert rt.is_complete("c1", "report")  # skipped, and its after is complete
    assert not rt.is_complete("c1", "wrapup")
    ex = rt.explain("gb", "close", "g", at="2009-03-21T09:00")
    assert [r.reason for r in ex.unmet] == [Reason.STEP_BLOCKED, Reason.CHILDREN]


def test_children_guard_reason_and_release(spec: sfd.Spec) -> None:
    """R21: `children` refuses while a child is incomplete and holds once all are complete."""
    roster = sfd.roster_from_document({"units": [
        {"id": "gb", "kind": "retired_branch",
         "people": [{"id": "g", "roles": ["secretary", "committee"]}]},
        {"id": "c1", "kind": "retired_branch", "parent": "gb",
         "people": [{"id": "o", "roles": ["secretary", "committee"]}]},
    ]}, spec)
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster)
    for unit, who in (("gb", "g"), ("c1", "o")):
        assert rt.submit(ev(unit, "finish_learning", who, "2009-03-20T09:00")).accepted
        assert rt.submit(ev(unit, "file_research", who, "2009-03-20T10:00")).accepted
    assert rt.submit(ev("gb", "close", "g", "2009-03-21T09:00")).reason == Reason.CHILDREN
    ex = rt.explain("gb", "close", "g", at="2009-03-21T09:00")
    assert [r.reason for r in ex.unmet] == [Reason.CHILDREN]
    assert "c1" in ex.unmet[0].en
    assert rt.submit(ev("c1", "close", "o", "2009-03-21T09:00")).accepted
    assert rt.submit(ev("gb", "close", "g", "2009-03-21T10:00")).accepted


def test_explain_lists_every_unmet_requirement_in_both_languages(rt: sfd.Runtime) -> None:
    """`explain` returns all unmet requirements of the first candidate, not only the first."""
    open_report(rt)
    assert rt.submit(ev("s1", "submit_report", "a", "2009-05-10T09:00")).accepted
    assert rt.submit(ev("s1", "review_report", "b", "2009-05-11T09:00")).accepted
    ex = rt.explain("s1", "approve_report", "c", at="2009-05-12T09:00")
    assert not ex.allowed
    assert [r.reason for r in ex.unmet] == [Reason.ROLE, Reason.QUORUM]
    quorum = ex.unmet[1]
    assert quorum.zh == "须满足“过半数党员评议”：需 3 人，已有 1/4，还差 2"
    assert quorum.en == ("requires “member review from a majority of members”: 3 needed, "
                         "1 of 4, 2 more needed")
    assert ex.reason == rt.submit(ev("s1", "approve_report", "c", "2009-05-12T09:00")).reason


def test_explain_reports_blocked_steps_and_wrong_states(rt: sfd.Runtime) -> None:
    """A blocked step names each unfinished predecessor; a wrong state names the sources."""
    ex = rt.explain("s1", "submit_report", "a", at="2009-03-02T09:00")
    assert [r.reason for r in ex.unmet] == [Reason.STEP_BLOCKED]
    assert ex.unmet[0].en == "complete first: Learn, Research"
    ex = rt.explain("s1", "approve_report", "a", at="2009-03-02T09:00")
    assert ex.unmet[-1].reason == Reason.WRONG_STATE
    assert "in_review" in ex.unmet[-1].en


def test_available_lists_what_an_actor_could_do_now(rt: sfd.Runtime) -> None:
    """Members may log hours (with `hours` in the payload); a committee member may also file
    research from 03-15; each event comes with the payload fields it needs."""
    assert rt.available("s1", "c", at="2009-03-02T09:00") == {"log_hours": ("hours",)}
    assert rt.available("s1", "b", at="2009-03-02T09:00") == {"log_hours": ("hours",)}
    assert rt.available("s1", "b", at="2009-03-16T09:00") == {"log_hours": ("hours",),
                                                              "file_research": ()}
    assert rt.available("s1", "m", at="2009-03-16T09:00") == {}


def test_custom_predicates_come_from_the_registry(spec: sfd.Spec) -> None:
    """A spec names a predicate; compile_workflow binds it; the predicate sees the event."""
    assert spec.document["id"] == "review-demo"  # the parsed document is kept on the spec
    text = (DATA / "review.yaml").read_text(encoding="utf-8").replace(
        "guard: {role: committee, not_before: 2009-03-15}",
        "guard: {role: committee, not_before: 2009-03-15, custom: has_attachment}")
    custom_spec = sfd.spec_from_text(text, "custom.yaml")
    with pytest.raises(sfd.CompileError, match="'has_attachment' is not registered"):
        sfd.compile_workflow(custom_spec)
    seen: list[str] = []

    def has_attachment(ctx: sfd.PredicateContext) -> bool:
        seen.append(ctx.actor)
        return bool(ctx.payload.get("attachment"))

    compiled = sfd.compile_workflow(custom_spec, predicates={"has_attachment": has_attachment})
    rt = sfd.Runtime(compiled, sfd.load_roster(DATA / "review.roster.yaml", custom_spec))
    assert rt.submit(ev("s1", "file_research", "b", "2009-03-20T09:00")).reason == Reason.CUSTOM
    assert rt.submit(ev("s1", "file_research", "b", "2009-03-20T09:00",
                        attachment="r.pdf")).accepted
    assert seen == ["b", "b"]


def test_replay_numbers_lines_and_keeps_malformed_ones(spec: sfd.Spec) -> None:
    """Every line counts (a blank one too); the final newline starts no new line."""
    from sfd_workflow._eventlog import split_lines

    text = ('{"unit": "s1", "event": "log_hours", "actor": "c", "at": "2009-03-02T09:00", '
            '"payload": {"hours": 2}}\n\nnot json\n[1]\n{"unit": "s1"}\n'
            '{"unit": "s1", "event": "log_hours", "actor": "c", "at": "2009-03-02T09:00", '
            '"payload": {"hours": NaN}}\n')
    lines = split_lines(text)
    assert len(lines) == 6
    compiled = sfd.compile_workflow(spec)
    roster = sfd.load_roster(DATA / "review.roster.yaml", spec)
    out = [r.to_json() for r in sfd.replay(compiled, roster, lines)]
    assert out[0] == {"line": 1, "unit": "s1", "event": "log_hours", "verdict": "accepted",
                      "reason": None, "late": False}
    assert [o["reason"] for o in out[1:]] == ["malformed"] * 5
    assert all(o["unit"] is None and o["event"] is None for o in out[1:])


def test_runtime_log_keeps_every_submission(rt: sfd.Runtime) -> None:
    """The runtime's log loses nothing: accepted, rejected and malformed events alike."""
    rt.submit(ev("s1", "log_hours", "c", "2009-03-02T09:00", hours=1))
    rt.submit({"garbage": True})
    rt.submit_line("not json")
    assert [e.verdict.accepted for e in rt.log] == [True, False, False]
    assert rt.log[1].event == {"garbage": True}
    assert rt.log[2].event == {"line": "not json"}


def test_unknown_unit_in_queries_raises_a_clear_error(rt: sfd.Runtime) -> None:
    """Queries (not submissions) about a unit that does not exist raise UnknownUnitError."""
    with pytest.raises(sfd.UnknownUnitError, match="unknown unit 'zz'"):
        rt.state("zz")


def test_snapshot_and_restore_round_trip_a_unit(rt: sfd.Runtime, spec: sfd.Spec) -> None:
    """A snapshot restored into a fresh runtime judges the next events exactly the same."""
    import json

    open_report(rt)
    assert rt.submit(ev("s1", "submit_report", "a", "2009-05-10T09:00")).accepted
    assert rt.submit(ev("s1", "review_report", "b", "2009-05-11T09:00")).accepted
    assert rt.submit(ev("s1", "return_report", "a", "2009-05-12T09:00")).accepted
    snap = json.loads(json.dumps(rt.snapshot("s1")))  # JSON-safe
    fresh = sfd.Runtime(rt.compiled, rt.roster)
    fresh.restore("s1", snap)
    assert fresh.snapshot("s1") == snap
    assert fresh.state("s1") == rt.state("s1")
    assert fresh.last_at("s1") == rt.last_at("s1")
    for e in (ev("s1", "review_report", "b", "2009-05-12T10:00"),
              ev("s1", "submit_report", "a", "2009-05-12T08:00"),
              ev("s1", "submit_report", "a", "2009-05-13T09:00"),
              ev("s1", "review_report", "b", "2009-05-13T10:00"),
              ev("s1", "review_report", "b", "2009-05-13T11:00")):
        assert fresh.submit(e) == rt.submit(e)
    with pytest.raises(ValueError, match="has no state 'lost'"):
        fresh.restore("s1", {**snap, "states": {"report": "lost"}})
