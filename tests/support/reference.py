"""A reference interpreter of SPEC-FORMAT §3–§5, written literally from the text.

It is the oracle of the differential property test (tests/property/test_differential.py):
it shares no code with `sfd_workflow` and works on plain documents (the dicts a YAML or
JSON spec and roster load into) and plain lines. It is meant to be obviously right, not
fast: every check re-reads the documents.

    reference_replay(spec_doc, roster_doc, lines) -> [{"line", "unit", "event", "verdict",
                                                       "reason", "late"}, ...]

Decisions where SPEC-FORMAT leaves room (agreed with the core, see issue 3's brief):

* ``at`` is an ISO 8601 calendar date and a time (``T``, ``t`` or a space between), both in
  the extended (``2009-05-01T10:00:00``) or both in the basic format (``20090501T100000``),
  the time ``hh``, ``hh:mm`` or ``hh:mm:ss`` with a decimal fraction of its last part,
  ``24:00`` the end of the day, then ``Z``, ``±hh``, ``±hhmm`` or ``±hh:mm`` or nothing (read
  in the spec's timezone); times are compared as instants. (The core also reads week and
  ordinal dates; the generated logs do not use them.)
* JSON is parsed with `json.loads`; the constants ``NaN``, ``Infinity`` and
  ``-Infinity``, numbers that overflow to infinity, strings with a lone surrogate and
  nesting deeper than 64 levels make a line malformed; an empty line too; extra keys are
  ignored.
* A bool payload value is not a number for ``per_person``.
* ``role_map`` values may be a string or a list; dates may be `datetime.date` or ISO
  strings.
* A fractional quorum needs ``ceil(x * n)`` people.

Extension (docs/format.md §4, "Phase windows that flag events"): an accepted event outside
its phase's ``window`` with ``flag: true``, or outside the ``period`` with ``flag: true``,
gets the extra key ``"outside_window": true``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["ReferenceContext", "reference_replay", "reference_states", "split_lines"]

# SPEC-FORMAT §4 item 9: the order in which guard keys are checked, with their reasons.
GUARD_ORDER = [
    ("role", "role"),
    ("not_before", "not_before"),
    ("has", "missing_record"),
    ("once_per_actor", "duplicate"),
    ("fields", "fields"),
    ("quorum", "quorum"),
    ("per_person", "per_person"),
    ("children", "children"),
    ("custom", "custom"),
]


class ReferenceContext:
    """What a custom predicate of the reference sees: the event and the unit before it."""

    def __init__(
        self,
        unit: str,
        event: str,
        actor: str,
        at: dt.datetime,
        payload: dict[str, Any],
        state: dict[str, str],
    ) -> None:
        self.unit = unit
        self.event = event
        self.actor = actor
        self.at = at
        self.payload = payload
        self.state = state


Predicate = Callable[[ReferenceContext], bool]


def split_lines(text: str) -> list[str]:
    """The lines of an event log: split on "\\n"; the final newline starts no line (§3), so
    an empty file has none."""
    if text == "":
        return []
    pieces = text.split("\n")
    if text.endswith("\n"):
        pieces = pieces[:-1]
    return pieces


# ---------------------------------------------------------------- reading the spec


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _all_steps(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every step in document order, across phases."""
    out = []
    for phase in spec["phases"]:
        for step in phase["steps"]:
            out.append(step)
    return out


def _step(spec: Mapping[str, Any], step_id: str) -> dict[str, Any]:
    for step in _all_steps(spec):
        if step["id"] == step_id:
            return step
    raise KeyError(step_id)


def _after(spec: Mapping[str, Any], step_id: str) -> list[str]:
    """A step's ``after``; by default the previous step in document order (none for the first)."""
    steps = _all_steps(spec)
    for i, step in enumerate(steps):
        if step["id"] == step_id:
            if "after" in step:
                return list(step["after"])
            if i == 0:
                return []
            return [steps[i - 1]["id"]]
    raise KeyError(step_id)


def _final_states(step: Mapping[str, Any]) -> list[str]:
    """States with no outgoing transition."""
    leaving = set()
    for t in step.get("transitions", []):
        for s in _as_list(t["from"]):
            leaving.add(s)
    return [s for s in step["states"] if s not in leaving]


def _step_of_event(spec: Mapping[str, Any], event: str) -> dict[str, Any] | None:
    for step in _all_steps(spec):
        for t in step.get("transitions", []):
            if t["event"] == event:
                return step
    return None


def _kind(spec: Mapping[str, Any], kind_id: str) -> dict[str, Any]:
    return spec["unit_kinds"][kind_id] or {}


