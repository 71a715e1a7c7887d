"""The suite can fail: every mutant of the built-in spec is killed by some property.

Mutants of `builtin:xuhui-edu-2009`: each guard key of each transition dropped in turn,
each `role` widened to every role, each step's `after` removed (an explicit `after` falls
back to the default; a default one becomes ``after: []``; the first step is left out, as
``after: []`` is its default already). For each mutant the planner builds candidate logs
aimed at the changed transition (planned in the mutant, where the mutant allows more, and in
the original, where it allows less), the mutant runtime replays them, and the properties of
`invariants.py` are checked in order: the domain invariants first, conformance to
SPEC-FORMAT §4 on the original spec last. The killing log is shrunk (lines dropped while
the same property still fails) and printed with the table.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sfd_workflow import compile_workflow, roster_from_document, spec_from_document
from sfd_workflow.testing._oracle import RosterModel, WorkflowModel
from sfd_workflow.testing._reach import PlanError, Planner
from sfd_workflow.testing._world import WorldModel
from support import invariants, xuhui

Mutant = tuple[str, dict[str, Any], str, int]  # id, document, step id, transition index

#: Mutants that cannot change any verdict, with the reason: the state the transition leaves
#: can only be entered by transitions that record every kind its `has` asks for, and the
#: spec never clears those kinds. The test checks that they do survive, so this list stays
#: honest.
EQUIVALENT = {
    "drop life_meetings.hold_org_life_meeting#2 guard.has": (
        "life_meeting_held is entered only by hold_democratic_life_meeting, which records"
        " democratic_life_meeting"
    ),
    "drop solve.archive_materials#10 guard.has": (
        "evaluated is reached only through summarise, notify and evaluate, which record"
        " campaign_summary, notification and satisfaction_evaluation"
    ),
}


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in doc["phases"] for s in p["steps"]]


def mutants() -> Iterator[Mutant]:
    """Every mutant of the built-in spec, with the transition it changes."""
    original = xuhui.spec_document()
    all_roles = sorted(original["roles"])
    for si, step in enumerate(_steps(original)):
        for ti, t in enumerate(step["transitions"]):
            for key in t.get("guard") or {}:
                doc = copy.deepcopy(original)
                del _steps(doc)[si]["transitions"][ti]["guard"][key]
                yield f"drop {step['id']}.{t['event']}#{ti} guard.{key}", doc, step["id"], ti
            role = (t.get("guard") or {}).get("role")
            if role is not None and sorted([role] if isinstance(role, str) else role) != all_roles:
                doc = copy.deepcopy(original)
                _steps(doc)[si]["transitions"][ti]["guard"]["role"] = all_roles
                yield f"widen {step['id']}.{t['event']}#{ti} guard.role", doc, step["id"], ti
        if si == 0 and "after" not in step:
            continue  # `after: []` is the first step's default: an equivalent mutant
        doc = copy.deepcopy(original)
        if "after" in step:
            del _steps(doc)[si]["after"]
        else:
            _steps(doc)[si]["after"] = []
        yield f"remove {step['id']}.after", doc, step["id"], 0


def _original_roles(unit: str, person: str) -> frozenset[str]:
    u = next(x for x in xuhui.SMALL_ROSTER["units"] if x["id"] == unit)
    p = next(x for x in u["people"] if x["id"] == person)
    return xuhui.workflow().effective_roles(u["kind"], p["roles"])


def candidate_logs(doc: dict[str, Any], step_id: str, index: int) -> Iterator[list[str]]:
    """Logs aimed at one transition: fired in the mutant (by each person, once and twice)
    and in the original."""
    roster = RosterModel.from_document(xuhui.SMALL_ROSTER)
    original_t = xuhui.workflow().steps[step_id].transitions[index]
    wanted = set(original_t.guard.role or ())
    models: list[WorkflowModel] = [WorkflowModel.from_document(doc), xuhui.workflow()]
    for wf in models:
        units = list(roster.units)
        for unit in units:
            people = list(roster.units[unit].people)
            # People without the original role first: they probe widened or dropped roles.
            people.sort(key=lambda p: bool(wanted & _original_roles(unit, p)))
            for person in people:
                for times in (1, 2):
                    planner = Planner(WorldModel(wf, roster), xuhui.START)
                    t = wf.steps[step_id].transitions[index]
                    try:
                        for _ in range(times):
                            planner.fire(unit, t, actor=person)
                    except PlanError:
                        continue
                    yield planner.lines


def _violation(
    compiled: Any,
    roster: Any,
    lines: list[str],
    only: Callable[[invariants.Observation], str | None] | None = None,
) -> tuple[str, str] | None:
    obs = invariants.observe(compiled, roster, xuhui.SMALL_ROSTER, lines)
    if only is not None:
        msg = only(obs)
        return None if msg is None else ("", msg)
    return invariants.first_violation(obs)


def shrink(compiled: Any, roster: Any, lines: list[str], name: str) -> list[str]:
    """Drop lines (last first) while the same property still fails."""
    prop = dict(invariants.PROPERTIES)[name]
    current = list(lines)
    i = len(current) - 1
    while i >= 0:
        trial = current[:i] + current[i + 1 :]
        if trial and _violation(compiled, roster, trial, prop) is not None:
            current = trial
        i -= 1
    return current


def kill(doc: dict[str, Any], step_id: str, index: int) -> tuple[str, str, list[str]] | None:
    """The property that kills the mutant, its message and the shrunk log, or None."""
    spec = spec_from_document(doc)
    compiled = compile_workflow(spec)
    roster = roster_from_document(xuhui.SMALL_ROSTER, spec)
    seen: set[tuple[str, ...]] = set()
    for lines in candidate_logs(doc, step_id, index):
        if tuple(lines) in seen:
            continue
        seen.add(tuple(lines))
        found = _violation(compiled, roster, lines)
        if found is not None:
            name, _msg = found
            small = shrink(compiled, roster, lines, name)
            final = _violation(compiled, roster, small, dict(invariants.PROPERTIES)[name])
            assert final is not None
            return name, final[1], small
    return None


def test_every_mutant_of_the_builtin_spec_is_killed_by_some_property(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each mutant (guard key dropped, role widened, after removed) fails a property."""
    rows = []
    survivors = []
    for mutant_id, doc, step_id, index in mutants():
        result = kill(doc, step_id, index)
        if result is None:
            survivors.append(mutant_id)
            why = EQUIVALENT.get(mutant_id, "")
            rows.append((mutant_id, "EQUIVALENT" if why else "SURVIVED", why, []))
        else:
            rows.append((mutant_id, *result))
    by_property: dict[str, int] = {}
    out = ["", "mutation table of builtin:xuhui-edu-2009 (mutant -> killed by; shrunk log):"]
    for mutant_id, name, msg, lines in rows:
        by_property[name] = by_property.get(name, 0) + 1
        out.append(f"* {mutant_id} -> {name}: {msg}")
        out.extend(f"    {line}" for line in lines)
    out.append(
        f"{len(rows) - len(survivors)}/{len(rows) - len(EQUIVALENT)} non-equivalent"
        f" mutants killed ({len(EQUIVALENT)} equivalent); by property: "
        + json.dumps(by_property, ensure_ascii=False)
    )
    with capsys.disabled():
        print("\n".join(out))
    assert sorted(survivors) == sorted(EQUIVALENT), (
        f"mutants not killed: {sorted(set(survivors) - set(EQUIVALENT))}; "
        f"equivalent mutants killed: {sorted(set(EQUIVALENT) - set(survivors))}"
    )
    assert len(rows) > 100
