"""Named invariants of the built-in 2009 campaign, checked on what a runtime did with a log.

Each property reads an `Observation` (every line, its verdict, every unit's state before
and after it) and returns the first violation as a sentence, or None. They are written from
the brief's requirements (R14, R15, R6 phase order, R21, R24, R27) and from SPEC-FORMAT §4,
not from the spec's guards, so a spec that loses a guard (tests/property/test_mutation.py)
is caught by them. They run on any compiled workflow with the built-in's step ids: the
original or a mutant.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sfd_workflow import Roster, Runtime
from sfd_workflow._compile import CompiledWorkflow
from support import xuhui
from support.reference import reference_replay

#: The steps of each phase of the built-in spec, in order (fixed ids, issue 3).
PHASES = (("study_research", "discussion"), ("life_meetings", "report"), ("plan", "solve"))
RETIRED_SKIPS = ("life_meetings", "report", "plan")
R15_FIELDS = (
    "goals",
    "items",
    "time_limits",
    "measures",
    "responsible_leaders",
    "responsible_departments",
)

State = dict[str, dict[str, str]]


@dataclass
class Step:
    """One judged line: what it said, its verdict, and every unit's states around it."""

    line: str
    event: dict[str, Any] | None  # the JSON object, None when malformed
    accepted: bool
    reason: str | None
    late: bool
    before: State
    after: State
    complete_after: dict[str, dict[str, bool]]
    live_before: dict[str, list[tuple[str, str]]]
    live_after: dict[str, list[tuple[str, str]]]
    last_before: dict[str, dt.datetime | None]
    last_after: dict[str, dt.datetime | None]


@dataclass
class Observation:
    """What a runtime did with a log."""

    steps: list[Step]
    roster_doc: dict[str, Any]
    compiled: CompiledWorkflow
    roster: Roster

    def lines(self) -> list[str]:
        return [s.line for s in self.steps]


def _snapshot(
    rt: Runtime, units: Sequence[str]
) -> tuple[State, dict[str, list[tuple[str, str]]], dict[str, dt.datetime | None]]:
    states = {u: dict(rt.state(u)) for u in units}
    live = {u: sorted((r.kind, r.actor) for r in rt.records(u, live=True)) for u in units}
    last = {u: rt.last_at(u) for u in units}
    return states, live, last


def observe(
    compiled: CompiledWorkflow, roster: Roster, roster_doc: dict[str, Any], lines: Sequence[str]
) -> Observation:
    """Submit each line to a fresh runtime and record everything the properties read."""
    rt = Runtime(compiled, roster)
    units = [u["id"] for u in roster_doc["units"]]
    parents = {u["parent"] for u in roster_doc["units"] if u.get("parent")}
    step_ids = [s.id for s in compiled.spec.steps]
    steps = []
    before, live_b, last_b = _snapshot(rt, units)
    for line in lines:
        v = rt.submit_line(line)
        after, live_a, last_a = _snapshot(rt, units)
        try:
            obj = json.loads(line)
        except ValueError:
            obj = None
        steps.append(
            Step(
                line=line,
                event=obj if isinstance(obj, dict) else None,
                accepted=v.accepted,
                reason=None if v.reason is None else str(v.reason),
                late=v.late,
                before=before,
                after=after,
                # Completeness of every unit, only where R21 looks: a parent's solve moved.
                complete_after={u: {s: rt.is_complete(u, s) for s in step_ids} for u in units}
                if any(before[p]["solve"] != after[p]["solve"] for p in parents)
                else {},
                live_before=live_b,
                live_after=live_a,
                last_before=last_b,
                last_after=last_a,
            )
        )
        before, live_b, last_b = after, live_a, last_a
    return Observation(steps, roster_doc, compiled, roster)


# ------------------------------------------------------------------------- helpers


def _unit_doc(obs: Observation, unit: str) -> dict[str, Any]:
    return next(u for u in obs.roster_doc["units"] if u["id"] == unit)


def _has_role(unit_doc: dict[str, Any], person: str, role: str) -> bool:
    """Effective role under the ORIGINAL built-in spec's role maps."""
    wf = xuhui.workflow()
    for p in unit_doc["people"]:
        if p["id"] == person:
            return role in wf.effective_roles(unit_doc["kind"], p["roles"])
    return False


def _people_with(unit_doc: dict[str, Any], role: str) -> list[str]:
    return [p["id"] for p in unit_doc["people"] if _has_role(unit_doc, p["id"], role)]


def _moved(step: Step, step_id: str, dest: str) -> str | None:
    """The unit whose `step_id` moved into `dest` on this line, if any."""
    for u, states in step.after.items():
        if states.get(step_id) == dest and step.before[u].get(step_id) != dest:
            return u
    return None


