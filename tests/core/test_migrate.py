"""Applying a migration plan to a snapshot and to a whole `Runtime` (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest

from sfd_workflow import (
    MigrationPlanError,
    Roster,
    RosterError,
    Runtime,
    Spec,
    auto_plan,
    compile_workflow,
    load_roster,
    load_spec,
    migrate_runtime,
    plan_from_text,
    read_event_lines,
    replay,
)
from sfd_workflow._migrate import MIGRATION_KIND
from sfd_workflow._spec._builtin import sample_paths
from support.versions import (
    BUILTIN,
    builtin_document,
    move_due,
    rename_record,
    rename_state,
    split_life_meetings,
    version,
)

AT = dt.datetime(2009, 6, 1, tzinfo=dt.UTC)
HEAD = "from: {id: xuhui-edu-2009}\nto: {id: xuhui-edu-2009}\n"


@pytest.fixture(scope="module")
def old() -> Spec:
    """The built-in spec."""
    return load_spec(BUILTIN)


@pytest.fixture(scope="module")
def roster(old: Spec) -> Roster:
    """The built-in's sample roster."""
    return load_roster(sample_paths("xuhui-edu-2009")[0], old)


@pytest.fixture(scope="module")
def log() -> list[str]:
    """The built-in's sample log."""
    return read_event_lines(sample_paths("xuhui-edu-2009")[1])


def _run(spec: Spec, roster: Roster, lines: list[str]) -> Runtime:
    rt = Runtime(compile_workflow(spec), roster)
    for _ in replay(rt.compiled, roster, lines, runtime=rt):
        pass
    return rt


def _where(rt: Runtime, step: str, state: str) -> list[str]:
    return [u for u in rt.unit_ids() if rt.state(u)[step] == state]


def test_the_identity_plan_keeps_every_unit_as_it_was(old: Spec, roster: Roster,
                                                      log: list[str]) -> None:
    """States, live records, last_at and the log are kept; history gains one note."""
    rt = _run(old, roster, log[:60])
    moved = migrate_runtime(rt, auto_plan(old, old), at=AT)
    assert moved.log == rt.log
    for u in rt.unit_ids():
        assert moved.state(u) == rt.state(u)
        assert moved.last_at(u) == rt.last_at(u)
        before = rt.snapshot(u)
        after = moved.snapshot(u)
        assert after["records"][:-1] == before["records"]
        note = after["records"][-1]
        assert note["kind"] == MIGRATION_KIND
        assert note["retired"] is True
        assert note["at"] == AT.isoformat()
        assert note["payload"]["states"] == {} and note["payload"]["records"] == {}


def test_a_renamed_state_and_record_move_units_and_keep_their_history(
        old: Spec, roster: Roster, log: list[str]) -> None:
    """Units in the renamed state land in its new name; live records change kind; retired
    records stay as they were; the note says what moved."""
    doc = rename_state(builtin_document(), "report", "evaluating", "under_review")
    new = version(rename_record(doc, "member_evaluation", "evaluation"))
    rt = _run(old, roster, log[:80])
    inside = _where(rt, "report", "evaluating")
    assert inside
    plan = plan_from_text(HEAD + "states: {report: {evaluating: under_review}}\n"
                          "records: {member_evaluation: evaluation}\n", old, new, "p.yaml")
    moved = migrate_runtime(rt, plan, at=AT)
    assert _where(moved, "report", "under_review") == inside
    u = inside[0]
    kinds_before = [r.kind for r in rt.records(u)]
    assert "member_evaluation" in kinds_before
    assert [r.kind for r in moved.records(u)] == [
        "evaluation" if k == "member_evaluation" else k for k in kinds_before]
    assert moved.last_at(u) == rt.last_at(u)
    retired = [r.kind for r in moved.records(u, live=False) if r.retired]
    assert retired[:-1] == [r.kind for r in rt.records(u, live=False) if r.retired]
    note = moved.records(u, live=False)[-1].payload
    assert {k: list(v) for k, v in note["states"].items()} == {
        "report.evaluating": ["report.under_review"]}
    assert note["records"] == {"member_evaluation": "evaluation"}
    assert note["plan"] == "p.yaml"


