from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from accounts.models import EnrolmentCode
from records.models import Role, Staff

pytestmark = pytest.mark.django_db


def _new_staff(client, **extra):
    data = {
        "full_name": "Alex Newstarter",
        "username": "alex",
        "email": "alex@example.test",
        "role": Role.PRACTITIONER,
        "rooms": [],
        "job_title": "Early years practitioner",
        "password": "a-long-enough-passphrase-7",
    }
    data.update(extra)
    return client.post(reverse("records:staff_create"), data)


def test_lead_adds_a_practitioner_and_is_shown_a_one_time_enrolment_code(people, client_for):
    response = _new_staff(client_for("lead"), rooms=[people.sunflower.pk])
    assert response.status_code == 200
    staff = Staff.objects.get(user__username="alex")
    assert list(staff.rooms.all()) == [people.sunflower]
    assert not staff.user.is_staff
    code = response.context["code"]
    stored = EnrolmentCode.objects.get(user=staff.user)
    assert stored.code_hash != code
    assert check_password(code, stored.code_hash)
    assert LogEntry.objects.filter(
        object_pk=str(staff.pk), additional_data__event="enrolment_code_issued"
    ).exists()


def test_deputy_gets_admin_access_for_sharing_decisions(people, client_for):
    _new_staff(client_for("lead"), role=Role.DEPUTY, username="deputy2")
    assert get_user_model().objects.get(username="deputy2").is_staff


def test_short_or_common_password_is_refused_and_no_account_made(people, client_for):
    for password in ("short-pw", "password12345"):
        response = _new_staff(client_for("lead"), password=password)
        assert response.status_code == 200
        assert "There is a problem" in response.content.decode()
    assert not get_user_model().objects.filter(username="alex").exists()


def test_nobody_but_the_lead_manages_staff(people, client_for):
    assert _new_staff(client_for("deputy")).status_code == 404
    assert not get_user_model().objects.filter(username="alex").exists()


def test_lead_cannot_create_a_second_lead(people, client_for):
    response = _new_staff(client_for("lead"), role=Role.LEAD)
    assert response.status_code == 200
    assert not Staff.objects.filter(user__username="alex").exists()
