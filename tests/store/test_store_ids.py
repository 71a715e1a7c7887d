"""Event ids (issue 12 §2, schema version 3): a retried event is answered with the verdict it
got and stored once; an id reused for another event is refused naming that event; an import
killed with SIGKILL and run again stores each event once; a version-2 store upgrades."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import sfd_workflow as sfd
from sfd_workflow.store import SCHEMA_VERSION, EventStore
from sfd_workflow.store._ids import StoredVerdict
from support.store import (  # noqa: F401
    ROSTER,
    SPEC,
    approval_script,
    ev,
    load_old_store,
    spec_and_roster,
    store_url_fixture,
    workload,
)


def _with_ids(events: list[Any], prefix: str = "e") -> list[Any]:
    return [{**e, "id": f"{prefix}{i}"} if isinstance(e, dict) else e
            for i, e in enumerate(events)]


@pytest.mark.parametrize("many", [False, True], ids=["submit", "submit_many"])
def test_a_retried_event_gets_its_stored_verdict_and_is_stored_once(store_url: str,
                                                                    many: bool) -> None:
    """Submitting the same events with the same ids again stores nothing new and answers each
    with the verdict it got, saying what holds it (an event, or a rejected attempt)."""
    spec, roster = spec_and_roster()
    log = _with_ids(approval_script())
    with EventStore.create(store_url, spec, roster) as store:
        first = store.submit_many(log) if many else [store.submit(e) for e in log]
        counts = store.counts()
        again = store.submit_many(log) if many else [store.submit(e) for e in log]
        assert store.counts() == counts
        assert all(isinstance(v, StoredVerdict) for v in again)
        assert [(v.accepted, v.reason, v.late) for v in again] == \
            [(v.accepted, v.reason, v.late) for v in first]
        stored = list(store.stored_events())
        gseq = iter(e.gseq for e in stored)
        for v in again:
            assert v.duplicate_of == (f"event {next(gseq)}" if v.accepted
                                      else "rejected attempt after event 4")
        # A retry as a JSON line, with the payload spelled differently, is the same event.
        line = json.dumps({**log[0], "payload": {"text": "plan"}})
        assert store.submit(line).duplicate_of == "event 1"  # type: ignore[attr-defined]
        assert store.verify().ok


def test_an_id_reused_for_another_event_is_refused_naming_the_event(store_url: str) -> None:
    """The id keeps its first event; another event under it is rejected as malformed, audited,
    and its verdict names the event holding the id."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        assert store.submit({**ev("ps-0-0", "write_draft", "s", 1, {"text": "a"}),
                             "id": "x"}).accepted
        other = {**ev("ps-0-1", "write_draft", "s", 1, {"text": "b"}), "id": "x"}
        for verdict in (store.submit(other), store.submit_many([other])[0]):
            assert isinstance(verdict, StoredVerdict)
            assert not verdict.accepted and verdict.reason == sfd.Reason.MALFORMED
            assert verdict.conflict is not None and "'ps-0-0'" in verdict.conflict
            assert "event 1" in verdict.conflict and verdict.duplicate_of is None
        assert store.counts() == (1, 2)
        assert [a.unit for a in store.audit()] == ["ps-0-1", "ps-0-1"]
        assert store.state("ps-0-1")["draft"] == "empty"


def test_ids_that_are_not_ids_make_the_event_malformed(store_url: str) -> None:
    """An id that is not a string of 1 to 128 characters: malformed, audited, nothing kept."""
    spec, roster = spec_and_roster()
    with EventStore.create(store_url, spec, roster) as store:
        good = ev("ps-0-0", "write_draft", "s", 1, {"text": "a"})
        for bad in (7, "", "x" * 129, ["a"]):
            assert store.submit({**good, "id": bad}).reason == sfd.Reason.MALFORMED
        assert store.submit({**good, "id": "x" * 128}).accepted
        assert store.submit({**good, "id": None, "payload": {"text": "b"}}).reason == \
            sfd.Reason.WRONG_STATE  # a null id is no id
        assert store.counts() == (1, 5)


