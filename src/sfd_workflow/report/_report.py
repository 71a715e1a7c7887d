"""`build_report` and its sources (files, a store, a simulation): one self-contained page."""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from sfd_workflow._eventlog import parse_at
from sfd_workflow._extras import require
from sfd_workflow._spec._model import Roster, Spec
from sfd_workflow.diagrams._progress import reference_time
from sfd_workflow.diagrams._words import check_lang
from sfd_workflow.errors import ReportError
from sfd_workflow.report._html import render_page
from sfd_workflow.report._intake import Intake, judge
from sfd_workflow.report._stored import judge_store

__all__ = ["MAX_UNITS", "Report", "build_report", "report_from_simulation",
           "report_from_store"]

MAX_UNITS = 500  # above this many units the page shows aggregates only (≈ 10 kB a unit)


@attrs.frozen(kw_only=True, eq=False)
class Report:
    """A rendered progress report: one self-contained HTML page.

    Attributes:
        html: the page (inline CSS, JavaScript and SVG; it loads nothing).
        units: how many units it covers.
        listed: True when every unit has a row and a panel (not only aggregates).
        intake: what became of the events (accepted, rejected by reason, left out).
        as_of: the reference time: the end of the as-of day, else the latest event.
    """

    html: str
    units: int
    listed: bool
    intake: Intake
    as_of: dt.datetime | None

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (UTF-8); return the path."""
        out = Path(path)
        out.write_text(self.html, encoding="utf-8")
        return out

    def _repr_html_(self) -> str:
        """Jupyter's view: the page in a frame of its own (its styles stay inside)."""
        return (f'<iframe srcdoc="{html.escape(self.html)}" style="width:100%;height:720px;'
                f'border:1px solid #ccc"></iframe>')

    def __repr__(self) -> str:
        return (f"<Report {self.units} units, {len(self.html.encode('utf-8'))} bytes, "
                f"{self.intake.accepted} events accepted>")


def _log_by_unit(rt: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in rt.log:
        if entry.verdict.accepted:
            e = entry.event
            at = parse_at(e["at"], rt.compiled.tz)  # accepted: a date-time
            out[str(e["unit"])].append({"event": e["event"], "actor": e["actor"],
                                        "at": at if isinstance(at, dt.datetime) else None,
                                        "late": entry.verdict.late})
    return out


def build_report(spec: Spec, roster: Roster, events: Iterable[str | Mapping[str, Any]], *,
                 lang: str = "zh", as_of: dt.date | None = None, source: str = "",
                 max_units: int = MAX_UNITS, diagrams: bool = True) -> Report:
    """A progress report of a campaign from its spec, roster and events.

    Args:
        spec, roster: the workflow and its units.
        events: event-log lines (text, as `read_event_lines` gives them) or event mappings,
            in log order. Every one is judged; lines that change nothing are counted and
            listed in the page.
        lang: ``zh`` (default), ``en`` or ``both``.
        as_of: report the campaign as it stood at the end of this day (spec timezone):
            later events are left out (and counted), and "past due" is judged then.
            Default: as of the latest accepted event.
        source: where the events came from, said in the page.
        max_units: above this many units the page shows aggregates only (no unit table).
        diagrams: draw the overview, dependencies and progress pictures (inline SVG; needs
            the ``diagrams`` extra, Graphviz and a CJK font, else the page says why not).

    Raises:
        ReportError: `as_of` is before the campaign starts.
        ValueError: an unknown `lang`.
        MissingExtraError: Jinja2 is not installed (``report`` extra).
    """
    check_lang(lang)
    rt, intake = judge(spec, roster, events, as_of=as_of)
    return _report(rt, intake, lang=lang, as_of=as_of, source=source, max_units=max_units,
                   diagrams=diagrams)


def _report(rt: Any, intake: Intake, *, lang: str, as_of: dt.date | None, source: str,
            max_units: int, diagrams: bool) -> Report:
    """The page of a runtime that judged the events, over the units it covers."""
    when = None
    if as_of is not None:
        when = dt.datetime.combine(as_of, dt.time(23, 59, 59), tzinfo=rt.compiled.tz)
    when = when or reference_time(rt)
    units = len(rt.roster.units)
    listed = units <= max_units
    page = render_page(rt, intake, _log_by_unit(rt) if listed else {}, lang=lang, at=when,
                       source=source, listed=listed, max_units=max_units, diagrams=diagrams)
    return Report(html=page, units=units, listed=listed, intake=intake, as_of=when)


def report_from_store(url: str, *, lang: str = "zh", as_of: dt.date | None = None,
                      max_units: int = MAX_UNITS, diagrams: bool = True) -> Report:
    """A progress report of the campaign held by the event store at `url`.

    The store's own spec and roster are used, and its accepted events in commit order, judged
    as they are read (a streaming cursor: the report holds its runtime and that runtime's log,
    not a copy of the events besides). After a `store migrate`, the page covers the units the
    store's current version judges, each from its latest migration entry; their earlier events
    keep the verdicts the store gave them, and units still on an earlier version are left out
    and named (docs/report.md).

    Raises:
        StoreError: no store at `url`, or it cannot be opened.
        ReportError: as for `build_report`; or `as_of` is before an event of a unit of the
            page that an earlier version of the spec judged.
    """
    store_module = require("sfd_workflow.store._store", feature="a report from an event store",
                           extra="store")
    store = store_module.EventStore.open(url)
    try:
        moved = store.migrated()
        if not moved:  # never migrated: every event judged by the one version
            return build_report(store.spec, store.roster, store.events(), lang=lang,
                                as_of=as_of, source=store.url, max_units=max_units,
                                diagrams=diagrams)
        check_lang(lang)
        rt, intake = judge_store(store, moved, as_of=as_of)
        return _report(rt, intake, lang=lang, as_of=as_of, source=store.url,
                       max_units=max_units, diagrams=diagrams)
    finally:
        store.close()


def report_from_simulation(result: Any, *, lang: str = "zh", as_of: dt.date | None = None,
                           max_units: int = MAX_UNITS, diagrams: bool = True) -> Report:
    """A progress report of a simulated run (`sfd_workflow.sim.run(..., engine="exact")`).

    Raises:
        ReportError: the run kept no events (the fast engine) or no roster.
    """
    if result.events is None or result.roster is None:
        msg = ("a report needs the events of a simulated run: run it with engine='exact' "
               "(the fast engine keeps no events)")
        raise ReportError(msg)
    source = f"sim.run(engine={result.engine!r}, seed={result.seed})"
    return build_report(result.spec, result.roster, result.events, lang=lang, as_of=as_of,
                        source=source, max_units=max_units, diagrams=diagrams)
