"""A key person records an entry in a real browser; the pages pass axe's WCAG 2.2 AA checks."""

from __future__ import annotations

import pytest

from records.models import Level, RecordEntry

from .conftest import accessibility_violations, screenshot, sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)


def test_key_person_records_a_concern_and_sees_it_in_the_chronology(page, people):
    sign_in_browser(page, people.keyperson1.user)
    page.goto("/")
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Children").first.click()
    page.get_by_role("link", name=f"{people.child.last_name}, {people.child.first_name}").click()
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Record an entry").click()
    page.get_by_label("Category").select_option("concern")
    page.get_by_label("What happened").fill("Quiet and tearful at drop-off; said tummy hurt.")
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Save entry").click()
    page.get_by_text("The entry was recorded.").wait_for()
    screenshot(page, "child-chronology")
    assert page.get_by_text("Quiet and tearful at drop-off").is_visible()
    entry = RecordEntry.objects.get(child=people.child)
    assert entry.level == Level.SENSITIVE
    assert entry.author == people.keyperson1


def test_errors_are_summarised_and_linked_to_their_fields(page, people):
    sign_in_browser(page, people.keyperson1.user)
    page.goto(f"/children/{people.child.pk}/entries/new/")
    page.get_by_role("button", name="Save entry").click()
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    summary.get_by_role("link", name="What happened: This field is required.").click()
    assert page.evaluate("document.activeElement.id") == "id_text"
    assert accessibility_violations(page) == []
    assert not RecordEntry.objects.exists()
