"""The breach log and its 72-hour clock, with frozen time: reported by anyone, the clock runs
through the weekend from the moment the setting became aware, the Lead is emailed at 24 and 6
hours left (no content), a breach assessed as a risk cannot go unreported, the people affected are
told when the risk is high, and only a settled breach closes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from governance import breaches
from governance.models import Breach

from ..conftest import sign_in

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# A Friday at five in the afternoon: the 72 hours end on Monday at five.
FRIDAY = datetime(2026, 12, 4, 17, 0, tzinfo=LONDON)
WHAT = "A register with children's names and allergies was left on the bus."


def at(monkeypatch: Any, moment: datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def reported(people: Any, monkeypatch: Any) -> Breach:
    at(monkeypatch, FRIDAY + timedelta(minutes=20))
    return breaches.report(by=people.practitioner.user, aware_at=FRIDAY, what_happened=WHAT)


def test_anyone_reports_and_the_clock_runs_through_the_weekend(people, monkeypatch, client):
    breach = reported(people, monkeypatch)

    assert breach.ico_deadline == datetime(2026, 12, 7, 17, 0, tzinfo=LONDON)
    assert breach.hours_left() == pytest.approx(72 - 20 / 60)
    # The practitioner reported it; the log is the Lead's and the Deputy's.
    sign_in(client, people.practitioner.user)
    assert client.get(reverse("governance:breaches")).status_code == 404
    assert client.get(reverse("governance:breach", args=[breach.pk])).status_code == 404
    client.logout()
    sign_in(client, people.deputy.user)
    page = client.get(reverse("governance:breach", args=[breach.pk]))
    assert page.status_code == 200 and "hours left to tell the ICO" in page.content.decode()


def test_the_lead_and_the_chair_are_emailed_at_24_and_6_hours_left_and_never_twice(
    people, monkeypatch
):
    people.lead.user.email = "lead@example.test"
    people.lead.user.save()
    people.deputy.user.email = ""
    people.deputy.user.save()
    breach = reported(people, monkeypatch)

    at(monkeypatch, FRIDAY + timedelta(hours=40))
    assert breaches.remind() == 0
    at(monkeypatch, FRIDAY + timedelta(hours=48, minutes=5))  # Sunday, 24 hours left
    assert breaches.remind() == 1
    assert breaches.remind() == 0
    at(monkeypatch, FRIDAY + timedelta(hours=66, minutes=5))  # Monday, 6 hours left
    assert breaches.remind() == 1
    both = ["chair@example.test", "lead@example.test"]
    assert [m.to for m in mail.outbox] == [both, both]
    for message in mail.outbox:
        assert "register" not in message.body and "allergies" not in message.body
        assert breach.reference in message.body
    assert Breach.objects.get(pk=breach.pk).reminders == [24, 6]


def test_a_risk_cannot_go_unreported_and_a_report_stops_the_clock(people, monkeypatch):
    breach = reported(people, monkeypatch)
    with pytest.raises(ValidationError):  # not assessed yet
        breaches.decide(by=people.lead.user, breach=breach, decision="not_report", reason="Small.")
    breaches.assess(
        by=people.deputy.user,
        breach=breach,
        data_affected="Names and allergies of 12 children.",
        people_affected=12,
        risk="risk",
        risk_reasoning="Allergy details are health data; the register may be found by anyone.",
    )
    with pytest.raises(PermissionDenied):
        breaches.decide(by=people.deputy.user, breach=breach, decision="report", reason="x")
    with pytest.raises(ValidationError):
        breaches.decide(by=people.lead.user, breach=breach, decision="not_report", reason="Small.")
    assert [b for b, _ in breaches.running()] == [breach]

    at(monkeypatch, FRIDAY + timedelta(hours=3))
    breaches.decide(
        by=people.lead.user,
        breach=breach,
        decision="report",
        reason="Health data of children, lost in a public place.",
        ico_reported_at=FRIDAY + timedelta(hours=2),
        ico_reference="IC-123456-A1B2",
    )
    assert breaches.running() == []


def test_the_people_told_when_the_risk_is_high_and_closing_needs_everything(people, monkeypatch):
    breach = reported(people, monkeypatch)
    breaches.assess(
        by=people.lead.user,
        breach=breach,
        data_affected="Safeguarding notes.",
        people_affected=1,
        risk="high",
        risk_reasoning="Child-protection details.",
    )
    with pytest.raises(ValidationError):
        breaches.close(by=people.lead.user, breach=breach, actions="Lockers for registers.")
    breaches.decide(
        by=people.lead.user,
        breach=breach,
        decision="report",
        reason="High risk.",
        ico_reported_at=FRIDAY + timedelta(minutes=10),
    )
    with pytest.raises(ValidationError):
        breaches.people_told(
            by=people.lead.user, breach=breach, told="not_needed", note="Not needed."
        )
    breaches.people_told(
        by=people.lead.user, breach=breach, told="told", note="The family, by phone, Friday."
    )
    closed = breaches.close(
        by=people.lead.user, breach=breach, actions="Registers stay in the locked cabinet."
    )
    assert closed.closed_at is not None
    with pytest.raises(ValidationError):
        breaches.assess(
            by=people.lead.user,
            breach=closed,
            data_affected="x",
            people_affected=1,
            risk="high",
            risk_reasoning="x",
        )


def test_a_report_form_with_no_words_is_refused_and_records_nothing(people, client):
    sign_in(client, people.practitioner.user)
    refused = client.post(
        reverse("governance:breach_new"), {"aware_at": "2026-12-01T09:00", "what_happened": " "}
    )
    assert refused.status_code == 400 and b"error-summary" in refused.content
    assert not Breach.objects.exists()


def test_the_deputy_is_reminded_too_when_the_lead_has_no_address(people, monkeypatch):
    people.lead.user.email = ""
    people.lead.user.save()
    people.deputy.user.email = "deputy@example.test"
    people.deputy.user.save()
    reported(people, monkeypatch)
    at(monkeypatch, FRIDAY + timedelta(hours=70))
    assert breaches.remind() == 1
    assert mail.outbox[0].to == ["chair@example.test", "deputy@example.test"]


def test_a_new_assessment_as_a_risk_undoes_the_decision_not_to_report(people, monkeypatch):
    breach = reported(people, monkeypatch)
    breaches.assess(
        by=people.lead.user,
        breach=breach,
        data_affected="One parent's email address.",
        people_affected=1,
        risk="unlikely",
        risk_reasoning="Sent to the other parent of the same child.",
    )
    breaches.decide(by=people.lead.user, breach=breach, decision="not_report", reason="Low.")
    breaches.people_told(by=people.lead.user, breach=breach, told="not_needed", note="Low.")
    assert breaches.running() == []

    breaches.assess(
        by=people.lead.user,
        breach=breach,
        data_affected="The email held the child's safeguarding notes.",
        people_affected=1,
        risk="high",
        risk_reasoning="Child-protection details went to a parent under a court order.",
    )
    breach.refresh_from_db()
    assert (breach.decision, breach.people_told) == ("", "")
    assert [b for b, _ in breaches.running()] == [breach]
    with pytest.raises(ValidationError):
        breaches.close(by=people.lead.user, breach=breach, actions="Checked the list.")
    with pytest.raises(ValidationError):  # reported before anyone knew of it
        breaches.decide(
            by=people.lead.user,
            breach=breach,
            decision="report",
            reason="High risk.",
            ico_reported_at=FRIDAY - timedelta(hours=1),
        )
