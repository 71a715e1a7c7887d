"""The phase-window flag (format extension, docs/format.md §4): `window: {start, end, flag}`.

An accepted event outside its phase's flagged window, or outside the flagged period, carries
`outside_window`; it is never refused (R6). The expected flags are computed here from the
dates alone, independently of the engine.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import sfd_workflow as sfd
from sfd_workflow import Reason, Runtime, Verdict

TZ = ZoneInfo("Asia/Shanghai")
ROSTER = {"units": [{"id": "u1", "kind": "k", "people": [{"id": "p1", "roles": ["sec"]},
                                                         {"id": "p2", "roles": ["other"]}]}]}


def _spec(window: dict[str, Any] | None, period: dict[str, Any] | None = None,
          due: str | None = None) -> dict[str, Any]:
    """A one-phase, one-step spec: `go` by the secretary, optionally due."""
    t: dict[str, Any] = {"event": "go", "from": "a", "to": "a", "guard": {"role": "sec"}}
    if due is not None:
        t["due"] = due
    phase: dict[str, Any] = {"id": "p", "title": "P",
                             "steps": [{"id": "s", "title": "S", "states": ["a", "b"],
                                        "transitions": [t, {"event": "end", "from": "a",
                                                            "to": "b"}]}]}
    if window is not None:
        phase["window"] = window
    doc: dict[str, Any] = {"format": "sfd-workflow/1", "id": "w", "roles": {"sec": "S",
                                                                          "other": "O"},
                           "unit_kinds": {"k": {"title": "K"}}, "phases": [phase]}
    if period is not None:
        doc["period"] = period
    return doc


def _runtime(doc: dict[str, Any]) -> Runtime:
    spec = sfd.spec_from_document(doc)
    return Runtime(sfd.compile_workflow(spec), sfd.roster_from_document(ROSTER, spec))


def _go(rt: Runtime, at: str, actor: str = "p1") -> Verdict:
    return rt.submit({"unit": "u1", "event": "go", "actor": actor, "at": at})


def _outside(at: str, start: dt.date, end: dt.date) -> bool:
    """The oracle: outside [start 00:00, end+1 00:00) in Asia/Shanghai."""
    t = dt.datetime.fromisoformat(at).astimezone(TZ)
    return not start <= t.date() <= end


TIMES = ["2009-02-28T23:59:59+08:00", "2009-03-01T00:00:00+08:00", "2009-02-28T16:00:00Z",
         "2009-04-30T23:59:59+08:00", "2009-04-30T16:00:00Z", "2009-05-01T00:00:00+08:00",
         "2009-09-01T10:00:00+08:00"]


@pytest.mark.parametrize("at", TIMES)
def test_a_flagged_phase_window_flags_exactly_the_events_outside_it(at: str) -> None:
    """The boundary is 00:00 of `start` and of the day after `end`, spec timezone."""
    rt = _runtime(_spec({"start": "2009-03-01", "end": "2009-04-30", "flag": True}))
    expected = _outside(at, dt.date(2009, 3, 1), dt.date(2009, 4, 30))
    assert _go(rt, at) == Verdict(True, None, late=False, outside_window=expected)


@pytest.mark.parametrize("at", TIMES)
def test_a_flagged_period_flags_every_step(at: str) -> None:
    """`period: {.., flag: true}` bounds steps whose phase has no flagged window."""
    rt = _runtime(_spec({"start": "2009-03-01", "end": "2009-03-31"},
                        period={"start": "2009-03-01", "end": "2009-04-30", "flag": True}))
    expected = _outside(at, dt.date(2009, 3, 1), dt.date(2009, 4, 30))
    assert _go(rt, at).outside_window is expected


@pytest.mark.parametrize("window", [None, {"start": "2009-03-01", "end": "2009-04-30"},
                                    {"start": "2009-03-01", "end": "2009-04-30",
                                     "flag": False}])
def test_without_a_flag_nothing_is_flagged(window: dict[str, Any] | None) -> None:
    """Format 1 meaning: a window without `flag` is only planned dates."""
    rt = _runtime(_spec(window))
    assert _go(rt, "2009-01-01T10:00:00+08:00") == Verdict(True)


def test_late_and_outside_are_independent_and_rejections_are_never_flagged() -> None:
    """A February event before its due is outside, not late; after its due, both; a refused
    event carries neither."""
    rt = _runtime(_spec({"start": "2009-03-01", "end": "2009-04-30", "flag": True},
                        due="2009-02-10"))
    assert _go(rt, "2009-02-01T10:00:00+08:00") == Verdict(True, None, False, outside_window=True)
    assert _go(rt, "2009-02-20T10:00:00+08:00") == Verdict(True, None, True, outside_window=True)
    assert _go(rt, "2009-02-21T10:00:00+08:00", actor="p2") == Verdict(False, Reason.ROLE)
    assert _go(rt, "2009-03-20T10:00:00+08:00") == Verdict(True, None, True)


def test_the_flag_is_an_extra_json_key_only_when_set() -> None:
    """`replay` prints the six keys of SPEC-FORMAT §5, plus `outside_window` when true."""
    assert Verdict(True).to_json() == {"verdict": "accepted", "reason": None, "late": False}
    assert Verdict(True, None, False, outside_window=True).to_json() == {
        "verdict": "accepted", "reason": None, "late": False, "outside_window": True}


@pytest.mark.parametrize(("window", "path", "words"), [
    ({"start": "2009-03-01", "end": "2009-04-30", "flag": "yes"}, "phases[0].window.flag",
     "true or false"),
    ({"start": "2009-03-01", "end": "2009-04-30", "flags": True}, "phases[0].window",
     "flags"),
])
def test_a_bad_flag_is_a_load_error_naming_its_path(window: dict[str, Any], path: str,
                                                    words: str) -> None:
    """Hostile input: a flag that is not a boolean, or a misspelt key, names the path."""
    with pytest.raises(sfd.SpecError) as err:
        sfd.spec_from_document(_spec(window))
    assert path in str(err.value) and words in str(err.value)


def test_a_flag_is_read_from_yaml_with_its_line() -> None:
    """A YAML spec's bad flag is reported with its line."""
    text = """format: sfd-workflow/1
id: w
roles: {sec: S}
unit_kinds: {k: {title: K}}
phases:
  - id: p
    title: P
    window:
      start: 2009-03-01
      end: 2009-04-30
      flag: 1
    steps:
      - {id: s, title: S, states: [a, b], transitions: [{event: go, from: a, to: b}]}
"""
    with pytest.raises(sfd.SpecError) as err:
        sfd.spec_from_text(text, "w.yaml")
    assert "w.yaml:11: phases[0].window.flag" in str(err.value)
