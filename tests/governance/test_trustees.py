"""The trustees: the chair and the safeguarding trustee sign in like everyone (two factors), see
the setting's governance (the breach log, the policy register, the record of processing) and never
a child's record, a family or an entry; they read the breach log and the register but do not keep
them; the safeguarding trustee handles the Lead's own subject-access request, and the Lead's staff
pages do not reach the trustees' accounts."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from access_requests import policy as sar_policy
from access_requests import services as sar_services
from access_requests.models import RequesterKind, Status
from governance.models import Breach
from records import policy
from records import services as records_services
from records.models import Staff, StaffRecord

from ..access_requests.conftest import record
from ..conftest import sign_in

pytestmark = pytest.mark.django_db


def test_a_trustee_without_two_factors_is_not_let_in(people, client):
    client.force_login(people.trustee.user)
    response = client.get(reverse("governance:breaches"))
    assert response.status_code == 302 and "/account/" in response["Location"]


def test_trustees_see_governance_and_no_child(people, client):
    for person in (people.trustee, people.chair):
        assert not policy.visible_children(person.user).exists()
        assert not policy.visible_entries(person.user).exists()
        assert not policy.can_write_entry(person.user, people.child)
    sign_in(client, people.chair.user)
    dashboard = client.get(reverse("home:dashboard")).content.decode()
    assert "For the trustees" in dashboard
    assert people.child.first_name not in dashboard
    assert reverse("records:child_list") not in dashboard
    assert client.get(reverse("records:child_list")).status_code == 404
    assert client.get(reverse("governance:policies")).status_code == 200


def test_trustees_read_the_breach_log_but_do_not_keep_it(people, client):
    breach = Breach.objects.create(
        reported_by=people.practitioner,
        aware_at=timezone.now() - timedelta(hours=3),
        what_happened="A tablet with photographs was left in the park.",
    )
    sign_in(client, people.chair.user)
    url = reverse("governance:breach", args=[breach.pk])
    shown = client.get(url).content.decode()
    assert "A tablet with photographs" in shown and 'name="step"' not in shown
    refused = client.post(
        url,
        {
            "step": "assess",
            "data_affected": "Photos.",
            "risk": "high",
            "risk_reasoning": "Faces of children.",
        },
    )
    assert refused.status_code == 404
    breach.refresh_from_db()
    assert breach.risk == "" and breach.assessed_by is None


def test_the_safeguarding_trustee_handles_the_leads_own_request(people, client):
    StaffRecord.objects.create(
        staff=people.lead,
        kind="supervision",
        recorded_by=people.lead,
        occurred_on=timezone.localdate(),
        text="Supervision with the chair.",
    )
    sar = record(
        people,
        requester_kind=RequesterKind.STAFF,
        requester_carer=None,
        requester_staff=people.lead,
        child=None,
        asked_for="Everything you hold about me.",
    )
    assert not sar_policy.can_handle_request(people.lead.user, sar)
    assert not sar_policy.can_handle_request(people.deputy.user, sar)
    assert sar_policy.can_handle_request(people.trustee.user, sar)
    # The trustee sees this request and no other.
    other = record(people)
    assert list(sar_policy.visible_requests(people.trustee.user)) == [sar]
    assert not sar_policy.can_handle_request(people.trustee.user, other)
    assert sar_services.compile_bundle(sar=sar, by=people.trustee.user) >= 1
    sar.refresh_from_db()
    assert sar.status == Status.IN_REVIEW
    sign_in(client, people.trustee.user)
    listing = client.get(reverse("access_requests:list")).content.decode()
    assert reverse("access_requests:detail", args=[sar.pk]) in listing
    assert reverse("access_requests:detail", args=[other.pk]) not in listing


def test_the_leads_staff_pages_do_not_reach_the_trustees(people, client):
    sign_in(client, people.lead.user)
    listing = client.get(reverse("records:staff_list")).content.decode()
    assert people.trustee.full_name not in listing
    assert client.get(reverse("records:staff_edit", args=[people.trustee.pk])).status_code == 404
    response = client.post(reverse("records:staff_deactivate", args=[people.trustee.pk]))
    assert response.status_code == 404
    people.trustee.refresh_from_db()
    assert people.trustee.active
    # Nor may the Lead make anyone a trustee.
    assert "safeguarding_trustee" not in dict(policy.assignable_roles())


def test_the_it_administrator_adds_a_trustee_from_the_console(people, monkeypatch):
    monkeypatch.setenv("CONFIDE_TRUSTEE_PASSWORD", "a long trustee password 2026")
    out = StringIO()
    call_command(
        "create_trustee",
        "trustee2",
        "--full-name",
        "Terry Second",
        "--role",
        "trustee",
        stdout=out,
    )
    assert "enrolment code" in out.getvalue()
    made = Staff.objects.get(user__username="trustee2")
    assert made.role == "trustee" and made.setting == people.setting
    # One safeguarding trustee at a time.
    with pytest.raises(CommandError, match="already has one"):
        call_command(
            "create_trustee",
            "trustee3",
            "--full-name",
            "Tara Third",
            "--role",
            "safeguarding_trustee",
            stdout=StringIO(),
        )
    assert not Staff.objects.filter(user__username="trustee3").exists()


def test_the_lead_cannot_make_anyone_a_trustee_through_the_staff_service(people):
    with pytest.raises(ValidationError, match="IT administrator"):
        records_services.update_staff(
            staff=people.deputy,
            by=people.lead.user,
            full_name=people.deputy.full_name,
            role="chair",
            rooms=[],
        )
    people.deputy.refresh_from_db()
    assert people.deputy.role == "deputy"
