"""The runtime: judging events against units, one by one (SPEC-FORMAT §4).

Units are small ``__slots__`` objects (one attribute per step, read and written by that
step's shared `transitions` machine); their people and records are built on first use, so
100,000 units start in a fraction of a second. A `Runtime` is not thread-safe: guard one
with a lock, or use `sfd_workflow.store.EventStore` for concurrent writers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from ._compile import CompiledKind, CompiledStep, CompiledTransition, CompiledWorkflow
from ._eventlog import ParsedEvent, parse_event, parse_line
from ._guards import Requirement
from ._spec._model import Roster, Unit
from ._verdict import (
    ACCEPTED,
    ACCEPTED_LATE,
    ACCEPTED_LATE_OUTSIDE,
    ACCEPTED_OUTSIDE,
    REJECTED,
    Reason,
    Verdict,
)
from .errors import UnknownUnitError

__all__ = ["Explanation", "LogEntry", "PredicateContext", "Record", "ReplayLine", "Runtime",
           "replay"]

_NO_PAYLOAD: Mapping[str, Any] = {}


class Record:
    """A record a transition stored: its kind, who, when, the payload; retired or live."""

    __slots__ = ("actor", "at", "event", "kind", "payload", "retired", "t")

    def __init__(self, kind: str, actor: str, at: dt.datetime, t: float,
                 payload: Mapping[str, Any], event: str) -> None:
        self.kind = kind
        self.actor = actor
        self.at = at
        self.t = t
        self.payload = payload
        self.event = event
        self.retired = False

    def __repr__(self) -> str:
        flag = " retired" if self.retired else ""
        return f"<Record {self.kind} by {self.actor} at {self.at.isoformat()}{flag}>"


class UnitState:
    """Base of the per-workflow unit classes.

    Step states live in the list `st`; each workflow's subclass adds one property per step
    (``s0``, ``s1``, …), the ``model_attribute`` its step machine reads and writes.
    """

    __slots__ = ("_people", "_roles", "history", "id", "kind", "last", "last_at", "live", "st",
                 "unit")

    def __init__(self, unit: Unit, kind: CompiledKind, states: list[str]) -> None:
        self.unit = unit
        self.id = unit.id
        self.kind = kind
        self.st = states
        self.last = -1e300  # no accepted event yet
        self.last_at: dt.datetime | None = None
        self.live: dict[str, list[Record]] | None = None
        self.history: list[Record] | None = None
        self._people: dict[str, frozenset[str]] | None = None
        self._roles: dict[frozenset[str], int] | None = None

    @property
    def people(self) -> dict[str, frozenset[str]]:
        """Person id -> roster roles, built on first use."""
        p = self._people
        if p is None:
            p = self._people = {x.id: frozenset(x.roles) for x in self.unit.people}
        return p

    def role_count(self, accepted: frozenset[str], people: Mapping[str, frozenset[str]]) -> int:
        """How many people hold one of the `accepted` roster roles (cached)."""
        cache = self._roles
        if cache is None:
            cache = self._roles = {}
        n = cache.get(accepted)
        if n is None:
            n = cache[accepted] = sum(1 for r in people.values() if not accepted.isdisjoint(r))
        return n


def _state_property(index: int) -> property:
    def get(self: UnitState) -> str:
        return self.st[index]

    def put(self: UnitState, value: str) -> None:
        self.st[index] = value

    return property(get, put, doc=f"the state of step {index}")


def _unit_class(compiled: CompiledWorkflow) -> type[UnitState]:
    props = {s.attr: _state_property(s.index) for s in compiled.steps}
    return type(f"Unit_{compiled.spec.id.replace('-', '_')}", (UnitState,),
                {"__slots__": (), **props})


class PredicateContext:
    """What a custom predicate sees: read-only views of the event and the unit."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @property
    def unit(self) -> str:
        """The unit id."""
        return self._ctx.unit.id

    @property
    def kind(self) -> str:
        """The unit's kind."""
        return self._ctx.unit.kind.kind.id

    @property
    def actor(self) -> str:
        """The acting person's id."""
        return self._ctx.actor

    @property
    def roles(self) -> frozenset[str]:
        """The actor's roster roles."""
        return self._ctx.roles

    @property
    def at(self) -> dt.datetime:
        """The event's time (aware)."""
        return self._ctx.at

    @property
    def payload(self) -> Mapping[str, Any]:
        """The event's payload."""
        return self._ctx.payload

    @property
    def event(self) -> str:
        """The event name."""
        return self._ctx.event

    def state(self) -> dict[str, str]:
        """The unit's step states."""
        return self._ctx.runtime.state(self._ctx.unit.id)

    def records(self, kind: str | None = None) -> list[Record]:
        """The unit's live records, of one kind or all."""
        recs = self._ctx.runtime.records(self._ctx.unit.id)
        return [r for r in recs if kind is None or r.kind == kind]


