"""The termly access review: every role, live grant, acting-Lead period and the term's break-glass
openings on one page, each with the action that ends it; due once a term until the Lead confirms."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from governance import access_review
from governance.models import AccessReview
from records import leaving, services
from records.models import Level

from ..conftest import sign_in

pytestmark = pytest.mark.django_db


def terms(people: Any) -> None:
    leaving.add_term(
        by=people.lead.user, name="Autumn", starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18)
    )
    leaving.add_term(
        by=people.lead.user, name="Spring", starts_on=date(2027, 1, 5), ends_on=date(2027, 3, 26)
    )


def test_the_page_lists_every_line_with_the_action_that_ends_it(people, client):
    grant = services.give_grant(
        child=people.other_child,
        grantee=people.practitioner,
        level=Level.SENSITIVE,
        reason="Covering the Bluebell room this week.",
        ends_at=timezone.now() + timedelta(days=5),
        granted_by=people.lead.user,
    )
    sign_in(client, people.lead.user)
    page = client.get(reverse("governance:access_review")).content.decode()

    for staff in (people.lead, people.deputy, people.keyperson1, people.office):
        assert staff.full_name in page
    assert reverse("records:grant_revoke", args=[grant.pk]) in page
    assert reverse("records:staff_deactivate", args=[people.keyperson2.pk]) in page


def test_due_once_a_term_until_the_lead_confirms(people, monkeypatch, client):
    terms(people)
    monkeypatch.setattr(timezone, "localdate", lambda *a: date(2026, 12, 4))
    assert access_review.is_due()

    sign_in(client, people.lead.user)
    refused = client.post(reverse("governance:access_review"), {"note": "Done."})
    assert refused.status_code == 400 and b"error-summary" in refused.content
    assert not AccessReview.objects.exists()
    done = client.post(reverse("governance:access_review"), {"confirmed": "on", "note": ""})
    assert done.status_code == 302
    review = AccessReview.objects.get()
    # Six staff and the two trustees (the chair, the safeguarding trustee).
    assert review.term_name == "Autumn" and review.counts["posts"] == 8
    assert not access_review.is_due()

    # A new term: due again.
    monkeypatch.setattr(timezone, "localdate", lambda *a: date(2027, 1, 6))
    assert access_review.is_due(date(2027, 1, 6))


def test_only_the_lead_reviews_access(people, client):
    sign_in(client, people.deputy.user)
    assert client.get(reverse("governance:access_review")).status_code == 404
