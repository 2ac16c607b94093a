"""The permission matrix for the group's two kinds of person: the group role (a group's
safeguarding lead, no post in any setting) and bank staff with a post in each of two settings (a
practitioner in A, the office in B), and the choice of setting that goes with several posts."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from records.middleware import SESSION_KEY
from records.models import (
    Child,
    Family,
    GroupRole,
    GroupRoleKind,
    Role,
    SettingGroup,
    Staff,
)

from ..conftest import make_people, sign_in
from ..factories import TEST_PASSWORD, make_setting, make_staff
from .test_permission_matrix import MATRIX, _url
from .test_permission_matrix import objects as objects  # noqa: PLC0414 - the matrix's fixture


@pytest.fixture
def group(people: SimpleNamespace) -> SimpleNamespace:
    setting_b = make_setting("Otherside Nursery")
    people_b = make_people(setting=setting_b, suffix="-b")
    the_group = SettingGroup.objects.create(name="Example Group")
    for setting in (people.setting, setting_b):
        setting.group = the_group
        setting.save()
    bank = make_staff("bank", Role.PRACTITIONER, rooms=[people.sunflower], full_name="Bo Bank")
    # One person, two posts: the office of B is the same account's second post.
    Staff.objects.create(user=bank.user, setting=setting_b, role=Role.OFFICE, full_name="Bo Bank")
    lead_of_group = get_user_model().objects.create_user("group", "g@example.test", TEST_PASSWORD)
    GroupRole.objects.create(user=lead_of_group, group=the_group, role=GroupRoleKind.GROUP_DSL)
    return SimpleNamespace(b=people_b, bank=bank.user, group=lead_of_group, setting_b=setting_b)


def _working_in(client: Client, setting: Any) -> Client:
    session = client.session
    session[SESSION_KEY] = str(setting.pk)
    session.save()
    return client


def _code(client: Client, method: str, url: str) -> Any:
    sid = transaction.savepoint_create()
    response = getattr(client, method)(url)
    transaction.savepoint_rollback(sid)
    return response.status_code


MATRIX_IDS = [f"{name}[{about or '-'}]-{method}" for name, about, method, _ in MATRIX]


@pytest.mark.parametrize(("name", "about", "method", "expected"), MATRIX, ids=MATRIX_IDS)
def test_the_group_role_answers_as_someone_with_no_post(
    people, objects, group, name, about, method, expected
):
    """The group's safeguarding lead reaches no record: every page answers as it does for the
    IT administrator, who holds no post either."""
    client = sign_in(Client(), group.group)
    # Their own page, the group's overview, is the one difference.
    wanted = 200 if name == "home:group_overview" else expected["it_admin"]
    assert _code(client, method, _url(name, objects[about])) == wanted


@pytest.mark.parametrize(("name", "about", "method", "expected"), MATRIX, ids=MATRIX_IDS)
def test_bank_staff_answer_as_their_role_in_the_setting_they_work_in(
    people, objects, group, name, about, method, expected
):
    """In A, bank staff are a practitioner of the Sunflower room, as the matrix's practitioner;
    in B, the office — and A's records are not there at all (404), whatever the office may do."""
    url = _url(name, objects[about])
    in_a = _working_in(sign_in(Client(), group.bank), people.setting)
    assert _code(in_a, method, url) == expected["practitioner"]
    in_b = _working_in(sign_in(Client(), group.bank), group.setting_b)
    expected_in_b = expected["office"] if objects[about] is None else 404
    assert _code(in_b, method, url) == expected_in_b


def test_several_posts_mean_choosing_a_setting_first(people, group):
    client = sign_in(Client(), group.bank)
    response = client.get(reverse("records:child_list"))
    assert response.status_code == 302 and response["Location"] == reverse("records:choose_setting")
    page = client.get(reverse("records:choose_setting")).content.decode()
    assert people.setting.name in page and group.setting_b.name in page
    # A setting where they hold no post is refused, and nothing is chosen.
    stranger = make_setting("A Third Preschool")
    response = client.post(reverse("records:choose_setting"), {"setting": str(stranger.pk)})
    assert response.status_code == 200 and SESSION_KEY not in client.session
    response = client.post(reverse("records:choose_setting"), {"setting": str(people.setting.pk)})
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(people.setting.pk)
    children = client.get(reverse("records:child_list")).content.decode()
    assert people.child.last_name in children and group.b.child.last_name not in children


