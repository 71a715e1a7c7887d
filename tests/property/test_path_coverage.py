"""Path coverage of the built-in spec: every state and every transition is reached.

For each transition, the planner (`sfd_workflow.testing._reach`) walks networkx shortest
paths through the step's state graph, producing what each guard needs on the way; the log
is then replayed by the core, and the core's own state must show the transition fired.
States not passed on the way to a transition get their own shortest path. The report
printed with ``-s`` (and always on failure) must say 100% of states and transitions.
"""

from __future__ import annotations

from typing import Any

from sfd_workflow import Runtime
from sfd_workflow.testing._reach import PlanError, Planner
from support import xuhui

UNITS = [u["id"] for u in xuhui.SMALL_ROSTER["units"]]


def _replay(lines: list[str]) -> Runtime:
    rt = Runtime(xuhui.compiled(), xuhui.small_roster())
    for n, line in enumerate(lines, 1):
        v = rt.submit_line(line)
        assert v.accepted, f"planned line {n} rejected by the core ({v.reason}): {line}"
    return rt


def _plan(goal: Any) -> tuple[str, list[str]]:
    """The first unit (in roster order) where `goal(planner, unit)` can be planned."""
    errors = []
    for unit in UNITS:
        planner = Planner(xuhui.world(), xuhui.START)
        try:
            goal(planner, unit)
        except PlanError as exc:
            errors.append(f"{unit}: {exc}")
            continue
        return unit, planner.lines
    raise AssertionError("no unit can reach the goal: " + " | ".join(errors))


def test_shortest_paths_reach_every_state_and_transition_of_the_builtin_spec() -> None:
    """Shortest paths to every transition and state replay accepted, covering 100%."""
    spec = xuhui.spec()
    reached_states: set[tuple[str, str]] = {(s.id, s.initial) for s in spec.steps}
    fired: dict[tuple[str, int], int] = {}
    for step in spec.steps:
        for i, t in enumerate(step.transitions):
            model_t = xuhui.world().workflow.steps[step.id].transitions[i]

            def goal(planner: Planner, unit: str, _t: Any = model_t) -> None:
                planner.fire(unit, _t)

            unit, lines = _plan(goal)
            rt = Runtime(xuhui.compiled(), xuhui.small_roster())
            before = None
            for n, line in enumerate(lines, 1):
                before = rt.state(unit)[step.id]
                v = rt.submit_line(line)
                assert v.accepted, f"line {n} rejected ({v.reason}): {line}"
                for s in spec.steps:
                    for u in UNITS:
                        reached_states.add((s.id, rt.state(u)[s.id]))
            assert before in t.sources and rt.state(unit)[step.id] == t.dest, (
                f"{t.event} did not fire at {unit}"
            )
            fired[(step.id, i)] = len(lines)
    for step in spec.steps:
        for state in step.states:
            if (step.id, state) in reached_states:
                continue

            def goal(planner: Planner, unit: str, _s: str = step.id, _st: str = state) -> None:
                planner.reach(unit, _s, [_st])

            unit, lines = _plan(goal)
            rt = _replay(lines)
            assert rt.state(unit)[step.id] == state
            reached_states.add((step.id, state))
    n_states = sum(len(s.states) for s in spec.steps)
    n_trans = sum(len(s.transitions) for s in spec.steps)
    all_states = {(s.id, st) for s in spec.steps for st in s.states}
    report = [
        "path coverage of builtin:xuhui-edu-2009 on the small district roster:",
        f"  states reached:      {len(reached_states & all_states)}/{n_states}"
        f" ({100 * len(reached_states & all_states) // n_states}%)",
        f"  transitions fired:   {len(fired)}/{n_trans} ({100 * len(fired) // n_trans}%)",
    ]
    for step in spec.steps:
        for i, t in enumerate(step.transitions):
            report.append(
                f"    {step.id}.{t.event}#{i}: {'/'.join(t.sources)} -> {t.dest}"
                f"  (shortest planned log: {fired[(step.id, i)]} lines)"
            )
    print("\n".join(report))
    assert reached_states >= all_states
    assert len(fired) == n_trans
