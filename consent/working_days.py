"""Working days in England and Wales: weekends and bank holidays are not working days.

Bank holidays come from the `govuk-bank-holidays` package's bundled copy of the GOV.UK list (never
downloaded at run time: the server may have no way out, and a deadline must not depend on it).
For years the bundled list does not cover, the standard England-and-Wales holidays are computed
(New Year's Day, Good Friday, Easter Monday, the early May, spring and summer bank holidays,
Christmas Day and Boxing Day, with substitute days), as DESIGN.md asks.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache

from django.utils import timezone
from govuk_bank_holidays.bank_holidays import BankHolidays

DIVISION = BankHolidays.ENGLAND_AND_WALES


@cache
def _bundled() -> tuple[frozenset[date], frozenset[int]]:
    holidays = BankHolidays(use_cached_holidays=True).get_holidays(division=DIVISION)
    dates = frozenset(h["date"] for h in holidays)
    return dates, frozenset(d.year for d in dates)


def easter_sunday(year: int) -> date:
    """The Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(7 - d.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    d = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return d - timedelta(days=d.weekday())


@cache
def standard_holidays(year: int) -> frozenset[date]:
    """The usual England-and-Wales bank holidays of a year (one-off holidays cannot be known)."""
    easter = easter_sunday(year)
    days = {
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    new_year = date(year, 1, 1)
    days.add(new_year + timedelta(days={5: 2, 6: 1}.get(new_year.weekday(), 0)))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Monday and Tuesday
        days |= {date(year, 12, 27), date(year, 12, 28)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Monday, Christmas substitute Tuesday
        days |= {boxing, date(year, 12, 27)}
    elif christmas.weekday() == 4:  # Friday: Boxing Day on Saturday moves to Monday
        days |= {christmas, date(year, 12, 28)}
    else:
        days |= {christmas, boxing}
    return frozenset(days)


def is_bank_holiday(day: date) -> bool:
    dates, years = _bundled()
    if day.year in years:
        return day in dates
    return day in standard_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def next_working_day(day: date) -> date:
    """The first working day after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def one_working_day_after(moment: datetime) -> datetime:
    """The same local time on the next working day (Europe/London): shared on a Friday at 15:00,
    due by 15:00 on the Monday, or the Tuesday when the Monday is a bank holiday."""
    local = timezone.localtime(moment)
    due_day = next_working_day(local.date())
    naive = datetime.combine(due_day, time(local.hour, local.minute, local.second))
    return timezone.make_aware(naive)
