"""The one-statement write of PostgreSQL (`_submit._append_at_once`): the database server
computes an event's hash from the text `hash_around_gseq` splits around the commit number, so
the split must give exactly the text `event_hash` hashes, whatever the event's strings hold;
and a store written that way verifies, on both back ends."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from sfd_workflow.errors import StoreError
from sfd_workflow.store import EventStore
from sfd_workflow.store import _submit as submit_module
from sfd_workflow.store._canonical import event_hash
from sfd_workflow.store._database import flush_statement
from sfd_workflow.store._records import prepare
from sfd_workflow.store._rows import event_fields, hash_around_gseq, hashed
from sfd_workflow.store._submit import Writes
from support.store import (  # noqa: F401
    ev,
    fresh_pg_database,
    spec_and_roster,
    store_url_fixture,
)

# Strings that look like the key the split looks for, quotes and backslashes, and text
# outside the BMP.
TRICKY = [',"gseq":0,"late":', '"gseq":0', '\\', '\\"', '"', "学习", "\U0001f600", ""]
texts = st.one_of(st.sampled_from(TRICKY), st.text(max_size=20),
                  st.lists(st.sampled_from(TRICKY), max_size=4).map("".join))


@given(unit=texts, event=texts, actor=texts, value=texts, late=st.booleans(),
       seq=st.integers(1, 10**6), gseq=st.integers(0, 2**63 - 1))
def test_the_split_text_hashes_as_the_event_hash(unit: str, event: str, actor: str,
                                                 value: str, late: bool, seq: int,
                                                 gseq: int) -> None:
    attempt = prepare({"unit": unit, "event": event, "actor": actor,
                       "at": "2009-05-01T10:00:00+08:00", "payload": {value: value}})
    row = event_fields(attempt, late, seq, "prev" + value)
    pre, post = hash_around_gseq(row)
    columns = hashed({**row, "gseq": gseq})
    canonical = json.dumps({"prev": row["prev_hash"], "event": columns}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)  # the oracle
    assert pre + str(gseq).encode() + post == canonical.encode("utf-8")
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert event_hash(row["prev_hash"], columns) == expected  # the client's hash


@given(late=st.sampled_from([0, 1, 2, None, "true"]), seq=st.sampled_from(["1", 1.5, None]))
def test_columns_of_other_types_hash_as_their_canonical_json(late: Any, seq: Any) -> None:
    """A stored row whose columns came back with other types (an altered database) is
    hashed as what it holds, so that verify sees the change: ``late`` 2 is not ``true``."""
    columns = {"gseq": 7, "unit": "u", "seq": seq, "event": "e", "actor": "a", "at": "t",
               "payload": "{}", "late": late, "recorded_at": "r"}
    canonical = json.dumps({"prev": "p", "event": columns}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    assert event_hash("p", columns) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _tricky_events(unit: str) -> list[dict[str, Any]]:
    """Write the draft, then submit and send it back, again and again: an event for each
    tricky string, in its payload; every other one with an id."""
    names = ["write_draft"] + ["submit", "send_back"] * len(TRICKY)
    out = [ev(unit, names[i], "s", i, {"text": s, s: [s]}) for i, s in enumerate(TRICKY)]
    return [{**e, "id": f"{unit}-{i}"} if i % 2 else e for i, e in enumerate(out)]


def test_a_store_written_one_statement_at_a_time_verifies(store_url: str) -> None:
    spec, roster = spec_and_roster()
    at_once = mock.patch.object(Writes, "_append_at_once", autospec=True,
                                side_effect=Writes._append_at_once)
    with EventStore.create(store_url, spec, roster) as store, at_once as spy:
        events = _tricky_events("ps-0-0") + _tricky_events("ps-1-2")
        verdicts = [store.submit(e) for e in events]
        assert all(v.accepted for v in verdicts)
        assert [v.accepted for v in (store.submit(e) for e in events[1::2])] == \
            [True] * len(events[1::2])  # retried ids: answered, stored once
        stored = store.history("ps-0-0")
        assert [e.payload for e in stored] == [e["payload"] for e in events[:len(TRICKY)]]
        report = store.verify(replay=True)
        assert report.ok, report.broken
        # every one of them took the one-statement path on PostgreSQL
        assert spy.call_count == (len(events) if store_url.startswith("postgresql") else 0)
    with EventStore.open(store_url) as again:
        assert again.counts()[0] == len(events)
        assert again.verify(replay=True).ok


def test_a_lost_race_stores_nothing_and_is_judged_again(store_url: str) -> None:
    """Store object `b` judges against a replica that missed `a`'s write (a replica whose
    last write met no race skips the catch-up read): its write finds the head moved (on
    PostgreSQL, the one statement gives no row back), stores nothing, and the event is
    judged again on the history as it is."""
    spec, roster = spec_and_roster()
    EventStore.create(store_url, spec, roster).close()
    with EventStore.open(store_url) as a, EventStore.open(store_url) as b:
        assert b.submit(ev("ps-0-0", "write_draft", "s", 1, {"text": "b"})).accepted
        assert a.submit(ev("ps-0-0", "submit", "s", 2, {"text": "a"})).accepted
        # b's replica still has the draft unsubmitted: it accepts, loses, judges again.
        again = b.submit(ev("ps-0-0", "submit", "s", 3, {"text": "b again"}))
        assert (again.accepted, again.reason) == (False, "wrong_state")
        assert b.conflicts == 1
        assert [e.event for e in a.history("ps-0-0")] == ["write_draft", "submit"]
        assert a.verify(replay=True).ok


@pytest.mark.postgres
def test_with_durable_commits_the_write_and_its_flush_go_in_one_round_trip() -> None:
    """A server whose ``synchronous_commit`` is on (the default; the test server's role has it
    off): the one-statement write carries the durability flush in the same query string, and
    `make_durable` is not run again after it; events, hashes and a lost race are as without
    it."""
    with fresh_pg_database() as scratch:
        url = sa.make_url(scratch)
        options = f"{url.query['options']} -csynchronous_commit=on"
        durable = url.update_query_dict({"options": options}).render_as_string(False)
        spec, roster = spec_and_roster()
        EventStore.create(durable, spec, roster).close()
        with EventStore.open(durable) as a, EventStore.open(durable) as b, \
                mock.patch("sfd_workflow.store._submit.make_durable",
                           wraps=submit_module.make_durable) as flushes:
            assert flush_statement(a._engine) is not None
            events = _tricky_events("ps-0-0")
            assert all(a.submit(e).accepted for e in events)
            assert flushes.call_count == 0
            assert b.submit(ev("ps-0-0", "send_back", "s", 90)).accepted  # b: a fresh replica
            lost = a.submit(ev("ps-0-0", "send_back", "s", 91))  # a: stale, loses, judges again
            assert (lost.accepted, a.conflicts) == (False, 1)
            assert a.verify(replay=True).ok
            assert a.counts()[0] == len(events) + 1


@pytest.mark.postgres
def test_a_prepared_write_dropped_by_the_driver_is_prepared_again() -> None:
    """psycopg drops every prepared statement of a connection (DEALLOCATE ALL) after a
    ROLLBACK on it; the write's own prepared statement is then prepared again, and nothing is
    written twice."""
    with fresh_pg_database() as url:
        spec, roster = spec_and_roster()
        with EventStore.create(url, spec, roster) as store:
            assert store.submit(ev("ps-0-0", "write_draft", "s", 1, {"text": "a"})).accepted
            with store._engine.connect() as conn:  # the store's one pooled connection
                assert "sfd_prepared" in conn.connection.info
                conn.exec_driver_sql("DEALLOCATE ALL")
            assert store.submit(ev("ps-0-0", "submit", "s", 2)).accepted
            assert store.submit("{not json").reason == "malformed"  # a write, and a rollback
            assert store.submit(ev("ps-0-0", "send_back", "s", 3)).accepted
            assert store.counts() == (3, 1)
            assert store.verify(replay=True).ok


@pytest.mark.postgres
def test_a_connection_lost_during_the_write_is_not_written_again() -> None:
    """The write and its flush are one query string: when the connection breaks during it,
    the write may have been committed, so the submit is not tried again; it stops with one
    line saying so (an event with an id can then be submitted again safely)."""
    import psycopg

    with fresh_pg_database() as url:
        spec, roster = spec_and_roster()
        with EventStore.create(url, spec, roster) as store:
            broken = psycopg.OperationalError("server closed the connection unexpectedly")
            said = (r"^the connection to .* failed during a write that may have been "
                    r"committed \(OperationalError\)")
            with mock.patch.object(psycopg.ClientCursor, "execute", side_effect=broken) as ex, \
                    pytest.raises(StoreError, match=said):
                store.submit(ev("ps-0-0", "write_draft", "s", 1, {"text": "a"}))
            assert ex.call_count == 1  # not tried again
            assert store.submit(ev("ps-0-0", "write_draft", "s", 2, {"text": "b"})).accepted
            assert store.verify().ok
