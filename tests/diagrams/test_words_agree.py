"""One source of words: each guard key reads the same on a diagram and in an explanation.

For every guard key, a transition guarded by that key alone is refused; the explanation's
sentence (zh and en) must carry the very phrase the diagram label shows for that guard.
"""

from __future__ import annotations

from typing import Any

import pytest

import sfd_workflow as sfd
from sfd_workflow import diagrams
from sfd_workflow._checks import GUARD_KEYS

GUARDS: dict[str, dict[str, Any]] = {
    "role": {"role": "secretary"},
    "not_before": {"not_before": "2009-06-01"},
    "has": {"has": ["draft"]},
    "once_per_actor": {"once_per_actor": True},
    "fields": {"fields": ["summary", "goals"]},
    "quorum": {"quorum": {"record": "draft", "role": "member", "at_least": 0.67}},
    "per_person": {"per_person": {"record": "hours", "field": "h", "role": "member",
                                  "at_least": 48}},
    "children": {"children": ["work"]},
    "custom": {"custom": ["never"]},
}


def _spec() -> sfd.Spec:
    transitions: list[dict[str, Any]] = [
        {"event": "make_draft", "from": "open", "to": "open", "records": "draft",
         "guard": {"role": "secretary", "fields": ["x"]}},
        {"event": "log", "from": "open", "to": "open", "records": "hours"},
        {"event": "finish", "from": "open", "to": "done"},
    ]
    for key, guard in GUARDS.items():
        t = {"event": f"try_{key}", "from": "open", "to": "open", "guard": guard}
        if key == "once_per_actor":
            t["records"] = "note"
        transitions.append(t)
    return sfd.spec_from_document({
        "format": "sfd-workflow/1", "id": "words", "title": {"zh": "用语", "en": "Words"},
        "roles": {"secretary": {"zh": "书记", "en": "Secretary"},
                  "member": {"zh": "党员", "en": "Party member"}},
        "records": {"draft": {"zh": "草稿", "en": "Draft"},
                    "hours": {"zh": "学时", "en": "Study hours"},
                    "note": {"zh": "心得", "en": "Note"}},
        "unit_kinds": {"branch": {"title": {"zh": "支部", "en": "Branch"}}},
        "phases": [{"id": "p", "title": "P", "steps": [
            {"id": "work", "title": {"zh": "工作", "en": "Work"}, "states": ["open", "done"],
             "transitions": transitions}]}],
    })


@pytest.fixture(scope="module")
def world() -> tuple[sfd.Spec, sfd.Runtime]:
    spec = _spec()
    roster = sfd.roster_from_document({"units": [
        {"id": "u", "kind": "branch", "people": [{"id": "s", "roles": ["secretary", "member"]},
                                                 {"id": "m1", "roles": ["member"]},
                                                 {"id": "m2", "roles": ["member"]}]},
        {"id": "c", "kind": "branch", "parent": "u", "people": [{"id": "k", "roles": ["member"]}]},
    ]}, spec)
    rt = sfd.Runtime(sfd.compile_workflow(spec, predicates={"never": lambda _ctx: False}), roster)
    assert rt.submit({"unit": "u", "event": "try_once_per_actor", "actor": "m1",
                      "at": "2009-03-01T09:00"}).accepted
    return spec, rt


def test_every_guard_key_is_covered() -> None:
    """The table's guard keys are exactly the keys this test renders."""
    assert tuple(GUARDS) == GUARD_KEYS


@pytest.mark.parametrize("key", list(GUARDS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_explanation_and_diagram_label_say_the_same(world: tuple[sfd.Spec, sfd.Runtime],
                                                   key: str, lang: str) -> None:
    """The refused key's sentence quotes the diagram's phrase for the same guard."""
    spec, rt = world
    t = next(t for t in spec.steps[0].transitions if t.event == f"try_{key}")
    [label] = diagrams.guard_phrases(t.guard, spec, lang, kind=spec.unit_kinds["branch"],
                                     records=t.records)
    actor = "m1" if key in ("role", "once_per_actor") else "s"
    ex = rt.explain("u", t.event, actor, at="2009-03-02T09:00")
    assert [str(r.reason) for r in ex.unmet] == [
        {"has": "missing_record", "once_per_actor": "duplicate"}.get(key, key)]
    sentence = ex.unmet[0].text(lang)
    assert (f"“{label}”" in sentence), (label, sentence)
    assert sfd.diagrams.guard_words(t, spec, lang, kind=spec.unit_kinds["branch"]) == label


def test_a_fraction_quorum_is_worded_once(world: tuple[sfd.Spec, sfd.Runtime]) -> None:
    """0.67 reads "at least 67/100 of" everywhere; the explanation adds the ⌈x·n⌉ it needs."""
    spec, rt = world
    t = next(t for t in spec.steps[0].transitions if t.event == "try_quorum")
    assert diagrams.guard_phrases(t.guard, spec, "en") == (
        "Draft from at least 67/100 of Party members",)
    assert diagrams.guard_phrases(t.guard, spec, "zh") == ("至少67/100的党员已有草稿",)
    [req] = rt.explain("u", "try_quorum", "s", at="2009-03-02T09:00").unmet
    assert req.en == ("requires “Draft from at least 67/100 of Party members”: 3 needed, "
                      "0 of 3, 3 more needed")  # ⌈0.67 × 3⌉ = 3
    assert req.zh == "须满足“至少67/100的党员已有草稿”：需 3 人，已有 0/3，还差 3"
