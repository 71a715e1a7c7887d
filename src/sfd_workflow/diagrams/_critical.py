"""The critical path of the step graph, with the two weights we document.

``events``
    A step weighs the fewest accepted events that take it from its initial state to a
    final state (a shortest path in its own state graph). The critical path is then the
    chain of steps that needs the most successive actions.

``days``
    A step's *planned end* is its latest ``due`` date, else the end of its phase window.
    Its weight is the number of days from the latest planned end of the steps it comes
    ``after`` (or from the day before its phase window starts, when that is later) to its
    own planned end, never below 0. Weights telescope, so the critical path is the chain of
    binding predecessors that ends at the latest planned end, and its length is the planned
    length of the campaign in days.

``auto`` (the default) uses ``days`` when every step has a planned end and a start (a
predecessor, a phase window or the spec's ``period``), else ``events``.

Ties are broken by document order, so the path is stable.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping

from sfd_workflow._spec._model import Spec, Step

__all__ = ["critical_path", "step_weights", "weight_mode"]

WEIGHTS = ("auto", "days", "events")


def _fewest_events(step: Step) -> int:
    seen = {step.initial: 0}
    queue = deque([step.initial])
    while queue:
        state = queue.popleft()
        if state in step.finals:
            return seen[state]
        for t in step.transitions:
            if state in t.sources and t.dest not in seen:
                seen[t.dest] = seen[state] + 1
                queue.append(t.dest)
    return 0  # unreachable for a linked spec: every step reaches a final state


def _planned_end(spec: Spec, step: Step) -> dt.date | None:
    dues = [t.due for t in step.transitions if t.due is not None]
    if dues:
        return max(dues)
    window = spec.phase_of_step[step.id].window
    return window.end if window is not None else None


def _planned_start(spec: Spec, step: Step) -> dt.date | None:
    """The day before the step may start by the plan (None when the plan does not say)."""
    window = spec.phase_of_step[step.id].window
    if window is not None:
        return window.start - dt.timedelta(days=1)
    if spec.period is not None:
        return spec.period.start - dt.timedelta(days=1)
    return None


def weight_mode(spec: Spec, weight: str = "auto") -> str:
    """``days`` or ``events``: `weight` itself, or the choice ``auto`` makes for `spec`."""
    if weight not in WEIGHTS:
        msg = f"unknown weight {weight!r}: use one of {', '.join(WEIGHTS)}"
        raise ValueError(msg)
    dated = all(
        _planned_end(spec, s) is not None and (s.after or _planned_start(spec, s) is not None)
        for s in spec.steps
    )
    if weight == "days" and not dated:
        undated = next(
            s.id for s in spec.steps
            if _planned_end(spec, s) is None or not (s.after or _planned_start(spec, s))
        )
        msg = (
            f"weight 'days' needs a due date or a phase window for every step; "
            f"step {undated!r} has neither"
        )
        raise ValueError(msg)
    if weight == "auto":
        return "days" if dated else "events"
    return weight


def step_weights(spec: Spec, weight: str = "auto") -> Mapping[str, int]:
    """The weight of every step (see the module docstring), by step id in document order."""
    mode = weight_mode(spec, weight)
    if mode == "events":
        return {s.id: _fewest_events(s) for s in spec.steps}
    out: dict[str, int] = {}
    for s in spec.steps:
        end = _planned_end(spec, s)
        assert end is not None  # weight_mode checked every step
        starts = [_planned_end(spec, spec.step_by_id[a]) for a in s.after]
        start = max([d for d in starts if d is not None] + [_planned_start(spec, s) or dt.date.min])
        out[s.id] = max((end - start).days, 0)
    return out


def critical_path(spec: Spec, *, weight: str = "auto") -> tuple[str, ...]:
    """The heaviest chain of steps through the ``after`` graph, first step first."""
    weights = step_weights(spec, weight)
    order = {s.id: i for i, s in enumerate(spec.steps)}
    best: dict[str, tuple[int, str | None]] = {}
    pending = {s.id: set(s.after) for s in spec.steps}
    done: list[str] = []
    # Kahn's algorithm in document order: a stable topological order.
    while len(done) < len(spec.steps):
        ready = sorted((sid for sid, need in pending.items() if not need), key=order.__getitem__)
        if not ready:
            msg = "the step graph has a cycle"
            raise ValueError(msg)
        sid = ready[0]
        del pending[sid]
        done.append(sid)
        step = spec.step_by_id[sid]
        prior = max(step.after, key=lambda a: (best[a][0], -order[a]), default=None)
        base = best[prior][0] if prior is not None else 0
        best[sid] = (base + weights[sid], prior)
        for need in pending.values():
            need.discard(sid)
    end = max(done, key=lambda s: (best[s][0], -order[s]))
    path = [end]
    while (prev := best[path[-1]][1]) is not None:
        path.append(prev)
    return tuple(reversed(path))
