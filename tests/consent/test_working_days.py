"""One working day in England and Wales: weekends and bank holidays skipped."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone

from consent.working_days import (
    easter_sunday,
    is_working_day,
    next_working_day,
    one_working_day_after,
    standard_holidays,
)


def _london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour, minute))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 23), date(2026, 11, 24)),  # Monday -> Tuesday
        (date(2026, 11, 20), date(2026, 11, 23)),  # Friday -> Monday
        (date(2026, 11, 21), date(2026, 11, 23)),  # Saturday -> Monday
        (date(2026, 12, 24), date(2026, 12, 29)),  # Christmas Friday, Boxing Day substitute Monday
        (date(2027, 3, 25), date(2027, 3, 30)),  # Good Friday and Easter Monday 2027
        (date(2026, 5, 22), date(2026, 5, 26)),  # spring bank holiday Monday
    ],
)
def test_next_working_day_skips_weekends_and_bank_holidays(day, expected):
    assert next_working_day(day) == expected


def test_one_working_day_after_keeps_the_local_time_across_a_clock_change():
    # The clocks go back on Sunday 25 October 2026.
    shared = _london(2026, 10, 23, 15, 30)
    assert timezone.localtime(one_working_day_after(shared)) == _london(2026, 10, 26, 15, 30)


def test_years_beyond_the_bundled_list_use_the_standard_holidays():
    assert easter_sunday(2030) == date(2030, 4, 21)
    holidays = standard_holidays(2030)
    assert {date(2030, 4, 19), date(2030, 4, 22), date(2030, 5, 6), date(2030, 5, 27)} <= holidays
    assert {date(2030, 8, 26), date(2030, 12, 25), date(2030, 12, 26), date(2030, 1, 1)} <= holidays
    assert not is_working_day(date(2030, 4, 22))
    # 2033: Christmas on a Sunday, so Boxing Day Monday and a substitute Tuesday.
    assert {date(2033, 12, 26), date(2033, 12, 27)} <= standard_holidays(2033)


def test_standard_holidays_agree_with_the_bundled_list_in_an_ordinary_year():
    from consent.working_days import _bundled

    dates, _ = _bundled()
    assert {d for d in dates if d.year == 2027} == standard_holidays(2027)
