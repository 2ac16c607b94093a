"""Journey: the alert-triage-action loop. A key person records an urgent concern; the Lead and
the Deputy are emailed at once (no name, no content); the Lead opens Triage, sees it new and
urgent, acknowledges it (monitor), sets the key person an action; the key person finds it under
"My actions" and records it done; the Lead sees it done on the concern's triage page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from safeguarding.models import Action, Alert

from .conftest import check_page, doc_screenshot, sign_in_browser, sign_out_browser

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "Said his arm hurt; a round bruise on the left forearm. Mum says he fell."


def test_a_concern_is_alerted_triaged_and_followed_up(page, people):
    sign_in_browser(page, people.keyperson1.user)
    page.goto(f"/children/{people.child.pk}/entries/new/")
    page.get_by_label("Category").select_option("concern")
    page.get_by_label("What happened").fill(TEXT)
    page.get_by_label("Urgent: the Lead must know now", exact=False).check()
    page.get_by_role("button", name="Save entry").click()
    page.get_by_text("The entry was recorded.").wait_for()
    alert = Alert.objects.get()
    assert alert.urgent and alert.sent_at is not None
    (message,) = mail.outbox
    assert "URGENT" in message.subject
    assert people.child.first_name not in message.body and "bruise" not in message.body
    sign_out_browser(page)

    sign_in_browser(page, people.lead.user)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Triage").click()
    page.get_by_role("heading", name="Concerns to triage").wait_for()
    row = page.get_by_role("row", name=people.child.full_name)
    assert "Urgent" in row.inner_text() and "New" in row.inner_text()
    check_page(page)
    doc_screenshot(page, "triage-queue")
    row.get_by_role("link", name=people.child.full_name).click()
    page.get_by_label("Monitor").check()
    page.get_by_label("Why (needed for no further action)", exact=False).fill(
        "Watch for more marks; body map at drop-off this week."
    )
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("Acknowledged.").wait_for()
    page.get_by_label("What is to be done").fill("Ask mum about the fall at collection.")
    page.get_by_label("Who does it").select_option(label=people.keyperson1.full_name)
    page.get_by_label("Due by").fill((timezone.localdate() + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Set the action").click()
    page.get_by_text(f"The action is {people.keyperson1.full_name}'s.").wait_for()
    check_page(page)
    alert.refresh_from_db()
    assert alert.acknowledged_by == people.lead and alert.next_step == "monitor"
    sign_out_browser(page)

    sign_in_browser(page, people.keyperson1.user)
    page.goto("/")
    page.get_by_role("region", name="My actions").get_by_role(
        "link", name="Ask mum about the fall at collection."
    ).click()
    check_page(page)
    page.get_by_label("What was done").fill("Mum says he fell off the climbing frame at the park.")
    page.get_by_role("button", name="Done").click()
    page.get_by_text("Recorded as done.").wait_for()
    action = Action.objects.get()
    assert action.done_by == people.keyperson1
    sign_out_browser(page)

    sign_in_browser(page, people.lead.user)
    page.goto(f"/triage/{alert.pk}/")
    assert "(done " in page.get_by_role("listitem").filter(has_text="Ask mum").inner_text()
