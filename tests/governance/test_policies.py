"""The policy register with frozen time: each version kept, the next review counted from the
adoption, the Lead reminded 30 days before and on the day (once each), and a review making a new
version with the old one kept."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from governance import policies
from governance.models import PolicyVersion

from ..conftest import sign_in

pytestmark = pytest.mark.django_db

TEXT = "Confidentiality and client access to records: what we keep, and who may see it."


def on(monkeypatch: Any, day: date) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *args: day)


def a_policy(people: Any) -> Any:
    return policies.add_policy(
        by=people.lead.user,
        number="10.9",
        title="Confidentiality and Client Access to Records",
        review_every_months=24,
        text=TEXT,
        adopted_on=date(2023, 7, 21),
        approved_by="The chair, for the trustees",
    )


def test_the_review_is_due_two_years_after_adoption_and_the_lead_is_reminded_once_each(
    people, monkeypatch
):
    people.lead.user.email = "lead@example.test"
    people.lead.user.save()
    people.deputy.user.email = ""
    people.deputy.user.save()
    found = a_policy(people)
    first = policies.current(found)
    assert first is not None and first.review_due_on == date(2025, 7, 21)

    on(monkeypatch, date(2025, 6, 1))
    assert policies.remind() == 0
    assert policies.due_counts() == (0, 0)
    on(monkeypatch, date(2025, 6, 25))  # 26 days before
    assert policies.due_counts() == (1, 0)
    assert policies.remind() == 1
    assert policies.remind() == 0
    on(monkeypatch, date(2025, 7, 21))  # on the day
    assert policies.remind() == 1
    assert policies.remind() == 0
    on(monkeypatch, date(2025, 7, 22))  # the day after: overdue, and no third email
    assert policies.due_counts() == (0, 1)
    assert policies.remind() == 0
    assert [m.subject for m in mail.outbox] == [
        "Policy 10.9: its review is due soon",
        "Policy 10.9: its review is due today",
    ]


def test_a_review_makes_a_new_version_and_keeps_the_old(people, monkeypatch):
    found = a_policy(people)
    on(monkeypatch, date(2026, 12, 4))
    with pytest.raises(ValidationError):
        policies.review(
            by=people.deputy.user,
            found=found,
            text=TEXT,
            adopted_on=date(2022, 1, 1),  # before the version it replaces
            approved_by="The chair",
        )
    policies.review(
        by=people.deputy.user,
        found=found,
        text=TEXT + " Now with the breach log.",
        adopted_on=date(2026, 12, 1),
        approved_by="The chair, for the trustees",
        note="Added the breach log.",
    )
    assert PolicyVersion.objects.filter(policy=found).count() == 2
    latest = policies.current(found)
    assert latest is not None
    assert latest.review_due_on == date(2028, 12, 1)
    assert latest.text.endswith("Now with the breach log.")
    assert policies.due_counts() == (0, 0)


def test_a_second_policy_with_the_same_number_is_refused(people):
    a_policy(people)
    with pytest.raises(ValidationError):
        a_policy(people)


def test_the_register_is_the_lead_and_deputys(people, client):
    found = a_policy(people)
    sign_in(client, people.keyperson1.user)
    assert client.get(reverse("governance:policies")).status_code == 404
    client.logout()
    sign_in(client, people.deputy.user)
    page = client.get(reverse("governance:policies")).content.decode()
    assert "10.9 Confidentiality and Client Access to Records" in page
    refused = client.post(
        reverse("governance:policy", args=[found.pk]),
        {"text": "", "adopted_on": "2026-12-01", "approved_by": ""},
    )
    assert refused.status_code == 400 and b"error-summary" in refused.content
    assert PolicyVersion.objects.count() == 1
