"""Working-day calendars: China's official one (holidays and 调休 make-up days) or Mon–Fri.

Durations in a simulation model are counted in *working days*. China moves working days
around public holidays: in 2009, Sunday 4 January, Saturday 24 January, Sunday 1 February,
Sunday 31 May, Sunday 27 September and Saturday 10 October were working days, while
1–3 January, 25–31 January, 4–6 April, 1–3 May, 28–30 May and 1–8 October were not.
numpy's business days cannot add a working Saturday, so the calendar is an explicit sorted
array of working days, and adding working days is an index lookup on it (vectorised).

The Chinese calendar comes from the ``chinesecalendar`` package, which publishes the State
Council's schedule for the years it knows; a date outside those years raises
`CalendarError` instead of silently falling back to weekdays (ignoring make-up working
days moves about a third of random due dates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

import attrs
import numpy as np
import numpy.typing as npt

from sfd_workflow._extras import require
from sfd_workflow.sim._errors import CalendarError

__all__ = ["CalendarKind", "WorkCalendar", "chinese_calendar_years"]

CalendarKind = Literal["cn", "weekdays"]
_EPOCH = dt.date(1970, 1, 1)


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _date(n: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(n))


def chinese_calendar_years() -> range:
    """The years the installed ``chinesecalendar`` package has official data for."""
    cc = require("chinese_calendar", feature="the Chinese working calendar", extra="sim",
                 package="chinesecalendar")
    known = [*cc.holidays, *cc.workdays]
    return range(min(known).year, max(known).year + 1)


def _cn_workdays(years: range) -> list[int]:
    cc = require("chinese_calendar", feature="the Chinese working calendar", extra="sim",
                 package="chinesecalendar")
    covered = chinese_calendar_years()
    missing = [y for y in years if y not in covered]
    if missing:
        msg = (
            f"the Chinese working calendar has no data for {missing[0]} "
            f"(chinesecalendar knows {covered.start}-{covered.stop - 1}); "
            f"upgrade chinesecalendar or use calendar: weekdays explicitly"
        )
        raise CalendarError(msg)
    out = []
    d = dt.date(years.start, 1, 1)
    end = dt.date(years.stop, 1, 1)
    one = dt.timedelta(days=1)
    while d < end:
        if cc.is_workday(d):
            out.append(_day(d))
        d += one
    return out


def _weekday_workdays(years: range) -> list[int]:
    d = dt.date(years.start, 1, 1)
    end = dt.date(years.stop, 1, 1)
    return [_day(d + dt.timedelta(days=i)) for i in range((end - d).days)
            if (d + dt.timedelta(days=i)).weekday() < 5]


@attrs.frozen(kw_only=True, eq=False)
class WorkCalendar:
    """Working days of whole years ``years``, as a sorted array of day numbers.

    Day numbers are days since 1970-01-01 (numpy ``datetime64[D]`` as integers). Every
    method takes and returns arrays (or scalars) of day numbers and raises `CalendarError`
    when an answer would fall outside the calendar's years.
    """

    kind: CalendarKind
    years: range
    workdays: npt.NDArray[np.int64]
    #: for each calendar day from the first to two days after the last: the working days
    #: before it (a prefix sum), so that every lookup is one array access, not a search
    before: npt.NDArray[np.int64] = attrs.field(init=False, repr=False)

    @before.default
    def _before(self) -> npt.NDArray[np.int64]:
        days = np.arange(_day(self.first), _day(self.last) + 3, dtype=np.int64)
        return self.workdays.searchsorted(days, side="left").astype(np.int64)

    @classmethod
    def build(cls, kind: CalendarKind, years: Iterable[int]) -> WorkCalendar:
        """The calendar of `kind` (``"cn"`` or ``"weekdays"``) for the given years."""
        ys = sorted(set(years))
        span = range(ys[0], ys[-1] + 1)
        if kind == "cn":
            days = _cn_workdays(span)
        elif kind == "weekdays":
            days = _weekday_workdays(span)
        else:
            msg = f"unknown calendar {kind!r} (known: cn, weekdays)"
            raise CalendarError(msg)
        return cls(kind=kind, years=span, workdays=np.asarray(days, dtype=np.int64))

    @classmethod
    def for_campaign(cls, kind: CalendarKind, start: dt.date, last: dt.date) -> WorkCalendar:
        """A calendar from `start`'s year to the year after `last` (that year only if known).

        The extra year leaves room for units that finish late; a simulation that runs past
        it raises `CalendarError` naming the missing year.
        """
        years = list(range(start.year, last.year + 1))
        if (kind == "cn" and last.year + 1 in chinese_calendar_years()) or kind == "weekdays":
            years.append(last.year + 1)
        return cls.build(kind, years)

    # -- scalar helpers -------------------------------------------------------------
    @staticmethod
    def day(d: dt.date) -> int:
        """The day number of a date."""
        return _day(d)

    @staticmethod
    def date(n: int) -> dt.date:
        """The date of a day number."""
        return _date(n)

    def is_workday(self, d: dt.date) -> bool:
        """Whether `d` is a working day (raises `CalendarError` outside the years)."""
        n = self._check_inside(_day(d))
        i = int(self.workdays.searchsorted(n))
        return i < len(self.workdays) and int(self.workdays[i]) == n

    @property
    def first(self) -> dt.date:
        """The first day the calendar covers."""
        return dt.date(self.years.start, 1, 1)

    @property
    def last(self) -> dt.date:
        """The last day the calendar covers."""
        return dt.date(self.years.stop - 1, 12, 31)

    def _check_inside(self, n: int) -> int:
        if not _day(self.first) <= n <= _day(self.last):
            msg = self._outside_message(_date(n))
            raise CalendarError(msg)
        return n

    def _outside_message(self, d: dt.date) -> str:
        name = "Chinese working calendar" if self.kind == "cn" else "weekday calendar"
        hint = ""
        if self.kind == "cn" and d.year not in chinese_calendar_years():
            hint = f"; chinesecalendar has no data for {d.year}"
        return (f"{d.isoformat()} is outside the {name} of this simulation "
                f"({self.first.isoformat()} to {self.last.isoformat()}){hint}")

    # -- vectorised ---------------------------------------------------------------
    def _upto(self, days: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Working days on or before each day (0 before the calendar's first day)."""
        off = np.asarray(days, dtype=np.int64) - _day(self.first)
        if off.size and int(off.min()) < 0:
            return np.where(off < 0, 0, self.before[self._offsets(np.maximum(off, 0)
                                                                  + _day(self.first)) + 1])
        return self.before[self._offsets(days) + 1]

    def _offsets(self, days: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Positions of `days` in `before` (raises `CalendarError` outside the calendar)."""
        arr = np.asarray(days, dtype=np.int64)
        off = arr - _day(self.first)
        if off.size:
            lo, hi = int(off.min()), int(off.max())
            if lo < 0:
                raise CalendarError(self._outside_message(_date(lo + _day(self.first))))
            if hi >= len(self.before) - 1:
                d = self.last + dt.timedelta(days=1)
                msg = ("a simulated unit ran past the end of its calendar: "
                       + self._outside_message(d))
                raise CalendarError(msg)
        return off

    def index_on_or_after(self, days: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Index in `workdays` of the first working day on or after each day."""
        idx = self.before[self._offsets(days)]
        self._check_index(idx, None)
        return idx

    def at(self, idx: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The working days at indices `idx` (raises `CalendarError` past the end)."""
        i = np.asarray(idx, dtype=np.int64)
        self._check_index(i, None)
        return self.workdays[i]

    def on_or_after(self, days: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The first working day on or after each day."""
        return self.workdays[self.index_on_or_after(days)]

    def add(self, days: npt.ArrayLike, n: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """`n` working days after the first working day on or after each day.

        ``add(d, 0)`` is the first working day on or after `d`; ``add(d, 1)`` on a working
        day `d` is the next working day.
        """
        return self.at(self.before[self._offsets(days)] + np.asarray(n, dtype=np.int64))

    def next_after(self, days: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The first working day strictly after each day."""
        return self.at(self._upto(days))

    def working_days_between(self, a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Working days in ``(a, b]`` (0 when ``b <= a``)."""
        ia, ib = self._upto(a), self._upto(b)
        return np.maximum(ib - ia, 0)  # type: ignore[no-any-return]

    def _check_index(self, idx: npt.NDArray[np.int64], days: npt.NDArray[np.int64] | None) -> None:
        if idx.size == 0:
            return
        if int(idx.max()) >= len(self.workdays):
            d = self.last + dt.timedelta(days=1)
            msg = "a simulated unit ran past the end of its calendar: " + self._outside_message(d)
            raise CalendarError(msg)
        if days is not None and days.size and int(days.min()) < _day(self.first):
            raise CalendarError(self._outside_message(_date(int(days.min()))))
