"""`store migrate` / `migrate_store`: a store moved to a new version of its spec mid-campaign
(issue 14), on SQLite and (marked) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from sfd_workflow import (
    MigrationPlanError,
    Roster,
    Runtime,
    Spec,
    StoreError,
    auto_plan,
    compile_workflow,
    load_roster,
    load_spec,
    migrate_runtime,
    plan_from_text,
    read_event_lines,
    replay,
)
from sfd_workflow._plan import spec_sha256
from sfd_workflow._spec._builtin import sample_paths
from sfd_workflow.cli import main
from sfd_workflow.store import EventStore, migrate_store
from support.store import store_url_fixture  # noqa: F401  (the store_url fixture)
from support.versions import BUILTIN, builtin_document, move_due, rename_state, version

AT = dt.datetime(2009, 6, 20, 12, tzinfo=dt.UTC)
PLAN = ("from: {id: xuhui-edu-2009}\nto: {id: xuhui-edu-2009}\n"
        "states: {report: {evaluating: under_review}}\n")


@pytest.fixture(scope="module")
def old() -> Spec:
    """The built-in spec."""
    return load_spec(BUILTIN)


@pytest.fixture(scope="module")
def new() -> Spec:
    """The next version: report.evaluating renamed, the report's approval due a month later."""
    doc = move_due(builtin_document(), "approve_report", "2009-07-31")
    return version(rename_state(doc, "report", "evaluating", "under_review"), "new.yaml")


@pytest.fixture(scope="module")
def roster(old: Spec) -> Roster:
    """The built-in's sample roster."""
    return load_roster(sample_paths("xuhui-edu-2009")[0], old)


@pytest.fixture(scope="module")
def log() -> list[str]:
    """The built-in's sample log."""
    return read_event_lines(sample_paths("xuhui-edu-2009")[1])


def _tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in sa.inspect(conn).get_table_names() if n.startswith("sfd_")]
            return {n: sorted(map(tuple, conn.exec_driver_sql(f"SELECT * FROM {n}")), key=str)
                    for n in names}
    finally:
        engine.dispose()


def test_half_a_campaign_a_new_version_then_the_rest(store_url: str, old: Spec, new: Spec,
                                                     roster: Roster, log: list[str]) -> None:
    """The issue's "done when": half the sample log, a version with a moved due and a renamed
    state, the other half. `verify --replay` is clean, later verdicts follow the new spec
    (the report approved after the old due is not late), and the store's states and
    verdicts are the runtime's under the same migration."""
    half = 80  # past half the log: xh-ms-01 is then in report.evaluating, the renamed state
    with EventStore.create(store_url, old, roster, snapshot_every=3) as store:
        assert all(store.submit(line).accepted for line in log[:half])
        plan = plan_from_text(PLAN, old, new, "plan.yaml")
        done = migrate_store(store, new, plan, at=AT)
        assert (done.migration, done.units) == (1, len(roster))
    with pytest.raises(StoreError, match="a store keeps its spec until `store migrate`"):
        EventStore.open(store_url, old)
    rt = Runtime(compile_workflow(old), roster)
    for _ in replay(rt.compiled, roster, log[:half], runtime=rt):
        pass
    moved = migrate_runtime(rt, plan, at=AT)
    expected = [r.verdict for r in replay(moved.compiled, roster, log[half:], runtime=moved)]
    with EventStore.open(store_url, new, snapshot_every=3) as store:
        assert spec_sha256(store.spec) == spec_sha256(new)
        got = [store.submit(line) for line in log[half:]]
        assert got == expected
        late = {json.loads(line)["event"]: v.late for line, v in zip(log[half:], got,
                                                                        strict=True)}
        assert late["approve_report"] is False  # late by the old due (2009-06-30)
        report = store.verify(replay=True)
        assert report.ok, report.lines()
        assert report.events == len(log) + len(roster)
        history = store.history("xh-ms-01")
        entry = next(e for e in history if e.event == "sfd:migrate")
        assert entry.payload["state"]["states"]["report"] == "under_review"
        assert entry.payload["from"] != entry.payload["to"]
        states = {u.id: store.state(u.id) for u in roster.units}
    assert states == {u.id: moved.state(u.id) for u in roster.units}
    with EventStore.open(store_url, snapshot_every=0) as fresh:  # no snapshots: entries
        assert {u.id: fresh.state(u.id) for u in roster.units} == states