def test_dropped_records_are_retired_and_no_longer_count(old: Spec, roster: Roster,
                                                          log: list[str]) -> None:
    """`drop` retires a unit's live records of a kind: guards stop seeing them."""
    rt = _run(old, roster, log[:80])
    plan = plan_from_text(HEAD + "records: {member_evaluation: drop}\n", old, old)
    moved = migrate_runtime(rt, plan, at=AT)
    for u in rt.unit_ids():
        assert [r.kind for r in moved.records(u)] == [
            r.kind for r in rt.records(u) if r.kind != "member_evaluation"]


def test_a_split_step_places_units_in_both_halves(old: Spec, roster: Roster,
                                                  log: list[str]) -> None:
    """Units past the democratic life meeting are done with the first half and start or
    finish the second; units not yet there start both halves."""
    new = version(split_life_meetings(builtin_document()))
    rt = _run(old, roster, log)
    plan = plan_from_text(
        HEAD + "states:\n  life_meetings:\n"
        "    life_meeting_held: {life_meetings: held, org_life: preparing}\n"
        "    held: {life_meetings: held, org_life: held}\n", old, new)
    moved = migrate_runtime(rt, plan, at=AT)
    assert {rt.state(u)["life_meetings"] for u in rt.unit_ids()} >= {"preparing", "held"}
    for u in rt.unit_ids():
        was = rt.state(u)["life_meetings"]
        now = moved.state(u)
        assert (now["life_meetings"], now["org_life"]) == {
            "preparing": ("preparing", "preparing"),
            "life_meeting_held": ("held", "preparing"),
            "held": ("held", "held")}[was]
        assert {k: v for k, v in now.items() if k != "org_life"} == {
            **rt.state(u), "life_meetings": now["life_meetings"]}


def test_an_incomplete_plan_moves_nothing_and_names_the_units(old: Spec, roster: Roster,
                                                               log: list[str]) -> None:
    """A unit in a state without a target stops the whole migration before it starts."""
    new = version(rename_state(builtin_document(), "report", "evaluating", "under_review"))
    rt = _run(old, roster, log[:80])
    inside = _where(rt, "report", "evaluating")
    with pytest.raises(MigrationPlanError) as info:
        migrate_runtime(rt, auto_plan(old, new))
    assert "no target for state 'evaluating' of step 'report'" in str(info.value)
    assert inside[0] in str(info.value)
    assert _where(rt, "report", "evaluating") == inside


def test_a_plan_for_another_spec_is_refused(old: Spec, roster: Roster) -> None:
    """The runtime must run the plan's old spec."""
    new = version(move_due(builtin_document(), "approve_report", "2009-07-15"))
    rt = Runtime(compile_workflow(new), roster)
    with pytest.raises(MigrationPlanError, match="the plan moves units of"):
        migrate_runtime(rt, auto_plan(old, new))


def test_a_roster_the_new_version_cannot_hold_is_a_roster_error(old: Spec,
                                                                 roster: Roster) -> None:
    """Removing a unit kind the roster uses stops the migration with the roster's error."""
    doc = builtin_document()
    del doc["unit_kinds"]["retired_branch"]
    rt = Runtime(compile_workflow(old), roster)
    with pytest.raises(RosterError, match="retired_branch"):
        migrate_runtime(rt, auto_plan(old, version(doc)))


def test_half_a_campaign_then_a_new_version_then_the_rest(old: Spec, roster: Roster,
                                                          log: list[str]) -> None:
    """The issue's scenario on a runtime: half the sample log, a version with a moved due
    and a renamed state, the other half. Later verdicts follow the new spec: the report
    approved after the old due is no longer late; everything else is judged as before."""
    half = len(log) // 2
    doc = move_due(builtin_document(), "approve_report", "2009-07-31")
    new = version(rename_state(doc, "report", "evaluating", "under_review"))
    rt = _run(old, roster, log[:half])
    plan = plan_from_text(HEAD + "states: {report: {evaluating: under_review}}\n", old, new)
    moved = migrate_runtime(rt, plan, at=AT)
    after = list(replay(moved.compiled, moved.roster, log[half:], runtime=moved))
    before = list(replay(rt.compiled, rt.roster, log[half:], runtime=rt))
    changed = [(a.unit, a.event, b.verdict.late, a.verdict.late)
               for a, b in zip(after, before, strict=True) if a.verdict != b.verdict]
    assert changed == [("xh-ms-01", "approve_report", True, False)]
    for u in rt.unit_ids():
        expected = rt.state(u)
        if expected["report"] == "evaluating":
            expected["report"] = "under_review"
        assert moved.state(u) == expected
