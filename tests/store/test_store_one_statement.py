"""The one-statement write of PostgreSQL (`_submit._append_at_once`): the database server
computes an event's hash from the text `hash_around_gseq` splits around the commit number, so
the split must give exactly the text `event_hash` hashes, whatever the event's strings hold;
and a store written that way verifies, on both back ends."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from sfd_workflow.store import EventStore
from sfd_workflow.store._canonical import event_hash
from sfd_workflow.store._records import prepare
from sfd_workflow.store._rows import event_fields, hash_around_gseq, hashed
from support.store import ev, spec_and_roster, store_url_fixture  # noqa: F401

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
    with EventStore.create(store_url, spec, roster) as store:
        statements: list[str] = []
        sa.event.listen(store._engine, "before_cursor_execute",
                        lambda _c, _cur, sql, *_: statements.append(sql))
        events = _tricky_events("ps-0-0") + _tricky_events("ps-1-2")
        verdicts = [store.submit(e) for e in events]
        assert all(v.accepted for v in verdicts)
        assert [v.accepted for v in (store.submit(e) for e in events[1::2])] == \
            [True] * len(events[1::2])  # retried ids: answered, stored once
        stored = store.history("ps-0-0")
        assert [e.payload for e in stored] == [e["payload"] for e in events[:len(TRICKY)]]
        report = store.verify(replay=True)
        assert report.ok, report.broken
        at_once = [s for s in statements if s.lstrip().startswith("WITH cas")]
        if store._engine.dialect.name == "postgresql":
            assert len(at_once) == len(events)  # every one of them took the one-statement path
        else:
            assert not at_once
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
