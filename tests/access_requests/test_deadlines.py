"""The response deadline by the ICO's rule, with examples worked by hand and a property test over
thousands of random dates against an independent calculation (dateutil's calendar months and the
GOV.UK bank-holiday list)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.easter import easter
from dateutil.relativedelta import MO, relativedelta
from govuk_bank_holidays.bank_holidays import BankHolidays
from hypothesis import given, settings
from hypothesis import strategies as st

from access_requests.deadlines import add_calendar_months, due_date

BUNDLED = {
    h["date"]
    for h in BankHolidays(use_cached_holidays=True).get_holidays(
        division=BankHolidays.ENGLAND_AND_WALES
    )
}
BUNDLED_YEARS = {d.year for d in BUNDLED}


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 3), date(2026, 2, 3)),  # same date next month (a Tuesday)
        (date(2026, 1, 31), date(2026, 3, 2)),  # 28 Feb 2026 is a Saturday: Monday 2 March
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year: the last day of February
        (date(2026, 3, 31), date(2026, 4, 30)),  # 31 April does not exist
        (date(2026, 11, 25), date(2026, 12, 29)),  # Christmas Friday, Boxing Day moved to Monday
        (date(2026, 4, 3), date(2026, 5, 5)),  # 3 May a Sunday, 4 May the early May bank holiday
        (date(2026, 12, 1), date(2027, 1, 4)),  # 1 Jan 2027 a Friday (holiday), then a weekend
    ],
)
def test_due_date_examples(received, due):
    assert due_date(received) == due


def test_extension_is_three_calendar_months_by_the_same_rules():
    # 3 April 2026 is Good Friday and 6 April Easter Monday.
    assert due_date(date(2026, 1, 3), extended=True) == date(2026, 4, 7)
    assert due_date(date(2025, 11, 30), extended=True) == date(2026, 3, 2)


def test_days_paused_are_added_before_the_working_day_rule():
    # 3 Feb 2026 (Tue) + 4 days paused = Sat 7 Feb -> Mon 9 Feb.
    assert due_date(date(2026, 1, 3), days_paused=4) == date(2026, 2, 9)
    assert due_date(date(2026, 1, 3), extended=True, days_paused=2) == date(2026, 4, 7)


def test_years_beyond_the_bundled_data_use_the_standard_holidays():
    # 2040: Christmas Tuesday, Boxing Day Wednesday; 25 Nov + 1 month = 25 Dec -> 27 Dec.
    assert due_date(date(2040, 11, 25)) == date(2040, 12, 27)


# --- an independent oracle --------------------------------------------------------------------
# Written apart from consent.working_days: dateutil's Easter and calendar months, GOV.UK's list
# for the years it covers, and beyond them the standard holidays computed here, each fixed-date
# holiday that falls on a weekend (or on another holiday) moved to the next weekday free.


def _oracle_holidays(year: int) -> set[date]:
    if year in BUNDLED_YEARS:
        return {d for d in BUNDLED if d.year == year}
    return _computed_holidays(year)


def _computed_holidays(year: int) -> set[date]:
    sunday = easter(year)
    days = {
        sunday - timedelta(days=2),
        sunday + timedelta(days=1),
        date(year, 5, 1) + relativedelta(weekday=MO(1)),
        date(year, 5, 31) + relativedelta(weekday=MO(-1)),
        date(year, 8, 31) + relativedelta(weekday=MO(-1)),
    }
    for fixed in (date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)):
        while fixed.weekday() >= 5 or fixed in days:
            fixed += timedelta(days=1)
        days.add(fixed)
    return days


def _oracle_due(received: date, months: int, paused: int) -> date:
    day = received + relativedelta(months=months) + timedelta(days=paused)
    while day.weekday() >= 5 or day in _oracle_holidays(day.year):
        day += timedelta(days=1)
    return day


# Years with one-off changes: the Diamond Jubilee (2012), VE Day's 75th (2020), the Platinum
# Jubilee and the late Queen's funeral (2022), the Coronation (2023).
ONE_OFF_YEARS = {2012, 2020, 2022, 2023}


def test_the_oracles_computed_holidays_match_gov_uk_in_every_standard_year_it_lists():
    years = sorted(BUNDLED_YEARS - ONE_OFF_YEARS)
    assert len(years) >= 10
    for year in years:
        assert _computed_holidays(year) == {d for d in BUNDLED if d.year == year}, year


# The CI profile (tests/conftest.py) runs this 10,000 times.
@settings(deadline=None, database=None)
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.booleans(),
    st.integers(min_value=0, max_value=60),
)
def test_due_date_property(received, extended, paused):
    months = 3 if extended else 1
    assert due_date(received, extended=extended, days_paused=paused) == _oracle_due(
        received, months, paused
    )
    # The corresponding date: same day of the month, or the month's last day.
    same = add_calendar_months(received, months)
    assert same == received + relativedelta(months=months)
    assert same.day == received.day or (same + timedelta(days=1)).day == 1
