"""The titles extension: ``states`` and guard ``fields`` entries as ``{id, title}``."""

from __future__ import annotations

from pathlib import Path

import pytest

import sfd_workflow as sfd
from sfd_workflow import diagrams
from sfd_workflow.testing._oracle import WorkflowModel

DATA = Path(__file__).parents[1] / "data" / "good"
PLAIN = (DATA / "review.yaml").read_text(encoding="utf-8")
TITLED = PLAIN.replace(
    "states: [drafting, in_review, approved]",
    "states: [{id: drafting, title: {zh: 起草中, en: Drafting}}, in_review,\n"
    "                 {id: approved, title: {zh: 已审定, en: Approved}}]",
).replace(
    "guard: {role: member, fields: [hours]}",
    "guard: {role: member, fields: [{id: hours, title: {zh: 学时, en: Hours}}]}",
)


def test_titled_states_and_fields_load_as_ids_with_titles() -> None:
    """Ids stay plain tuples (the engine sees no change); titles sit beside them."""
    spec = sfd.spec_from_text(TITLED, "titled.yaml")
    report = spec.step_by_id["report"]
    assert report.states == ("drafting", "in_review", "approved")
    assert report.state_title("drafting").get("zh") == "起草中"
    assert report.state_title("approved").get("en") == "Approved"
    assert report.state_title("in_review").get("en") == "in_review"  # falls back to the id
    learn = spec.step_by_id["learn"]
    assert learn.transitions[0].guard.fields == ("hours",)
    assert spec.field_title("hours").get("zh") == "学时"
    assert spec.field_title("attachment").get("zh") == "attachment"


def test_titles_change_no_verdict() -> None:
    """The titled spec compiles to the same machine: same guard, same states, and the
    independent oracle reads the titled document the same way."""
    plain = sfd.spec_from_text(PLAIN, "plain.yaml")
    titled = sfd.spec_from_text(TITLED, "titled.yaml")
    assert [s.states for s in plain.steps] == [s.states for s in titled.steps]
    assert [t.guard for _, t in plain.transitions()] == [t.guard for _, t in titled.transitions()]
    a = WorkflowModel.from_document(plain.document)
    b = WorkflowModel.from_document(titled.document)
    assert a == b


@pytest.mark.parametrize(("entry", "message"), [
    ("{id: drafting}", "missing"),
    ("{title: {zh: 起草中}}", "missing"),
    ("{id: drafting, title: 7}", "must be a string or a map"),
    ("{id: Drafting!, title: x}", "state"),
    ("{id: drafting, title: x, colour: red}", "colour"),
])
def test_a_bad_titled_state_is_an_error_with_its_line(entry: str, message: str) -> None:
    """A malformed entry names the file, its line and the path of the entry."""
    text = PLAIN.replace("states: [drafting, in_review, approved]",
                         f"states: [{entry}, in_review, approved]")
    with pytest.raises(sfd.SpecError) as info:
        sfd.spec_from_text(text, "bad.yaml")
    first = str(info.value.problems[0])
    line = PLAIN.splitlines().index(
        "        states: [drafting, in_review, approved]") + 1
    assert first.startswith(f"bad.yaml:{line}: phases[1].steps[0].states[0]"), first
    assert message in first


def test_the_machine_and_unit_pictures_use_state_titles() -> None:
    """The machine picture writes the state's title in the chosen language, not its id."""
    spec = sfd.spec_from_text(TITLED, "titled.yaml")
    zh = diagrams.machine(spec, "school").dot
    en = diagrams.machine(spec, "school", lang="en").dot
    both = diagrams.machine(spec, "school", lang="both").dot
    assert "起草中" in zh and ">drafting<" not in zh
    assert "Drafting" in en and "起草中" not in en
    assert "起草中" in both and "Drafting" in both
    assert "初始状态" in both and "initial state" in both  # the legend follows --lang
