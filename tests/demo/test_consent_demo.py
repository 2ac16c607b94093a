"""The demo data seed_demo adds for consent and sharing: every state, all fictional."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from consent.models import (
    Confidentiality,
    ConsentRecord,
    DecisionState,
    Disclosure,
    LeadDecision,
    SharingDecision,
)
from demo.consent import seed_consent_demo
from records.models import Category

from ..factories import make_entry

pytestmark = pytest.mark.django_db


def test_demo_has_decisions_in_every_state_and_disclosures_not_yet_asked(people, client_for):
    for child in (people.child, people.other_child):
        make_entry(child, child.key_person)
        make_entry(child, child.key_person, category=Category.CONCERN)
    staff = {
        s.user.username: s
        for s in (people.lead, people.deputy, people.keyperson1, people.keyperson2, people.office)
    }
    made = seed_consent_demo(
        rng=random.Random(7), setting_staff=staff, children=[people.child, people.other_child]
    )
    assert made["sharing_decisions"] == SharingDecision.objects.count()
    states = set(SharingDecision.objects.values_list("state", flat=True))
    assert states == set(DecisionState.values)
    decisions = SharingDecision.objects.all()
    assert decisions.filter(lead_decision=LeadDecision.PENDING, retrospective=False).count() >= 2
    assert decisions.filter(retrospective=True).count() == 1
    assert decisions.filter(lead_decision=LeadDecision.DECLINED).exists()
    assert decisions.filter(decision="not_share", lead_decision=LeadDecision.APPROVED).exists()
    assert decisions.filter(supersedes__isnull=False).exists()
    assert Disclosure.objects.filter(confidentiality=Confidentiality.NOT_ASKED).exists()
    assert ConsentRecord.objects.filter(status="withdrawn").exists()
    # Every demo decision opens in the admin for the Lead.
    lead = client_for("lead")
    for decision in decisions:
        url = reverse("admin:consent_sharingdecision_change", args=[decision.pk])
        assert lead.get(url).status_code == 200
        assert lead.get(reverse("consent:decision_detail", args=[decision.pk])).status_code == 200
