"""Journey 3, on a tablet (768 px wide): a key person proposes sharing with children's social
care without consent because the child is at risk; the Lead approves it in the admin screen with
a rationale, records the share, and records why the family is not told."""

from __future__ import annotations

import re

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from consent.models import (
    ConsentToShare,
    DecisionState,
    LeadDecision,
    NoConsentReason,
    SharedHow,
    SharingDecision,
)
from records.models import Category

from ..factories import make_child, make_entry
from .conftest import check_page, doc_screenshot, sign_in_browser, sign_out_browser

pytestmark = pytest.mark.django_db(transaction=True)

TABLET = {"width": 768, "height": 1024}


def test_lead_approves_sharing_without_consent_and_records_why_the_family_is_not_told(page, people):
    page.set_viewport_size(TABLET)
    child = make_child(
        room=people.sunflower, key_person=people.keyperson1, first_name="Leo", last_name="Marsh"
    )
    entry = make_entry(
        child,
        people.keyperson1,
        category=Category.CONCERN,
        text="Leo said the man at home hurt his arm; a fingertip bruise on the upper arm.",
    )

    # The key person proposes the share from the child's page.
    sign_in_browser(page, people.keyperson1.user)
    page.goto(f"/children/{child.pk}/")
    check_page(page)
    page.get_by_role("link", name="Propose sharing information").click()
    page.get_by_role("heading", name="Propose sharing information about Leo Marsh").wait_for()
    check_page(page)
    page.get_by_label("Share the information", exact=True).check()
    page.get_by_label("Who it would go to").select_option("s17")
    page.get_by_label("Organisation").fill("Exampleshire Children's Services")
    page.get_by_label("Person or role").fill("Duty social worker, front door team")
    page.get_by_label("What it is for").fill("A referral: Leo may be at risk of harm at home.")
    page.get_by_role("group", name="Record entries to share").get_by_role("checkbox").check()
    page.get_by_label("Lawful basis").select_option("public_task")
    page.get_by_label("Why it is necessary and proportionate").fill(
        "Only the concern of today and Leo's own words are shared."
    )
    page.get_by_role("group", name="Consent to share").get_by_label(
        "Not sought", exact=True
    ).check()
    page.get_by_role("group", name="Local Safeguarding Partners procedures").get_by_label(
        "Followed", exact=True
    ).check()
    page.get_by_role("button", name="Propose the decision").click()

    # Consent not sought and no reason given: the error is announced and linked to its field.
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    check_page(page)
    summary.get_by_role("link", name=re.compile("^Reason consent was not sought")).click()
    assert page.evaluate("document.activeElement.id") == "id_no_consent_reason"
    assert not SharingDecision.objects.exists()

    page.get_by_label("Reason consent was not sought, or was overridden").select_option(
        NoConsentReason.RISK_OF_HARM
    )
    page.get_by_label("The facts of the case that justify it").fill(
        "Asking the family first could put Leo at further risk tonight."
    )
    page.get_by_role("button", name="Propose the decision").click()
    page.get_by_text("The decision was proposed.").wait_for()
    check_page(page)

    decision = SharingDecision.objects.get(child=child)
    assert decision.state == DecisionState.PROPOSED
    assert decision.lead_decision == LeadDecision.PENDING
    assert decision.author == people.keyperson1
    assert decision.consent == ConsentToShare.NOT_SOUGHT
    assert decision.no_consent_reason == NoConsentReason.RISK_OF_HARM
    assert list(decision.entries.all()) == [entry]

    # The Lead finds it on the dashboard and approves it in the admin screen.
    sign_out_browser(page)
    sign_in_browser(page, people.lead.user)
    page.goto("/")
    check_page(page)
    page.get_by_role("link", name=re.compile("^Leo Marsh: share the information")).click()
    page.wait_for_url(f"**/admin/consent/sharingdecision/{decision.pk}/change/")
    check_page(page)
    doc_screenshot(page, "admin-approval")
    page.get_by_role("link", name="Approve…").click()
    check_page(page)
    page.get_by_label("Your rationale (required)").fill(
        "Threshold for a referral is met; consent not sought because asking could raise the risk."
    )
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"**/admin/consent/sharingdecision/{decision.pk}/change/")
    check_page(page)
    decision.refresh_from_db()
    assert decision.state == DecisionState.APPROVED
    assert decision.decided_by == people.lead

    # The share is made and recorded; then the Lead records why the family is not told.
    page.goto(f"/consent/sharing/{decision.pk}/")
    check_page(page)
    page.get_by_label("What exactly was shared").fill("The concern entry and Leo's words.")
    page.get_by_label("How it was shared").select_option(SharedHow.ONLINE_REFERRAL)
    page.get_by_role("button", name="Record the share").click()
    page.get_by_text("Recorded what was shared, when and how.").wait_for()
    check_page(page)
    page.get_by_text("Do not tell the family (Lead's decision)").click()
    page.get_by_label("Why telling the family would put the child at risk").fill(
        "The person of concern lives in the home; social care will tell the family."
    )
    page.get_by_role("button", name="Record the decision not to tell").click()
    page.get_by_text("Recorded your decision not to tell the family, and why.").wait_for()
    check_page(page)

    decision.refresh_from_db()
    assert decision.state == DecisionState.FAMILY_NOT_INFORMED
    assert decision.shared_by == people.lead
    assert decision.shared_how == SharedHow.ONLINE_REFERRAL
    assert decision.family_recorded_by == people.lead
    assert decision.family_not_informed_reason.startswith("The person of concern")

    # The audit log: proposed by the key person; approved, shared and the family's not being
    # told decided by the Lead.
    rows = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(SharingDecision),
        object_pk=str(decision.pk),
    )
    assert rows.filter(action=LogEntry.Action.CREATE, actor=people.keyperson1.user).exists()
    lead_events = set(
        rows.filter(actor=people.lead.user).values_list("additional_data__event", flat=True)
    )
    assert {"sharing_approved", "sharing_shared", "sharing_family_not_informed"} <= lead_events
    # The rationale is encrypted: no audit row holds its words.
    for row in LogEntry.objects.all():
        assert "Threshold for a referral" not in f"{row.changes} {row.additional_data}"
