"""Issue 13 for the event store: whatever is submitted — arbitrary text (lone surrogates and
control characters included), arbitrary JSON-like values, deep nesting, dates in the far
future — `submit` returns a verdict, audits every rejection, and the store still verifies and
exports files that ElementTree reads. Never an exception."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sfd_workflow as sfd
from sfd_workflow.store import EventStore
from support.store import spec_and_roster

#: Every character, lone surrogates and controls included.
ANY_CHAR = st.characters(exclude_categories=())
TEXT = st.text(ANY_CHAR, max_size=12)
JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12)


def _events() -> st.SearchStrategy[Any]:
    spec, roster = spec_and_roster()
    units = [u.id for u in roster.units][:3]
    names = sorted(spec.step_of_event)
    return st.fixed_dictionaries(
        {"unit": st.sampled_from(units) | TEXT, "event": st.sampled_from(names) | TEXT,
         "actor": st.sampled_from(["s", "m1", "m2"]) | TEXT,
         "at": st.sampled_from(["2009-05-01T10:00:00+08:00", "2009-05-01T10:00:00",
                                "9999-12-31T23:59:59", "2009-02-30T10:00:00"]) | TEXT},
        optional={"payload": JSON_LIKE})


SUBMITTED = (TEXT | _events() | _events().map(json.dumps)
             | st.integers(1, 3000).map(lambda d: "[" * d + "]" * d))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventStore]:
    """One SQLite store every example submits to."""
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    spec, roster = spec_and_roster()
    with EventStore.create(f"sqlite:///{path}", spec, roster, snapshot_every=5) as s:
        yield s


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(event=SUBMITTED)
def test_anything_submitted_gets_a_verdict_and_the_store_still_verifies(
        store: EventStore, event: Any) -> None:
    """A verdict, never an exception; a rejection is the last audit row; verify --replay
    stays clean (every rejection is rejected again for its reason) and the XES export
    parses."""
    _, rejected = store.counts()
    verdict = store.submit(event)
    assert isinstance(verdict, sfd.Verdict)
    if not verdict.accepted:
        assert store.counts()[1] == rejected + 1
        assert store.audit()[-1].reason == str(verdict.reason)
    report = store.verify(replay=True)  # every event and every rejection judged again
    assert report.ok, report.lines()
    buf = io.StringIO()
    store.export("xes", buf)
    ET.fromstring(buf.getvalue().encode("utf-8"))
