"""The working-day calendar: China's 2009 holidays and make-up days (调休), and its limits."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sfd_workflow.sim import CalendarError, WorkCalendar, chinese_calendar_years


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    """The Chinese calendar of 2009."""
    return WorkCalendar.build("cn", [2009])


@pytest.mark.parametrize("day", [
    "2009-01-01", "2009-01-02", "2009-01-03",          # New Year
    "2009-01-25", "2009-01-26", "2009-01-30", "2009-01-31",  # Spring Festival
    "2009-04-04", "2009-04-06",                        # Qingming (Monday 6 April off)
    "2009-05-01", "2009-05-02", "2009-05-03",          # Labour Day
    "2009-05-28", "2009-05-29", "2009-05-30",          # Dragon Boat
    "2009-10-01", "2009-10-05", "2009-10-08",          # National Day, Mid-Autumn
])
def test_2009_public_holidays_are_not_working_days(cal: WorkCalendar, day: str) -> None:
    """Every day of the State Council's 2009 holiday schedule is a day off."""
    assert not cal.is_workday(dt.date.fromisoformat(day))


@pytest.mark.parametrize("day", [
    "2009-01-04",  # Sunday worked for New Year
    "2009-01-24",  # Saturday worked for Spring Festival
    "2009-02-01",  # Sunday worked for Spring Festival
    "2009-05-31",  # Sunday worked for Dragon Boat
    "2009-09-27",  # Sunday worked for National Day
    "2009-10-10",  # Saturday worked for National Day
])
def test_2009_make_up_weekends_are_working_days(cal: WorkCalendar, day: str) -> None:
    """The weekend days moved to work (调休) are working days, which numpy cannot express."""
    d = dt.date.fromisoformat(day)
    assert d.weekday() >= 5
    assert cal.is_workday(d)


def test_ordinary_days_follow_the_week(cal: WorkCalendar) -> None:
    """Outside the holidays, Monday to Friday work and weekends rest."""
    assert cal.is_workday(dt.date(2009, 3, 9))      # Monday
    assert not cal.is_workday(dt.date(2009, 3, 14))  # Saturday


def test_2009_has_the_official_number_of_working_days(cal: WorkCalendar) -> None:
    """2009: 261 weekdays, minus 17 weekday holidays (2 New Year, 5 Spring Festival,
    1 Qingming, 1 Labour Day, 2 Dragon Boat, 6 National Day), plus 6 make-up days = 250."""
    assert len(cal.workdays) == 250


def test_adding_working_days_skips_the_dragon_boat_break(cal: WorkCalendar) -> None:
    """One working day after Wednesday 27 May 2009 is Sunday 31 May (a make-up day)."""
    d = cal.day(dt.date(2009, 5, 27))
    assert cal.date(int(cal.add(d, 1))) == dt.date(2009, 5, 31)
    assert cal.date(int(cal.next_after(d))) == dt.date(2009, 5, 31)
    assert cal.date(int(cal.on_or_after(cal.day(dt.date(2009, 5, 28))))) == dt.date(2009, 5, 31)


def test_adding_is_vectorised(cal: WorkCalendar) -> None:
    """Arrays of days and counts are added element by element."""
    days = np.array([cal.day(dt.date(2009, 9, 30)), cal.day(dt.date(2009, 3, 13))])
    out = cal.add(days, np.array([1, 1]))
    assert [cal.date(int(x)) for x in out] == [dt.date(2009, 10, 9), dt.date(2009, 3, 16)]


def test_working_days_between_counts_the_half_open_interval(cal: WorkCalendar) -> None:
    """Working days in (a, b]: the National Day week counts only its make-up Saturday."""
    a = cal.day(dt.date(2009, 9, 30))
    b = cal.day(dt.date(2009, 10, 10))
    assert int(cal.working_days_between(a, b)) == 2  # 9 October and Saturday 10 October


def test_a_year_the_package_does_not_know_is_a_clear_error() -> None:
    """No silent fallback to weekdays outside the package's data (NOTES.md, Calendars)."""
    known = chinese_calendar_years()
    with pytest.raises(CalendarError, match=f"no data for {known.stop}"):
        WorkCalendar.build("cn", [known.stop])
    with pytest.raises(CalendarError, match="no data for 2003"):
        WorkCalendar.build("cn", [2003])


def test_running_past_the_calendar_is_a_clear_error(cal: WorkCalendar) -> None:
    """Adding beyond the last known day names the end of the calendar."""
    with pytest.raises(CalendarError, match="2009-12-31"):
        cal.add(cal.day(dt.date(2009, 12, 1)), 100)


def test_weekday_calendar_must_be_asked_for_explicitly() -> None:
    """The Mon-Fri calendar exists for other countries, chosen by name."""
    wk = WorkCalendar.build("weekdays", [2009])
    assert wk.is_workday(dt.date(2009, 10, 1))
    assert not wk.is_workday(dt.date(2009, 10, 10))
    with pytest.raises(CalendarError, match="unknown calendar"):
        WorkCalendar.build("moon", [2009])  # type: ignore[arg-type]
