from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import EnrolmentCode
from records.models import Role, Staff

pytestmark = pytest.mark.django_db


def test_create_lead_sets_up_a_new_installation(monkeypatch, capsys):
    monkeypatch.setenv("CONFIDE_LEAD_PASSWORD", "a-good-long-lead-passphrase")
    call_command("create_lead", "newlead", "--full-name", "Nell Newlead")
    staff = Staff.objects.get(user__username="newlead")
    assert staff.role == Role.LEAD and staff.user.is_staff
    code = capsys.readouterr().out.split("two-factor sign-in: ")[1].split()[0]
    assert check_password(code, EnrolmentCode.objects.get(user=staff.user).code_hash)


def test_create_lead_refuses_a_second_lead_and_changes_nothing(people, monkeypatch):
    monkeypatch.setenv("CONFIDE_LEAD_PASSWORD", "a-good-long-lead-passphrase")
    with pytest.raises(CommandError, match="already has a Lead"):
        call_command("create_lead", "newlead", "--full-name", "Nell Newlead")
    assert not get_user_model().objects.filter(username="newlead").exists()


def test_issue_enrolment_code_resets_the_it_admins_devices(people, capsys):
    TOTPDevice.objects.create(user=people.it_admin, name="old phone", confirmed=True)
    call_command("issue_enrolment_code", "it_admin")
    assert not TOTPDevice.objects.filter(user=people.it_admin).exists()
    assert EnrolmentCode.objects.filter(user=people.it_admin, used_at__isnull=True).exists()
    assert "One-time enrolment code" in capsys.readouterr().out


def test_admin_login_goes_through_confides_sign_in(people, client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_change_their_own_password(people, client_for):
    client = client_for("keyperson1")
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct-horse-battery-staple-42",
            "new_password1": "a-brand-new-passphrase-99",
            "new_password2": "a-brand-new-passphrase-99",
        },
    )
    assert response.status_code == 302
    people.keyperson1.user.refresh_from_db()
    assert people.keyperson1.user.check_password("a-brand-new-passphrase-99")
    assert client.get(reverse("home:dashboard")).status_code == 200


def test_weak_new_password_is_refused_and_the_old_one_kept(people, client_for):
    response = client_for("keyperson1").post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct-horse-battery-staple-42",
            "new_password1": "password1234",
            "new_password2": "password1234",
        },
    )
    assert response.status_code == 200
    people.keyperson1.user.refresh_from_db()
    assert people.keyperson1.user.check_password("correct-horse-battery-staple-42")


def test_add_post_gives_an_existing_person_a_role_in_another_setting(people, capsys):
    from core import tenancy
    from records.models import Room, Staff

    from ..factories import make_room, make_setting

    other = make_setting("Otherside Nursery")
    make_room("Acorns", setting=other)
    call_command(
        "add_post",
        "keyperson1",
        "--setting",
        "Otherside Nursery",
        "--role",
        "office",
        "--room",
        "Acorns",
    )
    posts = Staff.objects.across_settings().filter(user=people.keyperson1.user)
    assert {(p.setting_id, p.role) for p in posts} == {
        (people.setting.pk, Role.PRACTITIONER),
        (other.pk, Role.OFFICE),
    }
    with tenancy.working_in(other.pk):
        post = Staff.objects.get(user=people.keyperson1.user)
        assert post.is_intact() and [r.name for r in post.rooms.all()] == ["Acorns"]
        assert Room.objects.count() == 1
    assert "now also works at Otherside Nursery" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--setting", "Otherside Nursery", "--role", "office"], "no active account"),
        (["keyperson1", "--setting", "Nowhere", "--role", "office"], "no setting named"),
        (["keyperson1", "--setting", "Otherside Nursery", "--role", "lead"], "one Lead"),
        (["keyperson1", "--setting", "Otherside Nursery", "--role", "chef"], "is not a role"),
        (["keyperson1", "--setting", "Example Preschool", "--role", "office"], "already holds"),
        (
            ["keyperson1", "--setting", "Otherside Nursery", "--role", "office", "--room", "X"],
            "has no room named",
        ),
    ],
)
def test_add_post_refuses_with_a_reason_and_changes_nothing(people, args, message):
    from records.models import Staff

    from ..factories import make_setting

    make_setting("Otherside Nursery")
    before = Staff.objects.across_settings().count()
    with pytest.raises(CommandError, match=message):
        call_command("add_post", *args)
    assert Staff.objects.across_settings().count() == before
