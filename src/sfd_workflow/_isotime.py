"""Reading an event's ``at``: an ISO 8601 date-time with a time part (docs/format.md §3).

Accepted, in the extended or the basic format (date and time in the same format):

* the date as a calendar date (``2009-05-01`` / ``20090501``), a week date (``2009-W18-5`` /
  ``2009W185``) or an ordinal date (``2009-121`` / ``2009121``);
* then ``T`` (or ``t``, or a space, as RFC 3339 allows);
* then the time: ``hh``, ``hh:mm`` or ``hh:mm:ss`` (basic: ``hh``, ``hhmm``, ``hhmmss``), the
  last one with an optional decimal fraction after ``.`` or ``,`` (``10.5`` is 10:30);
  ``24:00`` is the end of the day (00:00 of the next one);
* then an optional offset: ``Z`` or ``±hh``, ``±hhmm``, ``±hh:mm``. Without one, the time is
  read in the spec's timezone.

Refused (malformed): a date alone, any other separator, mixed basic and extended date and
time, a second 60 (Python cannot hold a leap second), values out of range, digits other than
ASCII ones. This is a parser of our own rather than `datetime.fromisoformat`, which in
Python 3.11 also reads a date alone, any character as separator, and ``10.5`` as 10:00:00.5.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["BadTime", "parse_iso_datetime"]

_DATE_EXT = r"(?P<y>\d{4})-(?:(?P<m>\d{2})-(?P<d>\d{2})|W(?P<w>\d{2})-(?P<wd>\d)|(?P<o>\d{3}))"
_DATE_BAS = r"(?P<y>\d{4})(?:(?P<m>\d{2})(?P<d>\d{2})|W(?P<w>\d{2})(?P<wd>\d)|(?P<o>\d{3}))"
_FRAC = r"(?:[.,](?P<f>\d{1,15}))?"
_TIME_EXT = r"(?P<hh>\d{2})(?::(?P<mm>\d{2})(?::(?P<ss>\d{2}))?)?" + _FRAC
_TIME_BAS = r"(?P<hh>\d{2})(?:(?P<mm>\d{2})(?P<ss>\d{2})?)?" + _FRAC
_OFFSET = r"(?P<z>[Zz]|(?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)?"
_EXTENDED = re.compile(_DATE_EXT + r"[Tt ]" + _TIME_EXT + _OFFSET, re.ASCII)
_BASIC = re.compile(_DATE_BAS + r"[Tt ]" + _TIME_BAS + _OFFSET, re.ASCII)
_AFTER_MINUTES = frozenset(":+-Zz")
_fromisoformat = dt.datetime.fromisoformat
_DATE_ONLY = re.compile(r"\d{4}-?(?:\d{2}-?\d{2}|W\d{2}-?\d|\d{3})", re.ASCII)


class BadTime(ValueError):
    """Why a text is not an ISO 8601 date-time; `args` is (English, Chinese)."""


def _date(m: re.Match[str]) -> dt.date:
    year = int(m["y"])
    if m["m"] is not None:
        return dt.date(year, int(m["m"]), int(m["d"]))
    if m["w"] is not None:
        return dt.date.fromisocalendar(year, int(m["w"]), int(m["wd"]))
    day = int(m["o"])
    if not 1 <= day <= (366 if dt.date(year, 12, 31).timetuple().tm_yday == 366 else 365):
        msg = f"day of the year {day} does not exist in {year}"
        raise ValueError(msg)
    return dt.date(year, 1, 1) + dt.timedelta(days=day - 1)


def _offset(m: re.Match[str]) -> dt.tzinfo | None:
    if m["z"] is None:
        return None
    if m["sign"] is None:
        return dt.UTC
    hours, minutes = int(m["oh"]), int(m["om"] or 0)
    if hours > 23 or minutes > 59:
        msg = f"offset {m['z']} is out of range"
        raise ValueError(msg)
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if m["sign"] == "-" else delta)


def _time_of_day(m: re.Match[str]) -> tuple[dt.timedelta, bool]:
    """The time as a span from midnight, and whether it is ``24:00`` (the day's end)."""
    hh, mm, ss, frac = m["hh"], m["mm"], m["ss"], m["f"]
    h, mi, s = int(hh), int(mm or 0), int(ss or 0)
    if mi > 59 or s > 59:
        what = "second" if s > 59 else "minute"
        msg = f"{what} {s if s > 59 else mi} is out of range"
        raise ValueError(msg)
    fraction = int(frac) / 10 ** len(frac) if frac else 0.0
    if h == 24:
        if mi or s or fraction:
            msg = "only 24:00 may have hour 24"
            raise ValueError(msg)
        return dt.timedelta(0), True
    if h > 23:
        msg = f"hour {h} is out of range"
        raise ValueError(msg)
    # the fraction belongs to the last component written (ISO 8601: hh.h, hh:mm.m, hh:mm:ss.s)
    unit = 1.0 if ss is not None else 60.0 if mm is not None else 3600.0
    span = dt.timedelta(hours=h, minutes=mi, seconds=s)
    if fraction:
        span += dt.timedelta(microseconds=round(fraction * unit * 1_000_000))
    return span, False


def parse_iso_datetime(text: str, tz: dt.tzinfo) -> dt.datetime:
    """`text` as an aware date-time; a text without an offset is read in `tz`.

    Raises:
        BadTime: `text` is not an ISO 8601 date-time with a time part (English, Chinese).
    """
    # The usual spellings go to the C parser (the hot path of every event): an extended date,
    # ``T``, ``hh:mm``, then seconds, ``Z`` or nothing, or ``hh:mm:ss±hh:mm``. With these
    # separators in place, what `fromisoformat` accepts is ISO 8601; any other offset (where
    # it would also take seconds, ``+08:00:30``) goes to the full reading below.
    n = len(text)
    if (n >= 16 and text[13] == ":" and text[4] == "-" and text[10] in "Tt "
            and (n == 16 or text[16] in _AFTER_MINUTES)):
        try:
            at = _fromisoformat(text)
        except ValueError:
            pass
        else:
            if at.tzinfo is None:
                return at.replace(tzinfo=tz)
            if (n == 25 and text[19] in "+-") or text[-1] in "Zz":
                return at
    m = _EXTENDED.fullmatch(text) or _BASIC.fullmatch(text)
    if m is None:
        if _DATE_ONLY.fullmatch(text):
            raise BadTime("a date without a time", "只有日期，没有时间")
        raise BadTime("not an ISO 8601 date-time", "不是 ISO 8601 日期时间")
    try:
        day = _date(m)
        span, end_of_day = _time_of_day(m)
        tzinfo = _offset(m)
        at = dt.datetime(day.year, day.month, day.day, tzinfo=tzinfo) + span
        if end_of_day:
            at += dt.timedelta(days=1)
    except (ValueError, OverflowError) as exc:
        raise BadTime(f"not a valid date-time ({exc})", f"日期时间无效（{exc}）") from None
    if tzinfo is None:
        # read in the spec's timezone: wall time there (fold 0 on a repeated hour)
        at = at.replace(tzinfo=tz)
    return at
