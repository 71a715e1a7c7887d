"""Shared fixtures of the property suite for the built-in spec `builtin:xuhui-edu-2009`.

`SMALL_ROSTER` is a tiny district with one unit of each kind and a general branch with two
children (R21): few people per unit, so quorums and per-person sums are reached in a few
events and random logs get deep into the campaign.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from sfd_workflow import Roster, Spec, compile_workflow, load_spec, roster_from_document
from sfd_workflow._compile import CompiledWorkflow
from sfd_workflow._spec._builtin import builtin_path, sample_paths
from sfd_workflow.testing._oracle import RosterModel, WorkflowModel
from sfd_workflow.testing._reach import Planner
from sfd_workflow.testing._world import WorldModel

BUILTIN = "builtin:xuhui-edu-2009"
#: The fixed ids of the built-in spec (issue 3, the preamble).
STEPS = ("study_research", "discussion", "life_meetings", "report", "plan", "solve")
KINDS = ("organ", "school", "kindergarten", "general_branch", "joint_branch", "retired_branch")

SMALL_ROSTER: dict[str, Any] = {
    "units": [
        {
            "id": "organ",
            "kind": "organ",
            "people": [
                {"id": "o1", "roles": ["secretary", "committee", "member", "leading_cadre"]},
                {"id": "o2", "roles": ["member", "leading_cadre"]},
                {"id": "o3", "roles": ["masses_rep"]},
                {"id": "o4", "roles": ["non_party_cadre"]},
                # A committee member listed without the member role: the only person here who
                # may not join the discussion or comment on the report.
                {"id": "o5", "roles": ["committee"]},
            ],
        },
        {
            "id": "gb",
            "kind": "general_branch",
            "people": [
                {"id": "g1", "roles": ["secretary", "committee", "member", "principal"]},
                {"id": "g2", "roles": ["member"]},
                {"id": "g3", "roles": ["masses_rep"]},
            ],
        },
        {
            "id": "ps1",
            "kind": "school",
            "parent": "gb",
            "people": [
                {"id": "s1", "roles": ["secretary", "committee", "member", "leading_cadre"]},
                {"id": "s2", "roles": ["principal", "member"]},
                {"id": "s3", "roles": ["member"]},
                {"id": "s4", "roles": ["masses_rep"]},
            ],
        },
        {
            "id": "kg1",
            "kind": "kindergarten",
            "parent": "gb",
            "people": [
                # No committee here: the life meeting's quorum of committee outlines is 0 of 0,
                # so only `has: [speaking_outline]` asks for an outline.
                {"id": "k1", "roles": ["secretary", "principal", "member"]},
                {"id": "k2", "roles": ["masses_rep"]},
            ],
        },
        {
            "id": "jb",
            "kind": "joint_branch",
            "people": [
                {"id": "j1", "roles": ["secretary", "member"]},
                {"id": "j2", "roles": ["member"]},
                {"id": "j3", "roles": ["masses_rep"]},
            ],
        },
        {
            "id": "rb",
            "kind": "retired_branch",
            "people": [
                {"id": "r1", "roles": ["secretary", "member"]},
                {"id": "r2", "roles": ["member"]},
            ],
        },
    ]
}

START = dt.datetime(2009, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@cache
def spec_document() -> dict[str, Any]:
    """The built-in spec as a plain document (YAML dates as `datetime.date`)."""
    with open(builtin_path("xuhui-edu-2009"), encoding="utf-8") as fh:
        doc: dict[str, Any] = yaml.safe_load(fh)
    return doc


@cache
def spec() -> Spec:
    """The built-in spec, loaded by the core."""
    return load_spec(BUILTIN)


@cache
def compiled() -> CompiledWorkflow:
    """The built-in spec, compiled."""
    return compile_workflow(spec())


@cache
def small_roster() -> Roster:
    """`SMALL_ROSTER`, loaded by the core."""
    return roster_from_document(SMALL_ROSTER, spec())


def sample_roster_document() -> dict[str, Any] | None:
    """The built-in sample roster as a document, or None while it is not shipped."""
    roster_path, _ = sample_paths("xuhui-edu-2009")
    if roster_path is None:
        return None
    with open(roster_path, encoding="utf-8") as fh:
        doc: dict[str, Any] = yaml.safe_load(fh)
    return doc


@cache
def workflow() -> WorkflowModel:
    """The model's reading of the original built-in spec."""
    return WorkflowModel.from_document(spec_document())


def world(
    spec_doc: dict[str, Any] | None = None, roster_doc: dict[str, Any] | None = None
) -> WorldModel:
    """A fresh model of the (given or built-in) spec on the (given or small) roster."""
    wf = workflow() if spec_doc is None else WorkflowModel.from_document(spec_doc)
    return WorldModel(wf, RosterModel.from_document(roster_doc or SMALL_ROSTER))


@cache
def campaign_log() -> tuple[str, ...]:
    """A legal log that runs the whole campaign in every unit of `SMALL_ROSTER`.

    Children first, so the general branch can archive (R21).
    """
    w = world()
    planner = Planner(w, START)
    for unit in ("ps1", "kg1", "organ", "jb", "rb", "gb"):
        for step in STEPS:
            planner.complete(unit, step)
    return tuple(planner.lines)


def finals(step_id: str) -> frozenset[str]:
    """The final states of a step of the original built-in spec."""
    return workflow().steps[step_id].finals


def initial(step_id: str) -> str:
    """The initial state of a step of the original built-in spec."""
    return workflow().steps[step_id].states[0]
