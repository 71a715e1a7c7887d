"""Explanations: every unmet requirement of an event, in Chinese and English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._guards import Check, FieldsCheck, Requirement
from ._verdict import Reason

if TYPE_CHECKING:
    from ._engine import Explanation, Runtime

__all__ = ["explain"]


def _req(reason: Reason, zh: str, en: str) -> Requirement:
    return Requirement(reason, zh, en)


def explain(rt: Runtime, unit_id: str, event: str, actor_id: str,
            at: dt.datetime | str | None, payload: Mapping[str, Any] | None) -> Explanation:
    """See `Runtime.explain`."""
    from ._engine import Context, Explanation

    def done(*unmet: Requirement, alternatives: tuple[tuple[Requirement, ...], ...] = ()
             ) -> Explanation:
        return Explanation(unit_id, event, actor_id, tuple(unmet), alternatives)

    us = rt._units.get(unit_id)
    if us is None:
        return done(_req(Reason.UNKNOWN_UNIT, f"没有单位 {unit_id}", f"no unit '{unit_id}'"))
    cs = rt.compiled.event_step.get(event)
    if cs is None:
        return done(_req(Reason.UNKNOWN_EVENT, f"流程中没有事件 {event}",
                         f"the workflow has no event '{event}'"))
    step = cs.step
    if cs.index in us.kind.skipped:
        kind = us.kind.kind
        return done(_req(Reason.NOT_APPLICABLE,
                         f"{kind.title.get('zh')}不参加“{step.title.get('zh')}”环节",
                         f"step '{step.title.get('en')}' does not apply to "
                         f"{kind.title.get('en')} units"))
    roles = us.people.get(actor_id)
    if roles is None:
        return done(_req(Reason.UNKNOWN_ACTOR, f"{actor_id} 不是本单位人员",
                         f"'{actor_id}' is not a person of unit '{unit_id}'"))
    when, t = rt._when(at)
    unmet: list[Requirement] = []
    if t < us.last:
        last = us.last_at.isoformat() if us.last_at else ""
        unmet.append(_req(Reason.OUT_OF_ORDER, f"时间早于本单位上一事件（{last}）",
                          f"earlier than the unit's last accepted event ({last})"))
    for a in cs.after:
        prev = rt._steps[a]
        if not rt._complete(us, prev):
            unmet.append(_req(Reason.STEP_BLOCKED,
                              f"需先完成“{prev.step.title.get('zh')}”",
                              f"step '{prev.step.title.get('en')}' must be complete first"))
    state = us.st[cs.index]
    candidates = us.kind.candidates.get((event, state), ())
    if not candidates:
        sources = sorted({s for t_ in step.transitions if t_.event == event
                          for s in t_.sources})
        unmet.append(_req(Reason.WRONG_STATE,
                          f"当前状态为 {state}，该事件只能从 {'、'.join(sources)} 发出",
                          f"the step is in state '{state}'; '{event}' leaves only from "
                          f"{', '.join(sources)}"))
        return done(*unmet)
    ctx = Context(rt)
    ctx.unit, ctx.actor, ctx.event, ctx.roles, ctx.people = us, actor_id, event, roles, us.people
    ctx.at, ctx.t, ctx.payload = when, t, payload or {}

    def guard_unmet(checks: tuple[Check, ...]) -> tuple[Requirement, ...]:
        out = []
        for check in checks:
            if payload is None and isinstance(check, FieldsCheck):
                continue
            req = check.unmet(ctx)
            if req is not None:
                out.append(req)
        return tuple(out)

    first, *rest = candidates
    blocked = bool(unmet)  # out of order or step blocked: no alternative guard can help
    unmet.extend(guard_unmet(first.checks))
    alternatives = () if blocked else tuple(guard_unmet(c.checks) for c in rest)
    return done(*unmet, alternatives=alternatives)