def test_writers_racing_with_the_same_id_store_it_once(store_url: str) -> None:
    """Threads with their own store objects submit the same events with the same ids at once:
    each event is stored once and every writer gets the same verdicts."""
    spec, roster = spec_and_roster()
    log = _with_ids(workload(3, 60, ["ps-1-0", "ps-1-1"], roster))
    EventStore.create(store_url, spec, roster).close()
    out: list[list[Any]] = []

    def write() -> None:
        with EventStore.open(store_url) as store:
            out.append([(v.accepted, v.reason) for v in (store.submit(e) for e in log)])

    threads = [threading.Thread(target=write) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(out) == 3 and out[0] == out[1] == out[2]
    with EventStore.open(store_url) as store:
        assert store.counts()[0] == sum(a for a, _ in out[0])
        assert store.verify(replay=True).ok


def test_a_version_2_store_is_upgraded_to_keep_ids(store_url: str) -> None:
    """A version-2 store opens as the current version: every event, hash and audit row kept,
    verify clean, and new events with ids are kept once."""
    tables = load_old_store(store_url, 2)
    spec, _ = spec_and_roster()
    with EventStore.open(store_url, spec) as store:
        assert store.schema_version() == SCHEMA_VERSION >= 3
        assert [(e.gseq, e.hash) for e in store.stored_events()] == \
            [(r["gseq"], r["hash"]) for r in tables["sfd_events"]]
        assert store.counts() == (len(tables["sfd_events"]), len(tables["sfd_audit"]))
        assert store.verify(replay=True).ok
        log = _with_ids(approval_script("ps-0-3"))
        first = store.submit_many(log)
        assert [v.accepted for v in store.submit_many(log)] == [v.accepted for v in first]
        assert store.counts()[0] == len(tables["sfd_events"]) + sum(v.accepted for v in first)
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            versions = [r[0] for r in conn.exec_driver_sql(
                "SELECT version FROM sfd_schema ORDER BY version")]
    finally:
        engine.dispose()
    assert versions == list(range(1, SCHEMA_VERSION + 1))


# --- an import killed and run again -----------------------------------------------------------

def _count_ids(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM sfd_ids").scalar_one())
    finally:
        engine.dispose()


def test_an_import_killed_at_random_points_and_run_again_stores_each_event_once(
        store_url: str, tmp_path: Path) -> None:
    """`store import` of a log whose events carry ids, killed with SIGKILL while it commits
    batches and run again, each time: in the end the store holds exactly the events a replay
    of the log accepts, in its order, each once, and verify is clean."""
    spec, roster = spec_and_roster()
    events = workload(11, 3000, [u.id for u in roster.units], roster)
    lines = [e if isinstance(e, str) else json.dumps(e) for e in _with_ids(events, "k")]
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    EventStore.create(store_url, spec, roster, snapshot_every=5).close()
    cmd = [sys.executable, "-m", "sfd_workflow", "store", "import", "--url", store_url,
           "--batch", "10", "--snapshot-every", "5", str(log)]
    rng = random.Random(12)
    kills = 0
    for _ in range(6):
        before = _count_ids(store_url)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Wait until it commits, then kill it a random moment later.
        deadline = time.monotonic() + 120
        while _count_ids(store_url) == before and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))  # an import of this log takes ~2 s
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        with EventStore.open(store_url) as store:
            assert store.verify().ok
    assert kills >= 3
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
    want = [json.loads(x) for x in lines if rt.submit_line(x).accepted]
    with EventStore.open(store_url) as store:
        stored = [e.to_event() for e in store.stored_events()]
        assert store.verify(replay=True).ok
    assert stored == [{**w, "payload": w.get("payload") or {}} for w in
                      ({k: v for k, v in x.items() if k != "id"} for x in want)]
    valid_ids = sum(1 for x in lines if x.startswith("{") and '"id": "k' in x and "NaN" not in x)
    assert _count_ids(store_url) == valid_ids
