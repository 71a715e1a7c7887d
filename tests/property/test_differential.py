"""Differential test: the core's runtime and the reference interpreter agree on every line.

The reference (tests/reference.py) is written literally from SPEC-FORMAT §3–§5 and shares
no code with `sfd_workflow`. On generated specs, rosters and logs, and on the built-in
2009 spec, both must give the same verdict, reason and late flag for every line.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from sfd_workflow import (
    Runtime,
    compile_workflow,
    replay,
    roster_from_document,
    spec_from_document,
)
from sfd_workflow.testing import event_logs, rosters, specs
from support.reference import reference_replay

#: Custom predicates named by generated specs; each reads only what both sides expose.
PREDICATES: dict[str, Any] = {
    "actor_is_p0": lambda ctx: ctx.actor == "p0",
    "even_utc_hour": lambda ctx: ctx.at.astimezone(dt.UTC).hour % 2 == 0,
}


def _core_replay(
    spec_doc: dict[str, Any], roster_doc: dict[str, Any], lines: list[str]
) -> list[dict[str, Any]]:
    spec = spec_from_document(spec_doc)
    compiled = compile_workflow(spec, predicates=PREDICATES)
    roster = roster_from_document(roster_doc, spec)
    return [r.to_json() for r in replay(compiled, roster, lines)]


def _explain_mismatch(
    spec_doc: dict[str, Any], roster_doc: dict[str, Any], lines: list[str]
) -> None:
    note("spec.json: " + json.dumps(spec_doc, ensure_ascii=False, default=str))
    note("roster.json: " + json.dumps(roster_doc, ensure_ascii=False))
    note("events.jsonl:\n" + "\n".join(lines))


@st.composite
def workflows_rosters_logs(
    draw: st.DrawFn, *, iso_dates: bool = True
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    spec_doc = draw(specs(predicates=sorted(PREDICATES), iso_dates=iso_dates))
    roster_doc = draw(rosters(spec_doc))
    lines = draw(event_logs(spec_doc, roster_doc, predicates=PREDICATES))
    return spec_doc, roster_doc, lines


@given(workflows_rosters_logs())
def test_core_and_reference_agree_on_every_line_of_generated_workflows(
    case: tuple[dict[str, Any], dict[str, Any], list[str]],
) -> None:
    """On any generated spec, roster and log, replay and the reference agree line by line."""
    spec_doc, roster_doc, lines = case
    _explain_mismatch(spec_doc, roster_doc, lines)
    assert _core_replay(spec_doc, roster_doc, lines) == reference_replay(
        spec_doc, roster_doc, lines, PREDICATES
    )


@given(workflows_rosters_logs(iso_dates=False))
def test_core_and_reference_agree_when_dates_are_date_objects(
    case: tuple[dict[str, Any], dict[str, Any], list[str]],
) -> None:
    """Dates given as `datetime.date` (as a YAML loader gives them) judge the same."""
    spec_doc, roster_doc, lines = case
    _explain_mismatch(spec_doc, roster_doc, lines)
    assert _core_replay(spec_doc, roster_doc, lines) == reference_replay(
        spec_doc, roster_doc, lines, PREDICATES
    )


@given(workflows_rosters_logs())
def test_submit_line_gives_the_same_verdicts_as_replay(
    case: tuple[dict[str, Any], dict[str, Any], list[str]],
) -> None:
    """`Runtime.submit_line`, one line at a time, agrees with the reference too."""
    spec_doc, roster_doc, lines = case
    _explain_mismatch(spec_doc, roster_doc, lines)
    spec = spec_from_document(spec_doc)
    rt = Runtime(
        compile_workflow(spec, predicates=PREDICATES), roster_from_document(roster_doc, spec)
    )
    want = reference_replay(spec_doc, roster_doc, lines, PREDICATES)
    for line, expected in zip(lines, want, strict=True):
        v = rt.submit_line(line)
        got = (
            "accepted" if v.accepted else "rejected",
            None if v.reason is None else str(v.reason),
            v.late,
        )
        assert got == (expected["verdict"], expected["reason"], expected["late"]), line


def _builtin_case_check(roster_doc: dict[str, Any], lines: list[str]) -> None:
    from support import xuhui

    note("events.jsonl:\n" + "\n".join(lines))
    spec = xuhui.spec()
    got = [
        r.to_json() for r in replay(xuhui.compiled(), roster_from_document(roster_doc, spec), lines)
    ]
    assert got == reference_replay(xuhui.spec_document(), roster_doc, lines)


@st.composite
def builtin_small_logs(draw: st.DrawFn) -> list[str]:
    from support import xuhui

    full = xuhui.campaign_log()
    prefix = full[: draw(st.integers(0, len(full)))]
    lines: list[str] = draw(
        event_logs(xuhui.spec_document(), xuhui.SMALL_ROSTER, max_events=40, start=prefix)
    )
    return lines


@given(builtin_small_logs())
def test_core_and_reference_agree_on_the_builtin_spec(lines: list[str]) -> None:
    """On builtin:xuhui-edu-2009 (small district, deep prefixes), both agree line by line."""
    from support import xuhui

    _builtin_case_check(xuhui.SMALL_ROSTER, lines)


@given(st.data())
def test_core_and_reference_agree_on_the_builtin_sample_roster(data: st.DataObject) -> None:
    """On builtin:xuhui-edu-2009 with its sample roster (and sample log), both agree."""
    from sfd_workflow._spec._builtin import sample_paths
    from support import xuhui

    roster_doc = xuhui.sample_roster_document()
    if roster_doc is None:
        pytest.skip("the built-in sample roster is not shipped yet")
    _, events_path = sample_paths("xuhui-edu-2009")
    start: list[str] = []
    if events_path is not None and data.draw(st.booleans(), label="start from the sample log"):
        start = events_path.read_text(encoding="utf-8").splitlines()
    lines = data.draw(event_logs(xuhui.spec_document(), roster_doc, max_events=40, start=start))
    _builtin_case_check(roster_doc, lines)
