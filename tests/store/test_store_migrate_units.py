"""`store migrate --units` / `migrate_store(units=...)`: some trees of a store moved to a new
version, the others left on theirs, on SQLite and (marked) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from sfd_workflow import (
    MigrationPlanError,
    Roster,
    Runtime,
    Spec,
    StoreError,
    UnknownUnitError,
    compile_workflow,
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
from sfd_workflow.store._migrate import from_version
from support.store import store_url_fixture  # noqa: F401  (the store_url fixture)
from support.versions import (
    BUILTIN,
    builtin_document,
    move_due,
    rename_state,
    sample_roster_with_twin,
    version,
)

AT = dt.datetime(2009, 6, 26, 12, tzinfo=dt.UTC)
LATER = dt.datetime(2009, 7, 10, 12, tzinfo=dt.UTC)
PLAN = ("from: {id: xuhui-edu-2009}\nto: {id: xuhui-edu-2009}\n"
        "states: {report: {evaluating: under_review}}\n")
#: The trees moved first: a root with its log, and the general branch with its three schools.
MOVED = ("xh-gb-primary", "xh-ms-01")
CUT = 80  # lines of each school's log before the migration: both are in report.evaluating


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
    """The sample roster and a twin of its middle school, `xh-ms-02` (another root)."""
    return sample_roster_with_twin(old)


def _twin(line: str) -> str:
    e = json.loads(line)
    e["unit"] = "xh-ms-02"
    e["actor"] = e["actor"].replace("ms01", "ms02")
    return json.dumps(e, ensure_ascii=False)


@pytest.fixture(scope="module")
def logs() -> tuple[list[str], list[str]]:
    """(before, after) the migration: the sample log (all `xh-ms-01`) and its twin's,
    line by line."""
    lines = read_event_lines(sample_paths("xuhui-edu-2009")[1])
    both = [x for line in lines for x in (line, _twin(line))]
    return both[:2 * CUT], both[2 * CUT:]


def _expected(old: Spec, roster: Roster, plan: Any, before: list[str], after: list[str]
              ) -> tuple[list[Any], dict[str, Any]]:
    """Verdicts of `after` and the final states when the trees of `MOVED` are migrated
    after `before` and the others are not: a runtime of each version (trees are
    independent, so each unit is judged in the runtime of its tree's version)."""
    rt = Runtime(compile_workflow(old), roster)
    for _ in replay(rt.compiled, roster, before, runtime=rt):
        pass
    moved = migrate_runtime(rt, plan, at=AT)
    in_moved = {u for r in MOVED for u in _tree(roster, r)}
    verdicts = [(moved if json.loads(line)["unit"] in in_moved else rt).submit_line(line)
                for line in after]
    states = {u.id: (moved if u.id in in_moved else rt).state(u.id) for u in roster.units}
    return verdicts, states


def _tree(roster: Roster, root: str) -> list[str]:
    return [root, *(u for c in roster.children.get(root, ()) for u in _tree(roster, c))]


def _tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in sa.inspect(conn).get_table_names() if n.startswith("sfd_")]
            return {n: sorted(map(tuple, conn.exec_driver_sql(f"SELECT * FROM {n}")), key=str)
                    for n in names}
    finally:
        engine.dispose()