def _accepted_since_reset(
    obs: Observation, upto: int, unit: str, reset_event_state: tuple[str, str]
) -> list[dict[str, Any]]:
    """Accepted events of `unit` before line `upto`, after the last time `report` went back."""
    step_id, state = reset_event_state
    events: list[dict[str, Any]] = []
    for st in obs.steps[:upto]:
        if not st.accepted or st.event is None or st.event.get("unit") != unit:
            continue
        if st.before[unit][step_id] != state and st.after[unit][step_id] == state:
            events = []  # the report went back to drafting: earlier evaluations no longer count
        events.append(st.event)
    return events


# ------------------------------------------------------------------------- properties


def r14_report_needs_secretary_draft_and_evaluations(obs: Observation) -> str | None:
    """R14: an approved report was drafted by the secretary and evaluated by a majority of
    members and by masses' representatives (since it last went back to drafting)."""
    for i, st in enumerate(obs.steps):
        unit = _moved(st, "report", "approved") if st.accepted else None
        if unit is None:
            continue
        doc = _unit_doc(obs, unit)
        since = _accepted_since_reset(obs, i, unit, ("report", "drafting"))
        drafted = [
            e
            for e in since
            if e.get("event") == "submit_report_draft" and _has_role(doc, e["actor"], "secretary")
        ]
        members = _people_with(doc, "member")
        evaluators = {
            e["actor"]
            for e in since
            if e.get("event") == "evaluate_report" and e["actor"] in members
        }
        masses = [
            e
            for e in since
            if e.get("event") == "masses_evaluate_report"
            and _has_role(doc, e["actor"], "masses_rep")
        ]
        if not drafted:
            return f"line {i + 1}: {unit}'s report approved without a draft by its secretary"
        if len(evaluators) < len(members) // 2 + 1:
            return (
                f"line {i + 1}: {unit}'s report approved with {len(evaluators)} of"
                f" {len(members)} members' evaluations"
            )
        if not masses:
            return f"line {i + 1}: {unit}'s report approved without masses' evaluation"
        approver = (st.event or {}).get("actor", "")
        if not _has_role(doc, approver, "secretary"):
            return f"line {i + 1}: {unit}'s report approved by a non-secretary ({approver})"
    return None


def r15_published_plan_states_everything(obs: Observation) -> str | None:
    """R15: a published plan states goals, items, time limits, measures and who is
    responsible, and is published by the secretary after the report is approved."""
    for i, st in enumerate(obs.steps):
        unit = _moved(st, "plan", "published") if st.accepted else None
        if unit is None:
            continue
        payload = (st.event or {}).get("payload") or {}
        missing = [f for f in R15_FIELDS if payload.get(f) in (None, "", [], {})]
        if missing:
            return f"line {i + 1}: {unit}'s plan published without {', '.join(missing)}"
        if not _has_role(_unit_doc(obs, unit), (st.event or {}).get("actor", ""), "secretary"):
            return f"line {i + 1}: {unit}'s plan published by a non-secretary"
        if st.before[unit]["report"] != "approved":
            return f"line {i + 1}: {unit}'s plan published before its report was approved"
    return None


def phase_order(obs: Observation) -> str | None:
    """R6: nothing of a phase is accepted before the earlier phases are complete (the
    day-one work of `solve`, 边学边改, excepted); each step waits for the one before it."""
    order = [s for phase in PHASES for s in phase]
    for i, st in enumerate(obs.steps):
        if not st.accepted or st.event is None:
            continue
        unit = st.event["unit"]
        step_id = next((s for s in order if st.before[unit][s] != st.after[unit][s]), None)
        if step_id is None:  # a self-loop: find the step by event name
            step_id = xuhui.workflow().step_of_event.get(st.event["event"])
        if step_id is None:
            continue
        if step_id == "solve" and st.before[unit]["solve"] == st.after[unit]["solve"] == "ongoing":
            continue  # R6 边学边改: mechanisms and hours from day one
        earlier = order[: order.index(step_id)]
        kind = _unit_doc(obs, unit)["kind"]
        for s in earlier:
            if kind == "retired_branch" and s in RETIRED_SKIPS:
                continue
            if st.before[unit][s] not in xuhui.finals(s):
                return (
                    f"line {i + 1}: {unit} got {st.event['event']} ({step_id}) while"
                    f" {s} was still {st.before[unit][s]}"
                )
    return None


def r21_parent_completes_after_children(obs: Observation) -> str | None:
    """R21: a unit never completes its campaign before every child unit has."""
    children: dict[str, list[str]] = {}
    for u in obs.roster_doc["units"]:
        if u.get("parent"):
            children.setdefault(u["parent"], []).append(u["id"])
    for i, st in enumerate(obs.steps):
        for parent, kids in children.items():
            if st.after[parent]["solve"] == "archived" and st.before[parent]["solve"] != "archived":
                for kid in kids:
                    for s in xuhui.STEPS:
                        if not st.complete_after[kid][s]:
                            return f"line {i + 1}: {parent} archived while {kid}'s {s} is open"
    return None