class Context:
    """The mutable scratch of one judgement, shared by the guard checks (one per runtime)."""

    __slots__ = ("actor", "at", "event", "fired", "payload", "people", "reason", "roles",
                 "runtime", "t", "unit")

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.unit: UnitState = None  # type: ignore[assignment]
        self.actor = ""
        self.event = ""
        self.roles: frozenset[str] = frozenset()
        self.people: dict[str, frozenset[str]] = {}
        self.at: dt.datetime = None  # type: ignore[assignment]
        self.t = 0.0
        self.payload: Mapping[str, Any] = _NO_PAYLOAD
        self.reason: Reason | None = None
        self.fired: CompiledTransition | None = None

    def predicate_view(self) -> PredicateContext:
        """The read-only view given to custom predicates."""
        return PredicateContext(self)


@attrs.frozen
class Explanation:
    """Why an event would or would not be accepted now: every unmet requirement."""

    unit: str
    event: str
    actor: str
    unmet: tuple[Requirement, ...]
    #: unmet requirements of each further candidate transition (alternative guards)
    alternatives: tuple[tuple[Requirement, ...], ...] = ()

    @property
    def allowed(self) -> bool:
        """True when the event would be accepted."""
        return not self.unmet or any(not alt for alt in self.alternatives)

    @property
    def reason(self) -> Reason | None:
        """The reason a submission would get (the first unmet requirement's)."""
        return None if self.allowed else self.unmet[0].reason

    def lines(self, lang: str = "en") -> list[str]:
        """One sentence per unmet requirement."""
        return [f"{r.reason}: {r.zh if lang == 'zh' else r.en}" for r in self.unmet]


@attrs.frozen
class LogEntry:
    """One submitted event and its verdict (the runtime's log keeps every one)."""

    event: Mapping[str, Any]
    verdict: Verdict


