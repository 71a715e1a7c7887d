"""A report of a store whose units moved to another spec version (`store migrate`): each
unit from its latest migration entry, its earlier events as the store judged them."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from sfd_workflow import (
    ReportError,
    Roster,
    Spec,
    load_spec,
    plan_from_text,
    read_event_lines,
    report,
)
from sfd_workflow._plan import spec_sha256
from sfd_workflow._spec._builtin import sample_paths
from sfd_workflow.cli import main
from sfd_workflow.diagrams._progress import late_steps
from sfd_workflow.report._report import _log_by_unit
from sfd_workflow.report._stored import judge_store
from sfd_workflow.store import EventStore, migrate_store
from support.store import store_url_fixture  # noqa: F401  (the store_url fixture)
from support.versions import (
    BUILTIN,
    builtin_document,
    move_due,
    rename_state,
    sample_roster_with_twin,
    version,
)

pytest.importorskip("jinja2", reason="the report extra is not installed")

AT = dt.datetime(2009, 6, 26, 12, tzinfo=dt.UTC)
PLAN = ("from: {id: xuhui-edu-2009}\nto: {id: xuhui-edu-2009}\n"
        "states: {report: {evaluating: under_review}}\n")
HALF = 80  # lines of the sample log before the migration: xh-ms-01 is in report.evaluating
MOVED = ("xh-gb-primary", "xh-ms-01")  # the trees a partial migration moves
MIGRATE = "sfd:migrate"


@pytest.fixture(scope="module")
def old() -> Spec:
    """The built-in spec."""
    return load_spec(BUILTIN)


@pytest.fixture(scope="module")
def new() -> Spec:
    """The next version: report.evaluating renamed; the report draft due on 30 June (was
    10 June: the draft submitted on 19 June was late, and stays so) and its approval on
    31 July (was 30 June: the approval of 2 July, after the move, is not late)."""
    doc = move_due(builtin_document(), "approve_report", "2009-07-31")
    doc = move_due(doc, "submit_report_draft", "2009-06-30")
    return version(rename_state(doc, "report", "evaluating", "under_review"), "new.yaml")


@pytest.fixture(scope="module")
def roster(old: Spec) -> Roster:
    """The sample roster and a twin of its middle school, `xh-ms-02` (another root)."""
    return sample_roster_with_twin(old)


def _twin(line: str) -> str:
    e = json.loads(line)
    e["unit"], e["actor"] = "xh-ms-02", e["actor"].replace("ms01", "ms02")
    return json.dumps(e, ensure_ascii=False)


@pytest.fixture(scope="module")
def logs() -> tuple[list[str], list[str]]:
    """(before, after) the migration: the sample log (all `xh-ms-01`) and its twin's, line
    by line."""
    lines = read_event_lines(sample_paths("xuhui-edu-2009")[1])
    both = [x for line in lines for x in (line, _twin(line))]
    return both[:2 * HALF], both[2 * HALF:]


def _campaign(url: str, old: Spec, new: Spec, roster: Roster,
              logs: tuple[list[str], list[str]], units: list[str] | None = None) -> None:
    """Half the log, a migration (of every unit, or of the trees of `units`), the rest."""
    before, after = logs
    with EventStore.create(url, old, roster) as store:
        assert all(v.accepted for v in store.submit_many(before))
        migrate_store(store, new, plan_from_text(PLAN, old, new, "plan.yaml"), units=units,
                      at=AT)
    with EventStore.open(url) as store:
        assert all(v.accepted for v in store.submit_many(after))


def test_after_a_migration_the_report_says_what_the_store_says(
        store_url: str, old: Spec, new: Spec, roster: Roster,
        logs: tuple[list[str], list[str]]) -> None:
    """Half the log, every unit moved, the other half: the page's states, late steps and
    unit histories are the store's (the draft late by the old due stays late), nothing is
    rejected, and the events before the move are counted as judged by an earlier version."""
    _campaign(store_url, old, new, roster, logs)
    with EventStore.open(store_url) as store:
        rt, intake = judge_store(store, store.migrated())
        assert {u.id: rt.state(u.id) for u in roster.units} == \
            {u.id: store.state(u.id) for u in roster.units}
        history = {u.id: [e for e in store.history(u.id) if e.event != MIGRATE]
                   for u in roster.units}
        assert late_steps(rt) == {(u, new.step_of_event[e.event].id)
                                  for u, es in history.items() for e in es if e.late}
        assert ("xh-ms-01", "report") in late_steps(rt)  # the draft, by the old due
        assert {u: [(e["event"], e["late"]) for e in es] for u, es in _log_by_unit(rt).items()} \
            == {u: [(e.event, e.late) for e in es] for u, es in history.items() if es}
    assert intake.rejected == {} and intake.bad == () and intake.left_out == ()
    assert intake.earlier_version == len(logs[0])
    assert intake.accepted == len(logs[1])
    page = report.report_from_store(store_url, diagrams=False)
    assert page.intake == intake and page.units == len(roster)
    assert 'id="bad-notice"' not in page.html and 'id="left-out-notice"' not in page.html
    assert f'<span id="earlier-count">{len(logs[0])}</span>' in page.html
    assert "由较早版本的规范受理" in page.html
    english = report.report_from_store(store_url, diagrams=False, lang="en").html
    assert "accepted by an earlier version of the spec" in english


def test_a_partial_migration_leaves_the_unmoved_units_out_and_names_them(
        tmp_path: Path, old: Spec, new: Spec, roster: Roster,
        logs: tuple[list[str], list[str]]) -> None:
    """Two trees moved: the page covers their units only; the others, still on the old
    version, are left out, counted and named (a few ids), in both languages; their events
    are counted as judged by an earlier version."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    _campaign(url, old, new, roster, logs, units=list(MOVED))
    page = report.report_from_store(url, diagrams=False, lang="both")
    with EventStore.open(url) as store:
        rt, _ = judge_store(store, store.migrated())
        current = spec_sha256(store.spec)
        moved = [u.id for u in roster.units if spec_sha256(store.spec_of(u.id)) == current]
        for unit in moved:
            assert rt.state(unit) == store.state(unit)
    left = tuple(u.id for u in roster.units if u.id not in moved)
    assert "xh-ms-01" in moved and "xh-ms-02" in left and moved
    assert page.units == len(moved) and page.intake.left_out == left
    rows = re.findall(r'<tr class="unit[^"]*" data-id="([^"]+)"', page.html)
    assert rows == moved
    notice = re.search(r'<p class="notice" id="left-out-notice">(.*?)</p>', page.html)
    assert notice is not None
    assert f"{len(left)}个单位仍按较早版本的规范判定" in notice[1]
    assert f"{len(left)} units are still judged by an earlier version" in notice[1]
    assert ", ".join(left[:5]) + ", …" in notice[1]
    # xh-ms-01's events before the move, and every event of its twin (left out)
    before, after = logs
    assert page.intake.earlier_version == len(before) // 2 + (len(before) + len(after)) // 2
    assert page.intake.accepted == len(after) // 2 and page.intake.bad_count == 0


