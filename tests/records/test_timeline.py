"""A child's chronology at a glance: the strip is placed by month and category in the setting's
time zone, and shows on the child page only the entries the viewer may read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from django.urls import reverse
from django.utils import timezone

from records.models import Category, Level, RecordEntry
from records.timeline import build_timeline

from ..factories import make_entry


def london(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def entry(when: datetime, category: str = Category.GENERAL, level: int = Level.GENERAL):
    # Unsaved: the strip never reads the database.
    return RecordEntry(pk=uuid4(), category=category, level=level, occurred_at=when)


NOW = london(2026, 3, 10)


def marks(timeline) -> dict[tuple[str, date], list[RecordEntry]]:
    return {
        (lane.category, cell.month.first_day): cell.marks
        for lane in timeline.lanes
        for cell in lane.cells
        if cell.marks
    }


# --- the computation --------------------------------------------------------------------------


def test_twelve_months_ending_with_the_current_month():
    timeline = build_timeline([entry(london(2026, 1, 5))], now=NOW)
    firsts = [date(2025, m, 1) for m in range(4, 13)] + [date(2026, m, 1) for m in (1, 2, 3)]
    assert [m.first_day for m in timeline.months] == firsts
    # The year is shown on the first column and on every January.
    assert [m.first_day for m in timeline.months if m.shows_year] == [
        date(2025, 4, 1),
        date(2026, 1, 1),
    ]


def test_each_entry_is_a_mark_in_its_month_and_category_row():
    first = entry(london(2025, 11, 3), Category.ACCIDENT)
    second = entry(london(2025, 11, 20), Category.ACCIDENT)
    concern = entry(london(2026, 2, 14), Category.CONCERN, Level.SENSITIVE)
    cp = entry(london(2026, 3, 1), Category.CHILD_PROTECTION, Level.CHILD_PROTECTION)
    # The chronology's order (newest first) does not matter.
    timeline = build_timeline([cp, concern, second, first], now=NOW)
    assert marks(timeline) == {
        (Category.ACCIDENT, date(2025, 11, 1)): [first, second],
        (Category.CONCERN, date(2026, 2, 1)): [concern],
        (Category.CHILD_PROTECTION, date(2026, 3, 1)): [cp],
    }
    # Only categories with entries get a row, in the form's order, each with all twelve months.
    assert [lane.category for lane in timeline.lanes] == [
        Category.ACCIDENT,
        Category.CONCERN,
        Category.CHILD_PROTECTION,
    ]
    assert [lane.label for lane in timeline.lanes] == [
        "Accident or injury",
        "Concern",
        "Child protection",
    ]
    assert all(len(lane.cells) == 12 for lane in timeline.lanes)
    assert timeline.shown == 4
    assert [(c.label, c.count) for c in timeline.levels] == [
        ("General", 2),
        ("Sensitive", 1),
        ("Child protection", 1),
    ]


def test_months_are_the_settings_months_not_utc():
    # 23:30 on 31 March in London (British Summer Time) is 22:30 UTC; 00:30 on 1 November in
    # London (GMT) is 00:30 UTC. Neither moves month.
    march = entry(london(2025, 3, 31, 23, 30))
    november = entry(london(2025, 11, 1, 0, 30))
    timeline = build_timeline([march, november], now=london(2026, 2, 1))
    assert marks(timeline) == {
        (Category.GENERAL, date(2025, 3, 1)): [march],
        (Category.GENERAL, date(2025, 11, 1)): [november],
    }
    # The first moment of April in London is still March in UTC.
    april = entry(london(2025, 4, 1, 0, 30))
    assert timezone.localtime(april.occurred_at, UTC).month == 3
    timeline = build_timeline([april], now=london(2026, 2, 1))
    assert list(marks(timeline)) == [(Category.GENERAL, date(2025, 4, 1))]


def test_entries_before_the_window_are_counted_not_drawn():
    old = entry(london(2024, 9, 1))
    recent = entry(london(2026, 3, 2))
    timeline = build_timeline([recent, old], now=NOW)
    assert timeline.earlier == 1
    assert timeline.shown == 1
    assert list(marks(timeline).values()) == [[recent]]


def test_a_leavers_strip_ends_with_their_latest_entry():
    last = entry(london(2024, 7, 18))
    before = entry(london(2023, 10, 2))
    timeline = build_timeline([last, before], now=NOW)
    assert timeline.last_month == date(2024, 7, 1)
    assert timeline.first_month == date(2023, 8, 1)
    assert timeline.shown == 2 and timeline.earlier == 0


def test_an_entry_dated_after_now_still_shows():
    ahead = entry(london(2026, 4, 2))
    timeline = build_timeline([ahead, entry(london(2026, 3, 1))], now=NOW)
    assert timeline.last_month == date(2026, 4, 1)
    assert timeline.shown == 2


def test_a_crowded_month_keeps_the_highest_levels_and_counts_the_rest():
    general = [entry(london(2026, 2, day)) for day in range(1, 11)]
    raised = entry(london(2026, 2, 1, 9), Category.GENERAL, Level.CHILD_PROTECTION)
    timeline = build_timeline([*general, raised], now=NOW, marks_per_cell=4)
    cell = next(c for c in timeline.lanes[0].cells if c.total)
    assert cell.total == 11
    assert cell.more == 7
    assert raised in cell.marks
    # Drawn in time order, left to right: the raised entry (1 February) first, then the latest.
    assert cell.marks == [raised, general[7], general[8], general[9]]


def test_a_rows_cells_are_the_months_with_the_crowded_one_counted():
    general = [entry(london(2026, 2, day)) for day in range(1, 11)]
    timeline = build_timeline(general, now=NOW, marks_per_cell=4)
    html = str(timeline.lanes[0].cells_html)
    assert html.count("<td>") == html.count("</td>") == 12  # one a month
    assert html.count('class="timeline-mark"') == 4
    assert (
        '<a class="timeline-more" href="#chronology">+6<span class="visually-hidden"> more in '
        "February 2026, in the list below</span></a></td>"
    ) in html


def test_no_entries_is_empty():
    timeline = build_timeline([], now=NOW)
    assert timeline.is_empty
    assert timeline.lanes == [] and timeline.levels == []
    assert len(timeline.months) == 12


# --- on the child page ------------------------------------------------------------------------


@pytest.fixture
def three_levels(people):
    child = people.child
    return {
        "general": make_entry(child, people.keyperson1, text="Painted a rainbow."),
        "sensitive": make_entry(
            child, people.keyperson1, category=Category.CONCERN, text="Quiet at drop-off."
        ),
        "cp": make_entry(
            child, people.lead, category=Category.CHILD_PROTECTION, text="Referral made."
        ),
    }


def strip(html: str) -> str:
    start = html.index('<figure class="timeline">')
    return html[start : html.index("</figure>", start)]


def entry_link(e: RecordEntry) -> str:
    return f'href="{reverse("records:entry_detail", args=[e.pk])}"'


@pytest.mark.parametrize(
    "who, sees",
    [
        ("lead", {"general", "sensitive", "cp"}),
        ("deputy", {"general", "sensitive", "cp"}),
        ("keyperson1", {"general", "sensitive"}),  # key person: not child protection
        ("practitioner", {"general"}),  # same room, not key person: general only
    ],
)
def test_the_strip_has_marks_only_for_entries_the_viewer_may_read(
    people, client_for, three_levels, who, sees
):
    html = (
        client_for(who)
        .get(reverse("records:child_detail", args=[people.child.pk]))
        .content.decode()
    )
    on_strip = strip(html)
    for name, e in three_levels.items():
        assert (entry_link(e) in on_strip) == (name in sees), name
        assert (entry_link(e) in html) == (name in sees), name
    # Nor counted: the caption's total and its levels are of what the viewer reads.
    assert f"{len(sees)} entr{'y' if len(sees) == 1 else 'ies'} (" in on_strip
    assert ("Child protection" in on_strip) == ("cp" in sees)
    assert ("sensitive" in on_strip) == ("sensitive" in sees)


def test_an_uninvolved_practitioner_cannot_see_the_child_page_at_all(
    people, client_for, three_levels
):
    response = client_for("keyperson2").get(reverse("records:child_detail", args=[people.child.pk]))
    assert response.status_code == 404


def test_each_mark_is_named_by_category_level_and_date(people, client_for, three_levels):
    concern = three_levels["sensitive"]
    html = (
        client_for("lead")
        .get(reverse("records:child_detail", args=[people.child.pk]))
        .content.decode()
    )
    when = timezone.localtime(concern.occurred_at)
    assert f"Concern, sensitive, {when.day} {when:%B %Y}</span>" in strip(html)
    assert '<caption class="visually-hidden">' in strip(html)
    assert "Key to the marks" in html


def test_a_child_with_no_readable_entries_gets_a_friendly_empty_state(people, client_for):
    make_entry(people.child, people.lead, category=Category.CHILD_PROTECTION)
    html = client_for("practitioner").get(reverse("records:child_detail", args=[people.child.pk]))
    text = html.content.decode()
    assert "Nothing has been recorded for" in text
    assert '<figure class="timeline">' not in text
    assert "Child protection" not in text


def test_the_office_sees_no_strip(people, client_for, three_levels):
    html = client_for("office").get(reverse("records:child_detail", args=[people.child.pk])).content
    assert b"timeline" not in html
    assert b"Nothing has been recorded" not in html
