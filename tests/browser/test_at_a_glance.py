"""Pictures where people would rather look than read: a child's year of entries as a strip on the
child page, and the Lead's summary with its chart on the dashboard. Both pass axe's WCAG 2.2 AA
checks at a desk and on a tablet, print, work by keyboard, and show nobody more than they may see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from access_requests.models import SubjectAccessRequest
from records.models import Category, Level

from ..access_requests.conftest import confirmed, record
from ..consent.factories import emergency, propose
from ..factories import make_child, make_entry
from .conftest import (
    check_page,
    doc_screenshot,
    screenshot,
    sign_in_browser,
    sign_out_browser,
    tab_to,
)

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [1280, 768]

# A year in the life of a child's record: (days ago, category, level or None for the default).
YEAR = [
    (320, Category.GENERAL, None),
    (300, Category.GENERAL, None),
    (290, Category.ACCIDENT, None),
    (250, Category.GENERAL, None),
    (200, Category.FAMILY_CHANGE, None),
    (190, Category.SENSITIVE_DISCUSSION, None),
    (150, Category.GENERAL, None),
    (120, Category.CONCERN, None),
    (118, Category.CONCERN, None),
    (110, Category.CHILD_PROTECTION, None),
    (100, Category.AGENCY_CORRESPONDENCE, Level.CHILD_PROTECTION),
    (60, Category.GENERAL, None),
    (40, Category.ACCIDENT, None),
    (10, Category.GENERAL, None),
    (3, Category.GENERAL, None),
]


@pytest.fixture
def rosa(people):
    child = make_child(
        room=people.sunflower, key_person=people.keyperson1, first_name="Rosa", last_name="Quill"
    )
    now = timezone.now()
    for days, category, level in YEAR:
        make_entry(
            child,
            people.lead if category == Category.CHILD_PROTECTION else people.keyperson1,
            category=category,
            level=level,
            occurred_at=now - timedelta(days=days, hours=1),
            text=f"An entry of {days} days ago.",
        )
    return child


def marks(page) -> list[str]:
    return page.locator(".timeline .timeline-mark").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_leads_view_of_a_childs_year_at_a_glance(page, people, rosa, width):
    page.set_viewport_size({"width": width, "height": 1024})
    sign_in_browser(page, people.lead.user)
    page.goto(f"/children/{rosa.pk}/")
    check_page(page)
    assert len(marks(page)) == len(YEAR)
    strip = page.locator("figure.timeline")
    assert "15 entries (9 general, 4 sensitive, 2 child protection)" in strip.inner_text()
    table = page.get_by_role("table", name=re.compile("^Entries about Rosa that you can read"))
    assert table.get_by_role("rowheader").all_inner_texts() == [
        "Progress and well-being",
        "Accident or injury",
        "Concern",
        "Family change",
        "Sensitive discussion",
        "Child protection",
        "Agency correspondence",
    ]
    assert table.get_by_role("columnheader").count() == 13
    screenshot(page, f"child-at-a-glance-{width}")

    # On paper: the strip is there and fits the page.
    page.emulate_media(media="print")
    assert strip.is_visible()
    box = strip.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    page.emulate_media(media="screen")

    # By keyboard: Tab to the child-protection action's mark, Enter opens the entry.
    mark = table.get_by_role("link", name=re.compile("^Child protection action, child protection,"))
    tab_to(page, mark, limit=120)
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name=re.compile("^Child protection action")).wait_for()
    check_page(page)


def test_a_practitioner_of_the_room_sees_marks_for_general_entries_only(page, people, rosa):
    sign_in_browser(page, people.practitioner.user)
    page.goto(f"/children/{rosa.pk}/")
    check_page(page)
    general = rosa.entries.filter(level=Level.GENERAL)
    assert sorted(marks(page)) == sorted(f"/entries/{e.pk}/" for e in general)
    caption = page.locator("figure.timeline figcaption").inner_text()
    assert f"{general.count()} entries ({general.count()} general)" in caption
    assert "sensitive" not in caption.lower() and "child protection" not in caption.lower()
    assert page.get_by_role("rowheader", name="Concern").count() == 0

    # The key person reads the sensitive entries too, not the child-protection ones.
    sign_out_browser(page)
    sign_in_browser(page, people.keyperson1.user)
    page.goto(f"/children/{rosa.pk}/")
    check_page(page)
    # Not the child-protection action; the agency letter raised to child protection is hers,
    # and authors always read what they wrote.
    readable = rosa.entries.exclude(level=Level.CHILD_PROTECTION, author=people.lead)
    assert readable.count() == len(YEAR) - 1
    assert sorted(marks(page)) == sorted(f"/entries/{e.pk}/" for e in readable)


def test_a_child_with_nothing_recorded_yet(page, people):
    child = make_child(room=people.sunflower, first_name="Noor", last_name="Ashby")
    sign_in_browser(page, people.lead.user)
    page.goto(f"/children/{child.pk}/")
    check_page(page)
    page.get_by_text("Nothing has been recorded for Noor that you can read yet.").wait_for()
    assert page.locator("figure.timeline").count() == 0


@pytest.fixture
def lead_work(people):
    """Requests at every distance from their deadline, and the sharing the Lead must judge."""
    for days in (60, 28, 20, 2):
        sar = confirmed(people)
        SubjectAccessRequest.objects.filter(pk=sar.pk).update(
            clock_started_on=timezone.localdate() - timedelta(days=days)
        )
    record(people)
    ivy = make_child(
        room=people.sunflower, key_person=people.keyperson1, first_name="Ivy", last_name="Penrose"
    )
    make_entry(ivy, people.keyperson1, category=Category.ACCIDENT)
    return {
        "proposal": propose(ivy, people.keyperson1),
        "emergency": emergency(ivy, people.deputy),
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_the_leads_summary_and_chart(page, people, lead_work, width):
    page.set_viewport_size({"width": width, "height": 1024})
    sign_in_browser(page, people.lead.user)
    page.goto("/")
    check_page(page)
    summary = page.get_by_role("region", name="At a glance")
    for name in (
        "5 subject-access requests open",
        "1 subject-access requests overdue",
        "1 sharing decisions awaiting your approval",
        "1 emergency shares awaiting your review",
        "1 parents still to be told about an entry",
    ):
        assert summary.get_by_role("link", name=name).count() == 1, name
    chart = summary.get_by_role("img", name=re.compile("^Open subject-access requests by time"))
    assert chart.locator("title").text_content() == (
        "Open subject-access requests by time left: overdue, 1; due within 7 days, 1; "
        "8 to 14 days left, 1; 15 days or more left, 1; clock paused or not started, 1."
    )
    if width == 1280:
        # The README's picture of the Lead's dashboard: this one has a request at every distance
        # from its deadline.
        doc_screenshot(page, "lead-dashboard")
    else:
        screenshot(page, f"lead-summary-{width}")

    # Each count leads to its list: the proposal awaiting approval, in the admin screen.
    summary.get_by_role("link", name="1 sharing decisions awaiting your approval").click()
    page.wait_for_url(re.compile(r"/admin/consent/sharingdecision/\?lead_decision__exact=pending"))
    check_page(page)
    assert page.locator("#result_list tbody tr").count() == 1


def test_the_deputy_sees_the_summary_without_the_leads_approvals(page, people, lead_work):
    sign_in_browser(page, people.deputy.user)
    page.goto("/")
    check_page(page)
    summary = page.get_by_role("region", name="At a glance")
    assert summary.get_by_role("link", name="5 subject-access requests open").count() == 1
    assert "awaiting your approval" not in summary.inner_text()

    sign_out_browser(page)
    sign_in_browser(page, people.keyperson1.user)
    page.goto("/")
    check_page(page)
    assert page.get_by_role("region", name="At a glance").count() == 0
