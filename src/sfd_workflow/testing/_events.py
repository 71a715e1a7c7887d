"""Drawing one event-log line against the model: plausible events and every kind of bad one.

Shared by `event_logs` (which walks a fresh model) and the rule-based state machine (which
walks the model beside a live runtime). Plausible events are found by asking the model which
(transition, actor) pairs it would accept right now, so logs reach deep states (reviews
that meet a quorum, per-person hours, parents after their children); bad events cover every
reason of docs/format.md §4, malformed lines of each sort included (§3).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from ._oracle import MTransition
from ._world import Event, WorldModel

__all__ = ["Clock", "draw_line", "start_clock"]

_FIELD_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    ["ok", "目标", "x", 1, 2.5, ["a"], {"k": "v"}, True]
)
_EMPTY_VALUES: st.SearchStrategy[Any] = st.sampled_from([None, "", [], {}])

# Malformed lines of every sort (§3): not JSON, not an object, a key missing or not a
# string, `at` not a date-time, payload not an object, JSON constants, numbers that
# overflow, lone surrogates, nesting deeper than 64 levels.
_MALFORMED_FIXED = (
    "",
    "   ",
    "{",
    "not json",
    "[]",
    "1",
    '"text"',
    "null",
    "{}",
    '{"unit": "u0", "event": "e", "actor": "p0", "at": "2009-05-01T10:00:00", '
    '"payload": {"x": NaN}}',
    '{"unit": "u0", "event": "e", "actor": "p0", "at": "2009-05-01T10:00:00", '
    '"payload": {"x": Infinity}}',
    '{"unit": "u0", "event": "e", "actor": "p0", "at": "2009-05-01T10:00:00", '
    '"payload": {"x": 1e400}}',
    '{"unit": "u0", "event": "e", "actor": "\\ud800", "at": "2009-05-01T10:00:00"}',
    '{"unit": "u0", "event": "e", "actor": "p0", "at": "2009-05-01T10:00:00", '
    '"payload": {"x": ' + "[" * 70 + "]" * 70 + "}}",
)


@dataclass
class Clock:
    """The time of the next event; moves forward, sometimes by days (past `due`)."""

    now: dt.datetime


def start_clock(world: WorldModel, start: dt.date | None = None) -> Clock:
    """A clock at 08:00 of `start` (default 2009-03-01) in the spec's timezone."""
    day = start or dt.date(2009, 3, 1)
    return Clock(dt.datetime(day.year, day.month, day.day, 8, tzinfo=world.workflow.tz))


def _advance(draw: st.DrawFn, clock: Clock) -> dt.datetime:
    size = draw(st.integers(0, 9))
    if size == 0:
        delta = dt.timedelta(0)
    elif size <= 5:
        delta = dt.timedelta(minutes=draw(st.integers(1, 600)))
    elif size <= 8:
        delta = dt.timedelta(days=draw(st.integers(1, 20)), seconds=draw(st.integers(0, 3600)))
    else:
        delta = dt.timedelta(days=draw(st.integers(20, 90)))
    return clock.now + delta


def _format_at(draw: st.DrawFn, at: dt.datetime) -> str:
    """One of the ISO 8601 spellings of `at` that §3 accepts."""
    style = draw(st.integers(0, 7))
    if style == 7:  # ISO 8601 basic format, the offset as +hhmm
        return at.strftime("%Y%m%dT%H%M%S%z")
    if style == 0:
        return at.replace(tzinfo=None).isoformat()  # naive: read in the spec's timezone
    if style == 1:
        return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if style == 2:
        other = dt.timezone(dt.timedelta(hours=draw(st.integers(-11, 13))))
        return at.astimezone(other).isoformat()
    if style == 3:
        return at.isoformat(sep=" ")
    if style == 4:
        return at.isoformat(timespec="microseconds")
    return at.isoformat()


