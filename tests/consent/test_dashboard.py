"""The dashboard's consent and sharing tasks: who sees which, and when they become overdue."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consent import selectors, services
from consent.models import SharingDecision

from .factories import disclosure, emergency, propose

pytestmark = pytest.mark.django_db


def _london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def _recorded_at(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_retrospective_share_is_overdue_after_one_working_day(people, monkeypatch):
    # Recorded on a Friday afternoon: due by the same time on Monday.
    friday = _london(2026, 11, 20, 16, 0)
    _recorded_at(monkeypatch, friday)
    decision = emergency(people.child, people.deputy, shared_at=friday - timedelta(hours=1))
    monkeypatch.undo()
    assert timezone.localtime(decision.review_due_at) == _london(2026, 11, 23, 16, 0)

    saturday = selectors.dashboard_tasks(people.lead.user, now=_london(2026, 11, 21, 10, 0))
    assert list(saturday["retrospective_due"]) == [decision]
    assert saturday["retrospective_overdue"] == []
    monday_noon = selectors.dashboard_tasks(people.lead.user, now=_london(2026, 11, 23, 12, 0))
    assert monday_noon["retrospective_overdue"] == []
    monday_evening = selectors.dashboard_tasks(people.lead.user, now=_london(2026, 11, 23, 16, 1))
    assert monday_evening["retrospective_overdue"] == [decision]
    assert decision.review_overdue(_london(2026, 11, 23, 16, 1))


def test_retrospective_review_skips_a_bank_holiday(people, monkeypatch):
    # Thursday before Good Friday 2027: Friday and Monday are bank holidays.
    _recorded_at(monkeypatch, _london(2027, 3, 25, 11, 0))
    decision = emergency(people.child, people.lead, shared_at=_london(2027, 3, 25, 10, 0))
    monkeypatch.undo()
    assert timezone.localtime(decision.review_due_at) == _london(2027, 3, 30, 11, 0)


def test_a_reviewed_retrospective_share_leaves_the_dashboard(people):
    decision = emergency(people.child, people.deputy)
    services.approve_sharing_decision(
        decision=decision, approver=people.lead.user, rationale="Right call: the child was at risk."
    )
    tasks = selectors.dashboard_tasks(people.lead.user, now=timezone.now() + timedelta(days=10))
    assert list(tasks["retrospective_due"]) == []
    decision.refresh_from_db()
    # The review does not pretend the share had not happened.
    assert decision.state == "shared"
    assert decision.lead_decision == "approved"


def test_the_deputy_who_recorded_an_emergency_share_cannot_review_it(people):
    decision = emergency(people.child, people.deputy)
    assert selectors.dashboard_tasks(people.deputy.user)["retrospective_due"].count() == 0
    assert list(selectors.dashboard_tasks(people.lead.user)["retrospective_due"]) == [decision]


def test_referral_acknowledgement_overdue_shows_on_the_leads_dashboard(people, client_for):
    decision = propose(people.child, people.keyperson1, recipient_kind="s17", lsp_procedures="yes")
    services.approve_sharing_decision(
        decision=decision, approver=people.lead.user, rationale="Family needs support."
    )
    shared_at = timezone.now()
    services.mark_shared(
        decision=decision,
        by=people.keyperson1.user,
        shared_what="The referral form.",
        shared_at=shared_at,
        shared_how="online_referral",
    )
    decision.refresh_from_db()
    due = decision.acknowledgement_due_at
    assert due is not None
    assert list(selectors.dashboard_tasks(people.lead.user, now=due)["referrals_overdue"]) == []
    later = due + timedelta(minutes=1)
    assert list(selectors.dashboard_tasks(people.lead.user, now=later)["referrals_overdue"]) == [
        decision
    ]
    assert decision.acknowledgement_overdue(later)
    # The uninvolved practitioner is told nothing of it.
    assert not selectors.dashboard_tasks(people.keyperson2.user, now=later)["referrals_overdue"]
    services.record_referral_acknowledged(
        decision=decision, by=people.lead.user, acknowledged_at=timezone.now()
    )
    tasks = selectors.dashboard_tasks(people.lead.user, now=later)
    assert list(tasks["referrals_overdue"]) == []
    assert list(tasks["referrals_awaiting_outcome"]) == [decision]


def test_not_yet_asked_is_a_task_for_who_took_it_until_answered(people, client_for):
    told = disclosure(people.child, people.keyperson1)
    assert list(selectors.dashboard_tasks(people.keyperson1.user)["not_yet_asked"]) == [told]
    assert not selectors.dashboard_tasks(people.practitioner.user)["not_yet_asked"]
    assert not selectors.dashboard_tasks(people.lead.user)["not_yet_asked"]
    page = client_for("keyperson1").get(reverse("home:dashboard")).content.decode()
    assert "Is it confidential? Not yet asked" in page

    subjects = {s.pk: "no" for s in told.subjects.all() if s.confidentiality == "not_asked"}
    services.answer_confidentiality(
        disclosure=told, by=people.keyperson1.user, confidentiality="yes", subjects=subjects
    )
    assert not selectors.dashboard_tasks(people.keyperson1.user)["not_yet_asked"]


def test_awaiting_approval_is_the_leads_and_the_proposer_sees_their_own(people, client_for):
    decision = propose(people.child, people.keyperson1)
    assert list(selectors.dashboard_tasks(people.lead.user)["awaiting_approval"]) == [decision]
    assert not selectors.dashboard_tasks(people.deputy.user)["awaiting_approval"]
    assert list(selectors.dashboard_tasks(people.keyperson1.user)["my_proposals"]) == [decision]
    page = client_for("lead").get(reverse("home:dashboard")).content.decode()
    assert "Awaiting your approval" in page
    assert reverse("admin:consent_sharingdecision_change", args=[decision.pk]) in page


def test_families_to_inform_after_a_share(people):
    decision = propose(people.child, people.keyperson1)
    services.approve_sharing_decision(
        decision=decision, approver=people.lead.user, rationale="Agreed."
    )
    services.mark_shared(
        decision=decision,
        by=people.keyperson1.user,
        shared_what="Observations.",
        shared_at=timezone.now(),
        shared_how="secure_email",
    )
    assert list(selectors.dashboard_tasks(people.keyperson1.user)["families_to_inform"]) == [
        decision
    ]
    assert list(selectors.dashboard_tasks(people.lead.user)["families_to_inform"]) == [decision]
    assert not selectors.dashboard_tasks(people.keyperson2.user)["families_to_inform"]


def test_office_and_superuser_have_no_consent_tasks(people):
    propose(people.child, people.keyperson1)
    emergency(people.child, people.lead)
    for user in (people.office.user, people.it_admin):
        tasks = selectors.dashboard_tasks(user)
        assert tasks["total"] == 0
        assert not tasks["awaiting_approval"] and not tasks["retrospective_due"]
    assert SharingDecision.objects.count() == 2


def test_dashboard_queries_stay_flat_as_tasks_grow(
    people, client_for, django_assert_max_num_queries
):
    client = client_for("lead")
    client.get(reverse("home:dashboard"))
    for _ in range(2):
        propose(people.child, people.keyperson1)
    # The dashboard asks each app once: 40 until the triage queue, follow-up actions, Ofsted
    # notices and allegations against staff each added one query (issue 16, issue 15).
    with django_assert_max_num_queries(45) as few:
        client.get(reverse("home:dashboard"))
    for _ in range(6):
        propose(people.child, people.keyperson1)
        disclosure(people.child, people.lead, received_by=people.lead)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("home:dashboard"))
