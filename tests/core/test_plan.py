"""Migration plans: the automatic plan, the YAML format, bad plans with file:line, and
completeness for a set of units (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfd_workflow import MigrationPlanError, Spec, auto_plan, load_plan, load_spec, plan_from_text
from support.versions import (
    BUILTIN,
    builtin_document,
    rename_record,
    rename_state,
    split_life_meetings,
    version,
)


@pytest.fixture(scope="module")
def old() -> Spec:
    """The built-in spec."""
    return load_spec(BUILTIN)


@pytest.fixture(scope="module")
def renamed() -> Spec:
    """The built-in with report.evaluating renamed and report_comment renamed."""
    doc = rename_state(builtin_document(), "report", "evaluating", "under_review")
    return version(rename_record(doc, "report_comment", "report_remark"))


def _snap(states: dict[str, str], kinds: tuple[str, ...] = ()) -> dict[str, object]:
    return {"states": states, "last_at": None,
            "records": [{"kind": k, "actor": "p", "at": "2009-05-01T00:00:00+08:00",
                         "payload": {}, "event": "e", "retired": False} for k in kinds]}


def test_the_automatic_plan_of_a_spec_to_itself_is_complete(old: Spec) -> None:
    """Every state and record kind maps to itself."""
    plan = auto_plan(old, old)
    assert plan.missing() == []
    assert plan.state_target("report", "evaluating") == (("report", "evaluating"),)
    assert plan.record_target("report_comment") == "report_comment"


def test_the_automatic_plan_leaves_renamed_items_undecided(old: Spec, renamed: Spec) -> None:
    """A state or kind without a same-id counterpart has no target."""
    missing = [p.message for p in auto_plan(old, renamed).missing()]
    assert missing == ["no target for state 'evaluating' of step 'report'",
                       "no target for record kind 'report_comment'"]


def test_a_written_plan_reads_back_and_points_at_its_nulls(old: Spec, renamed: Spec,
                                                           tmp_path: Path) -> None:
    """`to_yaml` writes every entry; loading it gives the same targets, and what is missing
    is reported at the line of its `null`."""
    text = auto_plan(old, renamed).to_yaml()
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    plan = load_plan(path, old, renamed)
    lines = text.splitlines()
    (state, record) = plan.missing()
    assert lines[state.line - 1].strip().startswith("evaluating: null")
    assert state.path == "states.report.evaluating"
    assert lines[record.line - 1].strip().startswith("report_comment: null")
    assert str(state).startswith(f"{path}:{state.line}: states.report.evaluating: ")
    decided = text.replace("evaluating: null", "evaluating: under_review").replace(
        "report_comment: null", "report_comment: report_remark")
    done = plan_from_text(decided, old, renamed)
    assert done.missing() == []
    for s in old.steps:
        for x in s.states:
            expected = (("report", "under_review"),) if x == "evaluating" and s.id == "report" \
                else ((s.id, x),)
            assert done.state_target(s.id, x) == expected


def test_a_plan_names_only_what_changed(old: Spec, renamed: Spec) -> None:
    """Omitted entries map to the same id; a short plan is complete."""
    plan = plan_from_text("from: {id: xuhui-edu-2009}\nto: {id: xuhui-edu-2009}\n"
                          "states: {report: {evaluating: under_review}}\n"
                          "records: {report_comment: drop}\n", old, renamed)
    assert plan.missing() == []
    assert plan.record_target("report_comment") == "drop"


def test_completeness_depends_on_the_units(old: Spec, renamed: Spec) -> None:
    """A plan that lacks a target is complete for units that do not need it."""
    plan = auto_plan(old, renamed)
    elsewhere = _snap({"report": "drafting"}, ("report_draft",))
    there = _snap({"report": "evaluating"}, ("report_comment",))
    assert plan.missing({"a": elsewhere}) == []
    (state, record) = plan.missing({"a": elsewhere, "b": there, "c": there})
    assert state.message.endswith("(held by 2 units: b, c)")
    assert record.message.endswith("(held by 2 units: b, c)")


def test_a_split_places_units_in_both_new_steps(old: Spec) -> None:
    """`{NEW_STEP: STATE}` targets put a unit in several new steps."""
    new = version(split_life_meetings(builtin_document()))
    plan = plan_from_text(
        "from: {id: xuhui-edu-2009}\nto: {id: xuhui-edu-2009}\nstates:\n  life_meetings:\n"
        "    life_meeting_held: {life_meetings: held, org_life: preparing}\n"
        "    held: {life_meetings: held, org_life: held}\n", old, new)
    assert plan.missing() == []
    assert plan.state_target("life_meetings", "life_meeting_held") == (
        ("life_meetings", "held"), ("org_life", "preparing"))


HEAD = "from: {id: xuhui-edu-2009}\nto: {id: xuhui-edu-2009}\n"


@pytest.mark.parametrize(("text", "line", "words"), [
    (HEAD + "steps: {reprot: report}\n", 3, "'reprot' is not a step of the old version"),
    (HEAD + "steps: {report: nowhere}\n", 3, "'nowhere' is not a step of the new version"),
    (HEAD + "states:\n  report: {evaluatin: drafting}\n", 4,
     "'evaluatin' is not a state of step 'report' of the old version"),
    (HEAD + "states:\n  report:\n    evaluating: nowhere\n", 5,
     "'nowhere' is not a state of new step 'report'"),
    (HEAD + "states:\n  report:\n    evaluating: published\n", 5,
     "'published' is not a state of new step 'report' but of step 'plan'"),
    (HEAD + "states:\n  report:\n    evaluating: {report: preparing}\n", 5,
     "'preparing' is not a state of new step 'report'"),
    (HEAD + "records:\n  report_coment: drop\n", 4,
     "'report_coment' is not a record kind of the old version"),
    (HEAD + "records:\n  report_comment: nothing\n", 4,
     "'nothing' is not a record kind of the new version"),
    ("from: {id: another-spec}\nto: {id: xuhui-edu-2009}\n", 1,
     "the plan is for spec 'another-spec'"),
    ("from: {id: xuhui-edu-2009, sha256: abc}\nto: {id: xuhui-edu-2009}\n", 1,
     "the plan is for another version of 'xuhui-edu-2009'"),
    ("from: {id: xuhui-edu-2009}\n", 1, "missing required key 'to'"),
    (HEAD + "step: {}\n", 3, "unknown key 'step'"),
    ("- not a mapping\n", 1, "must be a mapping"),
    (HEAD + "states: {report: {a: [}\n", 3, "not valid YAML"),
])
def test_bad_plans_fail_with_file_and_line(old: Spec, text: str, line: int, words: str) -> None:
    """Each bad plan is one `MigrationPlanError` whose first problem names the plan's line."""
    with pytest.raises(MigrationPlanError) as info:
        plan_from_text(text, old, old, "plan.yaml")
    err = info.value
    assert err.source == "plan.yaml"
    assert err.line == line, str(err)
    assert words in str(err)
    assert "\n" not in str(err)


def test_two_old_steps_cannot_fill_one_new_step(old: Spec) -> None:
    """A new step takes its units' state from one old step only."""
    with pytest.raises(MigrationPlanError,
                       match="would take its state from both old step 'plan' and"):
        plan_from_text(HEAD + "steps: {solve: plan}\n", old, old, "plan.yaml")


def test_an_unreadable_plan_file_is_a_plan_error(old: Spec, tmp_path: Path) -> None:
    """A missing file names the file."""
    with pytest.raises(MigrationPlanError, match="no such file"):
        load_plan(tmp_path / "nope.yaml", old, old)


def test_a_written_plan_quotes_ids_yaml_would_misread() -> None:
    """States called `on` or `123` are strings in a spec; the written plan keeps them so."""
    doc = rename_state(rename_state(builtin_document(), "report", "evaluating", "on"),
                       "plan", "drafting", "123")
    spec = version(doc)
    text = auto_plan(spec, spec).to_yaml()
    assert '"on": "on"' in text
    plan = plan_from_text(text, spec, spec)
    assert plan.state_target("report", "on") == (("report", "on"),)
    assert plan.state_target("plan", "123") == (("plan", "123"),)
    assert plan.missing() == []
