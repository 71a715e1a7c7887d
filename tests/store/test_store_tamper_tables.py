"""Issue 13 item 4: an edit of every column of every table the store has is caught by
`verify`, by `verify --replay` or by an anchor kept outside — except the fields that carry no
meaning (docs/store.md, "What verify covers"), which these tests pin as such."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sfd_workflow.errors import StoreError
from sfd_workflow.store import SCHEMA_VERSION, EventStore, verify_store
from sfd_workflow.store._canonical import (
    audit_genesis,
    audit_hash,
    event_hash,
    genesis_hash,
    sha256_hex,
)
from sfd_workflow.store._submit import OPTIMISTIC_TRIES
from support.store import (  # noqa: F401
    approval_script,
    ev,
    snapshot_state_edit,
    spec_and_roster,
    sql_edit,
    store_url_fixture,
)

Edit = Callable[[sa.Connection], None]
NOT_A_COUNT = sql_edit("UPDATE sfd_units SET head_seq = 'x' WHERE unit = 'ps-0-0'")



def _meta(conn: sa.Connection, key: str) -> str:
    return str(conn.exec_driver_sql(
        f"SELECT value FROM sfd_meta WHERE key = '{key}'").scalar_one())


def _set_meta(conn: sa.Connection, key: str, value: str) -> None:
    conn.execute(sa.text("UPDATE sfd_meta SET value = :v WHERE key = :k"),
                 {"v": value, "k": key})


def _with_sha(key: str, old: str, new: str) -> Edit:
    """Edit the stored spec or roster and recompute its SHA-256 in sfd_meta."""
    def run(conn: sa.Connection) -> None:
        text = _meta(conn, f"{key}_json").replace(old, new)
        assert text != _meta(conn, f"{key}_json")
        _set_meta(conn, f"{key}_json", text)
        _set_meta(conn, f"{key}_sha256", sha256_hex(text))
    return run


def _rechain_events(conn: sa.Connection, unit: str, edit: str,
                    genesis: str | None = None) -> None:
    """Apply `edit` (SQL) to the unit's events, then recompute its whole chain from its
    genesis (or from `genesis`): a rewrite only an anchor can tell."""
    conn.exec_driver_sql(edit)
    rows = conn.execute(sa.text("SELECT * FROM sfd_events WHERE unit = :u ORDER BY seq"),
                        {"u": unit}).mappings().all()
    prev = rows[0]["prev_hash"] if genesis is None else genesis
    for row in rows:
        fields = {k: row[k] for k in ("gseq", "unit", "seq", "event", "actor", "at", "payload",
                                      "late", "recorded_at")}
        fields["late"] = bool(fields["late"])
        link = event_hash(prev, fields)
        conn.execute(sa.text("UPDATE sfd_events SET prev_hash = :p, hash = :h "
                             "WHERE gseq = :g"), {"p": prev, "h": link, "g": row["gseq"]})
        prev = link
    conn.execute(sa.text("DELETE FROM sfd_snapshots WHERE unit = :u"), {"u": unit})


def _rechain_audit(conn: sa.Connection, edit: str) -> None:
    """Apply `edit` (SQL) to the audit rows, then recompute the audit chain and its head."""
    conn.exec_driver_sql(edit)
    rows = conn.exec_driver_sql("SELECT * FROM sfd_audit ORDER BY id").mappings().all()
    prev = rows[0]["prev_hash"] if rows else None
    last = 0
    for row in rows:
        link = audit_hash(prev, dict(row))
        conn.execute(sa.text("UPDATE sfd_audit SET prev_hash = :p, hash = :h WHERE id = :i"),
                     {"p": prev, "h": link, "i": row["id"]})
        prev, last = link, row["id"]
    _set_meta(conn, "audit_head", json.dumps([last, prev], separators=(",", ":")))


def _fabricate(event: dict[str, Any], reason: str) -> Edit:
    """Append a rejected attempt that never happened, with its hash and the chain's head:
    only re-judging it (verify --replay) can tell."""
    def run(conn: sa.Connection) -> None:
        last, prev = json.loads(_meta(conn, "audit_head"))
        raw = json.dumps(event, sort_keys=True, separators=(",", ":"))
        row = {"id": last + 1, "attempted_at": "2009-05-01T03:00:00+00:00",
               "unit": event["unit"], "event": event["event"], "actor": event["actor"],
               "at": event["at"], "payload": "{}", "raw": raw, "reason": reason,
               "unit_seq": 0, "after_gseq": 7}
        link = audit_hash(prev, row)
        conn.execute(sa.text(
            "INSERT INTO sfd_audit (id, attempted_at, unit, event, actor, at, payload, raw, "
            "reason, unit_seq, after_gseq, prev_hash, hash) VALUES (:id, :attempted_at, :unit, "
            ":event, :actor, :at, :payload, :raw, :reason, :unit_seq, :after_gseq, :p, :h)"),
            {**row, "p": prev, "h": link})
        _set_meta(conn, "audit_head", json.dumps([last + 1, link]))
    return run


W = "WHERE unit = 'ps-0-0' AND seq = "
A = "WHERE id = 2"
SQLITE = "sqlite-only"  # a value of another type: PostgreSQL refuses the edit itself

# (table.column or what, the edit, caught by: "verify" | "replay" | "anchor" | "refused" |
#  "no meaning", the first problem reported (str of the BrokenLink, or the error))
CASES: list[tuple[str, Edit, str, str]] = [
    # --- sfd_schema
    ("sfd_schema.version", sql_edit("UPDATE sfd_schema SET version = 99 WHERE version = 1"),
     "refused", "has schema version 99, newer than this sfd-workflow understands"),
    ("sfd_schema.applied_at", sql_edit("UPDATE sfd_schema SET applied_at = 'x'"), "no meaning", ""),
    ("sfd_schema.description", sql_edit("UPDATE sfd_schema SET description = 'x'"),
     "no meaning", ""),
    # --- sfd_meta
    ("sfd_meta.key", sql_edit("UPDATE sfd_meta SET key = 'x' WHERE key = 'spec_id'"),
     "verify", "*: sfd_meta has no spec_id (deleted or renamed)"),
    ("sfd_meta spec_json", sql_edit("UPDATE sfd_meta SET value = replace(value, 'majority', 'all') "
                                "WHERE key = 'spec_json'"),
     "verify", "*: the stored spec was edited"),
    ("sfd_meta spec_json with its SHA-256 recomputed", _with_sha("spec", "majority", "all"),
     "verify", "ps-0-0 event 1: its chain does not start from the genesis of the stored spec "
     "and roster (they, or the event, were edited)"),
    ("sfd_meta spec_sha256", sql_edit("UPDATE sfd_meta SET value = 'x' WHERE key = 'spec_sha256'"),
     "verify", "ps-0-0 event 1: its chain does not start from the genesis of the stored spec "
     "and roster (they, or the event, were edited)"),
    ("sfd_meta spec_id", sql_edit("UPDATE sfd_meta SET value = 'other' WHERE key = 'spec_id'"),
     "verify", "*: sfd_meta spec_id 'other' is not the stored spec's id 'store-review' (edited)"),
    ("sfd_meta roster_json", sql_edit("UPDATE sfd_meta SET value = replace(value, '\"m4\"', "
                                  "'\"m9\"') WHERE key = 'roster_json'"),
     "verify", "*: the stored roster was edited"),
    ("sfd_meta roster_json with its SHA-256 recomputed", _with_sha("roster", '"m4"', '"m9"'),
     "verify", "ps-0-0 event 1: its chain does not start from the genesis of the stored spec "
     "and roster (they, or the event, were edited)"),
    ("sfd_meta roster_sha256",
     sql_edit("UPDATE sfd_meta SET value = 'x' WHERE key = 'roster_sha256'"),
     "verify", "ps-0-0 event 1: its chain does not start from the genesis of the stored spec "
     "and roster (they, or the event, were edited)"),
    ("sfd_meta store_id", sql_edit("UPDATE sfd_meta SET value = 'x' WHERE key = 'store_id'"),
     "no meaning", ""),
    ("sfd_meta created_at", sql_edit("UPDATE sfd_meta SET value = 'x' WHERE key = 'created_at'"),
     "no meaning", ""),
    ("sfd_meta chain", sql_edit("UPDATE sfd_meta SET value = 'sfd-workflow/1' WHERE key = 'chain'"),
     "verify", "ps-0-0 event 1: its chain does not start from the genesis of the stored spec "
     "and roster (they, or the event, were edited)"),
    ("sfd_meta audit_head",
     sql_edit("UPDATE sfd_meta SET value = '[2,\"x\"]' WHERE key = 'audit_head'"),
     "verify", "audit: the audit chain ends at row 3 (3 rows), its head in sfd_meta names row 2 "
     "(rows deleted, or the head edited)"),
    # --- sfd_units
    ("sfd_units.unit", sql_edit("UPDATE sfd_units SET unit = 'x' WHERE unit = 'ps-0-0'"),
     "verify", "ps-0-0: events of a unit the store does not have"),
    ("sfd_units.head_seq", sql_edit("UPDATE sfd_units SET head_seq = 5 WHERE unit = 'ps-0-0'"),
     "verify", "ps-0-0: the unit has had 5 events, 6 are stored (events deleted, or its event "
     "count edited)"),
    ("sfd_units.head_seq not a number", NOT_A_COUNT,  # and a submit is refused at once:
     SQLITE, "ps-0-0: its event count (sfd_units head_seq) is not a whole number: 'x'"),
    # --- sfd_clock
    ("sfd_clock.id", sql_edit("UPDATE sfd_clock SET id = 2"),
     "verify", "*: the commit counter (sfd_clock) is not one row 1 with a whole number (edited)"),
    ("sfd_clock.gseq", sql_edit("UPDATE sfd_clock SET gseq = 9"),
     "verify", "*: the commit numbers run to 9 but 7 events are stored (events deleted)"),
    # --- sfd_events (every column; tests/store/test_store_tamper.py has more ways)
    ("sfd_events.gseq", sql_edit(f"UPDATE sfd_events SET gseq = 99 {W}6"),
     "verify", "ps-0-0 event 6: its content does not match its hash (edited)"),
    ("sfd_events.unit", sql_edit(f"UPDATE sfd_events SET unit = 'ps-0-1', seq = 2 {W}6"),
     "verify", "ps-0-0 event 6: the unit has had 6 events, 5 are stored (events deleted, or "
     "its event count edited)"),
    ("sfd_events.seq", sql_edit(f"UPDATE sfd_events SET seq = 7 {W}6"),
     "verify", "ps-0-0 event 6: event 6 is missing (the next stored is 7)"),
    ("sfd_events.event", sql_edit(f"UPDATE sfd_events SET event = 'review' {W}6"),
     "verify", "ps-0-0 event 6: its content does not match its hash (edited)"),
    ("sfd_events.actor", sql_edit(f"UPDATE sfd_events SET actor = 'm4' {W}3"),
     "verify", "ps-0-0 event 3: its content does not match its hash (edited)"),
    ("sfd_events.at", sql_edit(f"UPDATE sfd_events SET at = '2009-05-01T09:00:00+08:00' {W}1"),
     "verify", "ps-0-0 event 1: its content does not match its hash (edited)"),
    ("sfd_events.payload", sql_edit(f"UPDATE sfd_events SET payload = '{{}}' {W}1"),
     "verify", "ps-0-0 event 1: its content does not match its hash (edited)"),
    ("sfd_events.late", sql_edit(f"UPDATE sfd_events SET late = NOT late {W}2"),
     "verify", "ps-0-0 event 2: its content does not match its hash (edited)"),
    ("sfd_events.recorded_at", sql_edit(f"UPDATE sfd_events SET recorded_at = 'x' {W}4"),
     "verify", "ps-0-0 event 4: its content does not match its hash (edited)"),
    ("sfd_events.prev_hash", sql_edit(f"UPDATE sfd_events SET prev_hash = 'x' {W}4"),
     "verify", "ps-0-0 event 4: its previous-hash does not match the event before it"),
    ("sfd_events.hash", sql_edit(f"UPDATE sfd_events SET hash = 'x' {W}4"),
     "verify", "ps-0-0 event 4: its content does not match its hash (edited)"),
    ("sfd_events.seq not a number", sql_edit(f"UPDATE sfd_events SET seq = 'x' {W}6"),
     SQLITE, "ps-0-0 event 6: a field holds a value of the wrong type (edited)"),
    ("sfd_events: a rewritten chain",
     lambda c: _rechain_events(c, "ps-0-0", f"UPDATE sfd_events SET actor = 'm4' {W}3"),
     "anchor", "ps-0-0 event 6: it differs from the anchor (history rewritten)"),
    # --- sfd_audit (every column, and deleting, inserting, rewriting rows)
    ("sfd_audit.id", sql_edit("UPDATE sfd_audit SET id = 9 WHERE id = 2"),
     "verify", "audit row 3: its previous-hash does not match the row before it (a row "
     "deleted, inserted or moved)"),
    *[(f"sfd_audit.{col}", sql_edit(f"UPDATE sfd_audit SET {col} = {value} {A}"), "verify",
       "audit row 2: its content does not match its hash (edited)")
      for col, value in (("attempted_at", "'x'"), ("unit", "'ps-0-1'"), ("event", "'x'"),
                         ("actor", "'m4'"), ("at", "'2009-05-02T10:00:00+08:00'"),
                         ("payload", "'{\"a\":1}'"), ("raw", "'x'"), ("reason", "'role'"),
                         ("unit_seq", "1"), ("after_gseq", "1"))],
    ("sfd_audit.prev_hash", sql_edit(f"UPDATE sfd_audit SET prev_hash = 'x' {A}"),
     "verify", "audit row 2: its previous-hash does not match the row before it (a row "
     "deleted, inserted or moved)"),
    ("sfd_audit.hash", sql_edit(f"UPDATE sfd_audit SET hash = 'x' {A}"),
     "verify", "audit row 2: its content does not match its hash (edited)"),
    ("sfd_audit: a row deleted", sql_edit(f"DELETE FROM sfd_audit {A}"),
     "verify", "audit row 3: its previous-hash does not match the row before it (a row "
     "deleted, inserted or moved)"),
    ("sfd_audit: the last row deleted", sql_edit("DELETE FROM sfd_audit WHERE id = 3"),
     "verify", "audit: the audit chain ends at row 2 (2 rows), its head in sfd_meta names row 3 "
     "(rows deleted, or the head edited)"),
    ("sfd_audit: a row inserted",
     sql_edit("INSERT INTO sfd_audit (id, attempted_at, raw, reason, after_gseq, prev_hash, hash) "
          "SELECT 0, attempted_at, raw, reason, after_gseq, prev_hash, hash FROM sfd_audit "
          "WHERE id = 1"),
     "verify", "audit row 0: its content does not match its hash (edited)"),
    ("sfd_audit: the last row deleted, the chain rewritten",
     lambda c: _rechain_audit(c, "DELETE FROM sfd_audit WHERE id = 3"),
     "anchor", "audit: the anchor saw audit row 3, it is not stored (audit truncated or "
     "rewritten)"),
    ("sfd_audit: a row edited, the chain rewritten",
     lambda c: _rechain_audit(c, f"UPDATE sfd_audit SET actor = 'm4' {A}"),
     "anchor", "audit row 3: it differs from the anchor (audit rewritten)"),
    ("sfd_audit: an attempt that would be accepted appended, hashed",
     _fabricate({**ev("ps-0-2", "write_draft", "s", 1), "payload": {"text": "x"}}, "role"),
     "replay", "audit row 4: it is accepted on replay: not a rejected attempt (fabricated or "
     "edited)"),
    ("sfd_audit: an attempt with another reason appended, hashed",
     _fabricate({**ev("ps-0-2", "review", "nobody", 1), "payload": {}}, "role"),
     "replay", "audit row 4: it is rejected as unknown_actor on replay, not role (fabricated "
     "or edited)"),
    # --- sfd_snapshots
    ("sfd_snapshots.unit",
     sql_edit("UPDATE sfd_snapshots SET unit = 'ps-0-1' WHERE unit = 'ps-0-0' AND seq = 3"),
     "verify", "ps-0-1 event 3: its snapshot after event 3 does not match its digest (edited): "
     "it is not used"),
    *[(f"sfd_snapshots.{col}", sql_edit(f"UPDATE sfd_snapshots SET {col} = {value} {W}3"),
       "verify", "ps-0-0 event 3: its snapshot after event 3 does not match its digest "
       "(edited): it is not used")
      for col, value in (("gseq", "4"), ("hash", "'x'"), ("state", "'{}'"),
                         ("digest", "'x'"))],
    ("sfd_snapshots.seq", sql_edit(f"UPDATE sfd_snapshots SET seq = 4 {W}3"),
     "verify", "ps-0-0 event 4: its snapshot after event 4 does not match its digest (edited): "
     "it is not used"),
    ("sfd_snapshots.state with its digest recomputed", snapshot_state_edit("ps-0-0", 3),
     "replay", "ps-0-0 event 3: its snapshot after event 3 differs from the replayed state "
     "(edited, digest recomputed)"),
    ("sfd_snapshots.taken_at", sql_edit(f"UPDATE sfd_snapshots SET taken_at = 'x' {W}3"),
     "no meaning", ""),
    ("sfd_snapshots: one deleted", sql_edit(f"DELETE FROM sfd_snapshots {W}3"), "no meaning", ""),
]


def _make(url: str) -> dict[str, Any]:
    """A store with events, rejected attempts (one malformed) and snapshots; its anchor."""
    spec, roster = spec_and_roster()
    with EventStore.create(url, spec, roster, snapshot_every=3) as store:
        verdicts = [store.submit(e) for e in approval_script()]
        assert sum(v.accepted for v in verdicts) == 6
        assert store.submit(ev("ps-0-1", "write_draft", "s", 1, {"text": "x"})).accepted
        assert store.submit("{not json").reason == "malformed"
        report = store.verify(replay=True)
    assert report.ok, report.lines()
    assert (report.events, report.audit_rows, report.snapshots) == (7, 3, 2)
    return report.anchor()


def _caught(url: str, anchor: dict[str, Any]) -> tuple[str, str]:
    """How the edit is caught, and the first problem (or the error) reported."""
    try:
        report = verify_store(url)
        if not report.ok:
            return "verify", str(report.broken[0])
        report = verify_store(url, replay=True)
        if not report.ok:
            return "replay", str(report.broken[0])
        report = verify_store(url, anchor)
    except StoreError as exc:
        return "refused", str(exc)
    return ("anchor", str(report.broken[0])) if not report.ok else ("no meaning", "")


@pytest.mark.parametrize(("edit", "how", "first"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_every_edit_of_every_table_is_caught_or_carries_no_meaning(
        store_url: str, edit: Edit, how: str, first: str) -> None:
    """Each edit is caught by the first of verify, verify --replay and the anchor that can
    see it, with exactly this first problem; the fields without meaning pass all three."""
    if how == SQLITE:
        if not store_url.startswith("sqlite"):
            pytest.skip("PostgreSQL refuses a value of another type in the edit itself")
        how = "verify"
    anchor = _make(store_url)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        edit(conn)
    engine.dispose()
    got = _caught(store_url, anchor)
    if how == "refused":  # an error names the URL
        assert got[0] == how and first in got[1], got
    else:
        assert got == (how, first)


def test_a_submit_to_a_unit_whose_event_count_is_not_a_number_is_refused_at_once(
        tmp_path: Path) -> None:
    """head_seq edited to text (SQLite keeps it): submit and submit_many stop at once with
    one line saying the store was altered, instead of retrying until they give up."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _make(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        NOT_A_COUNT(conn)
    engine.dispose()
    said = ("unit 'ps-0-0' has no whole-number event count in sfd_units (head_seq 'x'): the "
            "store was altered; run verify")
    with EventStore.open(url) as store:
        for submit in (store.submit, lambda e: store.submit_many([e])):
            with pytest.raises(StoreError) as got:
                submit(ev("ps-0-0", "reopen", "s", 9))
            assert str(got.value) == said
        assert store.conflicts == 0  # no retry
        assert store.submit(ev("ps-0-1", "submit", "s", 2)).accepted  # other units go on


