"""Persisted snapshots (issue 6 §3, schema version 2): a unit is rebuilt from its newest
usable snapshot and the events after it, with exactly the results of a full replay; a
snapshot that does not match the stored chain is never used and is reported by `verify`; a
version-1 store is upgraded on open without losing anything."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import sfd_workflow as sfd
from sfd_workflow.errors import StoreError
from sfd_workflow.store import SCHEMA_VERSION, EventStore
from sfd_workflow.store import _schema as schema
from sfd_workflow.store._snapshots import snapshot_digest
from support.store import (  # noqa: F401
    BACKENDS,
    approval_script,
    ev,
    fresh_pg_database,
    load_old_store,
    spec_and_roster,
    store_url_fixture,
    workload,
)


@contextlib.contextmanager
def _urls(backend: str, tmp_path: Path, n: int) -> Iterator[list[str]]:
    """`n` places for stores, side by side, on `backend`."""
    if backend == "sqlite":
        yield [f"sqlite:///{tmp_path / f'store-{i}.db'}" for i in range(n)]
        return
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(fresh_pg_database()) for _ in range(n)]


def _sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for s in statements:
                conn.exec_driver_sql(s)
    finally:
        engine.dispose()


def _rows(url: str, query: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql(query).all())
    finally:
        engine.dispose()


def _whole_state(store: EventStore) -> dict[str, Any]:
    """Every unit's full runtime state (steps, records with retired ones, last time)."""
    return {u.id: store.runtime(u.id).snapshot(u.id) for u in store.roster.units}


def _restored(store: EventStore) -> int:
    return sum(rep.restored for rep in store._replicas.values())


