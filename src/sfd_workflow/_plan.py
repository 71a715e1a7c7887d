"""Migration plans: where each step, state and live record of one spec version goes in another.

A plan (docs/format.md, "Migration plans") maps, from the old version to the new one,
``steps: {OLD_STEP: NEW_STEP | drop}``, ``states: {OLD_STEP: {OLD_STATE: TARGET}}`` (TARGET a
state of the step's target, or ``{NEW_STEP: STATE, …}`` to place a unit in several new steps,
e.g. when a step was split) and ``records: {OLD_KIND: NEW_KIND | drop}``. Whatever it does not
name maps to the item with the same id, when the new version has one (Camunda's
``mapEqualActivities``); ``null`` is *undecided*. A plan is *complete for a set of units* when
each state they occupy and each kind of live record they hold has a target (`Plan.missing`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from ._spec._document import Document, PathKey, parse_text, read_text
from ._spec._model import Spec
from ._spec._reader import Reader, known_list, suggest
from .errors import MigrationPlanError, Problem
from .store._canonical import canonical_json, sha256_hex

__all__ = ["DROP", "Plan", "auto_plan", "load_plan", "plan_from_text", "same_spec",
           "spec_sha256"]

#: The plan value that removes a step from units, or retires their live records of a kind.
DROP = "drop"
#: Where a unit's state in one old step goes: (new step, new state) pairs.
Target = tuple[tuple[str, str], ...]
_KEYS = ("from", "to", "steps", "states", "records", "description")


def spec_sha256(spec: Spec) -> str:
    """SHA-256 of the canonical JSON of the spec's document (as an event store keeps it)."""
    return sha256_hex(canonical_json(dict(spec.document))) if spec.document else ""


def same_spec(a: Spec, b: Spec) -> bool:
    """True when two loaded specs are the same version, wherever each was read from."""
    if a.document and b.document:
        return spec_sha256(a) == spec_sha256(b)
    return attrs.evolve(a, source="") == attrs.evolve(b, source="")


@attrs.frozen(kw_only=True)
class Plan:
    """A migration plan from spec `old` to spec `new`, checked against both.

    Only explicit entries are kept; `step_target`, `state_target` and `record_target` add
    the same-id defaults. Build one with `auto_plan`, `load_plan` or `plan_from_text`.
    """

    old: Spec
    new: Spec
    steps: Mapping[str, str | None] = attrs.field(factory=dict)
    states: Mapping[str, Mapping[str, Target | None]] = attrs.field(factory=dict)
    records: Mapping[str, str | None] = attrs.field(factory=dict)
    document: Document = attrs.field(factory=lambda: Document({}, "<plan>"), eq=False)

    @property
    def source(self) -> str:
        """The plan's file, or ``<plan>``."""
        return self.document.source

    def step_target(self, step: str) -> str | None:
        """The new step an old step's units go to, `DROP`, or None (undecided)."""
        if step in self.steps:
            return self.steps[step]
        return step if step in self.new.step_by_id else None

    def state_target(self, step: str, state: str) -> Target | None:
        """Where a unit in `state` of old `step` goes (``()`` when the step is dropped)."""
        explicit = self.states.get(step, {})
        if state in explicit:
            return explicit[state]
        to = self.step_target(step)
        if to == DROP:
            return ()
        if to is not None and state in self.new.step_by_id[to].states:
            return ((to, state),)
        return None

    def record_target(self, kind: str) -> str | None:
        """The new kind of an old kind's live records, `DROP`, or None (undecided)."""
        if kind in self.records:
            return self.records[kind]
        return kind if kind in self.new.record_kinds else None

    def missing(self, snapshots: Mapping[str, Mapping[str, Any]] | None = None
                ) -> list[Problem]:
        """What the plan lacks for these units (`Runtime.snapshot` of each, old spec).

        Args:
            snapshots: unit id -> snapshot; None: for any unit, i.e. every state of every
                old step and every old record kind needs a target.

        Returns:
            One problem per (step, state) or record kind without a target, naming the units
            that hold it; empty when the plan is complete for them.
        """
        held: dict[tuple[str, str, str], list[str]] = {}
        if snapshots is None:
            for s in self.old.steps:
                for x in s.states:
                    held[("state", s.id, x)] = []
            for k in self.old.record_kinds:
                held[("record", k, "")] = []
        else:
            for unit, snap in snapshots.items():
                for s, x in snap["states"].items():
                    held.setdefault(("state", s, x), []).append(unit)
                kinds = dict.fromkeys(r["kind"] for r in snap["records"] if not r["retired"])
                for k in kinds:
                    held.setdefault(("record", k, ""), []).append(unit)
        out = []
        for (what, a, b), units in held.items():
            if what == "state" and self.state_target(a, b) is None:
                path: PathKey = ("states", a, b) if b in self.states.get(a, {}) else \
                    ("states", a) if a in self.states else ("steps", a)
                out.append(self._problem(path, f"no target for state '{b}' of step '{a}'"
                                         f"{_held_by(units)}"))
            elif what == "record" and self.record_target(a) is None:
                out.append(self._problem(("records", a), f"no target for record kind '{a}'"
                                         f"{_held_by(units)}"))
        return sorted(out, key=lambda p: (p.line or 0, p.path))

    def _problem(self, path: PathKey, message: str) -> Problem:
        doc = self.document
        while path and path not in _present(doc.value, path):
            path = path[:-1]
        return doc.problem(path, message)

    def to_yaml(self) -> str:
        """The plan as a YAML file, every entry written out, `null` where undecided."""
        return _write(self)


