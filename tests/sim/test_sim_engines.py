"""The exact engine on the real runtime, the fast engine, and how they agree."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sfd_workflow as sfd
from sfd_workflow import sim


@pytest.fixture(scope="module")
def spec() -> sfd.Spec:
    """The built-in spec."""
    return sfd.load_spec("builtin:xuhui-edu-2009")


@pytest.fixture(scope="module")
def roster(spec: sfd.Spec) -> sfd.Roster:
    """A district of 140 units, the issue's example."""
    return sim.district(140, 2009, spec=spec)


@pytest.fixture(scope="module")
def exact(spec: sfd.Spec, roster: sfd.Roster) -> sim.SimResult:
    """The district through the whole 2009 campaign, event by event."""
    return sim.run(spec, roster, engine="exact", seed=2009)


def _replay(spec: sfd.Spec, roster: sfd.Roster,
            events: list[dict[str, object]]) -> collections.Counter[object]:
    import json

    compiled = sfd.compile_workflow(spec)
    lines = [json.dumps(e, ensure_ascii=False) for e in events]
    return collections.Counter(r.verdict.reason for r in sfd.replay(compiled, roster, lines))


def test_a_district_of_140_units_replays_with_zero_rejections(
        spec: sfd.Spec, roster: sfd.Roster, exact: sim.SimResult) -> None:
    """The exact engine's log, judged afresh by `replay`, has no rejected line."""
    assert exact.events
    assert _replay(spec, roster, exact.events) == {None: len(exact.events)}


def test_the_log_has_reviews_hours_drafts_and_returns(exact: sim.SimResult) -> None:
    """Members' evaluations, hours (R27), drafts, returns for revision (R14) all occur."""
    names = collections.Counter(e["event"] for e in exact.events or ())
    for ev in ("evaluate_report", "masses_evaluate_report", "log_study_hours",
               "submit_report_draft", "send_back_report", "contribute_to_report",
               "submit_speaking_outline", "archive_materials"):
        assert names[ev] > 0, ev
    returns = int(exact.schedule.loops["report"].sum())
    assert names["send_back_report"] == returns
    assert names["approve_report"] == int(exact.schedule.applies["report"].sum())


def test_every_member_logs_48_hours(exact: sim.SimResult, roster: sfd.Roster) -> None:
    """R27: each party member's hours sum to at least 48."""
    hours: collections.Counter[tuple[str, str]] = collections.Counter()
    for e in exact.events or ():
        if e["event"] == "log_study_hours":
            hours[(e["unit"], e["actor"])] += e["payload"]["hours"]  # type: ignore[index]
    for u in roster.units:
        for p in u.people:
            if "member" in p.roles:
                assert hours[(u.id, p.id)] >= 48


def test_exact_and_fast_engines_give_the_same_dates_for_the_same_seed(
        spec: sfd.Spec, roster: sfd.Roster, exact: sim.SimResult) -> None:
    """The fast engine computes what the runtime enforces: every completion date equal."""
    fast = sim.run(spec, roster, engine="fast", seed=2009)
    for s in fast.schedule.steps:
        np.testing.assert_array_equal(fast.schedule.end[s], exact.schedule.end[s], err_msg=s)
        np.testing.assert_array_equal(fast.schedule.start[s], exact.schedule.start[s])


def test_parents_complete_after_their_children(exact: sim.SimResult, roster: sfd.Roster) -> None:
    """R21: a general branch archives only after every sub-branch finished every step."""
    sc = exact.schedule
    ids = list(exact.units.ids or ())
    for i, u in enumerate(roster.units):
        kids = [ids.index(c) for c in roster.children.get(u.id, ())]
        for k in kids:
            assert all(sc.end["solve"][i] >= sc.end[s][k] for s in sc.steps)


def test_retired_branches_skip_three_steps_and_still_finish(exact: sim.SimResult) -> None:
    """R24: the reduced variant completes without life meetings, report or plan."""
    kinds = exact.units.kinds_of()
    retired = kinds == "retired_branch"
    assert retired.any()
    for s in ("life_meetings", "report", "plan"):
        assert not exact.schedule.applies[s][retired].any()
    assert (exact.schedule.end["solve"][retired] > exact.schedule.end["discussion"][retired]).all()


def test_a_sample_of_a_fast_run_expands_into_a_log_that_replays(spec: sfd.Spec) -> None:
    """Fast units expanded through the runtime keep their dates and replay fully accepted."""
    roster = sim.district(300, 5, spec=spec)
    fast = sim.run(spec, roster, engine="fast", seed=5)
    ex = sim.expand(fast, 12, seed=1)
    assert ex.roster is not None and ex.events
    assert _replay(spec, ex.roster, ex.events) == {None: len(ex.events)}
    ids = list(fast.units.ids or ())
    rows = [ids.index(u) for u in ex.units.ids or ()]
    for s in fast.schedule.steps:
        np.testing.assert_array_equal(fast.schedule.end[s][rows], ex.schedule.end[s])


def test_expanding_a_parent_brings_its_children(spec: sfd.Spec) -> None:
    """A general branch cannot finish without its sub-branches: they join the sample."""
    roster = sim.district(140, 1, spec=spec)
    fast = sim.run(spec, roster, engine="fast", seed=1)
    gb = next(u.id for u in roster.units
              if u.kind == "general_branch" and roster.children.get(u.id))
    ex = sim.expand(fast, [gb])
    assert set(ex.units.ids or ()) == {gb, *roster.children[gb]}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(10, 24))
def test_any_small_district_replays_fully_accepted(seed: int, n: int) -> None:
    """Property: for any seed and size, the exact engine's log replays with no rejection."""
    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    roster = sim.district(n, seed % 1000, spec=spec)
    res = sim.run(spec, roster, engine="exact", seed=seed)
    assert _replay(spec, roster, res.events or []) == {None: len(res.events or [])}


def test_the_fast_engine_needs_no_people(spec: sfd.Spec) -> None:
    """National arrays run through the fast engine; the exact engine asks for a roster."""
    units = sim.national(20_000, 3, spec=spec)
    res = sim.run(spec, units, engine="fast", seed=3)
    assert (res.schedule.end["solve"] > res.schedule.first_day).all()
    with pytest.raises(sim.SimulationError, match="needs a roster"):
        sim.run(spec, units, engine="exact", seed=3)
    with pytest.raises(sim.SimulationError, match="unknown engine"):
        sim.run(spec, units, engine="slow", seed=3)  # type: ignore[arg-type]