def test_a_form_drawn_in_one_setting_is_refused_in_another(people, group):
    """Switched to B in another tab, bank staff send the family form drawn in A: refused, and no
    family is made anywhere."""
    client = _working_in(sign_in(Client(), group.bank), group.setting_b)
    before = Family.objects.count()
    response = client.post(
        reverse("records:family_create"),
        {"name": "Newfamily", "address": "", "confide_setting": str(people.setting.pk)},
    )
    assert response.status_code == 409
    assert "belongs to another setting" in response.content.decode()
    assert Family.objects.count() == before


def test_the_group_overview_counts_each_setting_and_names_no_child(people, group):
    client = sign_in(Client(), group.group)
    page = client.get(reverse("home:group_overview"))
    assert page.status_code == 200
    text = page.content.decode()
    assert people.setting.name in text and group.setting_b.name in text
    for child in Child.objects.all():
        assert child.last_name not in text
    dashboard = client.get(reverse("home:dashboard")).content.decode()
    assert reverse("home:group_overview") in dashboard
    # Nobody else has a group overview: a Lead of one setting gets a 404.
    lead = sign_in(Client(), people.lead.user)
    assert lead.get(reverse("home:group_overview")).status_code == 404


def test_the_lead_gives_a_post_to_someone_from_another_of_the_groups_settings(people, group):
    """B's Lead gives A's keyperson1 (who does not yet work in B) a post as practitioner in B:
    one account, two posts. Anyone outside the group — or an unknown username — gets the same
    message, and nothing is made."""
    lead_b = _working_in(sign_in(Client(), group.b.lead.user), group.setting_b)
    url = reverse("records:staff_from_group")
    assert lead_b.get(url).status_code == 200
    outsider_setting = make_setting("A Preschool Outside The Group")
    make_staff("outsider", Role.PRACTITIONER, setting=outsider_setting)
    message = "Nobody with that username works in another setting of your group."
    for username in ("outsider", "nobody-at-all", "it_admin", "lead-b"):
        response = lead_b.post(url, {"username": username, "role": "practitioner"})
        assert response.status_code == 200, username
        assert message in response.content.decode() or "already" in response.content.decode()
    # B's six staff, its two trustees, and the bank post made earlier.
    assert Staff.objects.across_settings().filter(setting=group.setting_b).count() == 9
    response = lead_b.post(
        url,
        {"username": "keyperson1", "role": "practitioner", "rooms": [group.b.sunflower.pk]},
    )
    assert response.status_code == 302
    post = Staff.objects.across_settings().get(user=people.keyperson1.user, setting=group.setting_b)
    assert post.role == Role.PRACTITIONER and post.is_intact()
    assert list(post.rooms.values_list("pk", flat=True)) == [group.b.sunflower.pk]
    # A's Lead, in a setting of the same group, may do the same; a Lead outside any group may not.
    lead_a = sign_in(Client(), people.lead.user)
    assert lead_a.get(url).status_code == 200
    loner = make_staff("loner-lead", Role.LEAD, setting=outsider_setting)
    assert sign_in(Client(), loner.user).get(url).status_code == 404


