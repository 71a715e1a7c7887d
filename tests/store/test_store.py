"""The event store's API on SQLite and PostgreSQL (issue 6): judge-and-append, queries,
audit of rejected attempts, opening, spec versions, schema versions, bad rows and inputs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

import sfd_workflow as sfd
from sfd_workflow.errors import StoreError, UnknownUnitError
from sfd_workflow.store import SCHEMA_VERSION, EventStore
from support.store import approval_script, ev, spec_and_roster, store_url_fixture  # noqa: F401


def _replay_verdicts(events: list[Any]) -> list[sfd.Verdict]:
    spec, roster = spec_and_roster()
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
    return [rt.submit_line(e) if isinstance(e, str) else rt.submit(e) for e in events]


def test_submit_gives_the_runtimes_verdicts_and_keeps_only_accepted_events(store_url: str
                                                                           ) -> None:
    """Each verdict equals a plain Runtime's; history holds the accepted events in order."""
    spec, roster = spec_and_roster()
    script = approval_script()
    with EventStore.create(store_url, spec, roster) as store:
        got = [store.submit(e) for e in script]
        assert got == _replay_verdicts(script)
        assert [v.reason for v in got if not v.accepted] == [sfd.Reason.DUPLICATE,
                                                            sfd.Reason.QUORUM]
        history = store.history("ps-0-0")
        accepted = [e for e, v in zip(script, got, strict=True) if v.accepted]
        assert [h.to_event() for h in history] == [{**e, "payload": e["payload"] or {}}
                                                   for e in accepted]
        assert [h.seq for h in history] == list(range(1, len(accepted) + 1))
        assert store.state("ps-0-0") == {"draft": "written", "review": "approved",
                                         "summary": "pending"}
        assert store.state("ps-0-1")["review"] == "drafting"


def test_rejected_attempts_are_audited_with_who_what_when_and_why(store_url: str) -> None:
    """A rejected event leaves no history but an audit row with its reason and raw input."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        v = store.submit(ev("ps-0-0", "submit", "m1", 1))
        assert v.reason == sfd.Reason.STEP_BLOCKED
        assert store.history("ps-0-0") == []
        [entry] = store.audit()
        assert (entry.unit, entry.event, entry.actor, entry.reason) == (
            "ps-0-0", "submit", "m1", "step_blocked")
        assert entry.at == "2009-05-01T10:01:00+08:00"
        assert json.loads(entry.raw)["actor"] == "m1"
        assert entry.unit_seq == 0
        assert store.audit("gb-0") == []


BAD_INPUTS = [
    ("not json at all", None),
    ("[1, 2]", None),
    ('{"unit": "ps-0-0", "event": "submit"', None),
    ({"unit": "ps-0-0", "event": "submit", "actor": "s"}, None),
    ({"unit": "ps-0-0", "event": "submit", "actor": "s", "at": "2009-05-01"}, None),
    ({"unit": 7, "event": "submit", "actor": "s", "at": "2009-05-01T10:00:00"}, None),
    ({"unit": "ps-0-0", "event": "write_draft", "actor": "s", "at": "2009-05-01T10:00:00",
      "payload": ["text"]}, None),
    ({"unit": "ps-0-0", "event": "write_draft", "actor": "s", "at": "2009-05-01T10:00:00",
      "payload": {"text": math.nan}}, None),
    ({"unit": "ps-0-0", "event": "write_draft", "actor": "s", "at": "2009-05-01T10:00:00",
      "payload": {"text": {1, 2}}}, None),
    ({"unit": "nowhere", "event": "submit", "actor": "s", "at": "2009-05-01T10:00:00"},
     "unknown_unit"),
    ({"unit": "ps-0-0", "event": "dance", "actor": "s", "at": "2009-05-01T10:00:00"},
     "unknown_event"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_INPUTS,
                         ids=[f"bad{i}" for i in range(len(BAD_INPUTS))])
def test_bad_inputs_are_rejected_audited_and_never_corrupt_the_store(
        store_url: str, bad: Any, reason: str | None) -> None:
    """Malformed or unknown input is a verdict (malformed unless said otherwise); the store
    still verifies and goes on accepting good events."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        assert store.submit(ev("ps-0-0", "write_draft", "s", 0, {"text": "t"})).accepted
        v = store.submit(bad)
        assert not v.accepted
        assert str(v.reason) == (reason or "malformed")
        [entry] = store.audit()
        assert entry.reason == str(v.reason)
        assert store.submit(ev("ps-0-0", "submit", "s", 1)).accepted
        assert store.counts() == (2, 1)
        assert store.verify().ok


