"""The response deadline of a subject-access request, by the ICO's rule.

- One calendar month from the day the clock starts (the day itself is day 1): 3 January gives
  3 February.
- Where the corresponding day does not exist, the last day of that month: 31 January gives 28 (or
  29) February.
- Where that day is a weekend or an England-and-Wales bank holiday, the next working day.
- An extension (complex or numerous requests) is up to two further months: the clock start plus
  three calendar months, by the same rules.
- Days the clock stood still while waiting for clarification are added before the working-day
  rule is applied.

Working days come from ``consent.working_days`` (govuk-bank-holidays' bundled data, computed
standard holidays beyond it), shared with the consent ledger's referral deadlines.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from consent.working_days import is_working_day

RESPONSE_MONTHS = 1
EXTENDED_MONTHS = 3


def add_calendar_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month where it does not exist."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def on_or_next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def due_date(clock_start: date, *, extended: bool = False, days_paused: int = 0) -> date:
    """The last day to respond."""
    months = EXTENDED_MONTHS if extended else RESPONSE_MONTHS
    return on_or_next_working_day(
        add_calendar_months(clock_start, months) + timedelta(days=days_paused)
    )
