"""Properties of spec migration (issue 14), on generated specs, rosters and logs.

* The identity plan (a spec to itself) changes nothing a user can observe: states, live
  records, last_at, and the verdict of every later event.
* For a version that only adds (a role, a unit kind, a state reached by a new optional
  event, a new step no other step waits for, later dues), `diff` finds only safe changes, the
  automatic plan is complete for every unit wherever the log left it, and every line of a log
  gets the same acceptance and reason whether judged by the old version, by the new one, or
  by the old one up to any point and the new one after it; only `late` may turn false.
* A migration applied to an event store and to a runtime gives the same states, and the
  same verdicts after it; the store then verifies with a full replay.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from typing import Any

from hypothesis import given, note, settings
from hypothesis import strategies as st

from sfd_workflow import (
    Runtime,
    auto_plan,
    compile_workflow,
    diff,
    migrate_runtime,
    replay,
    roster_from_document,
    spec_from_document,
)
from sfd_workflow.store import EventStore, migrate_store
from sfd_workflow.testing import event_logs, rosters, specs
from support.versions import add_only

PREDICATES: dict[str, Any] = {"actor_is_p0": lambda ctx: ctx.actor == "p0"}
AT = dt.datetime(2010, 1, 1, tzinfo=dt.UTC)


@st.composite
def campaigns(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], list[str], int]:
    """A spec document, a roster, a log and a point in the log to migrate at."""
    spec = draw(specs(predicates=sorted(PREDICATES)))
    roster = draw(rosters(spec))
    log = draw(event_logs(spec, roster, predicates=PREDICATES))
    return spec, roster, log, draw(st.integers(0, len(log)))


def _runtime(spec_doc: dict[str, Any], roster_doc: dict[str, Any]) -> Runtime:
    spec = spec_from_document(spec_doc)
    return Runtime(compile_workflow(spec, PREDICATES), roster_from_document(roster_doc, spec))


def _judge(rt: Runtime, lines: list[str]) -> list[tuple[bool, Any, bool]]:
    return [(r.verdict.accepted, r.verdict.reason, r.verdict.late)
            for r in replay(rt.compiled, rt.roster, lines, runtime=rt)]


def _observed(rt: Runtime) -> dict[str, Any]:
    return {u: (rt.state(u), rt.last_at(u),
                [(r.kind, r.actor, r.at, dict(r.payload), r.event) for r in rt.records(u)])
            for u in rt.unit_ids()}


@given(campaigns())
def test_the_identity_plan_changes_nothing_observable(
        campaign: tuple[dict[str, Any], dict[str, Any], list[str], int]) -> None:
    """Migrating a runtime to its own spec midway changes no state and no later verdict."""
    spec_doc, roster_doc, log, cut = campaign
    whole = _runtime(spec_doc, roster_doc)
    expected = _judge(whole, log)
    rt = _runtime(spec_doc, roster_doc)
    got = _judge(rt, log[:cut])
    before = _observed(rt)
    moved = migrate_runtime(rt, auto_plan(rt.spec, rt.spec), predicates=PREDICATES, at=AT)
    assert _observed(moved) == before
    got += _judge(moved, log[cut:])
    assert got == expected
    assert _observed(moved) == _observed(whole)


@given(campaigns(), st.integers(0, 30))
def test_an_add_only_version_takes_every_unit_and_every_log(
        campaign: tuple[dict[str, Any], dict[str, Any], list[str], int], days: int) -> None:
    """Add-only versions are safe, the automatic plan always suffices, and acceptance and
    reasons do not change whichever version judges which part of the log."""
    spec_doc, roster_doc, log, cut = campaign
    new_doc = add_only(spec_doc, days)
    note(f"cut at line {cut + 1}")
    old_rt = _runtime(spec_doc, roster_doc)
    new_rt = _runtime(new_doc, roster_doc)
    assert diff(old_rt.spec, new_rt.spec).safe
    by_old = _judge(old_rt, log)
    by_new = _judge(new_rt, log)
    rt = _runtime(spec_doc, roster_doc)
    mixed = _judge(rt, log[:cut])
    plan = auto_plan(rt.spec, new_rt.spec)
    assert plan.missing({u: rt.snapshot(u) for u in rt.unit_ids()}) == []
    moved = migrate_runtime(rt, plan, predicates=PREDICATES, at=AT)
    mixed += _judge(moved, log[cut:])
    for old, new, mix in zip(by_old, by_new, mixed, strict=True):
        assert old[:2] == new[:2] == mix[:2]
        assert new[2] <= old[2] and mix[2] <= old[2]
    assert {u: s[0] for u, s in _observed(moved).items()} == {
        u: s[0] for u, s in _observed(new_rt).items()}


@settings(max_examples=15)
@given(campaigns(), st.integers(0, 30))
def test_a_store_and_a_runtime_migrate_alike(
        campaign: tuple[dict[str, Any], dict[str, Any], list[str], int], days: int) -> None:
    """The same plan at the same point of the same log: same states, same later verdicts."""
    spec_doc, roster_doc, log, cut = campaign
    rt = _runtime(spec_doc, roster_doc)
    _judge(rt, log[:cut])
    new = spec_from_document(add_only(spec_doc, days))
    plan = auto_plan(rt.spec, new)
    moved = migrate_runtime(rt, plan, predicates=PREDICATES, at=AT)
    expected = _judge(moved, log[cut:])
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/store.db"
        with EventStore.create(url, rt.spec, rt.roster, predicates=PREDICATES) as store:
            for line in log[:cut]:
                store.submit(line)
            migrate_store(store, new, plan, at=AT)
        with EventStore.open(url, predicates=PREDICATES, snapshot_every=2) as store:
            got = [(v.accepted, v.reason, v.late) for v in map(store.submit, log[cut:])]
            states = {u: store.state(u) for u in moved.unit_ids()}
            report = store.verify(replay=True)
    assert got == expected
    assert states == {u: moved.state(u) for u in moved.unit_ids()}
    assert report.ok, report.lines()


def _tree_units(roster: Any, roots: list[str]) -> set[str]:
    out, todo = set(), list(roots)
    while todo:
        unit = todo.pop()
        out.add(unit)
        todo.extend(roster.children.get(unit, ()))
    return out


@settings(max_examples=15)
@given(campaigns(), st.integers(0, 30), st.data())
def test_a_store_migrated_by_trees_judges_each_tree_by_its_version(
        campaign: tuple[dict[str, Any], dict[str, Any], list[str], int], days: int,
        data: st.DataObject) -> None:
    """Some root trees moved (`units=`), the others not: the same states and later verdicts
    as a runtime of each version, each unit judged by its tree's (a line naming no unit of
    the roster by the store's latest version); the store then verifies with a full replay."""
    spec_doc, roster_doc, log, cut = campaign
    rt = _runtime(spec_doc, roster_doc)
    _judge(rt, log[:cut])
    roots = [u.id for u in rt.roster.units if u.parent is None]
    chosen = data.draw(st.lists(st.sampled_from(roots), min_size=1, unique=True), "roots")
    inside = _tree_units(rt.roster, chosen)
    new = spec_from_document(add_only(spec_doc, days))
    plan = auto_plan(rt.spec, new)
    moved = migrate_runtime(rt, plan, predicates=PREDICATES, at=AT)

    def judged_by(line: str) -> Runtime:
        try:
            unit = json.loads(line).get("unit")
        except (ValueError, AttributeError):
            unit = None
        known = isinstance(unit, str) and unit in rt.roster.by_id
        return rt if known and unit not in inside else moved

    expected = [(v.accepted, v.reason, v.late)
                for v in (judged_by(line).submit_line(line) for line in log[cut:])]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/store.db"
        with EventStore.create(url, rt.spec, rt.roster, predicates=PREDICATES) as store:
            for line in log[:cut]:
                store.submit(line)
            migrate_store(store, new, plan, units=chosen, at=AT)
        with EventStore.open(url, predicates=PREDICATES, snapshot_every=2) as store:
            got = [(v.accepted, v.reason, v.late) for v in map(store.submit, log[cut:])]
            states = {u: store.state(u) for u in rt.unit_ids()}
            report = store.verify(replay=True)
    assert got == expected
    assert states == {u: (moved if u in inside else rt).state(u) for u in rt.unit_ids()}
    assert report.ok, report.lines()