def _present(value: Any, path: PathKey) -> set[PathKey]:
    """{path} when `path` exists in the document `value`, else empty."""
    node = value
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return set()
        node = node[part]
    return {path}


def _held_by(units: list[str]) -> str:
    if not units:
        return ""
    shown = ", ".join(units[:5]) + (", …" if len(units) > 5 else "")
    return f" (held by {len(units)} unit{'s' if len(units) != 1 else ''}: {shown})"


def auto_plan(old: Spec, new: Spec) -> Plan:
    """The plan that maps every step, state and record kind to the one with the same id."""
    return Plan(old=old, new=new, document=Document({}, "<automatic plan>"))


# ------------------------------------------------------------------ reading
def _side(r: Reader, value: Any, key: str, spec: Spec) -> None:
    m = r.mapping(value, (key,), allowed=("id", "sha256"), required=("id",))
    if m is None or "id" not in m:
        return
    if m["id"] != spec.id:
        r.fail((key, "id"), f"the plan is for spec '{m['id']}', not '{spec.id}' ({spec.source})")
    sha = m.get("sha256")
    if sha is not None and sha != spec_sha256(spec):
        r.fail((key, "sha256"), f"the plan is for another version of '{spec.id}' "
                                f"(sha256:{str(sha)[:12]}), not {spec.source} "
                                f"(sha256:{spec_sha256(spec)[:12]})")


def _unknown(r: Reader, path: PathKey, name: Any, what: str, known: Iterable[str]) -> None:
    names = list(known)
    r.fail(path, f"'{name}' is not {what} {known_list(names)}{suggest(str(name), names)}")


def _names(r: Reader, value: Any, path: PathKey, what: str, known: Iterable[str]
           ) -> dict[str, Any]:
    """A mapping keyed by known names (old steps, states or record kinds)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        r.fail(path, f"must be a mapping of {what.split(' ', 1)[1]} to its target")
        return {}
    names = list(known)
    out = {}
    for k, v in value.items():
        if k in names:
            out[k] = v
        else:
            _unknown(r, (*path, str(k)), k, f"{what} of the old version", names)
    return out


def _target_name(r: Reader, value: Any, path: PathKey, what: str, known: Iterable[str]
                 ) -> str | None:
    """A target name (a new step or record kind), `DROP`, or None for null."""
    if value is None or value == DROP:
        return value  # type: ignore[no-any-return]
    names = list(known)
    if not isinstance(value, str) or value not in names:
        _unknown(r, path, value, f"{what} of the new version", [*names, DROP])
    return str(value)


def _state_target(r: Reader, plan_steps: Mapping[str, str | None], new: Spec, step: str,
                  value: Any, path: PathKey) -> Target | None:
    if value is None:
        return None
    if isinstance(value, dict):
        out = []
        for ns, x in value.items():
            if ns not in new.step_by_id:
                _unknown(r, (*path, str(ns)), ns, "a step of the new version", new.step_by_id)
            elif x not in new.step_by_id[ns].states:
                _unknown(r, (*path, str(ns)), x, f"a state of new step '{ns}'",
                         new.step_by_id[ns].states)
            else:
                out.append((str(ns), str(x)))
        return tuple(out)
    to = plan_steps.get(step, step if step in new.step_by_id else None)
    if to is not None and to != DROP and to not in new.step_by_id:
        return None  # an unknown target step, reported at `steps`
    if to is None or to == DROP:
        why = "is dropped" if to == DROP else "has no target step (set it in `steps`)"
        r.fail(path, f"old step '{step}' {why}: write the target as {{NEW_STEP: STATE}}")
        return None
    if not isinstance(value, str) or value not in new.step_by_id[to].states:
        others = [s.id for s in new.steps if value in s.states]
        if others:
            r.fail(path, f"'{value}' is not a state of new step '{to}' but of step "
                         f"'{others[0]}': write {{{others[0]}: {value}}} to place units there")
        else:
            _unknown(r, path, value, f"a state of new step '{to}'", new.step_by_id[to].states)
        return None
    return ((to, value),)


def _plan(doc: Document, old: Spec, new: Spec) -> Plan:
    r = Reader(doc)
    m = r.mapping(doc.value, (), allowed=_KEYS, required=("from", "to"))
    if m is None:
        raise MigrationPlanError(r.problems)
    for key, spec in (("from", old), ("to", new)):
        if key in m:
            _side(r, m[key], key, spec)
    steps = {k: _target_name(r, v, ("steps", k), "a step", new.step_by_id)
             for k, v in _names(r, m.get("steps"), ("steps",), "a step", old.step_by_id).items()}
    states: dict[str, dict[str, Target | None]] = {}
    for sid, by_state in _names(r, m.get("states"), ("states",), "a step",
                                old.step_by_id).items():
        p: PathKey = ("states", sid)
        states[sid] = {x: _state_target(r, steps, new, sid, v, (*p, x)) for x, v in
                       _names(r, by_state, p, f"a state of step '{sid}'",
                              old.step_by_id[sid].states).items()}
    records = {k: _target_name(r, v, ("records", k), "a record kind", new.record_kinds)
               for k, v in _names(r, m.get("records"), ("records",), "a record kind",
                                  old.record_kinds).items()}
    plan = Plan(old=old, new=new, steps=steps, states=states, records=records, document=doc)
    if not r.problems:
        _check_overlaps(r, plan)
    if r.problems:
        raise MigrationPlanError(r.problems)
    return plan


def _check_overlaps(r: Reader, plan: Plan) -> None:
    """A new step may take its units' state from one old step only."""
    owner: dict[str, str] = {}
    for s in plan.old.steps:
        targets = {ns for x in s.states for ns, _ in plan.state_target(s.id, x) or ()}
        to = plan.step_target(s.id)
        if to is not None and to != DROP:
            targets.add(to)
        for ns in sorted(targets):
            if ns in owner and owner[ns] != s.id:
                path: PathKey = ("states", s.id) if s.id in plan.states else ("steps", s.id)
                r.fail(path, f"new step '{ns}' would take its state from both old step "
                             f"'{owner[ns]}' and '{s.id}': drop one or map it elsewhere")
            owner.setdefault(ns, s.id)


