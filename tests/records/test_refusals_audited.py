"""Every refusal is audited (DESIGN.md): asking for a carer, a request, a grant, a break-glass
opening, a member of staff or an acting-Lead appointment one may not see writes a "refused"
event naming it and the person; a random id writes none (it names nothing)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from records.models import ActingLead, BreakGlass, Level, NeedToKnowGrant

from ..access_requests.conftest import record

pytestmark = pytest.mark.django_db


def refusals(user):
    return list(
        LogEntry.objects.filter(additional_data__event="refused", actor=user).values_list(
            "object_pk", flat=True
        )
    )


@pytest.fixture
def hidden(people):
    now = timezone.now()
    grant = NeedToKnowGrant(
        child=people.other_child,
        grantee=people.practitioner,
        level=Level.GENERAL,
        reason="Covering.",
        ends_at=now + timedelta(days=2),
        granted_by=people.lead,
    )
    grant.save()
    opening = BreakGlass(
        child=people.other_child,
        staff=people.keyperson2,
        reason="Emergency.",
        ends_at=now + timedelta(hours=1),
    )
    opening.save()
    acting = ActingLead(
        deputy=people.deputy, appointed_by=people.lead, reason="Away.", ends_at=now + timedelta(1)
    )
    acting.save()
    sar = record(people)
    return {
        "consent:carer": people.other_child.carers.get(),
        "records:grant_revoke": grant,
        "records:break_glass_review": opening,
        "records:staff_edit": people.keyperson2,
        "records:acting_lead_end": acting,
        "access_requests:detail": sar,
    }


POSTED = {"records:grant_revoke", "records:acting_lead_end"}


@pytest.mark.parametrize(
    "url_name",
    [
        "consent:carer",
        "records:grant_revoke",
        "records:break_glass_review",
        "records:staff_edit",
        "records:acting_lead_end",
        "access_requests:detail",
    ],
)
def test_a_refusal_is_audited_and_a_random_id_is_not(people, client_for, hidden, url_name):
    # keyperson1: not the other child's, not a manager, not the Lead.
    client = client_for("keyperson1")
    user = people.keyperson1.user
    method = client.post if url_name in POSTED else client.get
    obj = hidden[url_name]
    assert method(reverse(url_name, args=[obj.pk])).status_code == 404
    assert refusals(user) == [str(obj.pk)]
    assert method(reverse(url_name, args=[uuid.uuid4()])).status_code == 404
    assert refusals(user) == [str(obj.pk)]