def r24_retired_branch_never_gets_skipped_steps(obs: Observation) -> str | None:
    """R24: a retired cadres' branch is never given a step it skips."""
    initial = {s: xuhui.initial(s) for s in RETIRED_SKIPS}
    for i, st in enumerate(obs.steps):
        for u in obs.roster_doc["units"]:
            if u["kind"] != "retired_branch":
                continue
            for s in RETIRED_SKIPS:
                if st.after[u["id"]][s] != initial[s]:
                    return f"line {i + 1}: retired branch {u['id']} moved {s}"
            if (
                st.accepted
                and st.event
                and st.event.get("unit") == u["id"]
                and xuhui.workflow().step_of_event.get(st.event["event"]) in RETIRED_SKIPS
            ):
                return f"line {i + 1}: retired branch {u['id']} accepted {st.event['event']}"
    return None


def r27_summary_needs_48_hours_per_member(obs: Observation) -> str | None:
    """R27: a campaign is summarised only when each member logged at least 48 hours."""
    for i, st in enumerate(obs.steps):
        unit = _moved(st, "solve", "summarised") if st.accepted else None
        if unit is None:
            continue
        doc = _unit_doc(obs, unit)
        hours: dict[str, float] = {}
        for prev in obs.steps[:i]:
            e = prev.event
            if (
                prev.accepted
                and e
                and e.get("unit") == unit
                and e.get("event") == "log_study_hours"
            ):
                h = (e.get("payload") or {}).get("hours")
                if isinstance(h, int | float) and not isinstance(h, bool):
                    hours[e["actor"]] = hours.get(e["actor"], 0) + h
        for m in _people_with(doc, "member"):
            if hours.get(m, 0) < 48:
                return f"line {i + 1}: {unit} summarised with {hours.get(m, 0)} hours for {m}"
    return None


def rejected_events_change_nothing(obs: Observation) -> str | None:
    """SPEC-FORMAT §4: a rejected event changes no state, record or time."""
    for i, st in enumerate(obs.steps):
        if not st.accepted and (
            st.before != st.after
            or st.live_before != st.live_after
            or st.last_before != st.last_after
        ):
            return f"line {i + 1}: rejected ({st.reason}) but the state changed"
    return None


def accepted_prefix_replays_to_the_same_state(obs: Observation) -> str | None:
    """Determinism: the accepted lines alone, replayed afresh, give the same state, and
    replaying the whole log again gives the same verdicts."""
    accepted = [st.line for st in obs.steps if st.accepted]
    rt = Runtime(obs.compiled, obs.roster)
    for n, line in enumerate(accepted, 1):
        if not rt.submit_line(line).accepted:
            return f"accepted line {n} is rejected when the accepted lines are replayed alone"
    if obs.steps:
        units = [u["id"] for u in obs.roster_doc["units"]]
        states, live, last = _snapshot(rt, units)
        end = obs.steps[-1]
        if (states, live, last) != (end.after, end.live_after, end.last_after):
            return "the accepted lines alone lead to another state"
    rt = Runtime(obs.compiled, obs.roster)
    again = [rt.submit_line(st.line) for st in obs.steps]
    if [(v.accepted, None if v.reason is None else str(v.reason), v.late) for v in again] != [
        (s.accepted, s.reason, s.late) for s in obs.steps
    ]:
        return "the same log replayed twice gives other verdicts"
    return None


def conforms_to_spec_format(obs: Observation) -> str | None:
    """SPEC-FORMAT §4: every verdict is the reference interpreter's on the original spec."""
    want = reference_replay(xuhui.spec_document(), obs.roster_doc, obs.lines())
    for i, (st, w) in enumerate(zip(obs.steps, want, strict=True)):
        got = ("accepted" if st.accepted else "rejected", st.reason, st.late)
        if got != (w["verdict"], w["reason"], w["late"]):
            return f"line {i + 1}: the runtime says {got}, SPEC-FORMAT §4 says {w['reason']}"
    return None


#: The named properties, domain invariants first, the full conformance check last.
PROPERTIES: list[tuple[str, Callable[[Observation], str | None]]] = [
    (
        "R14 approval needs secretary's draft and evaluations",
        r14_report_needs_secretary_draft_and_evaluations,
    ),
    ("R15 published plan states everything", r15_published_plan_states_everything),
    ("R6 phase order", phase_order),
    ("R21 parent after children", r21_parent_completes_after_children),
    ("R24 retired branch skips", r24_retired_branch_never_gets_skipped_steps),
    ("R27 48 hours per member", r27_summary_needs_48_hours_per_member),
    ("rejected events change nothing", rejected_events_change_nothing),
    ("determinism of accepted prefixes", accepted_prefix_replays_to_the_same_state),
    ("conformance to SPEC-FORMAT §4", conforms_to_spec_format),
]


def first_violation(obs: Observation) -> tuple[str, str] | None:
    """The first property (in `PROPERTIES` order) that fails, with its message."""
    for name, prop in PROPERTIES:
        msg = prop(obs)
        if msg is not None:
            return name, msg
    return None