@pytest.mark.parametrize("count", [5, 99])
def test_a_submit_to_a_unit_whose_event_count_was_edited_stops_after_the_locked_try(
        store_url: str, count: int) -> None:
    """head_seq edited to another number: the optimistic tries lose (the count is not what
    the replica read), the locked try finds the count still differs although the row is
    locked, and the submit stops with one line instead of giving up after many tries."""
    _make(store_url)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        sql_edit(f"UPDATE sfd_units SET head_seq = {count} WHERE unit = 'ps-0-0'")(conn)
    engine.dispose()
    with EventStore.open(store_url) as store:
        with pytest.raises(StoreError, match=r"^the event counts in sfd_units do not match the "
                           r"stored events of 'ps-0-0' 6 \(events found\): the store was "
                           r"altered; run verify$"):
            store.submit(ev("ps-0-0", "reopen", "s", 9))
        assert store.conflicts <= OPTIMISTIC_TRIES
        assert store.submit(ev("ps-0-1", "submit", "s", 2)).accepted  # other units go on


def _as_version_2(url: str) -> dict[str, list[Any]]:
    """A store as schema version 2 wrote it: unit chains from the spec-only genesis, audit
    rows without hashes, no version-4 keys. Returns its (flat) anchor of that time."""
    spec, roster = spec_and_roster()
    with EventStore.create(url, spec, roster, snapshot_every=0) as store:
        for e in approval_script():
            store.submit(e)
        spec_sha = store.spec_sha256
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sfd_schema WHERE version > 2")
        conn.exec_driver_sql("DELETE FROM sfd_meta WHERE key IN ('chain', 'audit_head')")
        conn.exec_driver_sql("UPDATE sfd_audit SET prev_hash = NULL, hash = NULL")
        _rechain_events(conn, "ps-0-0", "SELECT 1", genesis_hash(spec_sha, "ps-0-0"))
        head = conn.exec_driver_sql("SELECT hash FROM sfd_events WHERE unit = 'ps-0-0' "
                                    "AND seq = 6").scalar_one()
    engine.dispose()
    return {"ps-0-0": [6, head]}


