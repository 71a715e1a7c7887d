"""New versions of a spec for migration tests, made by editing its document.

`spec_document` gives an editable copy of a spec's document (a plain dict, as YAML or JSON
gives it); each edit copies the document it is given and returns the edited copy, so that a
test can build the next version in one expression and load it with `spec_from_document`::

    new = spec_from_document(move_due(rename_state(spec_document(old), "report",
                                                   "evaluating", "under_review"),
                                      "approve_report", "2009-07-31"))
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sfd_workflow._spec._loader import load_spec
from sfd_workflow._spec._model import Spec

__all__ = ["move_due", "rename_record", "rename_state", "spec_document"]


def spec_document(spec: Spec | str | Path) -> dict[str, Any]:
    """An editable copy of the document of `spec` (a loaded `Spec`, or anything `load_spec`
    reads: a path or ``"builtin:NAME"``)."""
    loaded = spec if isinstance(spec, Spec) else load_spec(spec)
    return copy.deepcopy(dict(loaded.document))


def _steps(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for phase in doc["phases"]:
        yield from phase["steps"]


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _renamed(state: Any, old: str, new: str) -> Any:
    """A state of a step's ``states`` (an id, or ``{id, title}``) with id `old` renamed."""
    if isinstance(state, dict):
        return {**state, "id": new} if state.get("id") == old else state
    return new if state == old else state


def rename_state(doc: dict[str, Any], step: str, old: str, new: str) -> dict[str, Any]:
    """A copy of `doc` where state `old` of `step` is called `new` (its transitions follow)."""
    doc = copy.deepcopy(doc)
    for s in _steps(doc):
        if s["id"] != step:
            continue
        s["states"] = [_renamed(x, old, new) for x in s["states"]]
        for t in s["transitions"]:
            t["from"] = [new if x == old else x for x in _as_list(t["from"])]
            if t["to"] == old:
                t["to"] = new
    return doc


def move_due(doc: dict[str, Any], event: str, day: str) -> dict[str, Any]:
    """A copy of `doc` where every transition of `event` is due on `day` (``YYYY-MM-DD``)."""
    doc = copy.deepcopy(doc)
    for s in _steps(doc):
        for t in s["transitions"]:
            if t["event"] == event:
                t["due"] = day
    return doc


def rename_record(doc: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """A copy of `doc` where record kind `old` is called `new`: wherever a transition records,
    clears or asks for it (``has``, ``quorum``, ``per_person``), and in ``records``."""
    doc = copy.deepcopy(doc)

    def swap(names: list[str]) -> list[str]:
        return [new if x == old else x for x in names]

    for s in _steps(doc):
        for t in s["transitions"]:
            if t.get("records") == old:
                t["records"] = new
            if "clears" in t:
                t["clears"] = swap(t["clears"])
            g = t.get("guard", {})
            if "has" in g:
                g["has"] = swap(g["has"])
            for key in ("quorum", "per_person"):
                if key in g and g[key]["record"] == old:
                    g[key]["record"] = new
    if old in doc.get("records", {}):
        doc["records"][new] = doc["records"].pop(old)
    return doc
