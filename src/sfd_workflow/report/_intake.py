"""Judging a report's events into a `Runtime`: as of a date, keeping count of every line.

Every line of an event log goes through the core (`Runtime.judge_line`, docs/format.md §4):
nothing is dropped silently. A line that is not an event (malformed) and an event that was
rejected are both counted and listed in the page; an event after the as-of date is left
out and counted. A report of a migrated store (`_stored.py`) counts the events an earlier
version of the spec judged too, without judging them again.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from sfd_workflow._compile import compile_workflow
from sfd_workflow._engine import Runtime
from sfd_workflow._eventlog import parse_at
from sfd_workflow._spec._model import Roster, Spec
from sfd_workflow.errors import ReportError

__all__ = ["LISTED", "BadLine", "Intake", "Tally", "campaign_start", "cutoff", "judge"]

LISTED = 200  # bad lines listed in the page (all are counted)


@attrs.frozen(kw_only=True)
class BadLine:
    """A line of the log that changed nothing: where, why, and its start."""

    line: int
    reason: str
    text: str


@attrs.frozen(kw_only=True)
class Intake:
    """What became of the events given to a report."""

    total: int = 0
    accepted: int = 0
    rejected: Mapping[str, int] = attrs.field(factory=dict)
    after_as_of: int = 0
    #: accepted events outside a phase window (or period) that asks for a flag (R6: flagged,
    #: never refused)
    outside_window: int = 0
    bad: tuple[BadLine, ...] = ()
    #: events of a store judged by an earlier version of its spec: a unit's events before
    #: its move to the page's version (`store migrate`), and every event of a unit left out;
    #: kept as the store judged them, never judged again (docs/report.md)
    earlier_version: int = 0
    #: units left out of the page because an earlier version of the spec still judges them
    #: (a store some trees of which moved), in roster order
    left_out: tuple[str, ...] = ()

    @property
    def bad_count(self) -> int:
        """Lines that were malformed or rejected."""
        return sum(self.rejected.values())


def campaign_start(spec: Spec) -> dt.date | None:
    """The first planned day: the period's start, else the earliest phase window's."""
    if spec.period is not None:
        return spec.period.start
    starts = [p.window.start for p in spec.phases if p.window is not None]
    return min(starts) if starts else None


def cutoff(spec: Spec, as_of: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant after `as_of` in the spec's timezone.

    Raises:
        ReportError: `as_of` is before the campaign's first planned day.
    """
    start = campaign_start(spec)
    if start is not None and as_of < start:
        msg = (f"--as-of {as_of.isoformat()} is before the campaign starts "
               f"({start.isoformat()}): there is nothing to report yet")
        raise ReportError(msg)
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def _after(item: str | Mapping[str, Any], end: dt.datetime | None, tz: dt.tzinfo) -> bool:
    if end is None:
        return False
    if isinstance(item, str):
        try:
            item = json.loads(item)
        except ValueError:
            return False
        if not isinstance(item, dict):
            return False
    at = parse_at(item.get("at"), tz)
    return isinstance(at, dt.datetime) and at >= end  # else malformed: judged, not cut


def _excerpt(item: str | Mapping[str, Any]) -> str:
    text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, default=str)
    return text if len(text) <= 160 else text[:157] + "…"


class Tally:
    """Judges items one by one into a runtime that keeps its log, and counts what became of
    each (`judge`, and a report from a store whose units moved to another version).

    Args:
        rt: the runtime (``keep_log=True``).
        end: leave out items at or after this instant (None: none).
    """

    def __init__(self, rt: Any, end: dt.datetime | None) -> None:
        self.rt = rt
        self.end = end
        self.total = self.accepted = self.after = self.outside = self.earlier = 0
        self.rejected: Counter[str] = Counter()
        self.bad: list[BadLine] = []

    def take(self, item: str | Mapping[str, Any]) -> None:
        """Judge the next line (text) or event mapping, unless it is after the end."""
        self.total += 1
        rt = self.rt
        if _after(item, self.end, rt.compiled.tz):
            self.after += 1
            return
        verdict = rt.judge_line(item)[1] if isinstance(item, str) else rt.submit(item)
        if verdict.accepted:
            self.accepted += 1
            self.outside += verdict.outside_window
            return
        reason = str(verdict.reason)
        self.rejected[reason] += 1
        if len(self.bad) < LISTED:
            self.bad.append(BadLine(line=self.total, reason=reason, text=_excerpt(item)))

    def count_earlier(self) -> None:
        """Count the next event as judged by an earlier version of the spec (not judged)."""
        self.total += 1
        self.earlier += 1

    def intake(self, left_out: tuple[str, ...] = ()) -> Intake:
        """What became of the items so far."""
        return Intake(total=self.total, accepted=self.accepted, rejected=dict(self.rejected),
                      after_as_of=self.after, outside_window=self.outside, bad=tuple(self.bad),
                      earlier_version=self.earlier, left_out=left_out)


def judge(spec: Spec, roster: Roster, items: Iterable[str | Mapping[str, Any]], *,
          as_of: dt.date | None = None) -> tuple[Any, Intake]:
    """A `Runtime` (keeping its log) that judged every item before the end of `as_of`.

    Args:
        items: event-log lines (text) or event mappings, in log order.
        as_of: leave out events at or after the day after it (spec timezone).

    Raises:
        ReportError: `as_of` is before the campaign.
    """
    rt = Runtime(compile_workflow(spec), roster, keep_log=True)
    tally = Tally(rt, cutoff(spec, as_of, rt.compiled.tz) if as_of is not None else None)
    for item in items:
        tally.take(item)
    return rt, tally.intake()
