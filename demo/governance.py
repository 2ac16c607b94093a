"""The setting as data controller, in the demo: a breach from last term, assessed, not reported
(with reasons) and closed; and one found this morning, its 72-hour clock running (fictional)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from governance import breaches
from governance.models import Breach


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