def test_an_upgraded_store_keeps_its_chains_and_chains_its_audit_rows(tmp_path: Path) -> None:
    """Opening a version-2 store upgrades it to version 4: its event chains are kept (the
    anchor taken before still verifies), its audit rows are chained, and from then on an
    audit edit, or a roster edited with its SHA-256 recomputed, is reported."""
    url = f"sqlite:///{tmp_path / 'v2.db'}"
    anchor = _as_version_2(url)
    with EventStore.open(url) as store:
        assert store.schema_version() == SCHEMA_VERSION
        report = store.verify(anchor=anchor)
        assert report.ok, report.lines()
        assert report.audit_rows == 2
        assert store.submit(ev("ps-0-0", "review", "nobody", 9)).reason == "unknown_actor"
        assert store.verify().ok
    for edit, first in [
            (sql_edit("UPDATE sfd_audit SET actor = 'm4' WHERE id = 1"),
             "audit row 1: its content does not match its hash (edited)"),
            (_with_sha("roster", '"m4"', '"m9"'),
             "audit row 1: the audit chain does not start from the genesis of the stored "
             "spec and roster (they, or the row, were edited)")]:
        copy = tmp_path / "edited.db"
        copy.write_bytes((tmp_path / "v2.db").read_bytes())
        engine = sa.create_engine(f"sqlite:///{copy}")
        with engine.begin() as conn:
            edit(conn)
        engine.dispose()
        report = verify_store(f"sqlite:///{copy}")
        assert [str(b) for b in report.broken][:1] == [first]


