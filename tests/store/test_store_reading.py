"""Reading a store at scale: `status` holds one tree's replica at a time and keeps none it
did not have, `history` and the exports read through a streaming cursor (`yield_per`)."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

import sfd_workflow as sfd
from sfd_workflow._spec._builtin import sample_paths
from sfd_workflow.store import EventStore
from sfd_workflow.store._status import unit_status
from support.store import approval_script, ev, spec_and_roster, store_url_fixture  # noqa: F401

AS_OF = dt.datetime(2009, 7, 2, 9, 0, tzinfo=dt.UTC)


def _builtin() -> tuple[sfd.Spec, sfd.Roster, list[str]]:
    """The built-in spec, its sample roster (several trees) and its sample log."""
    roster_path, log_path = sample_paths("xuhui-edu-2009")
    assert roster_path is not None and log_path is not None
    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    return (spec, sfd.load_roster(roster_path, spec),
            log_path.read_text(encoding="utf-8").splitlines())


def _review() -> tuple[sfd.Spec, sfd.Roster, list[Any]]:
    """The test spec, its 4 trees, 15 accepted events in three of them (a school through
    its review, others part-way) and 4 rejected ones."""
    spec, roster = spec_and_roster()
    events: list[Any] = [*approval_script("ps-0-0"), *approval_script("ps-1-2")[:5],
                         *approval_script("gb-0")[:4], ev("gb-2", "write_draft", "s", 9,
                                                          {"text": "x"}), "garbage"]
    return spec, roster, events


CASES = {"builtin": _builtin, "review": _review}


def _rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [r.to_json() for r in rows]


def _replayed(store: EventStore) -> list[dict[str, Any]]:
    """The status rows read from one `Runtime` fed the whole event log (no replicas)."""
    rt = sfd.Runtime(sfd.compile_workflow(store.spec), store.roster)
    for event in store.events():
        assert rt.submit(event).accepted
    outside = {r.unit: r.outside_window for r in store.status(AS_OF)}
    return [unit_status(store.spec, store.roster, rt, u.id, AS_OF,
                        events=len(store.history(u.id)), outside=outside[u.id]).to_json()
            for u in store.roster.units]


@pytest.mark.parametrize("case", CASES)
def test_status_keeps_no_replica_it_did_not_have(store_url: str, case: str) -> None:
    """`status` on a fresh store object leaves its replica cache empty; with some trees
    cached it syncs and keeps exactly those (the same objects). Its rows are the ones the
    store's kept replicas give (how status read every tree before) and the ones one runtime
    over the whole log gives."""
    spec, roster, events = CASES[case]()
    roots = [u.id for u in roster.units if u.parent is None]
    assert len(roots) >= 4
    with EventStore.create(store_url, spec, roster) as store:
        accepted = sum(v.accepted for v in store.submit_many(events))
    with EventStore.open(store_url) as store:
        fresh = _rows(store.status(AS_OF))
        assert store._replicas == {}
        store.state(roots[1])
        kept = store._replicas[roots[1]]
        assert _rows(store.status(AS_OF)) == fresh
        assert store._replicas == {roots[1]: kept}
        for root in roots:  # every tree kept, as status did before
            store.runtime(root)
        cached = dict(store._replicas)
        assert _rows(store.status(AS_OF)) == fresh
        assert store._replicas == cached
        assert fresh == _replayed(store)
    assert [r["unit"] for r in fresh] == [u.id for u in roster.units]
    assert sum(r["events"] for r in fresh) == accepted > 0


def test_status_sees_events_written_after_its_cached_replica(store_url: str) -> None:
    """A replica the store keeps is synced before status reads it."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store, \
            EventStore.open(store_url) as other:
        store.submit(approval_script("ps-0-0")[0])
        assert other.state("gb-0")["draft"] != "ps"  # other keeps gb-0's tree
        store.submit(approval_script("ps-0-0")[1])
        row = next(r for r in other.status(AS_OF) if r.unit == "ps-0-0")
        assert row.events == 2
        assert other._replicas.keys() == {"gb-0"}


@pytest.fixture
def streamed(store_url: str) -> Iterator[tuple[EventStore, list[str]]]:
    """A filled store, and the SQL of every statement run with a streaming cursor."""
    spec, roster, events = _review()
    seen: list[str] = []

    def note(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any,
             _many: bool) -> None:
        if context.execution_options.get("yield_per"):
            seen.append(" ".join(statement.split()))

    with EventStore.create(store_url, spec, roster) as store:
        store.submit_many(events)
        sa.event.listen(store._engine, "before_cursor_execute", note)
        yield store, seen


def test_history_reads_with_a_streaming_cursor(streamed: tuple[EventStore, list[str]]
                                               ) -> None:
    """`history` keeps its list API and reads through `yield_per`."""
    store, seen = streamed
    assert [e.seq for e in store.history("ps-0-0")] == list(range(1, 7))
    assert any("FROM sfd_events" in s and "ORDER BY sfd_events.seq" in s for s in seen)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xes"])
def test_every_export_reads_with_a_streaming_cursor(
        streamed: tuple[EventStore, list[str]], fmt: str) -> None:
    """Every format reads the events through `yield_per`; XES unit by unit, in seq order."""
    store, seen = streamed
    assert store.export(fmt, io.StringIO()) == 15
    reads = [s for s in seen if "FROM sfd_events" in s]
    if fmt == "xes":
        assert len(reads) == 4  # the units with events, one query each
        assert all("ORDER BY sfd_events.seq" in s for s in reads)
    else:
        assert len(reads) == 1


def test_xes_has_a_trace_per_unit_in_roster_order(store_url: str) -> None:
    """Traces follow the roster; each unit's events follow its chain."""
    spec, roster, events = _review()
    with EventStore.create(store_url, spec, roster) as store:
        store.submit_many(events)
        buf = io.StringIO()
        assert store.export("xes", buf) == 15
    ns = {"x": "http://www.xes-standard.org/"}
    traces = ET.fromstring(buf.getvalue().encode("utf-8")).findall("x:trace", ns)

    def value(el: ET.Element, key: str) -> str:
        found = el.find(f"*[@key='{key}']")
        assert found is not None
        return found.get("value", "")

    units = [value(t, "concept:name") for t in traces]
    assert units == [u.id for u in roster.units if u.id in {"gb-0", "gb-2", "ps-0-0", "ps-1-2"}]
    for t in traces:
        seqs = [int(value(e, "sfd:seq")) for e in t.findall("x:event", ns)]
        assert seqs == list(range(1, len(seqs) + 1))
