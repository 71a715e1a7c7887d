"""Hypothesis strategies for format-1 documents: `specs`, `rosters`, `event_logs`, `from_spec`.

Specs and rosters are drawn as plain documents (the dicts a YAML or JSON file loads into),
logs as lists of JSON Lines strings, so any example can be written to files and replayed
with ``sfd-workflow replay``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from ._events import draw_line, start_clock
from ._oracle import RosterModel, WorkflowModel
from ._world import WorldModel

__all__ = ["event_logs", "from_spec", "rosters", "specs"]

_ROLES = ("secretary", "member", "committee", "masses_rep", "principal", "teacher")
_KINDS = ("school", "organ", "branch", "kindergarten", "retired", "joint")
_RECORDS = ("draft", "review", "hours", "minutes", "opinion", "vote")
_FIELDS = ("goals", "items", "limits", "measures", "owner", "note")
_STEPS = ("study", "discuss", "meet", "report", "plan", "solve", "summary", "archive")
_STATES = ("start", "draft", "review", "revise", "approved", "published", "done", "closed")
_VERBS = ("go", "submit", "review", "approve", "reject", "publish", "note", "close")
_TIMEZONES = ("Asia/Shanghai", "UTC", "Asia/Tokyo", "Europe/Paris", "America/New_York")
_FRACTIONS = (0.25, 0.5, 0.34, 0.6, 0.75, 0.9)
_START = dt.date(2009, 3, 1)


def _text(draw: st.DrawFn, zh: str, en: str) -> str | dict[str, str]:
    style = draw(st.integers(0, 2))
    if style == 0:
        return en
    if style == 1:
        return {"en": en}
    return {"zh": zh, "en": en}


def _date(draw: st.DrawFn, iso_dates: bool) -> Any:
    day = _START + dt.timedelta(days=draw(st.integers(0, 183)))
    if iso_dates or draw(st.booleans()):
        return day.isoformat()
    return day


def _names(pool: Sequence[str], n: int) -> list[str]:
    return [pool[i] if i < len(pool) else f"{pool[i % len(pool)]}{i}" for i in range(n)]


def _one_or_list(draw: st.DrawFn, items: list[str], max_size: int = 2) -> str | list[str]:
    chosen = draw(st.lists(st.sampled_from(items), min_size=1, max_size=max_size, unique=True))
    if len(chosen) == 1 and draw(st.booleans()):
        return chosen[0]
    return chosen


def _maybe(draw: st.DrawFn, odds: int) -> bool:
    """True about once in `odds` draws (shrinks to False)."""
    return draw(st.integers(0, odds - 1)) == odds - 1


def _step_skeleton(
    draw: st.DrawFn, step_id: str, max_states: int, records: list[str], iso_dates: bool
) -> dict[str, Any]:
    """States and transitions (guards come later): every state reachable, one final at least."""
    # One-state steps (no events, always complete) are legal but dull: keep them rare.
    m = 1 if max_states == 1 or _maybe(draw, 8) else draw(st.integers(2, max_states))
    states = _names(_STATES, m)
    # The last state is final; a few others may be too. State 0 leads on when m > 1.
    finals = {m - 1} | {i for i in range(1, m - 1) if _maybe(draw, 5)}
    movers = [i for i in range(m) if i not in finals]
    edges: list[tuple[list[int], int]] = []
    for i in range(1, m):  # a spanning tree from the initial state reaches every state
        parent = draw(st.sampled_from([j for j in movers if j < i]))
        edges.append(([parent], i))
    for j in movers:  # a non-final state needs a way out
        if not any(j in src for src, _ in edges):
            edges.append(([j], draw(st.integers(0, m - 1))))
    if movers:
        for _ in range(draw(st.integers(0, 2))):  # review loops and self-loops
            src = draw(st.lists(st.sampled_from(movers), min_size=1, max_size=2, unique=True))
            edges.append((src, draw(st.integers(0, m - 1))))
    transitions: list[dict[str, Any]] = []
    for k, (src, dest) in enumerate(edges):
        t: dict[str, Any] = {
            "event": f"{step_id}_{_VERBS[k] if k < len(_VERBS) else f'e{k}'}",
            "from": states[src[0]]
            if len(src) == 1 and draw(st.booleans())
            else [states[s] for s in src],
            "to": states[dest],
        }
        if records and _maybe(draw, 2):
            t["records"] = draw(st.sampled_from(records))
        if _maybe(draw, 4):
            t["due"] = _date(draw, iso_dates)
        if _maybe(draw, 8):
            t["title"] = _text(draw, "转换", f"transition {k}")
        transitions.append(t)
    if transitions:
        for _ in range(draw(st.integers(0, 2))):  # alternative guarded transitions of one event
            base = draw(st.sampled_from(transitions))
            alt = {
                "event": base["event"],
                "from": base["from"],
                "to": states[draw(st.integers(0, m - 1))],
            }
            if "records" in base and draw(st.booleans()):
                alt["records"] = base["records"]
            transitions.insert(draw(st.integers(0, len(transitions))), alt)
    return {
        "id": step_id,
        "title": _text(draw, "环节", step_id),
        "states": states,
        "transitions": transitions,
    }


def _guard(
    draw: st.DrawFn,
    t: dict[str, Any],
    roles: list[str],
    recorded: list[str],
    step_ids: list[str],
    predicates: Sequence[str],
    iso_dates: bool,
) -> dict[str, Any]:
    g: dict[str, Any] = {}
    if _maybe(draw, 2):
        g["role"] = _one_or_list(draw, roles)
    if _maybe(draw, 6):
        g["not_before"] = _date(draw, iso_dates)
    if recorded and _maybe(draw, 5):
        g["has"] = draw(st.lists(st.sampled_from(recorded), min_size=1, max_size=2, unique=True))
    if "records" in t and _maybe(draw, 3):
        g["once_per_actor"] = True
    if _maybe(draw, 5):
        g["fields"] = draw(st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=3, unique=True))
    if recorded and _maybe(draw, 5):
        at_least: Any = draw(
            st.integers(0, 3) | st.sampled_from(["majority", "all"]) | st.sampled_from(_FRACTIONS)
        )
        g["quorum"] = {
            "record": draw(st.sampled_from(recorded)),
            "role": draw(st.sampled_from(roles)),
            "at_least": at_least,
        }
    if recorded and _maybe(draw, 6):
        g["per_person"] = {
            "record": draw(st.sampled_from(recorded)),
            "field": draw(st.sampled_from(["hours", "days"])),
            "role": draw(st.sampled_from(roles)),
            "at_least": draw(st.integers(0, 48) | st.sampled_from([0.5, 12.5])),
        }
    if _maybe(draw, 6):
        g["children"] = draw(
            st.lists(st.sampled_from(step_ids), min_size=1, max_size=2, unique=True)
        )
    if predicates and _maybe(draw, 4):
        g["custom"] = _one_or_list(draw, list(predicates))
    return g


@st.composite
def _draw_spec(
    draw: st.DrawFn,
    *,
    max_phases: int,
    max_steps: int,
    max_states: int,
    max_roles: int,
    max_kinds: int,
    max_records: int,
    predicates: Sequence[str],
    iso_dates: bool,
) -> dict[str, Any]:
    roles = _names(_ROLES, draw(st.integers(1, max_roles)))
    records = _names(_RECORDS, draw(st.integers(0, max_records)))
    n_steps = draw(st.integers(1, max_steps))
    step_ids = _names(_STEPS, n_steps)
    steps = [_step_skeleton(draw, s, max_states, records, iso_dates) for s in step_ids]
    recorded = sorted({t["records"] for s in steps for t in s["transitions"] if "records" in t})
    for i, s in enumerate(steps):
        for t in s["transitions"]:
            guard = _guard(draw, t, roles, recorded, step_ids, predicates, iso_dates)
            if guard:
                t["guard"] = guard
            if recorded and _maybe(draw, 4):
                t["clears"] = draw(
                    st.lists(st.sampled_from(recorded), min_size=1, max_size=2, unique=True)
                )
        if i > 0:
            style = draw(st.integers(0, 3))
            if style == 1:
                s["after"] = []  # a parallel step
            elif style >= 2:
                s["after"] = sorted(
                    draw(
                        st.lists(st.sampled_from(step_ids[:i]), min_size=1, max_size=2, unique=True)
                    )
                )
            # style 0: the default, the previous step in document order
        elif _maybe(draw, 3):
            s["after"] = []
    # Split the steps into phases, in order.
    cuts = (
        sorted(
            draw(
                st.lists(st.integers(1, max(1, n_steps - 1)), max_size=max_phases - 1, unique=True)
            )
        )
        if n_steps > 1
        else []
    )
    bounds = [0, *cuts, n_steps]
    phases = []
    for k in range(len(bounds) - 1):
        phase: dict[str, Any] = {
            "id": f"phase{k + 1}",
            "title": _text(draw, f"阶段{k + 1}", f"Phase {k + 1}"),
            "steps": steps[bounds[k] : bounds[k + 1]],
        }
        if _maybe(draw, 4):
            a, b = sorted([_date(draw, True), _date(draw, True)])
            phase["window"] = (
                {"start": a, "end": b}
                if iso_dates
                else {"start": dt.date.fromisoformat(a), "end": dt.date.fromisoformat(b)}
            )
            if _maybe(draw, 2):  # extension: flag events outside the window
                phase["window"]["flag"] = True
        phases.append(phase)
    kinds: dict[str, Any] = {}
    for kind in _names(_KINDS, draw(st.integers(1, max_kinds))):
        body: dict[str, Any] = {"title": _text(draw, "单位", kind)}
        if len(roles) > 1 and _maybe(draw, 3):
            target = draw(st.sampled_from(roles))
            givers = [r for r in roles if r != target]
            body["role_map"] = {target: _one_or_list(draw, givers)}
        if _maybe(draw, 4):
            body["skip"] = draw(
                st.lists(st.sampled_from(step_ids), min_size=1, max_size=2, unique=True)
            )
        kinds[kind] = body
    doc: dict[str, Any] = {
        "format": "sfd-workflow/1",
        "id": "generated",
        "title": _text(draw, "生成的工作流", "A generated workflow"),
    }
    if _maybe(draw, 2):
        doc["timezone"] = draw(st.sampled_from(_TIMEZONES))
    if _maybe(draw, 4):
        doc["period"] = (
            {"start": "2009-03-01", "end": "2009-08-31"}
            if iso_dates
            else {"start": dt.date(2009, 3, 1), "end": dt.date(2009, 8, 31)}
        )
        if _maybe(draw, 2):  # extension: flag events outside the period
            doc["period"]["flag"] = True
    doc["roles"] = {r: _text(draw, r, r.replace("_", " ").title()) for r in roles}
    doc["unit_kinds"] = kinds
    doc["phases"] = phases
    return doc


def specs(
    *,
    max_phases: int = 3,
    max_steps: int = 5,
    max_states: int = 4,
    max_roles: int = 3,
    max_kinds: int = 3,
    max_records: int = 3,
    predicates: Sequence[str] = (),
    iso_dates: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid format-1 workflow documents (docs/format.md §1), as plain dicts.

    Drawn specs have parallel steps (``after: []``) and steps after several others,
    review loops (transitions back to earlier states, with ``clears``), alternative
    guarded transitions of one event, every guard key, ``due`` dates, unit kinds with
    ``skip`` and ``role_map``, and sometimes a timezone other than the default.

    Args:
        max_phases: at most this many phases.
        max_steps: at most this many steps in all.
        max_states: at most this many states per step.
        max_roles: at most this many roles.
        max_kinds: at most this many unit kinds.
        max_records: at most this many record kinds.
        predicates: names of custom predicates that guards may name (``custom``); the
            caller registers them. Empty (the default) leaves ``custom`` out.
        iso_dates: dates as ISO strings (dumps to JSON and YAML); when False, some dates
            are `datetime.date` objects, as a YAML loader gives them.

    Example:
        >>> from hypothesis import given
        >>> @given(specs(max_steps=3))
        ... def test_loads(doc): spec_from_document(doc)
    """
    for name, value in [
        ("max_phases", max_phases),
        ("max_steps", max_steps),
        ("max_states", max_states),
        ("max_roles", max_roles),
        ("max_kinds", max_kinds),
    ]:
        if not isinstance(value, int) or value < 1:
            msg = f"{name} must be an integer of at least 1, not {value!r}"
            raise ValueError(msg)
    if max_records < 0:
        msg = f"max_records must be at least 0, not {max_records!r}"
        raise ValueError(msg)
    return _draw_spec(
        max_phases=max_phases,
        max_steps=max_steps,
        max_states=max_states,
        max_roles=max_roles,
        max_kinds=max_kinds,
        max_records=max_records,
        predicates=tuple(predicates),
        iso_dates=iso_dates,
    )


