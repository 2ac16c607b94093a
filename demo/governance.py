"""The setting as data controller, in the demo: a breach from last term, assessed, not reported
(with reasons) and closed; one found this morning, its 72-hour clock running; policy 10.9 overdue
for review; and two allegations against staff, one of them against the Lead (all fictional)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from governance import allegations, breaches, policies
from governance.models import Allegation, AllegationKind, Breach, Policy
from records.models import Child, Staff


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


ALLEGATION_PRACTITIONER = (
    "At lunch a child spilt water and I heard her say 'you stupid boy' and pull his chair away "
    "from the table hard. Two other children were at the table. It was about 12:15."
)
ALLEGATION_LEAD = (
    "A parent told me at collection that her daughter said the Lead smacked her hand in the "
    "office this morning. I have written down the parent's words as she said them."
)


def record_allegations(
    *, staff: dict[str, Staff], users: dict[str, User], children: list[Child]
) -> list[Allegation]:
    """An allegation against a practitioner, reported three days ago and referred to the LADO by
    the Lead; and one against the Lead, reported this morning by the Deputy, of serious harm, for
    the safeguarding trustee (the Lead sees nothing of it)."""
    # A child the person recording may see (their own key child), and another for the Deputy.
    mine = [c for c in children if c.key_person_id == staff["keyperson1"].pk][:1]
    other = [c for c in children if c not in mine][:1]
    first = allegations.record(
        by=users["keyperson1"],
        accused=staff["keyperson3"],
        kind=AllegationKind.ALLEGATION,
        what_alleged=ALLEGATION_PRACTITIONER,
        occurred_on=timezone.localdate() - timedelta(days=3),
        children=mine,
    )
    three_days_ago = timezone.now() - timedelta(days=3)
    Allegation.objects.filter(pk=first.pk).update(reported_at=three_days_ago)
    first.refresh_from_db()
    allegations.refer_to_lado(
        by=users["lead"],
        allegation=first,
        referred_at=three_days_ago + timedelta(hours=2),
        reference="LADO-2026-0412",
        advice="Not a referral to the police; the setting to investigate under its own "
        "procedures and report back within 10 working days.",
    )
    allegations.record_strategy(
        by=users["lead"],
        allegation=first,
        outcome="Internal investigation agreed with the LADO; statements from the two staff "
        "present.",
        suspension="not_suspended",
        suspension_note="Moved to the Kingfishers room with another practitioner present, "
        "pending the investigation.",
    )
    second = allegations.record(
        by=users["deputy"],
        accused=staff["lead"],
        kind=AllegationKind.ALLEGATION,
        what_alleged=ALLEGATION_LEAD,
        occurred_on=timezone.localdate(),
        serious_harm=True,
        children=other,
    )
    return [first, second]