def _line(
    draw: st.DrawFn,
    unit: str,
    event: str,
    actor: str,
    at_text: str,
    payload: dict[str, Any],
) -> str:
    obj: dict[str, Any] = {"unit": unit, "event": event, "actor": actor, "at": at_text}
    style = draw(st.integers(0, 9))
    if payload or style < 5:
        obj["payload"] = payload
    elif style < 7:
        obj["payload"] = None  # null payload means {}
    # else: no payload key at all
    if style == 7:
        obj["note"] = "extra keys are ignored"
    text = json.dumps(obj, ensure_ascii=draw(st.booleans()))
    if style == 8:
        text += "\r"  # a CRLF log
    return text


def _payload_for(draw: st.DrawFn, world: WorldModel, t: MTransition | None) -> dict[str, Any]:
    """A payload that fills the transition's `fields` and its `per_person` field."""
    payload: dict[str, Any] = {}
    if t is not None:
        for f in t.guard.fields or ():
            payload[f] = draw(_FIELD_VALUES)
        for _s, other in _transitions_recording(world, t.records):
            pp = other.guard.per_person
            if pp is not None and pp[0] == t.records:
                payload[pp[1]] = draw(st.integers(0, 30) | st.sampled_from([48, 1.5, "8"]))
    return payload


def _transitions_recording(world: WorldModel, kind: str | None) -> list[tuple[str, MTransition]]:
    if kind is None:
        return []
    return [
        (s.id, t)
        for s in world.workflow.steps.values()
        for t in s.transitions
        if t.guard.per_person is not None and t.guard.per_person[0] == kind
    ]


def _plausible(draw: st.DrawFn, world: WorldModel, clock: Clock, *, violate: bool = False) -> Event:
    """An event most likely accepted: an enabled transition by an actor who satisfies it.

    With `violate`, an enabled transition by anyone, with empty payload values and no
    regard for ``not_before``: mostly a guard failure.
    """
    units = list(world.roster.units)
    unit = draw(st.sampled_from(units))
    wf = world.workflow
    kind = world.roster.units[unit].kind
    candidates = [
        t
        for s in wf.steps.values()
        if s.id not in wf.kinds[kind].skip and world.is_open(unit, s.id)
        for t in s.transitions
        if world.units[unit].steps[s.id] in t.sources
    ]
    people = list(world.roster.units[unit].people)
    at = _advance(draw, clock)
    if not candidates or not people:
        return _random_event(draw, world, clock, unit=unit)
    payloads = {id(t): _payload_for(draw, world, t) for t in candidates}
    if violate:
        t = draw(st.sampled_from(candidates))
        payload = payloads[id(t)]
        if draw(st.booleans()):
            payload = {k: draw(_EMPTY_VALUES) for k in payload}
        return Event(unit, t.event, draw(st.sampled_from(people)), at, payload)
    accepted = []
    for t in candidates:
        when = at
        if t.guard.not_before is not None:
            when = max(at, wf.midnight(t.guard.not_before) + dt.timedelta(hours=9))
        for p in people:
            ev = Event(unit, t.event, p, when, payloads[id(t)])
            if world.check(ev)[0] is None:
                accepted.append(ev)
    if accepted and draw(st.integers(0, 9)) > 0:
        return draw(st.sampled_from(accepted))
    t = draw(st.sampled_from(candidates))
    return Event(unit, t.event, draw(st.sampled_from(people)), at, payloads[id(t)])