def _workflow(spec: Any) -> WorkflowModel:
    if isinstance(spec, Mapping):
        return WorkflowModel.from_document(spec)
    return WorkflowModel.from_spec(spec)


def _roster_model(roster: Any) -> RosterModel:
    if isinstance(roster, Mapping):
        return RosterModel.from_document(roster)
    return RosterModel.from_roster(roster)


@st.composite
def _draw_roster(
    draw: st.DrawFn, wf: WorkflowModel, max_units: int, max_people: int
) -> dict[str, Any]:
    units = []
    kinds = list(wf.kinds)
    for i in range(draw(st.integers(1, max_units))):
        unit: dict[str, Any] = {"id": f"u{i}", "kind": draw(st.sampled_from(kinds))}
        if i > 0 and _maybe(draw, 2):
            unit["parent"] = f"u{draw(st.integers(0, i - 1))}"
        people = []
        n_people = 0 if max_people == 0 or _maybe(draw, 10) else draw(st.integers(1, max_people))
        for j in range(n_people):
            roles = draw(
                st.lists(st.sampled_from(list(wf.roles)), min_size=1, max_size=3, unique=True)
            )
            people.append({"id": f"p{j}", "roles": roles})
        unit["people"] = people
        if _maybe(draw, 5):
            unit["title"] = f"Unit {i}"
        units.append(unit)
    return {"units": units}


