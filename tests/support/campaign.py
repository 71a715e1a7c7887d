"""`Campaign`: a scripted, fully accepted run of the built-in 2009 campaign for one unit.

Shared by the tests of the built-in spec (tests/spec/test_builtin_*.py). A rule test runs the
script up to the event it is about, then tries that event the wrong way and the right way.
Not a test module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

import sfd_workflow as sfd
from sfd_workflow import Runtime, Verdict
from sfd_workflow._spec._builtin import sample_paths

SPEC_ID = "xuhui-edu-2009"
ROSTER_PATH, EVENTS_PATH = sample_paths(SPEC_ID)

#: Payload fields that guards read as numbers (R9 per_person, R27 per_person).
NUMERIC_FIELDS = {"opinions_count": 5}


# --- fixtures, imported by the test modules that use them ------------------------------------

@pytest.fixture(scope="module")
def spec() -> sfd.Spec:
    """The built-in spec."""
    return sfd.load_spec(f"builtin:{SPEC_ID}")


@pytest.fixture(scope="module")
def roster(spec: sfd.Spec) -> sfd.Roster:
    """The sample roster."""
    assert ROSTER_PATH is not None
    return sfd.load_roster(ROSTER_PATH, spec)


@pytest.fixture(scope="module")
def compiled(spec: sfd.Spec) -> sfd.CompiledWorkflow:
    """The built-in spec, compiled."""
    return sfd.compile_workflow(spec)


@pytest.fixture
def rt(compiled: sfd.CompiledWorkflow, roster: sfd.Roster) -> Runtime:
    """A fresh runtime on the sample roster."""
    return Runtime(compiled, roster)


class Campaign:
    """A scripted, fully accepted run of the whole campaign for one unit of the roster.

    Every event carries every field its guards ask for; the clock moves one hour per event
    from 2009-03-02 09:00 (Asia/Shanghai), so nothing is late, out of order or outside the
    plan's months. Every person whose output R23 requires (a party leading cadre's
    mobilisation report, research topic and report, speaking outline, plan proposal)
    produces it.
    """

    def __init__(self, rt: Runtime, unit_id: str, *, hours: float = 48) -> None:
        self.rt = rt
        self.spec = rt.spec
        self.unit = rt.roster.by_id[unit_id]
        self.kind = self.spec.unit_kinds[self.unit.kind]
        self.hours = hours
        self.clock = dt.datetime(2009, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        self.script = list(self._script())
        self.done = 0

    def people(self, role: str) -> list[str]:
        """Ids of the unit's people holding `role` as an effective role (SPEC-FORMAT §1)."""
        accepted = self.kind.accepted_roles(role)
        return [p.id for p in self.unit.people if accepted & set(p.roles)]

    def payload(self, event: str) -> dict[str, Any]:
        """A payload with every field any transition of `event` asks for."""
        step = self.spec.step_of_event[event]
        fields = {f for t in step.transitions if t.event == event for f in t.guard.fields}
        numbers: dict[str, Any] = {**NUMERIC_FIELDS, "hours": self.hours}
        return {f: numbers.get(f, f"{f}（测试）") for f in sorted(fields)}

    def fire(self, event: str, actor: str, *, drop: tuple[str, ...] = (),
             **payload: Any) -> Verdict:
        """Submit `event` by `actor` one hour after the previous one."""
        self.clock += dt.timedelta(hours=1)
        full = self.payload(event)
        full.update(payload)
        for f in drop:
            full.pop(f, None)
        return self.rt.submit({"unit": self.unit.id, "event": event, "actor": actor,
                               "at": self.clock.isoformat(), "payload": full})

    def _script(self) -> Iterator[tuple[str, str]]:
        sec = self.people("secretary")[0]
        cadres = self.people("leading_cadre")
        skip = set(self.kind.skip)
        for cadre in cadres:
            yield "give_mobilisation_report", cadre
        yield "hold_mobilisation", sec
        for person in dict.fromkeys([sec, *cadres]):
            yield "fix_research_topic", person
        yield "exchange_at_central_group", sec
        yield "exchange_at_members_meeting", sec
        yield "exchange_at_staff_meeting", sec
        yield "solicit_opinions", sec
        for cadre in self.people("bureau_cadre"):
            yield "fix_contact_point", cadre
        for cadre in cadres:
            yield "write_research_report", cadre
        yield "submit_research_report", sec
        yield "set_discussion_topics", sec
        yield "contribute_to_discussion", self.people("member")[-1]
        yield "record_consensus", sec
        if "life_meetings" not in skip:
            for person in dict.fromkeys([sec, *self.people("leadership")]):
                yield "submit_speaking_outline", person
            yield "hold_democratic_life_meeting", sec
            yield "hold_org_life_meeting", sec
        if "report" not in skip:
            yield "contribute_to_report", self.people("committee")[-1]
            yield "submit_report_draft", sec
            yield "comment_on_report", self.people("member")[-1]
            yield "open_evaluation", sec
            members = self.people("member")
            for person in members[: len(members) // 2 + 1]:
                yield "evaluate_report", person
            yield "masses_evaluate_report", self.people("masses_rep")[0]
            yield "approve_report", sec
        if "plan" not in skip:
            for person in dict.fromkeys([sec, *self.people("cadre")]):
                yield "propose_plan_item", person
            yield "publish_plan", sec
        for person in self.people("member"):
            yield "log_study_hours", person
        yield "adopt_mechanism", sec
        yield "start_solving", sec
        yield "resolve_problem", sec
        yield "summarise_campaign", sec
        yield "notify_results", sec
        yield "evaluate_satisfaction", sec
        yield "archive_materials", sec

    def run_until(self, event: str | None = None, actor: str | None = None) -> None:
        """Run the script (from where it stopped) up to, not including, `event` (by `actor`,
        when given)."""
        while self.done < len(self.script):
            name, who = self.script[self.done]
            if name == event and actor in (None, who):
                return
            verdict = self.fire(name, who)
            assert verdict.accepted, (self.unit.id, name, who, verdict)
            self.done += 1
        assert event is None, f"{event} is not in the script of {self.unit.id}"

    def skip(self, event: str, actor: str | None = None) -> None:
        """Run up to `event` (by `actor`) and leave it out of the run."""
        self.run_until(event, actor)
        self.done += 1