def test_an_incomplete_plan_or_a_plan_for_another_spec_writes_nothing(
        store_url: str, old: Spec, new: Spec, roster: Roster, log: list[str]) -> None:
    """Refused before anything is written: every table is as it was."""
    with EventStore.create(store_url, old, roster) as store:
        for line in log[:80]:
            store.submit(line)
        before = _tables(store_url)
        with pytest.raises(MigrationPlanError, match=r"no target for state 'evaluating' of step "
                                            r"'report' \(held by 1 unit: xh-ms-01\)"):
            migrate_store(store, new, auto_plan(old, new))
        other = version(move_due(builtin_document(), "approve_report", "2009-07-01"))
        with pytest.raises(MigrationPlanError, match="the plan moves units of"):
            migrate_store(store, new, plan_from_text(PLAN, other, new, "plan.yaml"))
        doc = builtin_document()
        del doc["unit_kinds"]["retired_branch"]
        narrow = version(doc)
        with pytest.raises(StoreError, match="cannot judge the store's units"):
            migrate_store(store, narrow, auto_plan(old, narrow))
        assert _tables(store_url) == before


def test_an_edited_migration_entry_or_spec_version_is_found(tmp_path: Path, old: Spec,
                                                             new: Spec, roster: Roster,
                                                             log: list[str]) -> None:
    """The entries are in the hash chain and the versions are hashed: verify sees edits."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    with EventStore.create(url, old, roster) as store:
        for line in log[:30]:
            store.submit(line)
        migrate_store(store, new, plan_from_text(PLAN, old, new), at=AT)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sfd_events SET payload = replace(payload, 'preparing', "
                             "'studying') WHERE event = 'sfd:migrate' AND unit = 'xh-ps-01'")
        conn.exec_driver_sql("UPDATE sfd_specs SET spec_json = spec_json || ' '")
    engine.dispose()
    with EventStore.open(url) as store:
        problems = [str(b) for b in store.verify().broken]
    assert any(p.startswith("xh-ps-01 event") and "edited" in p for p in problems), problems
    assert sum("stored spec version" in p for p in problems) == 2, problems


def test_store_migrate_on_the_command_line(tmp_path: Path, new: Spec, log: list[str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Bad plans exit 2 with file:line and leave the store as it was; a good one moves it."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    roster_path, _ = sample_paths("xuhui-edu-2009")
    assert main(["store", "init", "--url", url, BUILTIN, str(roster_path)]) == 0
    events = tmp_path / "half.jsonl"
    events.write_text("\n".join(log[:80]) + "\n", encoding="utf-8")
    assert main(["store", "submit", "--url", url, str(events)]) == 0
    spec_file = tmp_path / "new.yaml"
    spec_file.write_text(yaml.safe_dump(dict(new.document), allow_unicode=True), "utf-8")
    plan = tmp_path / "plan.yaml"
    assert main(["migrate", "plan", BUILTIN, str(spec_file), "-o", str(plan)]) == 0
    capsys.readouterr()
    assert main(["migrate", "check", BUILTIN, str(spec_file), str(plan), "--url", url]) == 1
    assert "(held by 1 unit: xh-ms-01)" in capsys.readouterr().out
    assert main(["migrate", "check", BUILTIN, str(spec_file), str(plan), "--url", url,
                 "--units", "xh-ps-01"]) == 0
    assert capsys.readouterr().out.strip() == f"{plan}: complete for 1 unit"
    assert main(["migrate", "check", BUILTIN, str(spec_file), str(plan), "--url", url,
                 "--units", "xh-ps-01,nobody"]) == 2
    assert capsys.readouterr().err == f"sfd-workflow: error: --units: no unit 'nobody' in {url}\n"
    before = _tables(url)
    args = ["store", "migrate", "--url", url, "--to", str(spec_file), "--plan", str(plan)]
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"sfd-workflow: error: {plan}:")
    assert "no target for state 'evaluating' of step 'report'" in err[0]
    plan.write_text(PLAN.replace("xuhui-edu-2009}\nto", "xuhui-edu-2009, sha256: 00}\nto"),
                    encoding="utf-8")
    assert main(args) == 2
    assert capsys.readouterr().err.startswith(
        f"sfd-workflow: error: {plan}:1: from.sha256: the plan is for another version of")
    assert _tables(url) == before
    plan.write_text(PLAN, encoding="utf-8")
    assert main(args) == 0
    assert "migration 1: 11 units moved" in capsys.readouterr().err
    assert main(["store", "verify", "--url", url, "--replay"]) == 0


def test_a_writer_left_on_the_old_version_stops_instead_of_judging_by_it(
        tmp_path: Path, old: Spec, new: Spec, roster: Roster, log: list[str]) -> None:
    """A store object opened before the migration refuses to go on at its next submit."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    with EventStore.create(url, old, roster) as stale:
        for line in log[:30]:
            stale.submit(line)
        with EventStore.open(url) as other:
            migrate_store(other, new, plan_from_text(PLAN, old, new), at=AT)
        with pytest.raises(StoreError, match="refused on replay"):
            stale.submit(log[30])
    with EventStore.open(url) as store:
        assert store.counts()[0] == 30 + len(roster)
        assert store.verify(replay=True).ok