def rosters(
    spec: Mapping[str, Any] | Any, *, max_units: int = 4, max_people: int = 4
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid roster documents (docs/format.md §2) for `spec`, as plain dicts.

    Units form trees (a unit's parent is an earlier unit), use the spec's unit kinds and
    give people the spec's roles. Person ids repeat across units (``p0`` in each), so an
    actor of one unit is unknown in another.

    Args:
        spec: a spec document (dict) or a loaded `sfd_workflow.Spec`.
        max_units: at most this many units.
        max_people: at most this many people per unit.
    """
    if max_units < 1 or max_people < 0:
        msg = "max_units must be at least 1 and max_people at least 0"
        raise ValueError(msg)
    return _draw_roster(_workflow(spec), max_units, max_people)


@st.composite
def _draw_log(
    draw: st.DrawFn,
    wf: WorkflowModel,
    roster: RosterModel,
    max_events: int,
    predicates: Mapping[str, Any],
    bad: bool,
    start: Sequence[str] = (),
) -> list[str]:
    world = WorldModel(wf, roster, predicates)
    clock = start_clock(world)
    for line in start:
        world.submit_line(line)
    times = [u.last_at for u in world.units.values() if u.last_at is not None]
    if times:
        clock.now = max(times).astimezone(wf.tz)
    lines = list(start)
    for _ in range(draw(st.integers(0, max_events))):
        line = draw_line(draw, world, clock, bad=bad)
        world.submit_line(line)
        lines.append(line)
    return lines


def event_logs(
    spec: Mapping[str, Any] | Any,
    roster: Mapping[str, Any] | Any,
    *,
    max_events: int = 30,
    bad: bool = True,
    predicates: Mapping[str, Any] | None = None,
    start: Sequence[str] = (),
) -> st.SearchStrategy[list[str]]:
    """Event logs for `spec` and `roster`: lists of JSON Lines strings (docs/format.md §3).

    Most events are plausible: the strategy walks a model of docs/format.md §4 and picks an
    enabled transition with an actor and payload that satisfy its guard, moving time
    forward (sometimes by weeks, past ``due`` dates), so logs reach deep states. With
    ``bad=True`` (the default) it also draws every kind of bad event: malformed lines of
    each sort, unknown units, events and actors, out-of-order times, blocked steps, wrong
    states and each guard failure.

    Args:
        spec: a spec document (dict) or a loaded `sfd_workflow.Spec`.
        roster: a roster document (dict) or a loaded roster.
        max_events: at most this many lines (after `start`).
        bad: also draw bad events.
        predicates: the custom predicates the spec names, by name; each gets a context
            with ``unit``, ``event``, ``actor``, ``at``, ``payload`` and ``state``.
        start: lines every drawn log begins with (e.g. a prefix of a real campaign), so
            the drawn events start from a deep state; the clock starts at their last time.
    """
    if max_events < 0:
        msg = f"max_events must be at least 0, not {max_events!r}"
        raise ValueError(msg)
    wf = _workflow(spec)
    rm = _roster_model(roster)
    if not rm.units:
        msg = "the roster has no units"
        raise ValueError(msg)
    return _draw_log(wf, rm, max_events, dict(predicates or {}), bad, tuple(start))


@st.composite
def _draw_from_spec(
    draw: st.DrawFn,
    spec: Any,
    max_units: int,
    max_people: int,
    max_events: int,
    predicates: Mapping[str, Any],
    bad: bool,
) -> tuple[dict[str, Any], list[str]]:
    wf = _workflow(spec)
    roster = draw(_draw_roster(wf, max_units, max_people))
    log = draw(_draw_log(wf, RosterModel.from_document(roster), max_events, predicates, bad))
    return roster, log


def from_spec(
    spec: Mapping[str, Any] | Any,
    *,
    max_units: int = 4,
    max_people: int = 4,
    max_events: int = 30,
    bad: bool = True,
    predicates: Mapping[str, Any] | None = None,
) -> st.SearchStrategy[tuple[dict[str, Any], list[str]]]:
    """A roster and an event log for a fixed `spec`: ``(roster_doc, lines)``.

    Args:
        spec: a spec document (dict) or a loaded `sfd_workflow.Spec`.
        max_units: see `rosters`.
        max_people: see `rosters`.
        max_events: see `event_logs`.
        bad: see `event_logs`.
        predicates: see `event_logs`.
    """
    return _draw_from_spec(spec, max_units, max_people, max_events, dict(predicates or {}), bad)