def test_an_anchor_catches_a_roster_edit_in_a_store_without_events(tmp_path: Path) -> None:
    """With no event and no audit row, a roster edited with its SHA-256 recomputed is caught
    by the audit chain's head (its genesis covers the roster); with that head recomputed too,
    only an anchor tells: every unit's anchored head is its genesis (documented)."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    spec, roster = spec_and_roster()
    with EventStore.create(url, spec, roster) as store:
        anchor = store.verify().anchor()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        _with_sha("roster", '"m4"', '"m9"')(conn)
    assert [str(b) for b in verify_store(url).broken] == [
        "audit: the head of the audit chain in sfd_meta does not match the genesis of the "
        "stored spec and roster (they, or the head, were edited)"]
    with engine.begin() as conn:
        _set_meta(conn, "audit_head", json.dumps(
            [0, audit_genesis(_meta(conn, "spec_sha256"), _meta(conn, "roster_sha256"))]))
    engine.dispose()
    assert verify_store(url).ok
    broken = [str(b) for b in verify_store(url, anchor).broken]
    assert len(broken) == 21
    assert broken[0] == ("gb-0: its chain starts elsewhere than when the anchor was taken "
                         "(the spec or roster changed)")
    assert broken[-1] == ("audit: the audit chain starts elsewhere than when the anchor was "
                          "taken (the spec or roster changed)")
