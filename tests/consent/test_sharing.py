"""Sharing decisions: the rules of proposing, approving, sharing and telling the family, and bad
input refused with a clear message and nothing saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from consent import policy, services
from consent.models import DecisionState, LeadDecision, SharingDecision
from consent.working_days import one_working_day_after
from records.models import ActingLead, Category, Level, NeedToKnowGrant, RecordEntry

from ..factories import make_entry
from .factories import consent as consent_factory
from .factories import decision_data, emergency, emergency_data, propose

pytestmark = pytest.mark.django_db


def _post_proposal(client, child, **overrides):
    data = {k: v for k, v in decision_data(**overrides).items() if v is not None}
    return client.post(reverse("consent:decision_create", args=[child.pk]), data)


def _acting(people):
    appointment = ActingLead(
        deputy=people.deputy,
        appointed_by=people.lead,
        reason="The Lead is on a course.",
        ends_at=timezone.now() + timedelta(days=2),
    )
    appointment.save()
    return appointment


# --- bad input ------------------------------------------------------------------------------


def test_decision_without_consent_and_without_a_reason_is_refused_and_nothing_saved(
    people, client_for
):
    response = _post_proposal(
        client_for("keyperson1"), people.child, consent="not_sought", lawful_basis="public_task"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Consent was not sought: choose the reason" in page
    assert "explain the facts of the case" in page
    assert not SharingDecision.objects.exists()


def test_refused_consent_overridden_without_a_reason_is_refused(people):
    with pytest.raises(ValidationError) as error:
        propose(people.child, people.keyperson1, consent="refused")
    assert "refused but overridden" in str(error.value.message_dict["no_consent_reason"])
    assert not SharingDecision.objects.exists()


def test_refused_consent_and_a_decision_not_to_share_needs_no_reason(people):
    decision = propose(people.child, people.keyperson1, consent="refused", decision="not_share")
    assert decision.decision == "not_share"
    assert decision.no_consent_reason == ""


def test_decision_without_consent_but_with_the_reason_is_proposed(people):
    decision = propose(
        people.child,
        people.keyperson1,
        consent="not_sought",
        no_consent_reason="would_increase_risk",
        no_consent_explanation="The parent is the subject of the concern.",
    )
    assert decision.state == DecisionState.PROPOSED
    assert decision.lead_decision == LeadDecision.PENDING


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"recipient_kind": ""}, "Choose who the information would go to."),
        (
            {"recipient_organisation": "", "recipient_person": ""},
            "Name the organisation, or the person or role",
        ),
    ],
    ids=["no-recipient-kind", "no-recipient-named"],
)
def test_recipient_left_blank_is_refused_with_a_clear_message(
    people, client_for, overrides, message
):
    response = _post_proposal(client_for("keyperson1"), people.child, **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SharingDecision.objects.exists()


def test_consent_cannot_be_the_lawful_basis_unless_it_was_given(people):
    with pytest.raises(ValidationError) as error:
        propose(
            people.child,
            people.keyperson1,
            lawful_basis="consent",
            consent="not_sought",
            no_consent_reason="risk_of_harm",
            no_consent_explanation="Injuries seen this morning.",
        )
    assert "Consent can be the lawful basis only when" in str(error.value)


def test_a_decision_needs_entries_or_a_summary(people):
    with pytest.raises(ValidationError) as error:
        propose(people.child, people.keyperson1, summary="")
    assert "entries" in error.value.message_dict


def test_a_referral_must_say_whether_lsp_procedures_were_followed(people):
    with pytest.raises(ValidationError) as error:
        propose(people.child, people.keyperson1, recipient_kind="s17", lsp_procedures="n/a")
    assert "lsp_procedures" in error.value.message_dict


def test_entries_the_proposer_cannot_read_cannot_be_shared(people):
    secret = make_entry(people.child, people.lead, category=Category.CHILD_PROTECTION)
    with pytest.raises(ValidationError) as error:
        propose(people.child, people.practitioner, entries=[secret])
    assert "entries" in error.value.message_dict
    assert not SharingDecision.objects.exists()


# --- approval -------------------------------------------------------------------------------


def test_approval_without_a_rationale_is_refused_and_nothing_changes(people):
    decision = propose(people.child, people.keyperson1)
    with pytest.raises(ValidationError) as error:
        services.approve_sharing_decision(
            decision=decision, approver=people.lead.user, rationale="   "
        )
    assert "Give your rationale" in str(error.value)
    decision.refresh_from_db()
    assert decision.lead_decision == LeadDecision.PENDING
    assert decision.state == DecisionState.PROPOSED
    assert decision.decided_by is None


def test_the_lead_approving_their_own_proposal_twice_is_refused_the_second_time(people):
    decision = propose(people.child, people.lead)
    services.approve_sharing_decision(
        decision=decision, approver=people.lead.user, rationale="Necessary and agreed."
    )
    with pytest.raises(ValidationError) as error:
        services.approve_sharing_decision(
            decision=decision, approver=people.lead.user, rationale="Again."
        )
    assert "already been approved or declined" in str(error.value)
    decision.refresh_from_db()
    assert decision.rationale == "Necessary and agreed."
    assert LogEntry.objects.filter(additional_data__event="sharing_approved").count() == 1


def test_a_second_decision_on_an_already_decided_proposal_is_refused(people):
    decision = propose(people.child, people.keyperson1)
    services.approve_sharing_decision(
        decision=decision, approver=people.lead.user, rationale="Agreed with the family."
    )
    with pytest.raises(ValidationError):
        services.decline_sharing_decision(
            decision=decision, approver=people.lead.user, rationale="Changed my mind."
        )
    decision.refresh_from_db()
    assert decision.lead_decision == LeadDecision.APPROVED
    assert decision.state == DecisionState.APPROVED
    assert decision.rationale == "Agreed with the family."


def test_a_stale_copy_cannot_decide_a_decision_already_decided_elsewhere(people):
    # Two browser tabs: both loaded the proposal while it was pending.
    first = propose(people.child, people.keyperson1)
    second = SharingDecision.objects.get(pk=first.pk)
    services.decline_sharing_decision(
        decision=first, approver=people.lead.user, rationale="Not proportionate."
    )
    assert second.lead_decision == LeadDecision.PENDING
    with pytest.raises(ValidationError):
        services.approve_sharing_decision(
            decision=second, approver=people.lead.user, rationale="Fine."
        )
    second.refresh_from_db()
    assert second.lead_decision == LeadDecision.DECLINED
    assert second.rationale == "Not proportionate."


@pytest.mark.parametrize("name", ["deputy", "keyperson1", "practitioner", "office"])
def test_only_the_lead_or_acting_lead_may_approve(people, name):
    decision = propose(people.child, people.lead)
    with pytest.raises(PermissionDenied):
        services.approve_sharing_decision(
            decision=decision, approver=getattr(people, name).user, rationale="Yes."
        )
    decision.refresh_from_db()
    assert decision.lead_decision == LeadDecision.PENDING


def test_a_superuser_may_not_approve(people):
    decision = propose(people.child, people.keyperson1)
    with pytest.raises(PermissionDenied):
        services.approve_sharing_decision(
            decision=decision, approver=people.it_admin, rationale="Yes."
        )


def test_acting_lead_approves_others_proposals_but_not_their_own(people):
    _acting(people)
    theirs = propose(people.child, people.keyperson1)
    own = propose(people.child, people.deputy)
    services.approve_sharing_decision(
        decision=theirs, approver=people.deputy.user, rationale="Agreed."
    )
    with pytest.raises(ValidationError) as error:
        services.approve_sharing_decision(
            decision=own, approver=people.deputy.user, rationale="Agreed."
        )
    assert "You proposed this decision" in str(error.value)
    own.refresh_from_db()
    assert own.lead_decision == LeadDecision.PENDING
    theirs.refresh_from_db()
    assert theirs.decided_by == people.deputy


def test_approval_and_decline_are_audited_without_the_rationale_in_plain_text(people):
    decision = propose(people.child, people.keyperson1)
    services.decline_sharing_decision(
        decision=decision, approver=people.lead.user, rationale="The school has no need yet."
    )
    event = LogEntry.objects.get(additional_data__event="sharing_declined")
    assert event.actor == people.lead.user
    assert event.object_pk == str(decision.pk)
    for log in LogEntry.objects.filter(object_pk=str(decision.pk)):
        assert "The school has no need yet" not in str(log.changes)
        assert "The school has no need yet" not in str(log.additional_data)
        assert people.child.first_name not in log.object_repr


# --- levels and visibility ------------------------------------------------------------------


@pytest.mark.parametrize("recipient", ["s47", "police", "lsp"])
def test_section_47_police_and_lsp_referrals_are_child_protection_level(people, recipient):
    decision = propose(
        people.child,
        people.keyperson1,
        recipient_kind=recipient,
        lsp_procedures="yes",
        consent="not_sought",
        no_consent_reason="risk_of_harm",
        no_consent_explanation="Marks on the child's arms.",
        lawful_basis="legal_obligation",
    )
    assert decision.level == Level.CHILD_PROTECTION


def test_level_defaults_to_the_most_sensitive_entry_chosen_and_cannot_be_lowered(people):
    general = make_entry(people.child, people.keyperson1)
    assert propose(people.child, people.keyperson1, entries=[general]).level == Level.GENERAL
    concern = make_entry(people.child, people.keyperson1, category=Category.CONCERN)
    assert (
        propose(people.child, people.keyperson1, entries=[general, concern]).level
        == Level.SENSITIVE
    )
    with pytest.raises(ValidationError) as error:
        propose(people.child, people.keyperson1, entries=[concern], level=Level.GENERAL)
    assert "lowest level" in str(error.value)


def test_child_protection_decisions_are_seen_by_lead_deputy_and_proposer_only(people, client_for):
    decision = propose(
        people.child,
        people.practitioner,
        recipient_kind="police",
        consent="not_sought",
        no_consent_reason="serious_offence",
        no_consent_explanation="A court order was breached.",
        lawful_basis="legal_obligation",
    )
    # Even a child-protection grant does not open another's child-protection decision.
    NeedToKnowGrant(
        child=people.child,
        grantee=people.keyperson2,
        level=Level.CHILD_PROTECTION,
        reason="Covering the Sunflower room.",
        ends_at=timezone.now() + timedelta(days=3),
        granted_by=people.lead,
    ).save()
    seen = {
        name: policy.visible_decisions(getattr(people, name).user).filter(pk=decision.pk).exists()
        for name in ("lead", "deputy", "keyperson1", "keyperson2", "practitioner", "office")
    }
    assert seen == {
        "lead": True,
        "deputy": True,
        "keyperson1": False,
        "keyperson2": False,
        "practitioner": True,
        "office": False,
    }
    assert not policy.visible_decisions(people.it_admin).exists()
    # Not listed on the child's page for the key person either, nor counted.
    page = client_for("keyperson1").get(reverse("consent:child", args=[people.child.pk]))
    assert str(decision.pk) not in page.content.decode()
    assert "No sharing decision you can see" in page.content.decode()


def test_uninvolved_practitioner_gets_404_and_the_refusal_is_audited(people, client_for):
    decision = propose(people.child, people.keyperson1)
    response = client_for("keyperson2").get(reverse("consent:decision_detail", args=[decision.pk]))
    assert response.status_code == 404
    assert LogEntry.objects.filter(
        object_pk=str(decision.pk), additional_data__event="refused"
    ).exists()


# --- after the decision ---------------------------------------------------------------------


def _approved(people, **overrides):
    decision = propose(people.child, people.keyperson1, **overrides)
    services.approve_sharing_decision(
        decision=decision, approver=people.lead.user, rationale="Agreed."
    )
    decision.refresh_from_db()
    return decision


def test_only_an_approved_decision_can_be_marked_shared(people):
    pending = propose(people.child, people.keyperson1)
    with pytest.raises(ValidationError):
        services.mark_shared(
            decision=pending,
            by=people.keyperson1.user,
            shared_what="Two observations.",
            shared_at=timezone.now(),
            shared_how="secure_email",
        )
    pending.refresh_from_db()
    assert pending.state == DecisionState.PROPOSED
    assert pending.shared_at is None


def test_a_decision_not_to_share_is_never_marked_shared(people):
    decision = _approved(people, decision="not_share")
    with pytest.raises(ValidationError) as error:
        services.mark_shared(
            decision=decision,
            by=people.lead.user,
            shared_what="x",
            shared_at=timezone.now(),
            shared_how="phone",
        )
    assert "decision not to share" in str(error.value)


def test_shared_then_family_told_through_the_pages(people, client_for):
    decision = _approved(people)
    client = client_for("keyperson1")
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("consent:decision_shared", args=[decision.pk]),
        {
            "shared_what": "The two speech observations.",
            "shared_at": now,
            "shared_how": "secure_email",
        },
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.state == DecisionState.SHARED
    assert decision.shared_by == people.keyperson1
    assert decision.shared_what == "The two speech observations."
    response = client.post(
        reverse("consent:family_informed", args=[decision.pk]),
        {"informed_at": now, "how": "in_person"},
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.state == DecisionState.FAMILY_INFORMED
    assert decision.family_recorded_by == people.keyperson1
    events = set(
        LogEntry.objects.filter(object_pk=str(decision.pk)).values_list(
            "additional_data__event", flat=True
        )
    )
    assert {"sharing_approved", "sharing_shared", "sharing_family_informed"} <= events


def test_not_telling_the_family_needs_the_lead_and_a_reason(people, client_for):
    decision = _approved(people)
    services.mark_shared(
        decision=decision,
        by=people.lead.user,
        shared_what="The incident form.",
        shared_at=timezone.now(),
        shared_how="phone",
    )
    url = reverse("consent:family_not_informed", args=[decision.pk])
    assert client_for("keyperson1").post(url, {"reason": "Risk."}).status_code == 404
    response = client_for("lead").post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Record why telling the family would put the child at risk" in response.content.decode()
    decision.refresh_from_db()
    assert decision.state == DecisionState.SHARED
    assert (
        client_for("lead").post(url, {"reason": "Telling them would alert the adult."}).status_code
        == 302
    )
    decision.refresh_from_db()
    assert decision.state == DecisionState.FAMILY_NOT_INFORMED
    assert decision.family_not_informed_reason == "Telling them would alert the adult."


def test_a_change_is_a_new_decision_that_replaces_the_earlier_one(people, client_for):
    earlier = _approved(people)
    client = client_for("keyperson1")
    form = client.get(
        reverse("consent:decision_create", args=[people.child.pk]), {"supersedes": earlier.pk}
    )
    assert form.status_code == 200
    assert "replaces an earlier decision" in form.content.decode()
    response = _post_proposal(
        client, people.child, supersedes=str(earlier.pk), recipient_person="School SENCO"
    )
    assert response.status_code == 302
    later = SharingDecision.objects.exclude(pk=earlier.pk).get()
    assert later.supersedes == earlier
    assert later.state == DecisionState.PROPOSED
    earlier.refresh_from_db()
    assert earlier.recipient_person == "Health visitor"
    assert earlier.lead_decision == LeadDecision.APPROVED


def test_a_pending_decision_cannot_be_replaced_yet(people):
    pending = propose(people.child, people.keyperson1)
    with pytest.raises(ValidationError) as error:
        propose(people.child, people.keyperson1, supersedes=pending)
    assert "still waiting for the Lead" in str(error.value)
    assert SharingDecision.objects.count() == 1


def test_referral_acknowledgement_is_due_one_working_day_after_sharing(people):
    decision = _approved(people, recipient_kind="s17", lsp_procedures="yes")
    shared_at = timezone.now()
    services.mark_shared(
        decision=decision,
        by=people.keyperson1.user,
        shared_what="The referral form.",
        shared_at=shared_at,
        shared_how="online_referral",
    )
    decision.refresh_from_db()
    assert decision.acknowledgement_due_at == one_working_day_after(shared_at)
    with pytest.raises(ValidationError):
        services.record_referral_outcome(
            decision=decision,
            by=people.keyperson1.user,
            outcome="early_help",
            outcome_at=timezone.now(),
        )
    services.record_referral_acknowledged(
        decision=decision, by=people.keyperson1.user, acknowledged_at=timezone.now()
    )
    services.record_referral_outcome(
        decision=decision,
        by=people.keyperson1.user,
        outcome="early_help",
        outcome_at=timezone.now(),
        notes="Family support worker allocated.",
    )
    decision.refresh_from_db()
    assert decision.outcome == "early_help"
    assert decision.outcome_notes == "Family support worker allocated."


# --- emergency shares, and the details a form hands to the services ----------------------------


def _post_emergency(client, child, **overrides):
    data = emergency_data(**overrides)
    data["shared_at"] = timezone.localtime(data["shared_at"]).strftime("%Y-%m-%dT%H:%M")
    return client.post(reverse("consent:emergency_share", args=[child.pk]), data)


def test_the_deputy_records_an_emergency_share_through_the_page(people, client_for):
    response = _post_emergency(client_for("deputy"), people.child)
    assert response.status_code == 302
    decision = SharingDecision.objects.get()
    assert response.url == reverse("consent:decision_detail", args=[decision.pk])
    assert decision.retrospective
    assert decision.state == DecisionState.SHARED
    assert decision.shared_by == people.deputy
    assert decision.shared_how == "phone"
    assert decision.level == Level.CHILD_PROTECTION
    assert decision.recipient_person == "Duty social worker"
    assert decision.no_consent_reason == "would_increase_risk"


def test_an_emergency_share_without_its_reasons_is_refused_on_the_page_and_nothing_saved(
    people, client_for
):
    response = _post_emergency(
        client_for("deputy"), people.child, emergency_reason="", no_consent_explanation=""
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Say why the child was at risk and it could not wait." in page
    assert "Consent was not sought: explain the facts of the case" in page
    assert not SharingDecision.objects.exists()


def test_an_emergency_share_links_no_consent_record(people):
    record = consent_factory(people.child, people.keyperson1)
    with pytest.raises(ValueError, match="does not link a consent record"):
        emergency(people.child, people.deputy, consent_record=record)
    assert not SharingDecision.objects.exists()


def test_decision_details_from_a_form_take_only_the_details(people):
    entry = make_entry(people.child, people.keyperson1)
    details = services.DecisionDetails.from_cleaned_data(
        {
            **decision_data(),
            "entries": RecordEntry.objects.filter(pk=entry.pk),
            "level": None,
            "supersedes": None,
            "emergency_reason": "Not a detail of the decision.",
        }
    )
    assert details.entries == [entry]
    assert details.recipient_kind == "health"
    assert details.other_children == ()
    assert details.consent_record is None
    assert details.service_agreement == "not_applicable"


def test_a_second_click_is_refused_with_a_message_not_a_blank_page(people, client_for):
    """A form posted again once its step is done (a double click, a second tab) is refused with
    the reason at the top of the page, though the form itself is no longer shown."""
    decision = _approved(people, recipient_kind="s17", lsp_procedures="yes")
    services.mark_shared(
        decision=decision,
        by=people.keyperson1.user,
        shared_what="The referral form.",
        shared_at=timezone.now(),
        shared_how="online_referral",
    )
    services.record_referral_acknowledged(
        decision=decision, by=people.keyperson1.user, acknowledged_at=timezone.now()
    )
    url = reverse("consent:referral_outcome", args=[decision.pk])
    data = {
        "outcome": "early_help",
        "outcome_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "notes": "Family support worker allocated.",
    }
    client = client_for("keyperson1")
    assert client.post(url, data).status_code == 302

    again = client.post(url, data)

    assert again.status_code == 400
    page = again.content.decode()
    assert "There is a problem: nothing was changed" in page
    decision.refresh_from_db()
    assert decision.outcome == "early_help"
