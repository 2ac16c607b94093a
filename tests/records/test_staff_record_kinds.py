"""Staff records of their own kinds: a member of staff reads their own supervision and training
records (never the Lead's notes marked confidential, nor their health, concern or capability
records); checks running out and supervision overdue reach the Lead's dashboard."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from records import selectors, services
from records.models import StaffRecordKind

from ..conftest import sign_in

pytestmark = pytest.mark.django_db


def add(people, kind, text, **extra):
    return services.record_staff_record(
        staff=people.keyperson1,
        by=people.lead.user,
        kind=kind,
        occurred_on=extra.pop("occurred_on", timezone.localdate() - timedelta(days=10)),
        text=text,
        **extra,
    )


def test_a_member_of_staff_reads_their_own_supervision_and_training_only(people, client):
    add(people, StaffRecordKind.SUPERVISION, "Supervision: settling the new starters went well.")
    add(people, StaffRecordKind.SUPERVISION, "Lead's note: watch the rota.", confidential=True)
    add(
        people,
        StaffRecordKind.TRAINING,
        "Paediatric first aid, 12 hours.",
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    add(people, StaffRecordKind.HEALTH, "Declared asthma.")
    add(people, StaffRecordKind.CAPABILITY, "Informal capability meeting.")

    sign_in(client, people.keyperson1.user)
    page = client.get(reverse("records:my_records")).content.decode()
    assert "settling the new starters" in page and "Paediatric first aid" in page
    for hidden in ("watch the rota", "asthma", "capability meeting"):
        assert hidden not in page
    client.logout()
    sign_in(client, people.keyperson2.user)
    assert "Paediatric first aid" not in client.get(reverse("records:my_records")).content.decode()


def test_running_out_and_supervision_overdue_are_counted(people):
    today = timezone.localdate()
    assert selectors.staff_checks(today).expiring == 0
    add(
        people,
        StaffRecordKind.TRAINING,
        "Safeguarding level 1.",
        expires_on=today + timedelta(days=20),
    )
    before = selectors.staff_checks(today).supervision_overdue
    add(people, StaffRecordKind.SUPERVISION, "Termly supervision.")
    checks = selectors.staff_checks(today)
    assert checks.expiring == 1
    assert checks.supervision_overdue == before - 1  # keyperson1 is supervised now


def test_a_record_that_runs_out_before_it_was_made_is_refused(people):
    with pytest.raises(ValidationError):
        add(
            people,
            StaffRecordKind.TRAINING,
            "First aid.",
            occurred_on=date(2026, 1, 10),
            expires_on=date(2026, 1, 1),
        )


def test_a_renewal_replaces_the_record_it_renews(people):
    today = timezone.localdate()
    add(
        people,
        StaffRecordKind.TRAINING,
        "First aid, 2023.",
        occurred_on=today - timedelta(days=1000),
        expires_on=today - timedelta(days=10),
    )
    assert selectors.staff_checks(today).expiring == 1
    add(
        people,
        StaffRecordKind.TRAINING,
        "First aid, renewed.",
        expires_on=today.replace(year=today.year + 3),
    )
    assert selectors.staff_checks(today).expiring == 0
