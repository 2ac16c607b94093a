"""records.dates writes dates exactly as the templates' formats would, without their cost."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.formats import date_format

from core.dates import long_date, long_datetime, short_date


def test_each_matches_the_format_it_stands_for_over_a_year_of_times():
    moment = datetime(2025, 1, 1, 0, 0)
    while moment.year == 2025:
        assert long_date(moment) == date_format(moment, "j F Y")
        assert short_date(moment) == date_format(moment, "j M Y")
        assert long_datetime(moment) == date_format(moment, "DATETIME_FORMAT")
        moment += timedelta(hours=7, minutes=13)


def test_the_date_and_time_is_british():
    assert long_datetime(datetime(2026, 3, 4, 9, 5)) == "4 March 2026, 09:05"


def test_the_filter_writes_local_time_as_the_date_filter_does():
    from datetime import UTC

    from django.template import engines

    template = engines["django"].from_string(
        '{% load confide_dates %}{{ when|long_datetime }}|{{ when|date:"DATETIME_FORMAT" }}'
    )
    # Summer time in London: 13:30 UTC is 14:30 on the page.
    for when in (
        datetime(2026, 7, 1, 13, 30, tzinfo=UTC),
        datetime(2026, 1, 1, 23, 59, tzinfo=UTC),
    ):
        ours, django_s = template.render({"when": when}).split("|")
        assert ours == django_s
    assert template.render({"when": datetime(2026, 7, 1, 13, 30, tzinfo=UTC)}).startswith(
        "1 July 2026, 14:30"
    )
    empty = engines["django"].from_string("{% load confide_dates %}[{{ when|long_datetime }}]")
    assert [empty.render({"when": v}) for v in (None, "")] == ["[]", "[]"]
    assert empty.render({}) == "[]"
    # Naive times as they are, and {% localtime off %} respected, as the date filter does.
    assert empty.render({"when": datetime(2026, 7, 1, 13, 30)}) == "[1 July 2026, 13:30]"
    off = engines["django"].from_string(
        "{% load confide_dates tz %}{% localtime off %}{{ when|long_datetime }}{% endlocaltime %}"
    )
    assert off.render({"when": datetime(2026, 7, 1, 13, 30, tzinfo=UTC)}) == "1 July 2026, 13:30"
