"""records.dates writes dates exactly as the templates' formats would, without their cost."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.formats import date_format

from records.dates import long_date, long_datetime, short_date


def test_each_matches_the_format_it_stands_for_over_a_year_of_times():
    moment = datetime(2025, 1, 1, 0, 0)
    while moment.year == 2025:
        assert long_date(moment) == date_format(moment, "j F Y")
        assert short_date(moment) == date_format(moment, "j M Y")
        assert long_datetime(moment) == date_format(moment, "DATETIME_FORMAT")
        moment += timedelta(hours=7, minutes=13)


def test_the_date_and_time_is_british():
    assert long_datetime(datetime(2026, 3, 4, 9, 5)) == "4 March 2026, 09:05"
