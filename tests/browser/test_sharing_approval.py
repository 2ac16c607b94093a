"""The Lead approves a sharing decision in the admin screen, in a real browser."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from consent.models import DecisionState, LeadDecision, SharingDecision

from ..consent.factories import propose
from ..factories import make_entry
from .conftest import screenshot, sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)


def test_lead_approves_a_proposal_in_the_admin_with_a_rationale(page, people):
    entry = make_entry(people.child, people.keyperson1, category="concern", text="Bruise on arm.")
    decision = propose(
        people.child,
        people.keyperson1,
        recipient_kind="s17",
        recipient_organisation="Exampleshire Children's Services",
        recipient_person="Early help team",
        consent="refused",
        no_consent_reason="risk_of_harm",
        no_consent_explanation="Mum refused; the bruising pattern is a risk of harm.",
        lawful_basis="public_task",
        lsp_procedures="yes",
        entries=[entry],
    )
    sign_in_browser(page, people.lead.user)
    page.goto(f"/admin/consent/sharingdecision/{decision.pk}/change/")
    # Everything the Lead needs on one page: the linked entry, decrypted for the Lead.
    assert page.get_by_text("Bruise on arm.").first.is_visible()
    screenshot(page, "admin-sharing-decision")

    page.locator(".approve-link").click()
    page.get_by_role("button", name="Approve").click()
    assert page.locator(".errornote").is_visible()
    decision.refresh_from_db()
    assert decision.lead_decision == LeadDecision.PENDING

    page.get_by_label("Your rationale (required)").fill(
        "Threshold met for early help; parents to be told by the Lead today."
    )
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"**/admin/consent/sharingdecision/{decision.pk}/change/")
    decision.refresh_from_db()
    assert decision.lead_decision == LeadDecision.APPROVED
    assert decision.state == DecisionState.APPROVED
    assert decision.decided_by == people.lead
    assert decision.rationale.startswith("Threshold met")
    assert LogEntry.objects.filter(
        object_pk=str(decision.pk), additional_data__event="sharing_approved"
    ).exists()
    # Decided: no second decision is offered.
    assert page.locator(".approve-link").count() == 0


def test_deputy_who_is_not_acting_lead_cannot_approve_in_the_admin(page, people):
    decision = propose(people.child, people.keyperson1)
    sign_in_browser(page, people.deputy.user)
    page.goto(f"/admin/consent/sharingdecision/{decision.pk}/change/")
    assert page.locator(".approve-link").count() == 0
    response = page.goto(f"/admin/consent/sharingdecision/{decision.pk}/approve/")
    assert response is not None and response.status in (403, 404)
    assert SharingDecision.objects.get(pk=decision.pk).lead_decision == LeadDecision.PENDING