# The units of the test workload: a branch with its four schools (the branch's `summarise`
# has a children guard) and one school of another branch; long histories for each.
UNITS = ["gb-0", "ps-0-0", "ps-0-1", "ps-0-2", "ps-0-3", "ps-1-0"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_verdicts_and_state_are_the_same_with_snapshots_on_off_and_corrupted(
        backend: str, tmp_path: Path) -> None:
    """Three stores get the same events: snapshots every 4 events, no snapshots, and
    snapshots of which the newest are then corrupted. Reopened, all three rebuild the same
    state, status and further verdicts; the corrupted snapshots are reported by verify."""
    spec, roster = spec_and_roster()
    events = workload(5, 1100, UNITS, roster)
    first, second = events[:800], events[800:]
    with _urls(backend, tmp_path, 3) as (on, off, bad):
        every = {on: 4, off: 0, bad: 4}
        verdicts: dict[str, list[Any]] = {}
        for url in (on, off, bad):
            with EventStore.create(url, spec, roster, snapshot_every=every[url]) as store:
                verdicts[url] = [store.submit(e) for e in first]
        assert verdicts[on] == verdicts[off] == verdicts[bad]
        assert _rows(off, "SELECT count(*) FROM sfd_snapshots")[0][0] == 0
        taken = _rows(on, "SELECT unit, seq FROM sfd_snapshots")
        assert taken and all(seq % 4 == 0 for _, seq in taken)
        assert sorted(taken) == sorted(_rows(bad, "SELECT unit, seq FROM sfd_snapshots"))
        # Corrupt: the newest snapshot of each unit edited (its digest no longer matches),
        # the one before it made stale (it names another chain head).
        newest = "(SELECT max(seq) FROM sfd_snapshots s2 WHERE s2.unit = sfd_snapshots.unit)"
        _sql(bad,
             "UPDATE sfd_snapshots SET state = replace(state, '\"last_at\":', "
             "'\"last_at\":\"2009-01-01T00:00:00+08:00\",\"x\":') "
             f"WHERE seq = {newest}",
             f"UPDATE sfd_snapshots SET hash = substr(hash, 2) || substr(hash, 1, 1) "
             f"WHERE seq = {newest} - 4")
        spoilt = {(u, s) for u, s in _rows(bad, "SELECT unit, seq FROM sfd_snapshots")
                  if s >= dict(_rows(bad, "SELECT unit, max(seq) FROM sfd_snapshots "
                                          "GROUP BY unit"))[u] - 4}
        assert len(spoilt) == 2 * len(UNITS)

        stores = {url: EventStore.open(url, snapshot_every=every[url]) for url in (on, off, bad)}
        try:
            state = {url: _whole_state(s) for url, s in stores.items()}
            assert state[on] == state[off] == state[bad]
            status = {url: s.status() for url, s in stores.items()}
            assert status[on] == status[off] == status[bad]
            # The snapshots were really used (else this test would show nothing).
            assert _restored(stores[on]) >= len(UNITS)
            assert _restored(stores[bad]) >= len(UNITS)
            assert _restored(stores[off]) == 0
            for url, s in stores.items():
                verdicts[url] = [s.submit(e) for e in second]
            assert verdicts[on] == verdicts[off] == verdicts[bad]
            assert any(v.accepted for v in verdicts[on])
            assert list(stores[on].events()) == list(stores[off].events()) \
                == list(stores[bad].events())
            final = {url: _whole_state(s) for url, s in stores.items()}
            assert final[on] == final[off] == final[bad]
            assert stores[on].verify().ok
            assert stores[off].verify().ok
            report = stores[bad].verify()
            assert {(b.unit, b.seq) for b in report.broken} == spoilt
            assert all("snapshot" in b.problem and "not used" in b.problem
                       for b in report.broken)
        finally:
            for s in stores.values():
                s.close()


def test_a_fresh_object_rebuilds_from_snapshots_at_every_point_of_a_history(
        tmp_path: Path) -> None:
    """Opened again after every few submits, a store rebuilt from snapshots holds exactly
    the state of one rebuilt without them, and of the writer that built it."""
    spec, roster = spec_and_roster()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    events = workload(9, 300, ["gb-1", "ps-1-0", "ps-1-1"], roster)
    with EventStore.create(url, spec, roster, snapshot_every=3) as writer:
        for i, e in enumerate(events):
            writer.submit(e)
            if i % 37 == 0:
                with EventStore.open(url, snapshot_every=3) as fast, \
                        EventStore.open(url, snapshot_every=0) as slow:
                    want = _whole_state(writer)
                    assert _whole_state(fast) == want
                    assert _whole_state(slow) == want
        assert writer.verify(replay=True).ok


def _children_timing_spec() -> tuple[sfd.Spec, sfd.Roster]:
    # The parent's `decide` goes to with_kids when its child's step `c` is complete, else to
    # without_kids (SPEC-FORMAT §4: the first candidate whose guard holds fires).
    doc = {
        "format": "sfd-workflow/1", "id": "children-timing", "title": "Children timing",
        "timezone": "Asia/Shanghai", "period": {"start": "2009-03-01", "end": "2009-08-31"},
        "roles": {"clerk": "Clerk"},
        "unit_kinds": {"parent": {"title": "Parent"}, "child": {"title": "Child"}},
        "phases": [{"id": "all", "title": "All", "steps": [
            {"id": "c", "title": "Child work", "states": ["todo", "half", "done"],
             "transitions": [{"event": "start", "from": "todo", "to": "half"},
                             {"event": "finish", "from": "half", "to": "done"}]},
            {"id": "p", "title": "Parent work", "after": [],
             "states": ["s0", "s1", "s2", "with_kids", "without_kids"],
             "transitions": [{"event": "a", "from": "s0", "to": "s1"},
                             {"event": "b", "from": "s1", "to": "s2"},
                             {"event": "decide", "from": "s2", "to": "with_kids",
                              "guard": {"children": ["c"]}},
                             {"event": "decide", "from": "s2", "to": "without_kids"}]},
        ]}],
    }
    spec = sfd.spec_from_document(doc)
    roster = sfd.roster_from_document({"units": [
        {"id": "P", "kind": "parent", "people": [{"id": "x", "roles": ["clerk"]}]},
        {"id": "C", "kind": "child", "parent": "P", "people": [{"id": "x", "roles": ["clerk"]}]},
    ]}, spec)
    return spec, roster


def test_a_child_is_never_restored_past_its_parents_first_replayed_event(
        tmp_path: Path) -> None:
    """P's snapshot is at its event 2; its event 3 (`decide`, replayed) read C before C
    finished, but C's newest snapshot is after that: C must be replayed, not restored, or P
    would decide with_kids instead of without_kids."""
    spec, roster = _children_timing_spec()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    script = [("P", "a"), ("P", "b"), ("C", "start"), ("P", "decide"), ("C", "finish")]
    with EventStore.create(url, spec, roster, snapshot_every=2) as store:
        for i, (unit, event) in enumerate(script):
            v = store.submit({"unit": unit, "event": event, "actor": "x",
                              "at": f"2009-05-01T10:0{i}:00+08:00"})
            assert v.accepted, (unit, event, v)
        assert store.state("P")["p"] == "without_kids"
    assert sorted(_rows(url, "SELECT unit, seq FROM sfd_snapshots")) == [("C", 2), ("P", 2)]
    with EventStore.open(url) as store:
        assert store.state("P")["p"] == "without_kids"
        assert store.state("C")["c"] == "done"
        assert store.verify(replay=True).ok
    # Without the limit, C's later snapshot would be used and P's decide replayed wrongly:
    # the check above is not vacuous.
    with EventStore.open(url) as store:
        store._children_read = False
        assert store.state("P")["p"] == "with_kids"


@pytest.mark.parametrize(("what", "sql", "seq"), [
    ("edit the state", "UPDATE sfd_snapshots SET state = replace(state, 'in_review', "
     "'drafting') WHERE unit = 'ps-0-0' AND seq = 4", 4),
    ("point it at another head", "UPDATE sfd_snapshots SET hash = (SELECT prev_hash FROM "
     "sfd_events WHERE unit = 'ps-0-0' AND seq = 4) WHERE unit = 'ps-0-0' AND seq = 4", 4),
    ("move it to another event", "UPDATE sfd_snapshots SET seq = 5 "
     "WHERE unit = 'ps-0-0' AND seq = 4", 5),
    ("move it past the history", "UPDATE sfd_snapshots SET seq = 99 "
     "WHERE unit = 'ps-0-0' AND seq = 6", 99),
])
def test_a_tampered_snapshot_is_reported_by_verify_and_not_used(
        store_url: str, what: str, sql: str, seq: int) -> None:
    """A snapshot row edited in any field fails its digest: verify names it, and the unit is
    rebuilt from an older snapshot or its events instead."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster, snapshot_every=2) as store:
        for e in approval_script():
            store.submit(e)
        want = _whole_state(store)
    assert "in_review" in _rows(store_url, "SELECT state FROM sfd_snapshots WHERE seq = 4")[0][0]
    _sql(store_url, sql)
    with EventStore.open(store_url, snapshot_every=2) as store:
        assert _whole_state(store) == want, what
        report = store.verify()
        assert [(b.unit, b.seq) for b in report.broken] == [("ps-0-0", seq)], what
        assert "does not match its digest (edited): it is not used" in report.broken[0].problem


def test_a_stale_snapshot_of_a_rewritten_history_is_not_used(store_url: str) -> None:
    """A history rewritten with recomputed hashes leaves snapshots naming the old chain:
    they are not used (the unit replays its events) and verify reports them as stale."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster, snapshot_every=2) as store:
        for e in approval_script():
            store.submit(e)
    # Keep the old snapshots, drop the history and write it again with another draft text:
    # a new chain (other hashes) to which the old snapshots do not belong.
    keep = _rows(store_url, "SELECT unit, seq, gseq, hash, state, digest, taken_at "
                            "FROM sfd_snapshots")
    assert keep
    _sql(store_url, "DELETE FROM sfd_events", "DELETE FROM sfd_snapshots",
         "UPDATE sfd_units SET head_seq = 0", "UPDATE sfd_clock SET gseq = 0")
    script = approval_script()
    script[0] = {**script[0], "payload": {"text": "another plan"}}
    with EventStore.open(store_url, snapshot_every=0) as store:
        for e in script:
            store.submit(e)
        want = _whole_state(store)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(schema.snapshots.insert(), [r._asdict() for r in keep])
    engine.dispose()
    with EventStore.open(store_url) as store:
        assert _whole_state(store) == want
        assert _restored(store) == 0
        report = store.verify()
        assert {b.seq for b in report.broken} == {s for _, s, *_ in keep}
        assert all("another history (stale)" in b.problem for b in report.broken)


def test_a_snapshot_forged_with_a_recomputed_digest_is_caught_by_a_replaying_verify(
        tmp_path: Path) -> None:
    """The digest guards against edits, not forgery: a snapshot whose state and digest were
    both rewritten passes the quick verify but not ``verify(replay=True)``."""
    spec, roster = spec_and_roster()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with EventStore.create(url, spec, roster, snapshot_every=3) as store:
        for e in approval_script():
            store.submit(e)
        assert store.verify(replay=True).ok
    [(unit, seq, gseq, head, state)] = _rows(
        url, "SELECT unit, seq, gseq, hash, state FROM sfd_snapshots WHERE seq = 3")
    forged = json.loads(state)
    forged["states"]["review"] = "approved"
    text = json.dumps(forged, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with EventStore.open(url) as store:
        digest = snapshot_digest(store.spec_sha256, unit, seq, gseq, head, text)
    _sql(url, f"UPDATE sfd_snapshots SET state = '{text}', digest = '{digest}' "
              f"WHERE unit = '{unit}' AND seq = {seq}")
    with EventStore.open(url) as store:
        assert store.verify().ok
        report = store.verify(replay=True)
        assert [(b.unit, b.seq) for b in report.broken] == [(unit, seq)]
        assert "differs from the replayed state" in report.broken[0].problem


def test_snapshots_are_taken_every_k_events_and_can_be_turned_off(store_url: str) -> None:
    """snapshot_every=K stores a unit's state after its events K, 2K, ...; 0 stores none;
    anything else is refused with a clear message."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster, snapshot_every=2) as store:
        for e in approval_script():
            store.submit(e)
        assert [h.seq for h in store.history("ps-0-0")] == [1, 2, 3, 4, 5, 6]
        report = store.verify()
        assert report.ok and report.snapshots == 3
        assert "3 snapshots" in report.lines()[0]
    rows = _rows(store_url, "SELECT unit, seq FROM sfd_snapshots ORDER BY seq")
    assert rows == [("ps-0-0", 2), ("ps-0-0", 4), ("ps-0-0", 6)]
    for bad in (-1, 1.5, True, "10"):
        with pytest.raises(StoreError, match="snapshot_every must be a whole number"):
            EventStore.open(store_url, snapshot_every=bad)


# --- upgrading a version-1 store ------------------------------------------------------------

def _load_v1(url: str) -> dict[str, list[dict[str, Any]]]:
    """Make a version-1 store at `url` (see `support.store.load_old_store`)."""
    tables = load_old_store(url, 1)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert not sa.inspect(conn).has_table("sfd_snapshots")
    finally:
        engine.dispose()
    return tables


def test_a_version_1_store_is_upgraded_on_open_without_losing_anything(store_url: str
                                                                       ) -> None:
    """A store written by schema version 1 opens as the current version: every event, hash
    and audit row is kept, verify is clean, the state is the replay of its events, and new events
    take snapshots."""
    tables = _load_v1(store_url)
    spec, roster = spec_and_roster()
    with EventStore.open(store_url, spec, snapshot_every=2) as store:
        assert store.schema_version() == SCHEMA_VERSION == max(schema.MIGRATIONS)
        stored = list(store.stored_events())
        assert [(e.gseq, e.unit, e.seq, e.hash) for e in stored] == [
            (r["gseq"], r["unit"], r["seq"], r["hash"]) for r in tables["sfd_events"]]
        assert [a.id for a in store.audit()] == [r["id"] for r in tables["sfd_audit"]]
        assert store.counts() == (len(tables["sfd_events"]), len(tables["sfd_audit"]))
        report = store.verify(replay=True)
        assert report.ok, report.lines()
        rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
        for e in store.events():
            assert rt.submit(e).accepted
        assert _whole_state(store) == {u.id: rt.snapshot(u.id) for u in roster.units}
        for e in approval_script("ps-0-3"):
            store.submit(e)
        assert store.verify().snapshots == 3
    versions = _rows(store_url, "SELECT version, description FROM sfd_schema ORDER BY version")
    assert [v for v, _ in versions] == sorted(schema.MIGRATIONS)
    assert "snapshots" in versions[1][1]
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        indexes = {ix["name"]: ix["column_names"] for ix in
                   sa.inspect(conn).get_indexes("sfd_events")}
    engine.dispose()
    assert indexes["sfd_events_unit_gseq"] == ["unit", "gseq"]


def test_an_edit_before_a_usable_snapshot_is_not_replayed_but_verify_reports_it(
        store_url: str) -> None:
    """Opening checks a snapshot against the chain head at its place only: an event edited
    before it is not replayed (the unit keeps the state recorded before the edit), while a
    full replay refuses it; verify names the edit in both cases."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster, snapshot_every=3) as store:
        for e in approval_script():
            store.submit(e)
        want = store.state("ps-0-0")
    _sql(store_url, "UPDATE sfd_events SET actor = 'm4' WHERE unit = 'ps-0-0' AND seq = 1")
    with EventStore.open(store_url, snapshot_every=3) as store:
        assert store.state("ps-0-0") == want
        assert [(b.unit, b.seq) for b in store.verify().broken] == [("ps-0-0", 1)]
    with EventStore.open(store_url, snapshot_every=0) as store, \
            pytest.raises(StoreError, match="refused on replay"):
        store.state("ps-0-0")


# --- the snapshot text, put together from cached parts ---------------------------------------

def _assert_text_is_canonical(rt: Any, unit: str) -> None:
    from sfd_workflow.store._canonical import canonical_json
    from sfd_workflow.store._snapshots import snapshot_text

    assert snapshot_text(rt, unit) == canonical_json(rt.snapshot(unit))


def test_snapshot_text_is_the_canonical_json_of_the_snapshot() -> None:
    """`snapshot_text` (what a store persists, each record's part made once) gives exactly
    ``canonical_json(Runtime.snapshot(unit))`` after every event: records retired by a
    send-back, payloads with quotes, backslashes and text outside ASCII, and the built-in
    campaign's sample log."""
    spec, roster = spec_and_roster()
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster)
    tricky = ['"', "\\", "学习", "\U0001f600", ',"retired":false}']
    script = [ev("ps-0-0", "write_draft", "s", 1, {"text": tricky[0]})]
    for i, text in enumerate(tricky):
        script += [ev("ps-0-0", "submit", "s", 10 * i + 2, {"note": text}),
                   ev("ps-0-0", "review", "m1", 10 * i + 3, {text: [text, {"z": 1, "a": 2}]}),
                   ev("ps-0-0", "send_back", "s", 10 * i + 4)]
    _assert_text_is_canonical(rt, "ps-0-0")  # no record yet
    for e in script:
        assert rt.submit(e).accepted, e
        _assert_text_is_canonical(rt, "ps-0-0")
    assert any(r.retired for r in rt.records("ps-0-0", live=False))

    builtin = sfd.load_spec("builtin:xuhui-edu-2009")
    specs = Path(sfd.__file__).parent / "specs"
    sample = sfd.load_roster(specs / "xuhui-edu-2009.roster.yaml", builtin)
    rt = sfd.Runtime(sfd.compile_workflow(builtin), sample)
    for line in (specs / "xuhui-edu-2009.events.jsonl").read_text(encoding="utf-8").splitlines():
        assert rt.submit_line(line).accepted
        _assert_text_is_canonical(rt, json.loads(line)["unit"])
