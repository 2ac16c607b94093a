"""The setting as data controller, in the demo: a breach from last term, assessed, not reported
(with reasons) and closed; and one found this morning, its 72-hour clock running (fictional)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from governance import breaches, policies
from governance.models import Breach, Policy


def record_breaches(*, lead: User, practitioner: User) -> list[Breach]:
    now = timezone.now()
    old = breaches.report(
        by=practitioner,
        aware_at=now - timedelta(days=70),
        what_happened="A newsletter email went to the parents' list with every address visible "
        "(To: instead of Bcc:).",
    )
    breaches.assess(
        by=lead,
        breach=old,
        data_affected="Email addresses of 41 parents; no other data.",
        people_affected=41,
        risk="unlikely",
        risk_reasoning="The parents already share a class contact list; no sensitive data.",
    )
    breaches.decide(
        by=lead,
        breach=old,
        decision="not_report",
        reason="Unlikely to result in a risk: the addresses were already known to each other.",
    )
    breaches.people_told(
        by=lead,
        breach=old,
        told="not_needed",
        note="Not a high risk; an apology went to the list the same day anyway.",
    )
    breaches.close(
        by=lead,
        breach=old,
        actions="Newsletters now go from the mailing tool, never from a personal inbox.",
    )
    new = breaches.report(
        by=practitioner,
        aware_at=now - timedelta(hours=10),
        what_happened="A printed room list with children's allergies is missing after the "
        "outing to the park.",
    )
    return [old, new]


POLICY_10_9 = (
    "Our setting's work with children and families brings us into contact with confidential "
    "information. We keep records securely; only those with a right or professional need see "
    "them. We ask parents whether what they tell us is confidential. We share with other "
    "professionals with informed consent, or record why not when a child's safety is at risk. We "
    "tell parents when sensitive things are recorded, and parents may see their file on request."
)


def register_policies(*, lead: User) -> Policy:
    """Policy 10.9 on the register, its review (due two years after adoption) overdue."""
    return policies.add_policy(
        by=lead,
        number="10.9",
        title="Confidentiality and Client Access to Records",
        review_every_months=24,
        text=POLICY_10_9,
        adopted_on=date(2023, 7, 21),
        approved_by="The chair, for the trustees",
        review_due_on=date(2025, 7, 21),
    )