def _random_event(
    draw: st.DrawFn, world: WorldModel, clock: Clock, *, unit: str | None = None
) -> Event:
    """Any event of the spec at any unit by any of its people: blocked, wrong state, guards."""
    if unit is None:
        unit = draw(st.sampled_from(list(world.roster.units)))
    events = sorted(world.workflow.step_of_event) or ["no_event"]
    event = draw(st.sampled_from(events))
    people = list(world.roster.units[unit].people) or ["nobody"]
    actor = draw(st.sampled_from(people))
    step = world.workflow.step_of_event.get(event)
    t = None
    if step is not None:
        t = draw(
            st.sampled_from([t for t in world.workflow.steps[step].transitions if t.event == event])
        )
    payload = _payload_for(draw, world, t)
    empty: bool = draw(st.booleans())
    if payload and empty:
        # Empty values do not fill a field (§1 `fields`).
        payload = {k: draw(_EMPTY_VALUES) for k in payload}
    return Event(unit, event, actor, _advance(draw, clock), payload)


def _malformed(draw: st.DrawFn, world: WorldModel, clock: Clock) -> str:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.sampled_from(_MALFORMED_FIXED))
    unit = draw(st.sampled_from(list(world.roster.units)))
    good: dict[str, Any] = {
        "unit": unit,
        "event": draw(st.sampled_from(sorted(world.workflow.step_of_event) or ["e"])),
        "actor": draw(st.sampled_from(list(world.roster.units[unit].people) or ["p0"])),
        "at": clock.now.isoformat(),
        "payload": {},
    }
    if kind == 1:  # a key missing
        del good[draw(st.sampled_from(["unit", "event", "actor", "at"]))]
    elif kind == 2:  # a key not a string
        key = draw(st.sampled_from(["unit", "event", "actor", "at"]))
        good[key] = draw(st.sampled_from([7, None, ["x"], {"id": "x"}, True, 20090501]))
    elif kind == 3:  # `at` not a date-time
        good["at"] = draw(
            st.sampled_from(
                [
                    "yesterday",
                    clock.now.date().isoformat(),  # a date alone
                    "2009-13-01T10:00:00",
                    "2009-05-01x10:00:00",
                    "2009-05-01T100000",  # extended date, basic time
                    "20090501",  # a basic date alone
                    "2009-05-01T25:00",
                    "",
                ]
            )
        )
    elif kind == 4:  # payload not an object
        good["payload"] = draw(st.sampled_from([[1], "x", 3, True, 0.5]))
    else:  # a JSON constant inside
        return json.dumps(good)[:-1] + ', "x": NaN}'
    return json.dumps(good)


def draw_line(draw: st.DrawFn, world: WorldModel, clock: Clock, *, bad: bool = True) -> str:
    """One event-log line against the current model, mostly plausible; moves the clock."""
    choice = draw(st.integers(0, 19)) if bad else 0
    if choice <= 12:
        ev = _plausible(draw, world, clock)
    elif choice == 13:
        return _malformed(draw, world, clock)
    elif choice == 14:
        ev = _random_event(draw, world, clock)
        ev = Event("no_such_unit", ev.event, ev.actor, ev.at, ev.payload)
    elif choice == 15:
        ev = _random_event(draw, world, clock)
        ev = Event(ev.unit, "no_such_event", ev.actor, ev.at, ev.payload)
    elif choice == 16:
        ev = _random_event(draw, world, clock)
        others = sorted(
            {p for u in world.roster.units.values() for p in u.people}
            - set(world.roster.units[ev.unit].people)
        )
        ev = Event(ev.unit, ev.event, draw(st.sampled_from([*others, "nobody"])), ev.at, ev.payload)
    elif choice == 17:
        ev = _plausible(draw, world, clock)
        last = world.units[ev.unit].last_at if ev.unit in world.units else None
        if last is not None:  # earlier than the unit's last accepted event
            ev = Event(
                ev.unit,
                ev.event,
                ev.actor,
                last - dt.timedelta(minutes=draw(st.integers(1, 5000))),
                ev.payload,
            )
    elif choice == 18:
        ev = _plausible(draw, world, clock, violate=True)
    else:
        ev = _random_event(draw, world, clock)
    clock.now = max(clock.now, ev.at)
    return _line(draw, ev.unit, ev.event, ev.actor, _format_at(draw, ev.at), dict(ev.payload))
