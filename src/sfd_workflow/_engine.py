"""The runtime: judging events against units, one by one (docs/format.md §4).

`Runtime.submit` runs the check table (`_checks`) on each event and stops at the first
failure; the unit objects are `_unit.UnitState`s, the judgement's scratch a
`_context.Context`. A `Runtime` is not thread-safe: guard one with a lock, or use
`sfd_workflow.store.EventStore` for concurrent writers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from ._checks import EVENT_CHECKS, all_pass
from ._compile import CompiledStep, CompiledTransition, CompiledWorkflow
from ._context import Context
from ._eventlog import ParsedEvent, parse_event, parse_line
from ._explain import Explanation, explain, fields_needed
from ._jsonvalue import FrozenDict, NotJson, frozen_json
from ._record import Record
from ._spec._model import Roster
from ._unit import NEVER, UnitState, is_complete, is_open, unit_class
from ._verdict import (
    ACCEPTED,
    ACCEPTED_LATE,
    ACCEPTED_LATE_OUTSIDE,
    ACCEPTED_OUTSIDE,
    Requirement,
    Verdict,
    rejected,
)
from .errors import UnknownUnitError

__all__ = ["LogEntry", "ReplayLine", "Runtime", "replay"]

_AFTER_PARSE = EVENT_CHECKS[1:]  # step 1 is the parse itself


@attrs.frozen
class LogEntry:
    """One submitted event and its verdict (the runtime's log keeps every one).

    `event` is a frozen copy: the §3 fields of a parsed event (``at`` as written), the line
    of a malformed line, or the malformed mapping itself when it is JSON data.
    """

    event: Mapping[str, Any]
    verdict: Verdict


@attrs.frozen
class ReplayLine:
    """The verdict of one line of an event log (docs/format.md §5)."""

    line: int
    unit: str | None
    event: str | None
    verdict: Verdict

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        """The §5 output object; with `lang` (``en``/``zh``) also ``detail``: what is wrong."""
        out = {"line": self.line, "unit": self.unit, "event": self.event,
               **self.verdict.to_json()}
        if lang is not None:
            out["detail"] = self.verdict.detail_in(lang)
        return out


def _kept(event: Any) -> Mapping[str, Any]:
    """What the log keeps of a malformed event: a frozen copy, or its repr."""
    if isinstance(event, str):
        return FrozenDict(line=event)
    try:
        kept = frozen_json(event, "event")
    except NotJson:
        return FrozenDict(repr=repr(event)[:200])
    return kept if isinstance(kept, FrozenDict) else FrozenDict(value=kept)


class Runtime:
    """Units of a roster running a compiled workflow.

    Args:
        compiled: the compiled workflow.
        roster: the units (already checked against the spec by `load_roster`).
        keep_log: keep every submitted event and its verdict in `log`.
    """

    def __init__(self, compiled: CompiledWorkflow, roster: Roster, *,
                 keep_log: bool = True) -> None:
        self.compiled = compiled
        self.spec = compiled.spec
        self.roster = roster
        self.keep_log = keep_log
        #: every submitted event with its verdict, in submission order
        self.log: list[LogEntry] = []
        self._tz = compiled.tz
        self._steps = compiled.steps
        cls = unit_class(compiled.spec.id, {s.attr: s.index for s in compiled.steps})
        kinds = compiled.kinds
        initial = [s.initial for s in compiled.steps]
        self._units: dict[str, UnitState] = {
            u.id: cls(u, kinds[u.kind], initial.copy()) for u in roster.units}
        self._ctx = self._context()

    def _context(self) -> Context:
        return Context(self.compiled, self._units, self.roster.children)

    # --- queries ----------------------------------------------------------------------------

    def _unit(self, unit_id: str) -> UnitState:
        try:
            return self._units[unit_id]
        except KeyError:
            msg = f"unknown unit '{unit_id}'"
            raise UnknownUnitError(msg) from None

    def __len__(self) -> int:
        return len(self._units)

    def unit_ids(self) -> Iterator[str]:
        """Every unit id, in roster order."""
        return iter(self._units)

    def children(self, unit_id: str) -> tuple[str, ...]:
        """The ids of the units naming `unit_id` as parent."""
        return self.roster.children.get(unit_id, ())

    def _step(self, step_id: str) -> CompiledStep:
        try:
            return self._steps[self.compiled.step_index[step_id]]
        except KeyError:
            msg = f"unknown step '{step_id}'"
            raise KeyError(msg) from None

    def is_complete(self, unit_id: str, step_id: str) -> bool:
        """True when the unit's step is in a final state, or skipped with its `after` done."""
        return is_complete(self._unit(unit_id), self._step(step_id), self._steps)

    def is_open(self, unit_id: str, step_id: str) -> bool:
        """True when every step in the step's `after` is complete for the unit."""
        return is_open(self._unit(unit_id), self._step(step_id), self._steps)

    def is_skipped(self, unit_id: str, step_id: str) -> bool:
        """True when the unit's kind skips the step."""
        return self._step(step_id).index in self._unit(unit_id).kind.skipped

    def state(self, unit_id: str) -> dict[str, str]:
        """The current state of each step of the unit."""
        us = self._unit(unit_id)
        return {cs.step.id: us.st[cs.index] for cs in self._steps}

    def records(self, unit_id: str, *, live: bool = True) -> list[Record]:
        """The unit's records in the order stored: live ones, or all (``live=False``)."""
        us = self._unit(unit_id)
        return us.live_records() if live else list(us.history or ())

    def last_at(self, unit_id: str) -> dt.datetime | None:
        """The time of the unit's last accepted event, as written in the event."""
        return self._unit(unit_id).last_at

    def snapshot(self, unit_id: str) -> dict[str, Any]:
        """The unit's whole state as a JSON-safe mapping (see `restore`).

        Keys: ``states`` (step -> state), ``last_at`` (ISO time of the last accepted event, or
        None) and ``records`` (every record in the order stored, retired ones included, each
        with kind, actor, at, payload, event and retired).
        """
        us = self._unit(unit_id)
        return {
            "states": {cs.step.id: us.st[cs.index] for cs in self._steps},
            "last_at": None if us.last_at is None else us.last_at.isoformat(),
            "records": [{"kind": r.kind, "actor": r.actor, "at": r.at.isoformat(),
                         "payload": dict(r.payload), "event": r.event, "retired": r.retired}
                        for r in us.history or ()],
        }

    def restore(self, unit_id: str, snapshot: Mapping[str, Any]) -> None:
        """Put a unit back in the state a `snapshot` took (of a runtime of the same spec).

        Raises:
            ValueError: the snapshot names a step or state the workflow does not have, or
                holds a payload that is not JSON data.
        """
        us = self._unit(unit_id)
        states = list(us.st)
        for step_id, state in snapshot["states"].items():
            cs = self._step(step_id)
            if state not in cs.step.states:
                msg = f"snapshot of '{unit_id}': step '{step_id}' has no state '{state}'"
                raise ValueError(msg)
            states[cs.index] = state
        history: list[Record] = []
        live: dict[str, list[Record]] = {}
        for r in snapshot["records"]:
            at = dt.datetime.fromisoformat(r["at"])
            try:
                payload = frozen_json(r["payload"], "payload", 2)
            except NotJson as exc:
                msg = f"snapshot of '{unit_id}': {exc.args[0]}"
                raise ValueError(msg) from None
            rec = Record(r["kind"], r["actor"], at, at.timestamp(), payload, r["event"])
            rec.retired = bool(r["retired"])
            history.append(rec)
            if not rec.retired:
                live.setdefault(rec.kind, []).append(rec)
        last_at = snapshot.get("last_at")
        us.st = states
        us.history = history or None
        us.live = live or None
        us.last_at = None if last_at is None else dt.datetime.fromisoformat(last_at)
        us.last = NEVER if us.last_at is None else us.last_at.timestamp()

    # --- judging ----------------------------------------------------------------------------

    def submit(self, event: Mapping[str, Any]) -> Verdict:
        """Judge one event (a mapping with unit, event, actor, at, optional payload).

        The event is accepted and applied, or rejected and changes nothing. What the runtime
        keeps of it (a record, the log) is a frozen copy.
        """
        parsed = parse_event(event, self._tz)
        if type(parsed) is Requirement:
            verdict = rejected(parsed)
            if self.keep_log:
                self.log.append(LogEntry(_kept(event), verdict))
            return verdict
        verdict = self._judge(parsed)  # type: ignore[arg-type]
        if self.keep_log:
            self.log.append(LogEntry(parsed.document(), verdict))  # type: ignore[union-attr]
        return verdict

    def submit_line(self, line: str) -> Verdict:
        """Judge one line of a JSON Lines event log."""
        return self.judge_line(line)[1]

    def judge_line(self, line: str) -> tuple[ParsedEvent | None, Verdict]:
        """Judge one line; return what was parsed of it (None when malformed) and its verdict."""
        parsed = parse_line(line, self._tz)
        if type(parsed) is Requirement:
            verdict = rejected(parsed)
            if self.keep_log:
                self.log.append(LogEntry(_kept(line), verdict))
            return None, verdict
        ev: ParsedEvent = parsed  # type: ignore[assignment]
        verdict = self._judge(ev)
        if self.keep_log:
            self.log.append(LogEntry(ev.document(), verdict))
        return ev, verdict

    def _judge(self, ev: ParsedEvent) -> Verdict:
        ctx = self._ctx
        if not all_pass(ctx, ev):  # then the table says which check fails first, and why
            for check in _AFTER_PARSE:  # docs/format.md §4 steps 2–8, in order
                if not check.holds(ctx):
                    return rejected(check.describe(ctx))
        us = ctx.unit
        ct: CompiledTransition | None = us.kind.machines[ctx.step.index].fire(
            us, ev.event, ctx.state, ctx)
        if ct is None:  # step 9: the first failing key of the first candidate
            return rejected(ctx.failed.describe(ctx))
        if ct.records is not None or ct.clears:
            self._apply(us, ct, ev)
        t = ev.t
        us.last = t
        us.last_at = ev.at
        late = t >= ct.late_after
        lo, hi = ctx.step.window  # the phase-window flag (docs/format.md): a flag, not a refusal
        if lo <= t < hi:
            return ACCEPTED_LATE if late else ACCEPTED
        return ACCEPTED_LATE_OUTSIDE if late else ACCEPTED_OUTSIDE

    @staticmethod
    def _apply(us: UnitState, ct: CompiledTransition, ev: ParsedEvent) -> None:
        live = us.live
        if ct.clears and live:
            for kind in ct.clears:
                for rec in live.pop(kind, ()):
                    rec.retired = True
        if ct.records is not None:
            rec = Record(ct.records, ev.actor, ev.at, ev.t, ev.payload, ev.event)
            if live is None:
                live = us.live = {}
            bucket = live.get(ct.records)
            if bucket is None:
                live[ct.records] = [rec]
            else:
                bucket.append(rec)
            if us.history is None:
                us.history = [rec]
            else:
                us.history.append(rec)

    # --- what-if --------------------------------------------------------------------------

    def _what_if(self, unit_id: str, event: str, actor_id: str,
                 at: dt.datetime | str | None, payload: Any) -> ParsedEvent | Requirement:
        """The event `explain` judges, parsed as `submit` would parse it."""
        if at is None:
            at = dt.datetime.now(self._tz)
        if isinstance(at, dt.datetime):
            at = (at if at.tzinfo is not None else at.replace(tzinfo=self._tz)).isoformat()
        return parse_event({"unit": unit_id, "event": event, "actor": actor_id, "at": at,
                            "payload": payload}, self._tz)

    def explain(self, unit_id: str, event: str, actor_id: str,
                at: dt.datetime | str | None = None,
                payload: Mapping[str, Any] | None = None) -> Explanation:
        """Every requirement the event would not meet now (not only the first).

        The event is judged exactly as `submit` would judge it: the first unmet requirement
        is the verdict's reason, ``allowed`` is whether it would be accepted.

        Args:
            at: the time to judge at (a date-time or its ISO 8601 text); None means now. A
                naive time is read in the spec's timezone; a text `submit` would call
                malformed gives a ``malformed`` explanation with the same detail.
            payload: the payload to judge; None means none (``{}``, as in docs/format.md §3),
                so a `fields` guard names each field it lacks.
        """
        parsed = self._what_if(unit_id, event, actor_id, at, payload)
        return explain(self._context(), parsed, unit_id, event, actor_id)

    def available(self, unit_id: str, actor_id: str,
                  at: dt.datetime | str | None = None) -> dict[str, tuple[str, ...]]:
        """The events the actor could fire on the unit now, each with the payload fields it
        needs (``()`` when it needs none), in step and document order.

        Raises:
            UnknownUnitError: no such unit.
        """
        us = self._unit(unit_id)
        out: dict[str, tuple[str, ...]] = {}
        for cs in self._steps:
            if cs.index in us.kind.skipped or not is_open(us, cs, self._steps):
                continue
            for event in cs.step.events:
                parsed = self._what_if(unit_id, event, actor_id, at, None)
                if not isinstance(parsed, ParsedEvent):
                    return {}  # `at` is not a date-time: nothing can be judged
                needed = fields_needed(self._context(), parsed)
                if needed is not None:
                    out[event] = needed
        return out


def replay(compiled: CompiledWorkflow, roster: Roster, lines: Iterable[str], *,
           runtime: Runtime | None = None) -> Iterator[ReplayLine]:
    """Judge each line of an event log in order (docs/format.md §5), from line 1.

    Args:
        lines: the log's lines, without their newlines (see `read_event_lines`).
        runtime: judge against this runtime's state (default: a fresh one, no log kept).
    """
    rt = runtime if runtime is not None else Runtime(compiled, roster, keep_log=False)
    for n, line in enumerate(lines, 1):
        parsed, verdict = rt.judge_line(line)
        if parsed is None:
            yield ReplayLine(n, None, None, verdict)
        else:
            yield ReplayLine(n, parsed.unit, parsed.event, verdict)