def test_as_of_before_the_move_is_refused_after_it_works(
        tmp_path: Path, old: Spec, new: Spec, roster: Roster,
        logs: tuple[list[str], list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    """``as_of`` on or after the day of the last event an earlier version judged: later
    events left out and counted; before it: one line saying from which day."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    _campaign(url, old, new, roster, logs)
    last = max(json.loads(line)["at"] for line in logs[0])[:10]
    day = dt.date.fromisoformat(last)
    page = report.report_from_store(url, diagrams=False, as_of=day)
    after = sum(1 for line in logs[1] if json.loads(line)["at"][:10] > last)
    assert page.intake.after_as_of == after > 0
    assert page.intake.earlier_version == len(logs[0])
    with pytest.raises(ReportError, match=rf"^--as-of {day - dt.timedelta(days=1)} is before "
                                          rf"units of the page moved .* report as of {last} "
                                          "or later$"):
        report.report_from_store(url, diagrams=False, as_of=day - dt.timedelta(days=1))
    out = tmp_path / "r.html"
    assert main(["report", "--url", url, "-o", str(out), "--no-diagrams",
                 "--as-of", "2009-05-01"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sfd-workflow: error: --as-of 2009-05-01 is before units")
    assert err.count("\n") == 1 and not out.exists()


def test_the_command_writes_the_page_of_a_migrated_store(
        tmp_path: Path, old: Spec, new: Spec, roster: Roster,
        logs: tuple[list[str], list[str]]) -> None:
    """``sfd-workflow report --url`` of a migrated store exits 0 and writes the page."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    _campaign(url, old, new, roster, logs, units=list(MOVED))
    out = tmp_path / "r.html"
    assert main(["report", "--url", url, "-o", str(out), "--no-diagrams"]) == 0
    assert 'id="left-out-notice"' in out.read_text(encoding="utf-8")


def test_a_store_never_migrated_gives_the_page_of_its_events(
        tmp_path: Path, old: Spec, roster: Roster, logs: tuple[list[str], list[str]]) -> None:
    """No migration: the page is `build_report`'s of the store's spec, roster and events."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    with EventStore.create(url, old, roster) as store:
        store.submit_many(logs[0] + logs[1])
    with EventStore.open(url) as store:  # the spec and roster as the store holds them
        assert store.migrated() == {}
        events = list(store.events())
        spec, stored_roster = store.spec, store.roster
    from_store = report.report_from_store(url, diagrams=False)
    from_events = report.build_report(spec, stored_roster, events, source=url,
                                      diagrams=False)
    assert from_store.html == from_events.html
    assert from_store.intake == from_events.intake
    assert from_store.intake.earlier_version == 0 and from_store.intake.left_out == ()