def test_one_settings_lead_cannot_lock_someone_out_of_another(people, group):
    """A's Lead gives B's Lead a post in A, then ends it and tries to reset their two factors:
    the post ends, but the account, its devices and the post in B are untouched."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    lead_b = group.b.lead.user
    lead_b_in_b = _working_in(sign_in(Client(), lead_b), group.setting_b)
    lead_a = sign_in(Client(), people.lead.user)
    lead_a.post(reverse("records:staff_from_group"), {"username": "lead-b", "role": "office"})
    post_in_a = Staff.objects.across_settings().get(user=lead_b, setting=people.setting)
    devices = TOTPDevice.objects.filter(user=lead_b).count()
    response = lead_a.post(reverse("records:staff_enrolment_code", args=[post_in_a.pk]))
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=lead_b).count() == devices
    assert "ask the IT administrator" in lead_a.get(response["Location"]).content.decode()
    lead_a.post(reverse("records:staff_deactivate", args=[post_in_a.pk]), {"confirm": "yes"})
    lead_b.refresh_from_db()
    post_in_a.refresh_from_db()
    assert not post_in_a.active and lead_b.is_active and lead_b.is_staff
    lead_b_again = _working_in(sign_in(Client(), lead_b), group.setting_b)
    assert lead_b_again.get(reverse("records:staff_list")).status_code == 200
    assert lead_b_in_b is not None


def test_a_settings_audit_page_shows_no_history_of_another(people, group):
    """Reads written in A before B joined (untagged), by someone who later gets a post in B,
    stay A's: B's Lead does not see them; A's Lead does."""
    from auditlog.models import LogEntry

    from audit.log import log_access

    from ..factories import make_entry

    entry = make_entry(people.child, people.keyperson1, text="Before the group.")
    Setting = type(people.setting)
    Setting.objects.filter(pk=group.setting_b.pk).update(
        created_at=timezone.now() + timedelta(seconds=1)
    )
    log_access(actor=people.keyperson1.user, objects=[entry], event="read")
    read = LogEntry.objects.filter(object_pk=str(entry.pk)).latest("pk")
    assert "setting" not in (read.additional_data or {})
    Staff.objects.create(
        user=people.keyperson1.user, setting=group.setting_b, role=Role.OFFICE, full_name="Kay"
    )
    lead_b = _working_in(sign_in(Client(), group.b.lead.user), group.setting_b)
    page_b = lead_b.get(reverse("records:audit_log")).content.decode()
    assert str(entry.pk)[:8] not in page_b
    lead_a = sign_in(Client(), people.lead.user)
    page_a = lead_a.get(reverse("records:audit_log")).content.decode()
    assert "Kay One" in page_a and "Read" in page_a


def test_the_audit_export_of_someone_with_two_posts_names_what_they_may_see(people, group):
    """The CSV is written after the view returns: it keeps the setting it was asked in."""
    from ..factories import make_entry

    Staff.objects.create(
        user=people.lead.user, setting=group.setting_b, role=Role.OFFICE, full_name="Lee"
    )
    entry = make_entry(people.child, people.lead, category="concern", text="A concern.")
    lead = _working_in(sign_in(Client(), people.lead.user), people.setting)
    lead.get(reverse("records:entry_detail", args=[entry.pk]))
    response = lead.post(reverse("records:audit_export"), {})
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert people.child.first_name in body


# --- a request without a working setting sees no setting's rows (fails closed) -------------------


def _children_seen_in_a_request(rf: Any, user: Any) -> int:
    """How many children the default manager finds inside a request of ``user`` (through the
    middleware that sets the request's scope)."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    from records.middleware import WorkingSettingMiddleware

    request = rf.get("/")
    request.user = user if user is not None else AnonymousUser()
    request.session = SessionStore()
    seen = WorkingSettingMiddleware(lambda _r: HttpResponse(str(Child.objects.count())))(request)
    return int(seen.content)


def test_a_request_without_a_working_setting_finds_no_setting_rows(people, group, rf):
    every = Child.objects.across_settings().count()
    assert every == 4  # two in each setting
    assert _children_seen_in_a_request(rf, people.lead.user) == 2
    assert _children_seen_in_a_request(rf, group.b.lead.user) == 2
    # A group role with no post, a visitor, someone whose posts have all ended: nothing.
    assert _children_seen_in_a_request(rf, group.group) == 0
    assert _children_seen_in_a_request(rf, None) == 0
    ended = make_staff("gone", Role.PRACTITIONER, rooms=[people.sunflower])
    ended.active = False
    ended.save()
    assert _children_seen_in_a_request(rf, ended.user) == 0
    # The IT administrator looks after the whole deployment; outside a request, a job sees all.
    assert _children_seen_in_a_request(rf, people.it_admin) == every
    assert Child.objects.count() == every