def test_some_trees_move_the_others_keep_their_version(
        store_url: str, old: Spec, new: Spec, roster: Roster,
        logs: tuple[list[str], list[str]]) -> None:
    """Two trees moved mid-campaign: their later verdicts follow the new version (the
    approval after the old due is not late), the twin's follow the old one (late); states
    are the runtimes'; `verify --replay` is clean; a second migration moves the rest."""
    before, after = logs
    plan = plan_from_text(PLAN, old, new, "plan.yaml")
    with EventStore.create(store_url, old, roster, snapshot_every=3) as store:
        assert all(v.accepted for v in store.submit_many(before, batch=9))
        done = migrate_store(store, new, plan, units=list(MOVED), at=AT)
    moved_units = [u for r in MOVED for u in _tree(roster, r)]
    assert (done.migration, done.units, done.trees) == (1, len(moved_units), MOVED)
    expected, states = _expected(old, roster, plan, before, after)
    with EventStore.open(store_url, new, snapshot_every=3) as store:
        assert spec_sha256(store.spec) == spec_sha256(new)
        assert spec_sha256(store.spec_of("xh-ps-02")) == spec_sha256(new)
        assert spec_sha256(store.spec_of("xh-ms-02")) == spec_sha256(old)
        assert store.state("xh-ms-01")["report"] == "under_review"
        assert store.state("xh-ms-02")["report"] == "evaluating"
        got = [store.submit(line) for line in after]
        assert got == expected
        late = {(json.loads(line)["unit"], json.loads(line)["event"]): v.late
                for line, v in zip(after, got, strict=True)}
        assert late["xh-ms-01", "approve_report"] is False  # the new due: 2009-07-31
        assert late["xh-ms-02", "approve_report"] is True   # the old due: 2009-06-30
        report = store.verify(replay=True)
        assert report.ok, report.lines()
        assert report.events == 2 * (CUT + len(after) // 2) + len(moved_units)
        assert {u.id: store.state(u.id) for u in roster.units} == states
        rows = {r.unit: r for r in store.status(LATER)}
        assert rows["xh-ms-01"].events == rows["xh-ms-02"].events == CUT + len(after) // 2
        # The whole store cannot move by one plan now; the rest can, by the same plan.
        with pytest.raises(StoreError, match=r"on 2 spec versions \(sha256:"):
            from_version(store)
        with pytest.raises(StoreError, match="on 2 spec versions"):
            migrate_store(store, new, plan)
        with pytest.raises(MigrationPlanError, match=r"but the store at .* judges the trees "
                                                     r"of 'xh-ms-01' by sha256:"):
            migrate_store(store, new, plan, units=["xh-ms-01"])
        rest = [u.id for u in roster.units if u.parent is None and u.id not in MOVED]
        assert spec_sha256(from_version(store, rest)) == spec_sha256(old)
        second = migrate_store(store, new, plan, units=rest, at=LATER)
        assert (second.migration, second.units) == (2, len(roster) - len(moved_units))
    with EventStore.open(store_url, snapshot_every=0) as store:  # from the entries alone
        assert {spec_sha256(store.spec_of(u.id)) for u in roster.units} == {spec_sha256(new)}
        assert store.state("xh-ms-02")["report"] == states["xh-ms-02"]["report"]
        assert store.verify(replay=True).ok
        assert spec_sha256(from_version(store)) == spec_sha256(new)


def test_the_batch_path_judges_each_tree_by_its_version(
        tmp_path: Path, old: Spec, new: Spec, roster: Roster,
        logs: tuple[list[str], list[str]]) -> None:
    """`submit_many` after a partial migration stores what `submit` stores, bad events
    included (an unknown event name is unknown in both versions alike)."""
    before, after = logs
    bad = [json.dumps({**json.loads(line), "actor": "nobody"}) for line in after[:6]]
    rest = [*bad, *after, "not json"]
    plan = plan_from_text(PLAN, old, new)
    got = {}
    for mode in ("submit", "import"):
        url = f"sqlite:///{tmp_path / mode}.db"
        with EventStore.create(url, old, roster, snapshot_every=4) as store:
            store.submit_many(before)
            migrate_store(store, new, plan, units=["xh-ms-01"], at=AT)
        with EventStore.open(url, snapshot_every=4) as store:
            verdicts = ([store.submit(line) for line in rest] if mode == "submit"
                        else store.submit_many(rest, batch=7))
            report = store.verify(replay=True)
            assert report.ok, report.lines()
            got[mode] = (verdicts, {u.id: store.state(u.id) for u in roster.units})
    assert got["submit"] == got["import"]
    assert not any(v.accepted for v in got["import"][0][:len(bad)])


def test_units_must_be_roots_known_and_on_the_plans_version(
        tmp_path: Path, old: Spec, new: Spec, roster: Roster,
        logs: tuple[list[str], list[str]]) -> None:
    """Refused before anything is written, in Python."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    plan = plan_from_text(PLAN, old, new)
    with EventStore.create(url, old, roster) as store:
        store.submit_many(logs[0][:20])
        before = _tables(url)
        with pytest.raises(UnknownUnitError, match=r"no unit 'xh-ms-001' in the store at .*; "
                                                   r"did you mean 'xh-ms-01'"):
            migrate_store(store, new, plan, units=["xh-ms-001"])
        with pytest.raises(StoreError, match=r"^unit 'xh-ps-02' belongs to the tree of "
                                             r"'xh-gb-primary': a tree moves together"):
            migrate_store(store, new, plan, units=["xh-ms-01", "xh-ps-02"])
        with pytest.raises(StoreError, match="no unit to move"):
            migrate_store(store, new, plan, units=[])
        assert _tables(url) == before


def _dump(path: Path, spec: Spec) -> str:
    path.write_text(yaml.safe_dump(dict(spec.document), allow_unicode=True), "utf-8")
    return str(path)


def test_store_migrate_units_on_the_command_line(
        tmp_path: Path, new: Spec, roster: Roster, logs: tuple[list[str], list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown, non-root and wrong-version units exit 2 with one line and write nothing; the
    export of a migrated store replays clean; status counts events, not entries."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    roster_path = tmp_path / "roster.yaml"
    roster_path.write_text(yaml.safe_dump(roster.to_document(), allow_unicode=True), "utf-8")
    assert main(["store", "init", "--url", url, BUILTIN, str(roster_path)]) == 0
    events = tmp_path / "before.jsonl"
    events.write_text("\n".join(logs[0]) + "\n", encoding="utf-8")
    assert main(["store", "submit", "--url", url, str(events)]) == 0
    spec_file = _dump(tmp_path / "new.yaml", new)
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    args = ["store", "migrate", "--url", url, "--to", spec_file, "--plan", str(plan)]
    capsys.readouterr()
    before = _tables(url)
    for units, message in (
            ("xh-ms-01,xh-ms-001", f"no unit 'xh-ms-001' in the store at {url}; did you mean "
                                  "'xh-ms-01'?"),
            ("xh-ps-01", "unit 'xh-ps-01' belongs to the tree of 'xh-gb-primary': a tree moves "
                         "together, because a parent's children guard reads its children by "
                         "the parent's version; name 'xh-gb-primary'")):
        assert main([*args, "--units", units]) == 2
        assert capsys.readouterr().err == f"sfd-workflow: error: {message}\n"
    assert _tables(url) == before
    assert main([*args, "--units", "xh-ms-01", "--units", "xh-gb-primary"]) == 0
    assert capsys.readouterr().err == (
        f"{url}: migration 1: 5 units moved (the trees of xh-gb-primary, xh-ms-01) from "
        f"sha256:{spec_sha256(load_spec(BUILTIN))[:12]} to xuhui-edu-2009 "
        f"sha256:{spec_sha256(new)[:12]}\n")
    before = _tables(url)
    # xh-ms-01 is on the new version now: a plan from the built-in is for another version.
    assert main([*args, "--units", "xh-ms-02,xh-ms-01"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sfd-workflow: error: the units to move are on 2 spec versions")
    assert err.count("\n") == 1
    # A plan from the new version to a newer one: xh-ms-02 is not on its `from`.
    newer = version(move_due(dict(new.document), "approve_report", "2009-08-31"))
    plan.write_text(f"from: {{id: xuhui-edu-2009, sha256: {spec_sha256(new)}}}\n"
                    "to: {id: xuhui-edu-2009}\n", "utf-8")
    further = ["store", "migrate", "--url", url, "--to", _dump(tmp_path / "v3.yaml", newer),
               "--plan", str(plan), "--units"]
    assert main([*further, "xh-ms-02"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sfd-workflow: error: {plan}:1: from.sha256: the plan is for "
                          "another version of 'xuhui-edu-2009'")
    assert err.count("\n") == 1
    assert _tables(url) == before
    assert main([*further, "xh-ms-01"]) == 0  # a tree moves further: new -> newer
    assert "migration 2: 1 units moved (the trees of xh-ms-01)" in capsys.readouterr().err
    assert main(["store", "verify", "--url", url, "--replay"]) == 0
    # The export is an event log: no migration entry, every line accepted on replay.
    out = tmp_path / "export.jsonl"
    assert main(["store", "export", "--url", url, "--format", "jsonl", "-o", str(out)]) == 0
    exported = read_event_lines(out)
    assert len(exported) == len(logs[0])
    capsys.readouterr()
    assert main(["replay", BUILTIN, str(roster_path), str(out)]) == 0
    verdicts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(verdicts) == len(exported)
    assert {v["verdict"] for v in verdicts} == {"accepted"}
    assert main(["store", "status", "--url", url, "--json"]) == 0
    rows = {r["unit"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["xh-ms-01"]["events"] == rows["xh-ms-02"]["events"] == CUT
    assert rows["xh-ps-01"]["events"] == 0
