"""Tamper evidence (issue 6 §4): editing, deleting or reordering any stored event, or the
stored spec, is reported by `verify()` at the first broken link of the unit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from sfd_workflow.store import EventStore, verify_store
from support.store import (  # noqa: F401
    approval_script,
    spec_and_roster,
    sql_edit,
    store_url_fixture,
)

Tamper = Callable[[sa.Connection], None]



W = "WHERE unit = 'ps-0-0' AND seq = "
# (what is done, the SQL, the unit and event number verify must name)
TAMPERS: list[tuple[str, Tamper, str, int | None]] = [
    ("edit the actor", sql_edit(f"UPDATE sfd_events SET actor = 'm4' {W}3"), "ps-0-0", 3),
    ("edit the time", sql_edit(f"UPDATE sfd_events SET at = '2009-05-01T09:00:00+08:00' {W}1"),
     "ps-0-0", 1),
    ("edit the payload", sql_edit(f"UPDATE sfd_events SET payload = '{{\"text\":\"other\"}}' {W}1"),
     "ps-0-0", 1),
    ("edit the event name", sql_edit(f"UPDATE sfd_events SET event = 'review' {W}6"), "ps-0-0", 6),
    ("flip the late flag", sql_edit(f"UPDATE sfd_events SET late = NOT late {W}2"), "ps-0-0", 2),
    ("edit the recorded time", sql_edit(f"UPDATE sfd_events SET recorded_at = 'x' {W}4"),
     "ps-0-0", 4),
    ("delete a middle event", sql_edit(f"DELETE FROM sfd_events {W}3"), "ps-0-0", 3),
    ("delete the first event", sql_edit(f"DELETE FROM sfd_events {W}1"), "ps-0-0", 1),
    ("delete the last event", sql_edit(f"DELETE FROM sfd_events {W}6"), "ps-0-0", 6),
    ("delete the last event and lower the count",
     sql_edit(f"DELETE FROM sfd_events {W}6",
          "UPDATE sfd_units SET head_seq = 5 WHERE unit = 'ps-0-0'"), "*", None),
    ("swap two events' places in the unit",
     sql_edit(f"UPDATE sfd_events SET seq = 100 {W}3", f"UPDATE sfd_events SET seq = 3 {W}4",
          f"UPDATE sfd_events SET seq = 4 {W}100"), "ps-0-0", 3),
    ("swap two events' commit numbers",
     sql_edit("UPDATE sfd_events SET gseq = 100 WHERE gseq = 3",
          "UPDATE sfd_events SET gseq = 3 WHERE gseq = 4",
          "UPDATE sfd_events SET gseq = 4 WHERE gseq = 100"), "ps-0-0", 3),
    ("move an event to another unit",
     sql_edit(f"UPDATE sfd_events SET unit = 'ps-0-1', seq = 2 {W}6"), "ps-0-0", 6),
    ("replace an event's hash", sql_edit(f"UPDATE sfd_events SET hash = prev_hash {W}2"),
     "ps-0-0", 2),
    ("edit the stored spec",
     sql_edit("UPDATE sfd_meta SET value = replace(value, 'majority', 'all') "
          "WHERE key = 'spec_json'"), "*", None),
    ("edit the stored roster",
     sql_edit("UPDATE sfd_meta SET value = replace(value, '\"m4\"', '\"m9\"') "
          "WHERE key = 'roster_json'"), "*", None),
]


@pytest.mark.parametrize(("tamper", "unit", "seq"), [t[1:] for t in TAMPERS],
                         ids=[t[0] for t in TAMPERS])
def test_verify_reports_every_kind_of_tampering(store_url: str, tamper: Tamper, unit: str,
                                                seq: int | None) -> None:
    """A clean store verifies; after the change, verify names the unit and the event."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        verdicts = [store.submit(e) for e in approval_script()]
        assert sum(v.accepted for v in verdicts) == 6
        store.submit(approval_script("ps-0-1")[0])
        clean = store.verify()
        assert clean.ok
        assert (clean.units, clean.events) == (20, 7)
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        tamper(conn)
    engine.dispose()
    report = verify_store(store_url)
    assert not report.ok
    assert (report.broken[0].unit, report.broken[0].seq) == (unit, seq), report.lines()
    if unit != "*" or seq is not None:
        assert report.digest != clean.digest or report.broken


def test_a_store_with_an_edited_spec_refuses_to_open(store_url: str) -> None:
    """The stored spec must match its hash before anything is judged by it."""
    from sfd_workflow.errors import StoreError

    spec, roster = spec_and_roster()
    EventStore.create(store_url, spec, roster).close()
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sfd_meta SET value = replace(value, 'majority', 'all') "
                             "WHERE key = 'spec_json'")
    engine.dispose()
    with pytest.raises(StoreError, match="does not match its SHA-256"):
        EventStore.open(store_url)


def test_an_anchor_catches_a_truncated_history_with_everything_else_made_consistent(
        store_url: str) -> None:
    """Dropping a unit's last event and fixing its count and the commit counter leaves a
    self-consistent store; only an anchor kept outside it tells."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        for e in approval_script():
            store.submit(e)
        anchor = store.verify().anchor()
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sfd_events WHERE unit = 'ps-0-0' AND seq = 6")
        conn.exec_driver_sql("UPDATE sfd_units SET head_seq = 5 WHERE unit = 'ps-0-0'")
        conn.exec_driver_sql("UPDATE sfd_clock SET gseq = 5")
    engine.dispose()
    with EventStore.open(store_url) as store:
        assert store.verify().ok
        report = store.verify(anchor=anchor)
    assert not report.ok
    assert [(b.unit, b.seq) for b in report.broken] == [("ps-0-0", 6)]
    assert "truncated" in report.broken[0].problem


def test_the_digest_changes_with_every_new_event(store_url: str) -> None:
    """The digest pins the whole store: a rewritten history shows as another digest."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        digests = [store.verify().digest]
        for e in approval_script()[:3]:
            store.submit(e)
            digests.append(store.verify().digest)
    assert len(set(digests)) == 4
