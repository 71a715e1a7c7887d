"""The progress report page: content, self-containment, bad input, its three sources."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

import sfd_workflow as sfd
from sfd_workflow import report
from sfd_workflow._spec._builtin import sample_paths
from sfd_workflow.cli import main

pytest.importorskip("jinja2", reason="the report extra is not installed")

DATA = Path(__file__).parents[1] / "data" / "good"
SPEC = "builtin:xuhui-edu-2009"
ROSTER = DATA / "diagrams-roster.yaml"
EVENTS = DATA / "diagrams-events.jsonl"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


@pytest.fixture(scope="module")
def inputs() -> tuple[sfd.Spec, sfd.Roster, list[str]]:
    """The built-in spec, the six-unit diagrams roster and its event log."""
    spec = sfd.load_spec(SPEC)
    return spec, sfd.load_roster(ROSTER, spec), sfd.read_event_lines(EVENTS)


@pytest.fixture(scope="module")
def page(inputs: tuple[sfd.Spec, sfd.Roster, list[str]]) -> report.Report:
    """The Chinese report of the diagrams log, without pictures (fast)."""
    spec, roster, lines = inputs
    return report.build_report(spec, roster, lines, diagrams=False)


def _panel(html: str, unit: str) -> str:
    start = html.index(f'<section class="panel" id="u-{unit}"')
    return html[start:html.index("</section>", start)]


def test_every_unit_has_a_row_and_a_panel(page: report.Report,
                                          inputs: tuple[sfd.Spec, sfd.Roster, list[str]]) -> None:
    """Each unit of the roster is one row of the table (with its kind and parent as filter
    data) and one panel the row links to."""
    _, roster, _ = inputs
    rows = re.findall(r'<tr class="unit[^"]*" data-id="([^"]+)" data-kind="([^"]+)"', page.html)
    assert rows == [(u.id, u.kind) for u in roster.units]
    for u in roster.units:
        assert f'href="#u-{u.id}"' in page.html
        assert f'id="u-{u.id}"' in page.html
    assert page.units == len(roster.units) and page.listed


def test_the_page_loads_nothing_from_anywhere(page: report.Report) -> None:
    """No element fetches anything: no src, no stylesheet link, no import or url(); the
    content security policy forbids every fetch as well."""
    html = page.html
    assert not re.search(r"\ssrc=", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html
    assert not re.search(r'href="(?!#)', html)  # every link is inside the page


def test_a_panel_says_what_explain_says(page: report.Report,
                                        inputs: tuple[sfd.Spec, sfd.Roster, list[str]]) -> None:
    """For an open step of a unit, the panel lists the unmet requirements `Runtime.explain`
    gives for the closest event and person (but the payload's fields, the actor's to give),
    sentence for sentence."""
    spec, roster, lines = inputs
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster)
    for line in lines:
        rt.submit_line(line)
    at = max(t for u in rt.unit_ids() if (t := rt.last_at(u)) is not None)
    checked = 0
    for unit in roster.units:
        panel = _panel(page.html, unit.id)
        for step in spec.steps:
            if rt.is_skipped(unit.id, step.id) or rt.is_complete(unit.id, step.id) \
                    or not rt.is_open(unit.id, step.id):
                continue
            state = rt.state(unit.id)[step.id]
            events = dict.fromkeys(t.event for t in step.transitions
                                   if state in t.sources and t.dest != state)
            # the payload is the actor's to give when acting: `fields` is not a lack
            found = [[r for r in rt.explain(unit.id, e, p.id, at=at).unmet
                      if r.reason != "fields"] for e in events for p in unit.people]
            if any(not unmet for unmet in found):
                assert "当前无欠缺" in panel
                continue
            for req in min(found, key=len):
                assert f"<li>{req.zh}</li>" in panel.replace("&#39;", "'")
                checked += 1
    assert checked > 0


def test_bad_lines_are_counted_and_listed(inputs: tuple[sfd.Spec, sfd.Roster, list[str]]) -> None:
    """A line that is not JSON and an event that is rejected change nothing, and the page
    counts them, names their line numbers and reasons, and says so at the top."""
    spec, roster, lines = inputs
    bad = [*lines[:3], "{not json", json.dumps({"unit": "nowhere", "event": "x", "actor": "a",
                                                "at": "2009-03-10T10:00:00+08:00"}), *lines[3:]]
    clean = report.build_report(spec, roster, lines, diagrams=False).intake
    page = report.build_report(spec, roster, bad, diagrams=False)
    before = clean.bad_count
    assert page.intake.bad_count == before + 2
    assert page.intake.rejected["malformed"] == clean.rejected.get("malformed", 0) + 1
    assert page.intake.rejected["unknown_unit"] == clean.rejected.get("unknown_unit", 0) + 1
    assert [(b.line, b.reason) for b in page.intake.bad][:2] == [(4, "malformed"),
                                                                 (5, "unknown_unit")]
    assert 'id="bad-notice"' in page.html
    assert f'<span id="bad-count">{before + 2}</span>' in page.html
    assert "<code>{not json</code>" in page.html
    assert page.intake.accepted == clean.accepted
    assert page.intake.accepted + page.intake.bad_count == page.intake.total == len(bad)


def test_as_of_leaves_later_events_out(inputs: tuple[sfd.Spec, sfd.Roster, list[str]]) -> None:
    """``as_of``: events after that day are counted as left out, and the page is dated."""
    spec, roster, lines = inputs
    day = dt.date(2009, 3, 20)
    page = report.build_report(spec, roster, lines, as_of=day, diagrams=False)
    later = sum(1 for ln in lines if json.loads(ln)["at"] >= "2009-03-21")
    assert later > 0 and page.intake.after_as_of == later
    assert page.as_of is not None and page.as_of.date() == day
    assert "2009-03-20 23:59" in page.html


def test_events_outside_the_plans_months_are_counted() -> None:
    """R6 (issue 16): accepted events outside a flagged phase window are counted on the page,
    as many as replay flags; none when nothing is outside."""
    spec = sfd.load_spec(SPEC)
    roster_path, events_path = sample_paths("xuhui-edu-2009")
    assert roster_path is not None and events_path is not None
    roster = sfd.load_roster(roster_path, spec)
    lines = sfd.read_event_lines(events_path)
    flagged = sum(1 for r in sfd.replay(sfd.compile_workflow(spec), roster, lines)
                  if r.verdict.outside_window)
    assert flagged > 0
    page = report.build_report(spec, roster, lines, diagrams=False)
    assert page.intake.outside_window == flagged
    assert f'<span id="outside-count">{flagged}</span>' in page.html
    early = report.build_report(spec, roster, lines[:3], diagrams=False)
    assert early.intake.outside_window == 0 and "outside-count" not in early.html


def test_as_of_before_the_campaign_is_an_error(
        inputs: tuple[sfd.Spec, sfd.Roster, list[str]]) -> None:
    """An as-of date before the first planned day is refused, naming both dates."""
    spec, roster, lines = inputs
    with pytest.raises(sfd.SfdWorkflowError, match=r"2009-01-01 is before .*2009-03-01"):
        report.build_report(spec, roster, lines, as_of=dt.date(2009, 1, 1))


@pytest.mark.parametrize(("lang", "words"), [
    ("zh", ["单位一览", "逾期办理"]),
    ("en", ["Every unit", "done late"]),
    ("both", ["单位一览 / Every unit", "逾期办理 / done late"]),
])
def test_the_page_speaks_the_chosen_language(
        inputs: tuple[sfd.Spec, sfd.Roster, list[str]], lang: str, words: list[str]) -> None:
    """Headings and status words follow ``lang``; English pages carry no Chinese heading."""
    spec, roster, lines = inputs
    html = report.build_report(spec, roster, lines, lang=lang, diagrams=False).html
    for w in words:
        assert w in html
    if lang == "en":
        assert "单位一览" not in html


def test_above_the_threshold_only_aggregates(
        inputs: tuple[sfd.Spec, sfd.Roster, list[str]]) -> None:
    """With more units than ``max_units`` the page has no table or panels, says why, and
    keeps the aggregates."""
    spec, roster, lines = inputs
    page = report.build_report(spec, roster, lines, max_units=3, diagrams=False)
    assert not page.listed
    assert 'id="unit-table"' not in page.html and 'class="panel"' not in page.html
    assert 'id="aggregated"' in page.html and "超过3" in page.html
    assert "按上级组织" in page.html and "按单位类别" in page.html


@needs_dot
def test_the_diagrams_are_inline_svg(inputs: tuple[sfd.Spec, sfd.Roster, list[str]]) -> None:
    """Three pictures, each an inline <svg> element with no XML prologue."""
    spec, roster, lines = inputs
    html = report.build_report(spec, roster, lines).html
    assert html.count('<svg class="picture"') == 3
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_the_command_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``sfd-workflow report SPEC ROSTER EVENTS -o FILE`` writes the page and says so."""
    out = tmp_path / "r.html"
    assert main(["report", SPEC, str(ROSTER), str(EVENTS), "-o", str(out), "--no-diagrams",
                 "--lang", "en"]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"wrote {out} (6 units" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "2009-01-01"], "is before the campaign starts"),
    (["--as-of", "June"], "--as-of: not a date"),
    (["--url", "sqlite:///nowhere/none.db"], "not both"),
])
def test_bad_command_lines_exit_2_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
        message: str) -> None:
    """Bad options: one line on standard error, exit status 2, no file written."""
    out = tmp_path / "r.html"
    assert main(["report", SPEC, str(ROSTER), str(EVENTS), "-o", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err
    assert not out.exists()


def test_a_store_that_does_not_open_exits_2(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """``--url`` of a missing store: one line naming it, exit 2."""
    pytest.importorskip("sqlalchemy", reason="the store extra is not installed")
    url = f"sqlite:///{tmp_path / 'none.db'}"
    assert main(["report", "--url", url, "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no event store" in err


def test_a_report_of_a_store(tmp_path: Path) -> None:
    """From a store: its own spec and roster, its accepted events; the same page as from
    the same events in a file."""
    pytest.importorskip("sqlalchemy", reason="the store extra is not installed")
    from sfd_workflow.store import EventStore
    from support.store import approval_script, spec_and_roster

    spec, roster = spec_and_roster()
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with EventStore.create(url, spec, roster) as store:
        for e in approval_script():
            store.submit(e)
        events = list(store.events())
    from_store = report.report_from_store(url, diagrams=False)
    from_file = report.build_report(spec, roster, events, diagrams=False)
    assert from_store.intake.accepted == len(events) > 0
    assert from_store.html.replace(url, "").count("<tr") == from_file.html.count("<tr")
    assert main(["report", "--url", url, "-o", str(tmp_path / "r.html"), "--no-diagrams"]) == 0


def test_a_fast_simulation_cannot_be_reported() -> None:
    """The fast engine keeps no events: the report says to run the exact engine."""
    pytest.importorskip("numpy", reason="the sim extra is not installed")
    from sfd_workflow import sim

    spec = sfd.load_spec(SPEC)
    result = sim.run(spec, sim.district(10, seed=1, spec=spec), engine="fast", seed=1)
    with pytest.raises(sfd.SfdWorkflowError, match="engine='exact'"):
        report.report_from_simulation(result)


def test_without_jinja2_the_error_names_the_extra(
        inputs: tuple[sfd.Spec, sfd.Roster, list[str]], monkeypatch: Any) -> None:
    """A missing Jinja2 is a `MissingExtraError` that says ``sfd-workflow[report]``."""
    spec, roster, lines = inputs
    monkeypatch.setitem(sys.modules, "jinja2", None)
    with pytest.raises(sfd.MissingExtraError, match=r"sfd-workflow\[report\]"):
        report.build_report(spec, roster, lines[:5], diagrams=False)


def test_a_panel_says_who_can_act_now(page: report.Report,
                                      inputs: tuple[sfd.Spec, sfd.Roster, list[str]]) -> None:
    """Each panel names the people who could fire an event now and which events, as
    `Runtime.available` gives them; a unit where nobody can says so."""
    spec, roster, lines = inputs
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster)
    for line in lines:
        rt.submit_line(line)
    at = max(t for u in rt.unit_ids() if (t := rt.last_at(u)) is not None)
    titles: dict[str, str] = {}
    for _, t in spec.transitions():  # an event's first title names it
        if t.title is not None:
            titles.setdefault(t.event, t.title.get("zh"))
    for unit in roster.units:
        panel = _panel(page.html, unit.id)
        can = {p.id: rt.available(unit.id, p.id, at=at) for p in unit.people}
        if not any(can.values()):
            assert "目前无人可以办理任何事件" in panel
        for person, events in can.items():
            if events:
                row = re.search(rf"<tr><td>{re.escape(person)}</td><td>([^<]*)</td></tr>",
                                panel)
                assert row is not None, (unit.id, person)
                assert row.group(1).split("、") == [titles.get(e, e) for e in events]