def _skipped(spec: Mapping[str, Any], kind_id: str, step_id: str) -> bool:
    return step_id in _as_list(_kind(spec, kind_id).get("skip"))


def _effective_roles(spec: Mapping[str, Any], kind_id: str, roster_roles: list[str]) -> set[str]:
    """Roster roles, plus every R that the kind's role_map maps to one of them (§1)."""
    roles = set(roster_roles)
    role_map = _kind(spec, kind_id).get("role_map") or {}
    for r, mapped in role_map.items():
        for m in _as_list(mapped):
            if m in roster_roles:
                roles.add(r)
    return roles


def _midnight(spec: Mapping[str, Any], day: dt.date) -> dt.datetime:
    tz = ZoneInfo(spec.get("timezone", "Asia/Shanghai"))
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


# ---------------------------------------------------------------- reading the roster


def _unit(roster: Mapping[str, Any], unit_id: str) -> dict[str, Any] | None:
    for unit in roster["units"]:
        if unit["id"] == unit_id:
            return unit
    return None


def _people(unit: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(unit.get("people") or [])


def _person(unit: Mapping[str, Any], person_id: str) -> dict[str, Any] | None:
    for p in _people(unit):
        if p["id"] == person_id:
            return p
    return None


def _children(roster: Mapping[str, Any], unit_id: str) -> list[str]:
    return [u["id"] for u in roster["units"] if u.get("parent") == unit_id]


# ---------------------------------------------------------------- the state


class _World:
    """The state of every unit: each step's state, every record, the last accepted time."""

    def __init__(self, spec: Mapping[str, Any], roster: Mapping[str, Any]) -> None:
        self.spec = spec
        self.roster = roster
        self.states: dict[str, dict[str, str]] = {}
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.last_at: dict[str, dt.datetime | None] = {}
        for unit in roster["units"]:
            self.states[unit["id"]] = {s["id"]: s["states"][0] for s in _all_steps(spec)}
            self.records[unit["id"]] = []
            self.last_at[unit["id"]] = None

    def live(self, unit_id: str) -> list[dict[str, Any]]:
        return [r for r in self.records[unit_id] if r["live"]]

    def complete(self, unit_id: str, step_id: str) -> bool:
        """In a final state, or skipped for the kind with every step of ``after`` complete."""
        step = _step(self.spec, step_id)
        if self.states[unit_id][step_id] in _final_states(step):
            return True
        unit = _unit(self.roster, unit_id)
        assert unit is not None
        if _skipped(self.spec, unit["kind"], step_id):
            return all(self.complete(unit_id, a) for a in _after(self.spec, step_id))
        return False

    def open(self, unit_id: str, step_id: str) -> bool:
        """Every step in its ``after`` is complete."""
        return all(self.complete(unit_id, a) for a in _after(self.spec, step_id))


# ---------------------------------------------------------------- guards, one key each


def _nonempty(value: Any) -> bool:
    return not (value is None or value == "" or value == [] or value == {})


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return value
    return 0


def _people_with_role(
    spec: Mapping[str, Any], unit: Mapping[str, Any], role: str
) -> list[dict[str, Any]]:
    return [
        p
        for p in _people(unit)
        if role in _effective_roles(spec, unit["kind"], list(p.get("roles") or []))
    ]


def _needed(at_least: Any, n: int) -> int:
    if at_least == "majority":
        return n // 2 + 1
    if at_least == "all":
        return n
    if isinstance(at_least, float):
        return math.ceil(at_least * n)
    return int(at_least)


def _key_holds(
    world: _World,
    key: str,
    value: Any,
    transition: Mapping[str, Any],
    ev: Mapping[str, Any],
    predicates: Mapping[str, Predicate],
) -> bool:
    spec = world.spec
    unit = _unit(world.roster, ev["unit"])
    assert unit is not None
    live = world.live(ev["unit"])
    if key == "role":
        person = _person(unit, ev["actor"])
        assert person is not None
        roles = _effective_roles(spec, unit["kind"], list(person.get("roles") or []))
        return any(r in roles for r in _as_list(value))
    if key == "not_before":
        return ev["at"] >= _midnight(spec, _as_date(value))
    if key == "has":
        return all(any(r["kind"] == k for r in live) for k in _as_list(value))
    if key == "once_per_actor":
        if not value:
            return True
        kind = transition.get("records")
        return not any(r["kind"] == kind and r["actor"] == ev["actor"] for r in live)
    if key == "fields":
        return all(f in ev["payload"] and _nonempty(ev["payload"][f]) for f in _as_list(value))
    if key == "quorum":
        holders = _people_with_role(spec, unit, value["role"])
        n = len(holders)
        count = 0
        for p in holders:
            if any(r["kind"] == value["record"] and r["actor"] == p["id"] for r in live):
                count += 1
        return count >= _needed(value["at_least"], n)
    if key == "per_person":
        for p in _people_with_role(spec, unit, value["role"]):
            total: float = 0
            for r in live:
                if r["kind"] == value["record"] and r["actor"] == p["id"]:
                    total += _number(r["payload"].get(value["field"]))
            if not total >= value["at_least"]:
                return False
        return True
    if key == "children":
        for child in _children(world.roster, ev["unit"]):
            for s in _as_list(value):
                if not world.complete(child, s):
                    return False
        return True
    if key == "custom":
        ctx = ReferenceContext(
            ev["unit"],
            ev["event"],
            ev["actor"],
            ev["at"],
            ev["payload"],
            dict(world.states[ev["unit"]]),
        )
        return all(predicates[name](ctx) for name in _as_list(value))
    raise AssertionError(f"unknown guard key {key}")


def _first_failing_key(
    world: _World,
    transition: Mapping[str, Any],
    ev: Mapping[str, Any],
    predicates: Mapping[str, Predicate],
) -> str | None:
    guard = transition.get("guard") or {}
    for key, reason in GUARD_ORDER:
        if key in guard and not _key_holds(world, key, guard[key], transition, ev, predicates):
            return reason
    return None


# ---------------------------------------------------------------- one line


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(text)
    return value


_AT = re.compile(
    r"(?P<y>[0-9]{4})(?P<ds>-?)(?P<mo>[0-9]{2})(?P=ds)(?P<d>[0-9]{2})[Tt ]"
    r"(?P<h>[0-9]{2})(?:(?P<ts>:?)(?P<mi>[0-9]{2})(?:(?P=ts)(?P<s>[0-9]{2}))?)?"
    r"(?:[.,](?P<f>[0-9]+))?"
    r"(?P<z>Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)


def _at(text: str, spec: Mapping[str, Any]) -> dt.datetime | None:
    m = _AT.fullmatch(text)
    if m is None:
        return None
    # basic date with extended time or the reverse: not one format
    if (m["ds"] == "-") != (m["ts"] == ":") and m["ts"] is not None:
        return None
    hour, minute, second = int(m["h"]), int(m["mi"] or 0), int(m["s"] or 0)
    frac = float("0." + m["f"]) if m["f"] else 0.0
    last_unit = 1 if m["s"] else 60 if m["mi"] else 3600
    try:
        day = dt.date(int(m["y"]), int(m["mo"]), int(m["d"]))
    except ValueError:
        return None
    if hour == 24 and minute == 0 and second == 0 and frac == 0:
        extra = dt.timedelta(days=1)
        hour = 0
    elif hour > 23 or minute > 59 or second > 59:
        return None
    else:
        extra = dt.timedelta(seconds=round(frac * last_unit, 6))
    z = m["z"]
    if z is None:
        tz: dt.tzinfo = ZoneInfo(spec.get("timezone", "Asia/Shanghai"))
    elif z in ("Z", "z"):
        tz = dt.UTC
    else:
        digits = z[1:].replace(":", "")
        oh, om = int(digits[:2]), int(digits[2:] or 0)
        if oh > 23 or om > 59:
            return None
        off = dt.timedelta(hours=oh, minutes=om)
        tz = dt.timezone(-off if z[0] == "-" else off)
    try:
        start = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
        return start + extra
    except (ValueError, OverflowError):
        return None


def _json_ok(value: Any, depth: int) -> bool:
    """No lone surrogate in any string, nesting at most 64 levels deep."""
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return depth <= 64 and all(_json_ok(k, depth) and _json_ok(v, depth + 1)
                                   for k, v in value.items())
    if isinstance(value, list):
        return depth <= 64 and all(_json_ok(v, depth + 1) for v in value)
    return True


def _parse(spec: Mapping[str, Any], line: str) -> dict[str, Any] | None:
    """The event of a line, or None when the line is malformed (§3)."""
    if line.endswith("\r"):
        line = line[:-1]
    if not line.strip():
        return None
    try:
        obj = json.loads(line, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        return None
    if not _json_ok(obj, 1) or not isinstance(obj, dict):
        return None
    for key in ("unit", "event", "actor", "at"):
        if key not in obj or not isinstance(obj[key], str):
            return None
    at = _at(obj["at"], spec)
    if at is None:
        return None
    payload = obj.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        return None
    return {
        "unit": obj["unit"],
        "event": obj["event"],
        "actor": obj["actor"],
        "at": at.astimezone(dt.UTC),
        "payload": payload,
    }


def _judge(
    world: _World, ev: Mapping[str, Any], predicates: Mapping[str, Predicate]
) -> tuple[str | None, bool]:
    """The reason of rejection (None when accepted) and the late flag; applies the event."""
    spec = world.spec
    unit = _unit(world.roster, ev["unit"])
    if unit is None:
        return "unknown_unit", False
    step = _step_of_event(spec, ev["event"])
    if step is None:
        return "unknown_event", False
    if _skipped(spec, unit["kind"], step["id"]):
        return "not_applicable", False
    if _person(unit, ev["actor"]) is None:
        return "unknown_actor", False
    last = world.last_at[ev["unit"]]
    if last is not None and ev["at"] < last:
        return "out_of_order", False
    if not world.open(ev["unit"], step["id"]):
        return "step_blocked", False
    current = world.states[ev["unit"]][step["id"]]
    candidates = [
        t
        for t in step.get("transitions", [])
        if t["event"] == ev["event"] and current in _as_list(t["from"])
    ]
    if not candidates:
        return "wrong_state", False
    fired = None
    for t in candidates:
        if _first_failing_key(world, t, ev, predicates) is None:
            fired = t
            break
    if fired is None:
        return _first_failing_key(world, candidates[0], ev, predicates), False
    # Accepted: move, retire cleared kinds, then record (§4).
    world.states[ev["unit"]][step["id"]] = fired["to"]
    for r in world.records[ev["unit"]]:
        if r["kind"] in _as_list(fired.get("clears")):
            r["live"] = False
    if fired.get("records"):
        world.records[ev["unit"]].append(
            {
                "kind": fired["records"],
                "actor": ev["actor"],
                "at": ev["at"],
                "payload": ev["payload"],
                "live": True,
            }
        )
    world.last_at[ev["unit"]] = ev["at"]
    late = False
    if fired.get("due") is not None:
        late = ev["at"] >= _midnight(spec, _as_date(fired["due"]) + dt.timedelta(days=1))
    return None, late


def _outside_window(spec: Mapping[str, Any], step_id: str, at: dt.datetime) -> bool:
    """True when `at` falls outside a flagged window of the step's phase or the period."""
    windows = [spec.get("period")]
    windows += [p.get("window") for p in spec.get("phases", [])
                if any(s["id"] == step_id for s in p.get("steps", []))]
    for w in windows:
        if not w or w.get("flag") is not True:
            continue
        start = _midnight(spec, _as_date(w["start"]))
        end = _midnight(spec, _as_date(w["end"]) + dt.timedelta(days=1))
        if not start <= at < end:
            return True
    return False


def reference_replay(
    spec_doc: Mapping[str, Any],
    roster_doc: Mapping[str, Any],
    lines: list[str],
    predicates: Mapping[str, Predicate] | None = None,
) -> list[dict[str, Any]]:
    """The §5 output object of every line, judged by §3–§4 in order."""
    world = _World(spec_doc, roster_doc)
    out = []
    for number, line in enumerate(lines, start=1):
        ev = _parse(spec_doc, line)
        if ev is None:
            out.append(
                {
                    "line": number,
                    "unit": None,
                    "event": None,
                    "verdict": "rejected",
                    "reason": "malformed",
                    "late": False,
                }
            )
            continue
        reason, late = _judge(world, ev, predicates or {})
        out.append(
            {
                "line": number,
                "unit": ev["unit"],
                "event": ev["event"],
                "verdict": "accepted" if reason is None else "rejected",
                "reason": reason,
                "late": late,
            }
        )
        step = _step_of_event(spec_doc, ev["event"])
        if reason is None and step is not None and _outside_window(spec_doc, step["id"],
                                                                   ev["at"]):
            out[-1]["outside_window"] = True
    return out


def reference_states(
    spec_doc: Mapping[str, Any],
    roster_doc: Mapping[str, Any],
    lines: list[str],
    predicates: Mapping[str, Predicate] | None = None,
) -> dict[str, dict[str, str]]:
    """The state of every unit (step id -> state) after replaying `lines`."""
    world = _World(spec_doc, roster_doc)
    for line in lines:
        ev = _parse(spec_doc, line)
        if ev is not None:
            _judge(world, ev, predicates or {})
    return world.states
