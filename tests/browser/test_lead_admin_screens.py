"""The admin screens the Lead uses to judge sharing decisions pass axe-core's WCAG 2.2 AA checks,
at a desk and on a tablet."""

from __future__ import annotations

import pytest

from ..consent.factories import propose
from .conftest import check_page, sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 768])
def test_the_leads_admin_screens_are_accessible(page, people, width):
    decision = propose(people.child, people.keyperson1)
    page.set_viewport_size({"width": width, "height": 1024})
    sign_in_browser(page, people.lead.user)
    base = "/admin/consent/sharingdecision/"
    for url in (
        "/admin/",
        base,
        f"{base}?lead_decision__exact=pending",
        f"{base}{decision.pk}/change/",
        f"{base}{decision.pk}/approve/",
        f"{base}{decision.pk}/decline/",
        f"{base}{decision.pk}/history/",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        check_page(page)