def test_replay_catches_an_entry_rewritten_with_its_hash_recomputed(
        tmp_path: Path, old: Spec, new: Spec, roster: Roster, log: list[str]) -> None:
    """An entry whose state is not what its plan gives passes the chain check once its hash
    is recomputed, and is refused by `verify(replay=True)`."""
    from sfd_workflow.store._canonical import canonical_json, event_hash

    url = f"sqlite:///{tmp_path / 's.db'}"
    with EventStore.create(url, old, roster) as store:
        for line in log[:30]:
            store.submit(line)
        migrate_store(store, new, plan_from_text(PLAN, old, new), at=AT)
        entry = store.history("xh-ps-01")[-1]
    assert entry.event == "sfd:migrate"
    body = dict(entry.payload)
    assert body["state"]["states"]["study_research"] == "preparing"
    body["state"]["states"]["study_research"] = "researched"
    row = {"gseq": entry.gseq, "unit": entry.unit, "seq": entry.seq, "event": entry.event,
           "actor": entry.actor, "at": entry.at, "payload": canonical_json(body),
           "late": entry.late, "recorded_at": entry.recorded_at}
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sfd_events SET payload = :p, hash = :h WHERE gseq = :g"),
                     {"p": row["payload"], "h": event_hash(entry.prev_hash, row),
                      "g": entry.gseq})
    engine.dispose()
    with EventStore.open(url) as store:
        assert store.verify().ok
        report = store.verify(replay=True)
    assert [str(b) for b in report.broken] == [
        f"xh-ps-01 event {entry.seq}: it is refused on replay (wrong_state)"]


def test_after_a_migration_import_stores_what_submit_stores(
        store_url: str, tmp_path: Path, old: Spec, new: Spec, roster: Roster,
        log: list[str]) -> None:
    """The batch path (`submit_many`) starts migrated units at their entries like `submit`
    does: same verdicts and states, and `verify --replay` judges the audit rows written after
    the migration by the new version."""
    bad = [json.dumps({**json.loads(line), "actor": "nobody"}) for line in log[80:90]]
    rest = [*bad, *log[80:], "not json"]
    plan = plan_from_text(PLAN, old, new)
    got = {}
    for mode, url in (("submit", f"sqlite:///{tmp_path / 'one.db'}"), ("import", store_url)):
        with EventStore.create(url, old, roster, snapshot_every=4) as store:
            for line in log[:80]:
                store.submit(line)
            migrate_store(store, new, plan, at=AT)
        with EventStore.open(url, snapshot_every=4) as store:
            verdicts = ([store.submit(line) for line in rest] if mode == "submit"
                        else store.submit_many(rest, batch=7))
            report = store.verify(replay=True)
            assert report.ok, report.lines()
            got[mode] = (verdicts, {u.id: store.state(u.id) for u in roster.units})
    assert got["submit"] == got["import"]
    assert not any(v.accepted for v in got["import"][0][:len(bad)])
