"""New versions of a spec, made by editing its document: the changes of issue 14's examples.

Each function takes a spec document (a dict, as YAML or JSON gives it), copies it and returns
the edited copy; `version` loads one. The general edits are the testing kit's
(`sfd_workflow.testing`); the ones here are the built-in spec's own or the tests'.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from typing import Any

import yaml

from sfd_workflow import Spec, roster_from_document, spec_from_document
from sfd_workflow._spec._builtin import sample_paths
from sfd_workflow.testing import move_due, rename_record, rename_state, spec_document

__all__ = ["BUILTIN", "add_only", "builtin_document", "move_due", "rename_record",
           "rename_state", "split_life_meetings", "version"]

BUILTIN = "builtin:xuhui-edu-2009"


def builtin_document() -> dict[str, Any]:
    """A copy of the built-in spec's document."""
    return spec_document(BUILTIN)


def version(doc: dict[str, Any], source: str = "<new version>") -> Spec:
    """Load an edited document."""
    return spec_from_document(doc, source=source)


def _steps(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for phase in doc["phases"]:
        yield from phase["steps"]


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def split_life_meetings(doc: dict[str, Any]) -> dict[str, Any]:
    """The built-in's `life_meetings` split in two: the democratic life meeting ends the
    first step (`life_meetings`), the organisational life meeting is a new step `org_life`."""
    doc = copy.deepcopy(doc)
    for phase in doc["phases"]:
        steps = phase["steps"]
        for i, s in enumerate(steps):
            if s["id"] != "life_meetings":
                continue
            org = next(t for t in s["transitions"] if t["event"] == "hold_org_life_meeting")
            s["transitions"].remove(org)
            s["states"] = ["preparing", "held"]
            for t in s["transitions"]:
                if t["to"] == "life_meeting_held":
                    t["to"] = "held"
            org["from"], org["to"] = "preparing", "held"
            steps.insert(i + 1, {"id": "org_life",
                                 "title": {"zh": "主题组织生活会",
                                           "en": "Themed organisational life meeting"},
                                 "states": ["preparing", "held"], "transitions": [org]})
            return doc
    raise AssertionError("no step life_meetings")


def _later(day: Any, days: int) -> str:
    d = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    return (d + dt.timedelta(days=days)).isoformat()


def add_only(doc: dict[str, Any], days: int = 7) -> dict[str, Any]:
    """A version that only adds: a role, a unit kind, a state reached by a new optional
    event (recording a new kind), a new phase with a step no other step waits for, and every
    due `days` later."""
    doc = copy.deepcopy(doc)
    doc["roles"]["added_role"] = "Added role"
    doc["unit_kinds"]["added_kind"] = {"title": "Added kind"}
    for s in _steps(doc):
        for t in s["transitions"]:
            if "due" in t:
                t["due"] = _later(t["due"], days)
    for s in _steps(doc):
        sources = [x for t in s["transitions"] for x in _as_list(t["from"])]
        if sources:
            s["states"] = [*s["states"], "added_state"]
            s["transitions"].append({"event": "added_event", "from": sources[0],
                                     "to": "added_state", "records": "added_record"})
            break
    doc["phases"].append({"id": "added_phase", "title": "Added phase", "steps": [
        {"id": "added_step", "title": "Added step", "after": [], "states": ["open", "closed"],
         "transitions": [{"event": "close_added", "from": "open", "to": "closed"}]}]})
    return doc


def sample_roster_with_twin(spec: Spec) -> Any:
    """The built-in sample roster and a twin of its middle school, `xh-ms-02` (another root
    with the same people, renumbered), loaded against `spec`."""
    doc = yaml.safe_load(sample_paths("xuhui-edu-2009")[0].read_text(encoding="utf-8"))
    twin = copy.deepcopy(next(u for u in doc["units"] if u["id"] == "xh-ms-01"))
    twin["id"] = "xh-ms-02"
    twin["title"] = {"zh": "徐汇区第二中学党支部", "en": "Xuhui No. 2 Middle School branch"}
    for p in twin["people"]:
        p["id"] = p["id"].replace("ms01", "ms02")
    doc["units"].append(twin)
    return roster_from_document(doc, spec, source="roster.yaml")
