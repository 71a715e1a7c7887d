"""Applying a migration plan: a unit's snapshot, or a whole `Runtime`, moved to a new version.

A unit keeps its time of last accepted event (`last_at`) and its history; its step states and
live records are mapped by the plan (`_plan.py`); steps the old version did not have start in
their initial state. Each unit's history gains one retired record of kind `MIGRATION_KIND`
saying what moved: retired, it never counts for a guard (docs/format.md §4), and its kind cannot
be a spec's record kind (ids match ``[a-z0-9][a-z0-9_-]*``, this one has a colon).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ._compile import compile_workflow
from ._engine import Runtime
from ._plan import DROP, Plan, same_spec, spec_sha256
from ._roster import roster_from_document
from .errors import MigrationPlanError, Problem

__all__ = ["MIGRATION_KIND", "migrate_runtime", "migrate_snapshot", "moved_snapshot",
           "note_head"]

#: The kind of the record a migration leaves in each unit's history.
MIGRATION_KIND = "sfd:migration"


def note_head(plan: Plan) -> dict[str, Any]:
    """What every migration record of `plan` says about the versions and the plan."""
    return {"from": {"id": plan.old.id, "sha256": spec_sha256(plan.old)},
            "to": {"id": plan.new.id, "sha256": spec_sha256(plan.new)}, "plan": plan.source}


def migrate_snapshot(plan: Plan, snapshot: Mapping[str, Any], *,
                     at: dt.datetime | None = None, unit: str = "") -> dict[str, Any]:
    """The snapshot of a unit of `plan.old` (see `Runtime.snapshot`) moved to `plan.new`.

    Args:
        at: when the migration happens (default: now); the time of its history record.
        unit: the unit's id, for error messages.

    Raises:
        MigrationPlanError: the plan has no target for a state or a live record kind of the unit.
    """
    problems = plan.missing({unit: snapshot})
    if problems:
        raise MigrationPlanError(problems)
    return moved_snapshot(plan, snapshot, at if at is not None else dt.datetime.now(dt.UTC),
                  note_head(plan))


def moved_snapshot(plan: Plan, snapshot: Mapping[str, Any], at: dt.datetime,
           head: Mapping[str, Any]) -> dict[str, Any]:
    """`migrate_snapshot` for a plan already known to be complete for the unit."""
    states = {s.id: s.initial for s in plan.new.steps}
    moved_states: dict[str, list[str]] = {}
    for step, state in snapshot["states"].items():
        for ns, nx in plan.state_target(step, state) or ():
            states[ns] = nx
            if (ns, nx) != (step, state):
                moved_states.setdefault(f"{step}.{state}", []).append(f"{ns}.{nx}")
    records = []
    moved_records: dict[str, str] = {}
    for r in snapshot["records"]:
        rec = dict(r)
        if not rec["retired"]:
            to = plan.record_target(rec["kind"])
            if to == DROP:
                rec["retired"] = True
            if to != rec["kind"]:
                moved_records[rec["kind"]] = str(to)
            if to is not None and to != DROP:
                rec["kind"] = to
        records.append(rec)
    records.append({"kind": MIGRATION_KIND, "actor": "", "at": at.isoformat(),
                    "payload": {**head, "states": moved_states, "records": moved_records},
                    "event": "", "retired": True})
    return {"states": states, "last_at": snapshot.get("last_at"), "records": records}


def migrate_runtime(rt: Any, plan: Plan, *, predicates: Any = None,
                    at: dt.datetime | None = None) -> Any:
    """A new `Runtime` of `plan.new` holding `rt`'s units, each moved by the plan.

    The old runtime is left as it was. The roster is checked again against the new spec
    (a unit kind or role it dropped is a `RosterError`); the log of submitted events is kept.

    Args:
        rt: a `Runtime` of `plan.old`.
        predicates: custom guard predicates for compiling `plan.new`.
        at: the time of the migration records (default: now).

    Raises:
        MigrationPlanError: `rt` does not run `plan.old`, or the plan has no target for a state or
            live record some unit holds; nothing is built then.
    """
    if not same_spec(rt.spec, plan.old):
        raise MigrationPlanError([Problem(plan.source, "from", f"the plan moves units of "
                                 f"{plan.old.source}, not of the runtime's spec {rt.spec.source}")])
    snaps = {u: rt.snapshot(u) for u in rt.unit_ids()}
    problems = plan.missing(snaps)
    if problems:
        raise MigrationPlanError(problems)
    roster = roster_from_document(rt.roster.to_document(), plan.new, source=rt.roster.source)
    compiled = compile_workflow(plan.new, predicates)
    out = Runtime(compiled, roster, keep_log=rt.keep_log)
    when = at if at is not None else dt.datetime.now(dt.UTC)
    head = note_head(plan)
    for u, snap in snaps.items():
        out.restore(u, moved_snapshot(plan, snap, when, head))
    out.log = list(rt.log)
    return out
