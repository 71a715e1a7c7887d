"""The report of a simulated 140-unit district, opened in a real (headless) Chromium."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sfd_workflow as sfd
from sfd_workflow import report
from support.browser import chromium

pytest.importorskip("jinja2", reason="the report extra is not installed")
pytest.importorskip("numpy", reason="the sim extra is not installed")

AS_OF = dt.date(2009, 6, 15)  # mid-campaign: units in every state, some late
SHOT = Path(__file__).parents[2] / "docs" / "img" / "report-district.png"


@pytest.fixture(scope="module")
def district() -> tuple[Any, list[dict[str, Any]]]:
    """A 140-unit district simulated with the exact engine (seed 1): the run and the
    events up to the as-of day."""
    from sfd_workflow import sim

    spec = sfd.load_spec("builtin:xuhui-edu-2009")
    result = sim.run(spec, sim.district(140, seed=1, spec=spec), engine="exact", seed=1)
    assert result.events is not None
    events = [e for e in result.events if e["at"] < (AS_OF + dt.timedelta(days=1)).isoformat()]
    return result, events


@pytest.fixture(scope="module")
def page_file(district: tuple[Any, list[dict[str, Any]]],
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Chinese report of the district as of the evening of 2009-06-15, on disk."""
    result, _ = district
    page = report.report_from_simulation(result, as_of=AS_OF,
                                         diagrams=shutil.which("dot") is not None)
    assert len(page.html.encode("utf-8")) < 5_000_000
    return page.save(tmp_path_factory.mktemp("report") / "district.html")


@pytest.fixture(scope="module")
def browser(page_file: Path) -> Iterator[Any]:
    """Chromium with the report open."""
    with chromium() as driver:
        driver.get(page_file.as_uri())
        yield driver


def _late_units(result: Any, events: list[dict[str, Any]]) -> set[str]:
    """An oracle of "late": a step that took an accepted late event, or an unfinished step
    whose way out of its current state has a due date before the as-of day."""
    spec, roster = result.spec, result.roster
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
    late = set()
    for e in events:
        verdict = rt.submit(e)
        if verdict.accepted and verdict.late:
            late.add(e["unit"])
    for u in roster.units:
        state = rt.state(u.id)
        for step in spec.steps:
            if rt.is_skipped(u.id, step.id) or rt.is_complete(u.id, step.id):
                continue
            s = state[step.id]
            if any(t.due is not None and s in t.sources and t.dest != s and t.due < AS_OF
                   for t in step.transitions):
                late.add(u.id)
    return late


def _shown(driver: Any) -> list[str]:
    rows = driver.find_elements("css selector", "#unit-table tbody tr")
    return [r.get_attribute("data-id") for r in rows if r.is_displayed()]


def test_every_unit_is_listed(browser: Any, district: tuple[Any, list[dict[str, Any]]]) -> None:
    """All 140 units have a visible row, in roster order, and the page loaded nothing."""
    result, _ = district
    assert _shown(browser) == [u.id for u in result.roster.units]
    assert browser.find_element("id", "shown-count").text == "140"
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').length") == 0


def test_late_only_shows_the_late_units(browser: Any,
                                        district: tuple[Any, list[dict[str, Any]]]) -> None:
    """Ticking "只看逾期" leaves exactly the late units (by an independent count)."""
    result, events = district
    expected = _late_units(result, events)
    assert 0 < len(expected) < 140
    box = browser.find_element("id", "late-only")
    box.click()
    try:
        assert set(_shown(browser)) == expected
        assert browser.find_element("id", "shown-count").text == str(len(expected))
        assert browser.find_element("id", "late-units").text == str(len(expected))
    finally:
        box.click()
    assert len(_shown(browser)) == 140


def test_search_and_sort(browser: Any) -> None:
    """Typing an id leaves its row; sorting by steps done orders the rows by it."""
    search = browser.find_element("id", "search")
    search.send_keys("d-sch-003")
    assert _shown(browser) == ["d-sch-003"]
    search.clear()
    search.send_keys(" ")  # an input event after clear()
    assert len(_shown(browser)) == 140
    browser.find_element("css selector", "#unit-table th[data-sort=num]").click()
    done = [int(c.get_attribute("data-value")) for c in browser.find_elements(
        "css selector", "#unit-table tbody td[data-value]")]
    assert done == sorted(done) and done[0] < done[-1]


def test_a_unit_panel_lists_its_missing_requirements(
        browser: Any, district: tuple[Any, list[dict[str, Any]]]) -> None:
    """Clicking a unit opens its panel, which names what its open steps still lack in the
    sentences of `Runtime.explain`."""
    result, events = district
    spec, roster = result.spec, result.roster
    rt = sfd.Runtime(sfd.compile_workflow(spec), roster, keep_log=False)
    for e in events:
        rt.submit(e)
    at = dt.datetime.combine(AS_OF, dt.time(23, 59, 59), tzinfo=rt.compiled.tz)
    unit, sentences = None, []
    for u in roster.units:
        for step in spec.steps:
            if rt.is_skipped(u.id, step.id) or rt.is_complete(u.id, step.id) \
                    or not rt.is_open(u.id, step.id):
                continue
            s = rt.state(u.id)[step.id]
            found = [[r for r in rt.explain(u.id, t.event, p.id, at=at).unmet
                      if r.reason != "fields"]  # the payload is the actor's to give
                     for t in step.transitions if s in t.sources and t.dest != s
                     for p in u.people]
            if found and all(found):
                unit = u.id
                sentences = [r.zh for r in min(found, key=len)]
                break
        if unit is not None:
            break
    assert unit is not None and sentences
    browser.find_element("id", "search").clear()
    panel = browser.find_element("id", f"u-{unit}")
    assert not panel.is_displayed()
    browser.find_element("css selector", f'a[href="#u-{unit}"]').click()
    assert panel.is_displayed()
    text = panel.text
    for sentence in sentences:
        assert sentence in text
    panel.find_element("css selector", "a.close").click()
    assert not panel.is_displayed()


def test_the_console_has_no_errors(browser: Any, tmp_path: Path) -> None:
    """Nothing went wrong in the page's script; a screenshot of the top of the page (kept
    in docs/img when SFD_UPDATE_SCREENSHOTS=1)."""
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    browser.execute_script("window.scrollTo(0, 0)")
    shot = tmp_path / "report.png"
    browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SFD_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, SHOT)


def test_without_javascript_late_only_and_panels_still_work(
        page_file: Path, district: tuple[Any, list[dict[str, Any]]]) -> None:
    """With JavaScript off every row is there, "只看逾期" still leaves the late units (CSS)
    and a unit's panel still opens from its link (CSS :target)."""
    result, events = district
    with chromium(javascript=False) as driver:
        driver.get(page_file.as_uri())
        assert len(_shown(driver)) == 140
        driver.find_element("css selector", 'label[for="late-only"]').click()
        late = _late_units(result, events)
        assert set(_shown(driver)) == late
        assert driver.find_element("id", "shown-count").text == "140"  # no script ran
        unit = sorted(late)[0]
        driver.find_element("css selector", f'a[href="#u-{unit}"]').click()
        assert driver.find_element("id", f"u-{unit}").is_displayed()