def test_events_come_in_commit_order_across_units(store_url: str) -> None:
    """`events()` interleaves units in the order their events were committed."""
    spec, roster = spec_and_roster()
    order = [ev("ps-0-1", "write_draft", "s", 0, {"text": "a"}),
             ev("ps-0-0", "write_draft", "s", 0, {"text": "b"}),
             ev("ps-0-1", "submit", "s", 1), ev("ps-0-0", "submit", "s", 1)]
    with EventStore.create(store_url, spec, roster) as store:
        for e in order:
            assert store.submit(e).accepted
        assert [(e["unit"], e["event"]) for e in store.events()] == [
            (e["unit"], e["event"]) for e in order]
        assert [s.gseq for s in store.stored_events()] == [1, 2, 3, 4]


def test_a_children_guard_reads_the_childrens_stored_state(store_url: str) -> None:
    """A branch may summarise only once all its schools closed their review (R: children)."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        def close(unit: str, m: int) -> None:
            for e in [*approval_script(unit)[:4], ev(unit, "review", "m3", m),
                      ev(unit, "approve", "s", m), ev(unit, "close", "s", m)]:
                store.submit(e)
            assert store.state(unit)["review"] == "closed"

        close("gb-0", 10)
        for i in range(3):
            close(f"ps-0-{i}", 10)
        assert store.submit(ev("gb-0", "summarise", "s", 20)).reason == sfd.Reason.CHILDREN
        close("ps-0-3", 30)
        assert store.submit(ev("gb-0", "summarise", "s", 40)).accepted
        assert store.state("gb-0")["summary"] == "summarised"


def test_a_store_is_opened_again_with_its_spec_and_roster(store_url: str) -> None:
    """`open` rebuilds spec and roster from the stored documents and the state from events."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        for e in approval_script():
            store.submit(e)
        sha = store.spec_sha256
    with EventStore.open(store_url) as again:
        assert attrs.evolve(again.spec, source=spec.source) == spec
        assert attrs.evolve(again.roster, source=roster.source) == roster
        assert again.spec_sha256 == sha
        assert again.state("ps-0-0")["review"] == "approved"
        assert again.submit(ev("ps-0-0", "reopen", "s", 9)).accepted
    with EventStore.open(store_url, spec) as third:
        assert third.history("ps-0-0")[-1].event == "reopen"


def test_opening_with_another_spec_version_is_refused(store_url: str, tmp_path: Path) -> None:
    """A caller holding a different spec (one changed quorum) gets a clear refusal."""
    spec, roster = spec_and_roster()
    EventStore.create(store_url, spec, roster).close()
    doc = json.loads(json.dumps(dict(spec.document), default=str))
    doc["phases"][0]["steps"][1]["transitions"][3]["guard"]["quorum"]["at_least"] = "all"
    other = sfd.spec_from_document(doc)
    with pytest.raises(StoreError, match=r"judges by spec 'store-review' sha256:\w{12}, not "
                                         r"the spec you passed"):
        EventStore.open(store_url, other)


def test_creating_over_an_existing_store_is_refused(store_url: str) -> None:
    """`create` never overwrites a store."""
    spec, roster = spec_and_roster()
    EventStore.create(store_url, spec, roster).close()
    with pytest.raises(StoreError, match="already holds an event store"):
        EventStore.create(store_url, spec, roster)


