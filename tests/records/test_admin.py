"""The Django admin: the IT administrator manages accounts and never sees record content."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from core.fields import encrypted_fields
from records.models import Room

from ..factories import make_entry, make_setting

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Disclosed that an uncle shouts at night."

# Typed out from DESIGN.md: what account management needs, and nothing that holds record content.
ACCOUNT_MANAGEMENT = {
    "auth.User",
    "auth.Group",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "records.Room",
    "records.Setting",
    # The group a setting belongs to, and who holds a role over it (counts only).
    "records.SettingGroup",
    "records.GroupRole",
}
# The Lead approves sharing decisions in the admin (DESIGN.md rule 4): the page's queryset comes
# from consent.policy, so a superuser with no staff profile is shown none (checked below).
LEAD_SCREENS = {"consent.SharingDecision"}
NEVER_IN_ADMIN = {
    "records.RecordEntry",
    "records.Amendment",
    "records.Attachment",
    "records.StaffRecord",
    "records.Child",
    "records.Carer",
    "records.Family",
    "records.Staff",
    "records.NeedToKnowGrant",
    "records.BreakGlass",
    "records.ActingLead",
    "records.ChildUserObjectPermission",
    "records.ChildGroupObjectPermission",
    "records.EnrolmentCode",
    "records.AuditSeal",
    "records.SealedEntry",
    "guardian.UserObjectPermission",
    "guardian.GroupObjectPermission",
    "auditlog.LogEntry",
    "otp_totp.TOTPDevice",
    "otp_static.StaticDevice",
}


def registered() -> set[str]:
    return {model._meta.label for model in admin.site._registry}


def test_only_account_management_and_the_leads_screens_are_registered():
    assert {"auth.User", "records.Room", "records.Setting"} <= registered()
    assert registered() - ACCOUNT_MANAGEMENT - LEAD_SCREENS == set()
    assert not registered() & NEVER_IN_ADMIN


def test_no_account_management_model_has_encrypted_fields():
    with_content = {m._meta.label for m in admin.site._registry if encrypted_fields(m)}
    assert with_content <= LEAD_SCREENS


def test_superuser_gets_the_admin_index_and_the_user_list(people, client_for):
    client = client_for("it_admin")

    index = client.get(reverse("admin:index"))
    users = client.get(reverse("admin:auth_user_changelist"))

    assert index.status_code == 200
    assert users.status_code == 200
    assert "keyperson1" in users.content.decode()


def test_admin_needs_a_verified_second_factor(people, client):
    client.force_login(people.it_admin)
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code != 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auditlog/",
        "/admin/auditlog/logentry/",
        "/admin/auditlog/logentry/1/change/",
        "/admin/records/",  # the app index is there (rooms, setting)
        "/admin/records/recordentry/",
        "/admin/records/amendment/",
        "/admin/records/attachment/",
        "/admin/records/staffrecord/",
        "/admin/records/child/",
        "/admin/records/carer/",
        "/admin/records/needtoknowgrant/",
        "/admin/records/childuserobjectpermission/",
        "/admin/guardian/",
        "/admin/otp_totp/totpdevice/",
        "/admin/otp_static/staticdevice/",
    ],
)
def test_superuser_cannot_reach_record_content_or_the_audit_log(people, client_for, url):
    make_entry(people.child, people.keyperson1, text=SECRET_TEXT)
    response = client_for("it_admin").get(url)
    if url == "/admin/records/":
        assert response.status_code == 200
        assert "recordentry" not in response.content.decode()
    else:
        assert response.status_code == 404


def test_no_admin_page_shows_entry_text_or_a_childs_name(people, client_for):
    entry = make_entry(people.child, people.keyperson1, text=SECRET_TEXT)
    client = client_for("it_admin")
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        for pk in model._default_manager.values_list("pk", flat=True)[:5]:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[pk]))
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[pk]))

    for url in urls:
        response = client.get(url)
        if any(
            url.startswith(f"/admin/{label.replace('.', '/').lower()}/") for label in LEAD_SCREENS
        ):
            # Not for a superuser: refused outright.
            assert response.status_code in (403, 404), url
        else:
            assert response.status_code == 200, url
        page = response.content.decode()
        for secret in (SECRET_TEXT, "uncle", people.child.first_name, people.child.last_name):
            assert secret not in page, url
    assert str(entry.pk) not in "".join(urls)


def test_the_it_admin_chooses_a_new_rooms_setting_when_there_are_several(people, client_for):
    """With two settings, a room made in the admin must say whose it is; a name may repeat in
    another setting, not in the same one (a message, not an error page)."""
    other = make_setting("Otherside Nursery")
    client = client_for("it_admin")
    url = reverse("otpadmin:records_room_add")
    response = client.post(url, {"name": "Acorns", "description": ""})
    assert response.status_code == 200
    assert "Choose the setting this room belongs to." in response.content.decode()
    assert not Room.objects.filter(name="Acorns").exists()
    response = client.post(url, {"name": "Acorns", "description": "", "in_setting": other.pk})
    assert response.status_code == 302
    assert Room.objects.get(name="Acorns").setting == other
    response = client.post(url, {"name": "acorns", "description": "", "in_setting": other.pk})
    assert "That setting already has a room of this name." in response.content.decode()
    response = client.post(url, {"name": "Sunflower", "description": "", "in_setting": other.pk})
    assert response.status_code == 302
    assert Room.objects.filter(name="Sunflower").count() == 2
