"""`sfd_workflow.diff`: what changed between two versions of a spec, and which changes need a
plan for units under way (issue 14)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from sfd_workflow import diff, load_spec
from sfd_workflow.testing import spec_document
from support.versions import (
    BUILTIN,
    add_only,
    builtin_document,
    move_due,
    rename_record,
    rename_state,
    split_life_meetings,
    version,
)


def _changes(doc: dict[str, Any]) -> dict[tuple[str, str, str], bool]:
    d = diff(load_spec(BUILTIN), version(doc))
    return {(c.what, c.where, c.change): c.safe for c in d.changes}


def _transition(doc: dict[str, Any], event: str) -> dict[str, Any]:
    return next(t for p in doc["phases"] for s in p["steps"] for t in s["transitions"]
                if t["event"] == event)


def test_a_spec_has_no_changes_from_itself() -> None:
    """Diffing a spec with itself finds nothing, and nothing needs a plan."""
    spec = load_spec(BUILTIN)
    d = diff(spec, spec)
    assert d.changes == ()
    assert d.safe
    assert d.to_json() == {"old": spec.id, "new": spec.id, "safe": True, "changes": []}


@pytest.mark.parametrize(("day", "safe"), [("2009-07-15", True), ("2009-06-01", False)])
def test_a_later_due_is_safe_and_an_earlier_one_needs_a_plan(day: str, safe: bool) -> None:
    """Moving a due later cannot make a unit late; moving it earlier may."""
    got = _changes(move_due(builtin_document(), "approve_report", day))
    assert got == {("due", "report.approve_report", "changed"): safe}


def test_a_renamed_state_is_a_removed_state_that_needs_a_plan() -> None:
    """A renamed state reads as one removed (needs a plan) and one added (safe)."""
    got = _changes(rename_state(builtin_document(), "report", "evaluating", "under_review"))
    assert got[("state", "report.evaluating", "removed")] is False
    assert got[("state", "report.under_review", "added")] is True


def test_a_split_step_needs_a_plan_where_units_lose_their_place() -> None:
    """Splitting life_meetings removes a state and changes the report's `after`."""
    got = _changes(split_life_meetings(builtin_document()))
    assert got[("step", "org_life", "added")] is True
    assert got[("state", "life_meetings.life_meeting_held", "removed")] is False
    assert got[("step", "report.after", "changed")] is False


def test_a_renamed_record_kind_needs_a_plan() -> None:
    """Live records of a kind the new version lacks need a target."""
    got = _changes(rename_record(builtin_document(), "report_comment", "report_remark"))
    assert got[("record", "report_comment", "removed")] is False
    assert got[("record", "report_remark", "added")] is True


def test_an_add_only_version_is_safe_throughout() -> None:
    """New roles, kinds, states, optional events, phases, steps and later dues are safe."""
    got = _changes(add_only(builtin_document()))
    assert got
    assert all(got.values())
    assert ("step", "added_step", "added") in got
    assert ("transition", "study_research.added_event", "added") in got


@pytest.mark.parametrize(("edit", "safe"), [
    (lambda g: g.update(role=["secretary", "member"]), True),   # one more role accepted
    (lambda g: g.update(has=[*g["has"], "report_comment"]), False),  # a new required record
    (lambda g: g.pop("fields"), True),                          # fewer payload fields asked
    (lambda g: g.update(not_before="2009-06-20"), False),       # a new earliest date
])
def test_a_looser_guard_is_safe_and_a_stricter_one_needs_a_plan(edit: Any, safe: bool) -> None:
    """Guards compare key by key: what every past event met is still met only if looser."""
    doc = builtin_document()
    edit(_transition(doc, "approve_report")["guard"])
    got = _changes(doc)
    assert len(got) == 1
    ((what, where, _), is_safe), = got.items()
    assert what == "guard"
    assert where.startswith("report.approve_report.guard.")
    assert is_safe is safe


def test_removed_roles_and_kinds_need_a_plan_and_titles_are_safe() -> None:
    """A removed role or unit kind changes what a roster may say; a title changes nothing."""
    doc = builtin_document()
    doc["title"] = {"zh": "新标题", "en": "New title"}
    del doc["unit_kinds"]["retired_branch"]
    new = copy.deepcopy(doc)
    got = _changes(new)
    assert got == {("spec", "title", "changed"): True,
                   ("unit_kind", "retired_branch", "removed"): False}


def test_changes_read_in_both_languages_and_as_json() -> None:
    """Every change has a Chinese and an English sentence, and the diff dumps to JSON."""
    d = diff(load_spec(BUILTIN),
             version(move_due(builtin_document(), "approve_report", "2009-07-15")))
    (c,) = d.changes
    assert c.text("en") == "due date report.approve_report changed: 2009-06-30 → 2009-07-15"
    assert c.text("zh") == "截止日期 report.approve_report 修改: 2009-06-30 → 2009-07-15"
    assert json.loads(json.dumps(d.to_json()))["changes"][0]["new"] == "2009-07-15"
    assert d.lines("en") == ["xuhui-edu-2009 → xuhui-edu-2009: 1 change, 0 need a plan",
                             "safe for units under way:", f"  - {c.text('en')}"]


def test_the_testing_kits_edits_leave_their_input_alone() -> None:
    """`sfd_workflow.testing`'s edits copy the document they are given; `spec_document`
    reads a loaded spec or a source alike."""
    spec = load_spec(BUILTIN)
    doc = spec_document(spec)
    assert doc == spec_document(BUILTIN) == spec.document and doc is not spec.document
    before = copy.deepcopy(doc)
    edited = move_due(rename_state(doc, "report", "evaluating", "under_review"),
                      "approve_report", "2009-07-31")
    edited = rename_record(edited, "mobilisation_report", "speech")
    assert doc == before and edited != doc
    assert diff(spec, version(edited)).needing_plan()