def test_the_schema_version_is_recorded_and_a_newer_one_is_refused(store_url: str) -> None:
    """`sfd_schema` holds the applied versions; a store from a newer library is not opened."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        assert store.schema_version() == SCHEMA_VERSION
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO sfd_schema (version, applied_at, description) "
                             f"VALUES ({SCHEMA_VERSION + 1}, 'later', 'from the future')")
    engine.dispose()
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than"):
        EventStore.open(store_url)


def test_opening_where_there_is_no_store_says_so(tmp_path: Path) -> None:
    """A missing file is reported, not created."""
    target = tmp_path / "missing.db"
    with pytest.raises(StoreError, match=r"no event store at .*missing\.db"):
        EventStore.open(f"sqlite:///{target}")
    assert not target.exists()


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://u@h/db", "unsupported database 'mysql'"),
    ("sqlite://", "needs a file"),
    ("not a url", "not a database URL"),
])
def test_unsupported_urls_are_refused(url: str, message: str) -> None:
    """Only SQLite files and PostgreSQL are stores."""
    with pytest.raises(StoreError, match=message):
        EventStore.open(url)


def test_an_edited_stored_event_is_refused_instead_of_judged_on(store_url: str) -> None:
    """A row altered under the store stops `state` with a clear error; verify names it."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        for e in approval_script():
            store.submit(e)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sfd_events SET actor = 'm4' WHERE seq = 2")
    engine.dispose()
    with EventStore.open(store_url) as store:
        with pytest.raises(StoreError, match=r"event 2 of unit 'ps-0-0' .* refused on replay"):
            store.state("ps-0-0")
        report = store.verify()
        assert not report.ok
        assert [(b.unit, b.seq) for b in report.broken] == [("ps-0-0", 2)]


def test_status_shows_progress_overdue_steps_and_what_blocks(store_url: str) -> None:
    """One row per unit, in roster order, with current and overdue steps and the blocker."""
    import datetime as dt

    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        for e in approval_script()[:4]:
            store.submit(e)
        rows = store.status(dt.datetime(2009, 7, 2, 9, 0))
    assert [r.unit for r in rows] == [u.id for u in roster.units]
    row = next(r for r in rows if r.unit == "ps-0-0")
    assert (row.done, row.total, row.current, row.events) == (1, 3, ("review",), 4)
    assert row.overdue == ("review",)  # approve was due 2009-06-30
    assert row.waiting == {}  # a third member can still review
    fresh = next(r for r in rows if r.unit == "ps-0-1")
    assert (fresh.done, fresh.current, fresh.overdue) == (0, ("draft",), ())
    assert not fresh.complete


def test_status_names_the_requirement_a_stuck_step_waits_for(store_url: str) -> None:
    """A branch whose schools have not closed waits on `children`."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        for e in [*approval_script("gb-0")[:4], ev("gb-0", "review", "m3", 7),
                  ev("gb-0", "approve", "s", 8), ev("gb-0", "close", "s", 9)]:
            assert store.submit(e).accepted
        row = next(r for r in store.status() if r.unit == "gb-0")
    assert row.current == ("summary",)
    assert row.waiting["summary"].startswith("summarise: children: ")


def test_unknown_units_in_queries_raise_unknown_unit_error(store_url: str) -> None:
    """Queries about a unit the roster lacks raise the library's UnknownUnitError."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        with pytest.raises(UnknownUnitError):
            store.state("nowhere")
        with pytest.raises(UnknownUnitError):
            store.history("nowhere")


def test_a_spec_without_its_document_cannot_be_stored(tmp_path: Path) -> None:
    """A store keeps the document it judges by, so a bare model is refused."""
    spec, roster = spec_and_roster()
    bare = attrs.evolve(spec, document={})
    with pytest.raises(StoreError, match="has no source document"):
        EventStore.create(f"sqlite:///{tmp_path / 's.db'}", bare, roster)
