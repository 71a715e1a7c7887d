"""Named invariants of the built-in 2009 campaign hold over any sequence of events.

Logs start from a prefix of a planned full campaign of the small district (so they reach
deep states: approvals, summaries, archiving) and go on with events drawn by
`sfd_workflow.testing.event_logs` (plausible ones and every kind of bad one). The
properties themselves live in `invariants.py`; test_mutation.py shows they can fail.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from sfd_workflow.testing import event_logs
from support import invariants, xuhui

# Each example replays up to ~200 lines several times: fewer examples than the profile's.
FEWER = settings(max_examples=max(10, settings().max_examples // 2))


@st.composite
def campaign_logs(draw: st.DrawFn) -> list[str]:
    """A prefix of the planned campaign, then up to 40 drawn events."""
    full = xuhui.campaign_log()
    prefix = full[: draw(st.integers(0, len(full)), label="prefix length")]
    lines: list[str] = draw(
        event_logs(xuhui.spec_document(), xuhui.SMALL_ROSTER, max_events=40, start=prefix)
    )
    return lines


def _observe(lines: list[str], *, noted: bool = False) -> invariants.Observation:
    if noted:
        note(
            "events.jsonl (replay with the small roster of tests/property/xuhui.py):\n"
            + "\n".join(lines)
        )
    return invariants.observe(xuhui.compiled(), xuhui.small_roster(), xuhui.SMALL_ROSTER, lines)


@pytest.mark.parametrize(
    ("name", "prop"), invariants.PROPERTIES, ids=[n for n, _ in invariants.PROPERTIES]
)
def test_each_named_invariant_holds_on_the_planned_campaign(name: str, prop: Any) -> None:
    """Every property holds on the whole planned campaign of every unit."""
    assert prop(_observe(list(xuhui.campaign_log()))) is None, name


@FEWER
@given(campaign_logs())
def test_named_invariants_hold_over_any_sequence_of_events(lines: list[str]) -> None:
    """R14, R15, phase order, R21, R24, R27, rejection and determinism hold on any log."""
    obs = _observe(lines, noted=True)
    for name, prop in invariants.PROPERTIES:
        msg = prop(obs)
        assert msg is None, f"{name}: {msg}"


def test_the_planned_campaign_reaches_the_end_everywhere() -> None:
    """The campaign prefix the logs start from completes every step of every unit."""
    obs = _observe(list(xuhui.campaign_log()))
    assert all(st.accepted for st in obs.steps)
    end = obs.steps[-1].after
    for unit in end:
        for step in xuhui.STEPS:
            assert end[unit][step] in xuhui.finals(step) or (
                unit == "rb" and step in invariants.RETIRED_SKIPS
            ), (unit, step, end[unit][step])
