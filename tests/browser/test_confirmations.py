"""What cannot be undone asks first: revoking a grant in a real browser, by keyboard, with the
question page passing axe's WCAG 2.2 AA checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from records.models import Level, NeedToKnowGrant
from records.services import give_grant

from .conftest import check_page, sign_in_browser, tab_to

pytestmark = pytest.mark.django_db(transaction=True)


def test_revoking_a_grant_asks_first_and_going_back_changes_nothing(page, people):
    give_grant(
        child=people.other_child,
        grantee=people.practitioner,
        level=Level.SENSITIVE,
        reason="Covering the Bluebell room this fortnight.",
        ends_at=timezone.now() + timedelta(days=14),
        granted_by=people.lead.user,
    )
    sign_in_browser(page, people.lead.user)
    page.goto("/grants/")
    revoke = page.get_by_role("button", name="Revoke grant for Pat Practitioner")
    tab_to(page, revoke)
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Revoke Pat Practitioner's grant?").wait_for()
    check_page(page)
    assert NeedToKnowGrant.objects.get().revoked_at is None
    tab_to(page, page.get_by_role("link", name="No, go back"))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Need-to-know grants").wait_for()
    assert NeedToKnowGrant.objects.get().revoked_at is None

    tab_to(page, revoke)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Revoke the grant"))
    page.keyboard.press("Enter")
    page.get_by_text("The grant was revoked; it stopped working at once.").wait_for()
    check_page(page)
    grant = NeedToKnowGrant.objects.get()
    assert grant.revoked_at is not None and grant.revoked_by == people.lead