def plan_from_text(text: str, old: Spec, new: Spec, source: str = "<text>") -> Plan:
    """A plan from YAML (or JSON) text, checked against the old and the new spec.

    Raises:
        MigrationPlanError: the text breaks the plan format, or names a step, state or record kind
            the specs do not have, or a target state outside its step (with file:line).
    """
    return _plan(parse_text(text, source, error=MigrationPlanError), old, new)


def load_plan(path: str | Path, old: Spec, new: Spec) -> Plan:
    """A plan from a YAML or JSON file, checked against the old and the new spec.

    Raises:
        MigrationPlanError: as `plan_from_text`, or the file cannot be read.
    """
    return plan_from_text(read_text(path, error=MigrationPlanError), old, new, str(path))


# ------------------------------------------------------------------ writing
def _q(name: str) -> str:
    """`name` as a YAML scalar that reads back as this string (``on``, ``123``: quoted)."""
    return name if yaml.safe_load(name) == name else json.dumps(name)


def _side_yaml(spec: Spec) -> str:
    sha = spec_sha256(spec)
    return f"{{id: {_q(spec.id)}" + (f", sha256: {sha}}}" if sha else "}")


def _write(plan: Plan) -> str:
    old, new = plan.old, plan.new
    out = [f"# Migration plan: {old.id} ({old.source}) -> {new.id} ({new.source})",
           "# Same ids are mapped; every null is yours to decide (docs/format.md,",
           "# \"Migration plans\"). `sfd-workflow migrate check` says what a set of units needs.",
           f"from: {_side_yaml(old)}", f"to: {_side_yaml(new)}", "steps:"]
    steps = list(new.step_by_id)
    for s in old.steps:
        to = plan.step_target(s.id)
        out.append(f"  {_q(s.id)}: {_q(to) if to else 'null'}" + (
            "" if to else f"  # decide: drop, or one of {', '.join(steps)}"))
    out.append("states:")
    for s in old.steps:
        to = plan.step_target(s.id)
        if to == DROP and all(plan.state_target(s.id, x) == () for x in s.states):
            continue
        out.append(f"  {_q(s.id)}:")
        for x in s.states:
            target = plan.state_target(s.id, x)
            if target is None:
                hint = (known_list(new.step_by_id[to].states) if to and to != DROP
                        else "(map the step first, or write {NEW_STEP: STATE})")
                out.append(f"    {_q(x)}: null  # decide: {hint}")
            elif len(target) == 1 and target[0][0] == to:
                out.append(f"    {_q(x)}: {_q(target[0][1])}")
            else:
                pairs = ", ".join(f"{_q(a)}: {_q(b)}" for a, b in target)
                out.append(f"    {_q(x)}: {{{pairs}}}")
    out.append("records:")
    kinds = list(new.record_kinds)
    for k in old.record_kinds:
        to = plan.record_target(k)
        out.append(f"  {_q(k)}: {_q(to) if to else 'null'}" + (
            "" if to else f"  # decide: drop, or one of {', '.join(kinds)}"))
    return "\n".join(out) + "\n"
