"""The Lead approves or declines sharing decisions in the admin screen, through the test client.

(The same journey in a real browser is left to the Playwright suite: see the issue.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from consent import services
from consent.models import DecisionState, LeadDecision, SharingDecision
from records.models import ActingLead, Category

from ..factories import make_entry
from .factories import consent, emergency, propose

pytestmark = pytest.mark.django_db

ENTRY_TEXT = "Said that the new partner shouts when mummy is out."


def _change(decision):
    return reverse("admin:consent_sharingdecision_change", args=[decision.pk])


def _approve(decision):
    return reverse("admin:consent_sharingdecision_approve", args=[decision.pk])


def _decline(decision):
    return reverse("admin:consent_sharingdecision_decline", args=[decision.pk])


@pytest.fixture
def proposal(people):
    entry = make_entry(people.child, people.keyperson1, category=Category.CONCERN, text=ENTRY_TEXT)
    consent(people.child, people.keyperson1, purpose="family_support", status="given")
    earlier = propose(people.child, people.keyperson1, recipient_kind="school")
    services.decline_sharing_decision(
        decision=earlier, approver=people.lead.user, rationale="Too early for the school."
    )
    return propose(
        people.child,
        people.keyperson1,
        entries=[entry],
        recipient_kind="s17",
        lsp_procedures="yes",
        recipient_organisation="Exampleshire Children's Services",
    )


def test_the_change_page_shows_the_lead_everything_to_judge_on_one_page(
    people, client_for, proposal
):
    response = client_for("lead").get(_change(proposal))
    assert response.status_code == 200
    page = response.content.decode()
    assert ENTRY_TEXT in page  # the linked entry, decrypted for the Lead
    assert "Exampleshire Children&#x27;s Services" in page
    assert "Consent history of the child" in page
    assert "A referral to family support" in page
    assert "Other decisions for this child" in page
    assert "Declined" in page
    assert _approve(proposal) in page and _decline(proposal) in page
    # No form to edit a decision: read-only, no save button.
    assert 'name="_save"' not in page
    # The reads of the decision and of the sensitive entry are audited.
    reads = LogEntry.objects.filter(actor=people.lead.user, additional_data__event="read")
    assert reads.filter(object_pk=str(proposal.pk)).exists()
    assert reads.filter(object_pk=str(proposal.entries.get().pk)).exists()


def test_the_changelist_lists_decisions_for_the_lead(people, client_for, proposal):
    response = client_for("lead").get(reverse("admin:consent_sharingdecision_changelist"))
    assert response.status_code == 200
    assert people.child.last_name in response.content.decode()
    assert "Approve the selected decision" in response.content.decode()


def test_approve_asks_for_a_rationale_and_refuses_a_blank_one(people, client_for, proposal):
    client = client_for("lead")
    assert client.get(_approve(proposal)).status_code == 200
    response = client.post(_approve(proposal), {"rationale": "  "})
    assert response.status_code == 400
    assert "Give your rationale: it is kept with the decision." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.lead_decision == LeadDecision.PENDING
    assert proposal.decided_by is None
    assert not LogEntry.objects.filter(additional_data__event="sharing_approved").exists()


def test_the_lead_approves_with_a_rationale_and_it_is_audited(people, client_for, proposal):
    response = client_for("lead").post(
        _approve(proposal), {"rationale": "Threshold for a section 17 referral is met."}
    )
    assert response.status_code == 302
    assert response["Location"] == _change(proposal)
    proposal.refresh_from_db()
    assert proposal.lead_decision == LeadDecision.APPROVED
    assert proposal.state == DecisionState.APPROVED
    assert proposal.decided_by == people.lead
    assert proposal.rationale == "Threshold for a section 17 referral is met."
    event = LogEntry.objects.get(additional_data__event="sharing_approved")
    assert event.actor == people.lead.user
    assert "Threshold" not in str(event.changes) + str(event.additional_data)


def test_the_lead_declines_with_a_rationale(people, client_for, proposal):
    response = client_for("lead").post(_decline(proposal), {"rationale": "Not proportionate yet."})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.lead_decision == LeadDecision.DECLINED
    assert proposal.state == DecisionState.DECLINED
    assert LogEntry.objects.filter(
        additional_data__event="sharing_declined", object_pk=str(proposal.pk)
    ).exists()


def test_a_second_decision_in_the_admin_is_refused_and_changes_nothing(
    people, client_for, proposal
):
    client = client_for("lead")
    client.post(_approve(proposal), {"rationale": "Agreed."})
    response = client.post(_decline(proposal), {"rationale": "Second thoughts."})
    assert response.status_code == 400
    assert "already been approved or declined" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.lead_decision == LeadDecision.APPROVED
    assert proposal.rationale == "Agreed."
    # And the buttons are gone once it is decided.
    assert _approve(proposal) not in client.get(_change(proposal)).content.decode()


def test_nothing_in_a_decision_can_be_edited_added_or_deleted_in_the_admin(
    people, client_for, proposal
):
    client = client_for("lead")
    before = SharingDecision.objects.filter(pk=proposal.pk).values().get()
    response = client.post(_change(proposal), {"purpose": "Rewritten", "state": "approved"})
    assert response.status_code == 403
    add = client.get(reverse("admin:consent_sharingdecision_add"))
    delete = client.post(
        reverse("admin:consent_sharingdecision_delete", args=[proposal.pk]), {"post": "yes"}
    )
    assert add.status_code == 403
    assert delete.status_code == 403
    assert SharingDecision.objects.filter(pk=proposal.pk).values().get() == before


def test_the_deputy_sees_decisions_but_cannot_approve_unless_acting_lead(
    people, client_for, proposal
):
    client = client_for("deputy")
    page = client.get(_change(proposal)).content.decode()
    assert ENTRY_TEXT in page
    assert _approve(proposal) not in page
    assert client.post(_approve(proposal), {"rationale": "Yes."}).status_code == 403
    proposal.refresh_from_db()
    assert proposal.lead_decision == LeadDecision.PENDING

    ActingLead(
        deputy=people.deputy,
        appointed_by=people.lead,
        reason="The Lead is on leave.",
        ends_at=timezone.now() + timedelta(days=5),
    ).save()
    assert _approve(proposal) in client.get(_change(proposal)).content.decode()
    assert (
        client.post(_approve(proposal), {"rationale": "Agreed as acting Lead."}).status_code == 302
    )
    proposal.refresh_from_db()
    assert proposal.decided_by == people.deputy


def test_an_acting_lead_cannot_approve_their_own_proposal(people, client_for):
    ActingLead(
        deputy=people.deputy,
        appointed_by=people.lead,
        reason="The Lead is on leave.",
        ends_at=timezone.now() + timedelta(days=5),
    ).save()
    own = propose(people.child, people.deputy)
    client = client_for("deputy")
    assert "You proposed this decision" in client.get(_change(own)).content.decode()
    response = client.post(_approve(own), {"rationale": "Fine by me."})
    assert response.status_code == 400
    assert "You proposed this decision" in response.content.decode()
    own.refresh_from_db()
    assert own.lead_decision == LeadDecision.PENDING


def test_a_retrospective_share_is_reviewed_in_the_admin(people, client_for):
    decision = emergency(people.child, people.deputy)
    client = client_for("lead")
    page = client.get(reverse("admin:consent_sharingdecision_changelist")).content.decode()
    assert "Review due" in page
    assert (
        client.post(_approve(decision), {"rationale": "Right to act at once."}).status_code == 302
    )
    decision.refresh_from_db()
    assert decision.lead_decision == LeadDecision.APPROVED
    assert decision.state == DecisionState.SHARED


def test_the_approve_action_takes_one_decision_to_its_rationale_page(people, client_for, proposal):
    client = client_for("lead")
    url = reverse("admin:consent_sharingdecision_changelist")
    one = client.post(url, {"action": "approve_selected", "_selected_action": [str(proposal.pk)]})
    assert one.status_code == 302
    assert one["Location"] == _approve(proposal)
    other = SharingDecision.objects.exclude(pk=proposal.pk).get()
    two = client.post(
        url,
        {"action": "approve_selected", "_selected_action": [str(proposal.pk), str(other.pk)]},
        follow=True,
    )
    assert "Choose one decision at a time" in two.content.decode()
    proposal.refresh_from_db()
    assert proposal.lead_decision == LeadDecision.PENDING


def test_a_superuser_without_a_staff_profile_sees_no_decision_and_no_content(
    people, client_for, proposal
):
    client = client_for("it_admin")
    assert client.get(reverse("admin:consent_sharingdecision_changelist")).status_code == 403
    change = client.get(_change(proposal))
    assert change.status_code == 403
    assert ENTRY_TEXT not in change.content.decode()
    assert client.post(_approve(proposal), {"rationale": "x"}).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "sharingdecision" not in index
    proposal.refresh_from_db()
    assert proposal.lead_decision == LeadDecision.PENDING


def test_practitioners_cannot_enter_the_admin(people, client_for, proposal):
    response = client_for("keyperson1").get(_change(proposal))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