@attrs.frozen
class ReplayLine:
    """The verdict of one line of an event log (SPEC-FORMAT §5)."""

    line: int
    unit: str | None
    event: str | None
    verdict: Verdict

    def to_json(self) -> dict[str, Any]:
        """The §5 output object."""
        return {"line": self.line, "unit": self.unit, "event": self.event,
                **self.verdict.to_json()}


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
        self._event_step = compiled.event_step
        self._steps = compiled.steps
        cls = _unit_class(compiled)
        kinds = compiled.kinds
        initial = [s.initial for s in compiled.steps]
        self._units: dict[str, UnitState] = {
            u.id: cls(u, kinds[u.kind], initial.copy()) for u in roster.units}
        self._ctx = Context(self)

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

    def _complete(self, us: UnitState, cs: CompiledStep) -> bool:
        if us.st[cs.index] in cs.finals:
            return True
        if cs.index in us.kind.skipped:
            steps = self._steps
            return all(self._complete(us, steps[a]) for a in cs.after)
        return False

    def _open(self, us: UnitState, cs: CompiledStep) -> bool:
        steps = self._steps
        return all(self._complete(us, steps[a]) for a in cs.after)

    def _step(self, step_id: str) -> CompiledStep:
        try:
            return self._steps[self.compiled.step_index[step_id]]
        except KeyError:
            msg = f"unknown step '{step_id}'"
            raise KeyError(msg) from None

    def is_complete(self, unit_id: str, step_id: str) -> bool:
        """True when the unit's step is in a final state, or skipped with its `after` done."""
        return self._complete(self._unit(unit_id), self._step(step_id))

    def is_open(self, unit_id: str, step_id: str) -> bool:
        """True when every step in the step's `after` is complete for the unit."""
        return self._open(self._unit(unit_id), self._step(step_id))

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
        hist = us.history or []
        return [r for r in hist if not r.retired] if live else list(hist)

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
            ValueError: the snapshot names a step or state the workflow does not have.
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
            rec = Record(r["kind"], r["actor"], at, at.timestamp(), r["payload"], r["event"])
            rec.retired = bool(r["retired"])
            history.append(rec)
            if not rec.retired:
                live.setdefault(rec.kind, []).append(rec)
        last_at = snapshot.get("last_at")
        us.st = states
        us.history = history or None
        us.live = live or None
        us.last_at = None if last_at is None else dt.datetime.fromisoformat(last_at)
        us.last = -1e300 if us.last_at is None else us.last_at.timestamp()

    # --- judging ----------------------------------------------------------------------------

    def submit(self, event: Mapping[str, Any]) -> Verdict:
        """Judge one event (a mapping with unit, event, actor, at, optional payload).

        The event is accepted and applied, or rejected and changes nothing.
        """
        parsed = parse_event(event, self._tz)
        verdict = REJECTED[Reason.MALFORMED] if parsed is None else self._judge(parsed)
        if self.keep_log:
            self.log.append(LogEntry(event, verdict))
        return verdict

    def submit_line(self, line: str) -> Verdict:
        """Judge one line of a JSON Lines event log."""
        return self.judge_line(line)[1]

    def judge_line(self, line: str) -> tuple[ParsedEvent | None, Verdict]:
        """Judge one line; return what was parsed of it (None when malformed) and its verdict."""
        parsed = parse_line(line, self._tz)
        verdict = REJECTED[Reason.MALFORMED] if parsed is None else self._judge(parsed)
        if self.keep_log:
            self.log.append(LogEntry(parsed.raw if parsed is not None else {"line": line},
                                     verdict))
        return parsed, verdict

    def _judge(self, ev: ParsedEvent) -> Verdict:
        us = self._units.get(ev.unit)
        if us is None:
            return REJECTED[Reason.UNKNOWN_UNIT]
        cs = self._event_step.get(ev.event)
        if cs is None:
            return REJECTED[Reason.UNKNOWN_EVENT]
        kind = us.kind
        if cs.index in kind.skipped:
            return REJECTED[Reason.NOT_APPLICABLE]
        people = us._people
        if people is None:
            people = us.people
        roles = people.get(ev.actor)
        if roles is None:
            return REJECTED[Reason.UNKNOWN_ACTOR]
        t = ev.t
        if t < us.last:
            return REJECTED[Reason.OUT_OF_ORDER]
        if cs.after:
            steps = self._steps
            st = us.st
            for a in cs.after:  # _open, inlined: the hot path
                if st[a] not in steps[a].finals and not self._complete(us, steps[a]):
                    return REJECTED[Reason.STEP_BLOCKED]
        state = us.st[cs.index]
        if (ev.event, state) not in kind.candidates:
            return REJECTED[Reason.WRONG_STATE]
        ctx = self._ctx
        ctx.unit = us
        ctx.actor = ev.actor
        ctx.event = ev.event
        ctx.roles = roles
        ctx.people = people
        ctx.at = ev.at
        ctx.t = t
        ctx.payload = ev.payload
        ctx.reason = None
        ctx.fired = None
        if not kind.machines[cs.index].fire(us, ev.event, state, ctx):
            reason = ctx.reason
            return REJECTED[reason if reason is not None else Reason.WRONG_STATE]
        ct = ctx.fired  # set by the condition that held (see _compile._condition)
        assert ct is not None
        self._apply(us, ct, ev)
        us.last = t
        us.last_at = ev.at
        late = t >= ct.late_after
        lo, hi = cs.window  # the phase-window flag (docs/format.md): a flag, never a refusal
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

    def _when(self, at: dt.datetime | str | None) -> tuple[dt.datetime, float]:
        if at is None:
            when = dt.datetime.now(self._tz)
        elif isinstance(at, str):
            when = dt.datetime.fromisoformat(at)
        else:
            when = at
        if when.tzinfo is None:
            when = when.replace(tzinfo=self._tz)
        return when, when.timestamp()

    def explain(self, unit_id: str, event: str, actor_id: str,
                at: dt.datetime | str | None = None,
                payload: Mapping[str, Any] | None = None) -> Explanation:
        """Every requirement the event would not meet now (not only the first).

        Args:
            at: the time to judge at; None means now. A naive time is read in the spec's
                timezone.
            payload: the payload to judge; None skips the `fields` checks (what payload
                would be needed is then not judged).
        """
        from ._explain import explain

        return explain(self, unit_id, event, actor_id, at, payload)

    def available(self, unit_id: str, actor_id: str,
                  at: dt.datetime | str | None = None) -> list[str]:
        """The events the actor could fire on the unit now (given a suitable payload)."""
        us = self._unit(unit_id)
        out = []
        for cs in self._steps:
            if cs.index in us.kind.skipped or not self._open(us, cs):
                continue
            for event in cs.step.events:
                if self.explain(unit_id, event, actor_id, at).allowed:
                    out.append(event)
        return out


def replay(compiled: CompiledWorkflow, roster: Roster, lines: Iterable[str], *,
           runtime: Runtime | None = None) -> Iterator[ReplayLine]:
    """Judge each line of an event log in order (SPEC-FORMAT §5), from line 1.

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
