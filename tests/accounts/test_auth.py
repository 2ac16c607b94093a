"""Sign-in: password through axes, lockout per username and per address, two-factor enrolment with
the Lead's enrolment code, verification with a code from the app or a backup code, and the audit of
failures. Real sign-ins post to the sign-in page, so axes sees every attempt."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from auditlog.models import LogEntry
from axes.models import AccessFailureLog
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp import models as totp_models
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout, signin
from accounts.models import EnrolmentCode, UserSession
from records import services
from records.models import Role

from ..conftest import sign_in
from ..factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "Not-the-password-7-wrong"
PROJECT_HASHERS = list(django_settings.PASSWORD_HASHERS)
# A fixed moment in the middle of a 30-second TOTP step.
NOW = 1_800_000_015.0


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """django-otp's clock, held still so a code stays in one 30-second step for the test."""
    state = SimpleNamespace(now=NOW)
    monkeypatch.setattr(totp_models, "time", SimpleNamespace(time=lambda: state.now))
    return state


def code_for(device: TOTPDevice, clock: SimpleNamespace, steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = clock.now + steps * device.step
    return f"{totp.token():06d}"


def enrol(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def post_password(
    client: Client, username: str, password: str, *, address: str = "127.0.0.1", **extra: str
) -> Any:
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password, **extra},
        REMOTE_ADDR=address,
    )


def is_signed_in_and_verified(client: Client) -> bool:
    return client.get(reverse("home:dashboard")).status_code == 200


def events(name: str) -> list[LogEntry]:
    entries = LogEntry.objects.order_by("timestamp", "pk")
    return [e for e in entries if (e.additional_data or {}).get("event") == name]


def age_failures(**delta: float) -> None:
    """Move every recorded failure into the past."""
    for failure in AccessFailureLog.objects.all():
        AccessFailureLog.objects.filter(pk=failure.pk).update(
            attempt_time=failure.attempt_time - timedelta(**delta)
        )


def fail(client: Client, username: str, times: int, **kwargs: Any) -> Any:
    response = None
    for _ in range(times):
        response = post_password(client, username, WRONG_PASSWORD, **kwargs)
    return response


def normalised(response: Any, username: str) -> str:
    """The page without what differs between any two renders (tokens) or echoes the input."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(f'value="{username}"', 'value=""')


# --- passwords --------------------------------------------------------------------------------


def test_passwords_are_stored_with_argon2(people, settings):
    from django.conf import settings as project

    # conftest swaps in a fast hasher for speed; this test restores the project's own list.
    settings.PASSWORD_HASHERS = PROJECT_HASHERS
    assert project.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = people.office.user
    user.set_password("a-long-enough-passphrase-9")
    user.save()
    assert user.password.startswith("argon2$")
    response = post_password(Client(), "office", "a-long-enough-passphrase-9")
    assert response["Location"] == reverse("accounts:two_factor_enrol")


def test_right_password_for_an_enrolled_account_asks_for_a_code_and_nothing_more(people):
    enrol(people.keyperson1.user)
    client = Client()
    response = post_password(client, "keyperson1", TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_verify")
    # Signed in, but no record page until the code is given.
    response = client.get(reverse("records:child_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_verify")


def test_right_password_for_an_account_without_a_device_goes_to_enrolment(people):
    response = post_password(Client(), "keyperson1", TEST_PASSWORD)
    assert response["Location"] == reverse("accounts:two_factor_enrol")


def test_sign_in_gives_the_session_a_new_key(people):
    enrol(people.lead.user)
    client = Client()
    before = client.session
    before["seen_the_sign_in_page"] = True
    before.save()
    old_key = before.session_key
    post_password(client, "lead", TEST_PASSWORD)
    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert UserSession.objects.filter(session_key=new_key, user=people.lead.user).exists()


def test_wrong_password_shows_the_form_again_with_an_error_summary_and_is_audited(people):
    client = Client()
    response = post_password(client, "lead", WRONG_PASSWORD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "The username or password is not right" in html
    assert "_auth_user_id" not in client.session
    [entry] = events("login_failed")
    assert entry.object_pk == str(people.lead.user.pk)
    assert entry.actor is None
    assert entry.additional_data["stage"] == "password"
    assert entry.remote_addr == "127.0.0.1"


def test_the_password_tried_is_never_stored(people):
    fail(Client(), "lead", 10)
    post_password(Client(), "nobody", WRONG_PASSWORD)
    stored = [
        f"{e.changes} {e.additional_data} {e.object_repr} {e.changes_text}"
        for e in LogEntry.objects.all()
    ]
    stored += [f"{f.username} {f.user_agent} {f.path_info}" for f in AccessFailureLog.objects.all()]
    assert stored
    assert not any(WRONG_PASSWORD in s for s in stored)


def test_unknown_username_gets_the_same_page_and_its_audit_row_names_no_account(people):
    known = post_password(Client(), "lead", WRONG_PASSWORD)
    unknown = post_password(Client(), "nobody-here", WRONG_PASSWORD)
    assert known.status_code == unknown.status_code == 200
    assert normalised(known, "lead") == normalised(unknown, "nobody-here")
    entry = events("login_failed")[-1]
    assert entry.object_pk == ""
    assert "nobody-here" not in f"{entry.additional_data} {entry.object_repr}"


def test_an_unknown_username_is_kept_only_as_a_keyed_hash_yet_still_locks(people, client_for):
    # A password typed into the username box, say.
    typed = "Tr0ub4dor&3-in-the-wrong-box"
    assert fail(Client(), typed, 10).status_code == 429
    # The lockout still counts it...
    assert post_password(Client(), typed, WRONG_PASSWORD).status_code == 429
    # ...but no row anywhere holds what was typed: not the failures, not the attempts, not the log.
    from axes.models import AccessAttempt

    stored = [f"{f.username} {f.path_info}" for f in AccessFailureLog.objects.all()]
    stored += [f"{a.username} {a.get_data} {a.post_data}" for a in AccessAttempt.objects.all()]
    stored += [f"{e.additional_data} {e.object_repr} {e.changes}" for e in LogEntry.objects.all()]
    assert stored and not any(typed in row for row in stored)
    hashed = set(AccessFailureLog.objects.values_list("username", flat=True))
    assert len(hashed) == 1 and next(iter(hashed)).startswith("unknown:")
    # Another unknown name is counted apart.
    assert post_password(Client(), "someone-else", WRONG_PASSWORD).status_code == 200
    # The IT admin's screens show the hash, never the name.
    client = client_for("it_admin")
    for model in ("accessfailurelog", "accessattempt"):
        page = client.get(reverse(f"admin:axes_{model}_changelist"))
        assert page.status_code == 200
        assert typed not in page.content.decode()


def test_a_known_username_is_kept_as_it_is_so_the_lockout_can_be_lifted(people):
    fail(Client(), "lead", 1)
    assert list(AccessFailureLog.objects.values_list("username", flat=True)) == ["lead"]


def test_deactivated_account_gets_the_same_message_as_a_wrong_password(people):
    user = people.office.user
    user.is_active = False
    user.save()
    response = post_password(Client(), "office", TEST_PASSWORD)
    assert response.status_code == 200
    assert "The username or password is not right" in response.content.decode()


# --- lockout ------------------------------------------------------------------------------------


def test_ten_failures_within_five_minutes_lock_the_username_for_fifteen_minutes(people):
    enrol(people.lead.user)
    client = Client()
    assert fail(client, "lead", 9).status_code == 200
    response = fail(client, "lead", 1)
    assert response.status_code == 429
    assert "Sign-in is paused" in response.content.decode()
    # Even the right password is refused now, and the refusal is not counted as a new failure.
    response = post_password(client, "lead", TEST_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AccessFailureLog.objects.filter(username="lead").count() == 10

    age_failures(minutes=14)
    assert post_password(Client(), "lead", TEST_PASSWORD).status_code == 429
    age_failures(minutes=2)
    response = post_password(Client(), "lead", TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_verify")


def test_failures_spread_over_more_than_five_minutes_do_not_lock(people):
    enrol(people.lead.user)
    fail(Client(), "lead", 9)
    age_failures(minutes=5, seconds=1)
    # Nine more: never ten within five minutes.
    assert fail(Client(), "lead", 9).status_code == 200
    response = post_password(Client(), "lead", TEST_PASSWORD)
    assert response.status_code == 302


def test_lockout_is_audited_once_when_it_begins_and_refusals_after_are_marked(people):
    client = Client()
    fail(client, "lead", 10)
    post_password(client, "lead", TEST_PASSWORD)
    [lockout] = events("locked_out")
    assert lockout.object_pk == str(people.lead.user.pk)
    assert lockout.additional_data["by"] == "username"
    failures = events("login_failed")
    assert len(failures) == 11
    assert [f.additional_data.get("refused") for f in failures].count("locked out") == 1


def test_unknown_username_is_locked_out_with_the_same_page_as_a_real_one(people):
    real = fail(Client(), "lead", 10)
    unknown = fail(Client(), "nobody-here", 10)
    assert real.status_code == unknown.status_code == 429
    assert normalised(real, "lead") == normalised(unknown, "nobody-here")
    unknown_lockout = events("locked_out")[-1]
    assert unknown_lockout.object_pk == ""


def test_one_persons_typos_do_not_lock_anyone_else_at_the_same_address(people):
    enrol(people.lead.user)
    fail(Client(), "practitioner", 10)
    response = post_password(Client(), "lead", TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_verify")


def test_an_address_is_locked_after_fifty_failures_within_five_minutes(people):
    enrol(people.lead.user)
    # 49 failures from one address, spread over many usernames so none of them is locked...
    AccessFailureLog.objects.bulk_create(
        AccessFailureLog(
            username=f"guess{n % 7}",
            ip_address="192.0.2.7",
            user_agent="test",
            http_accept="*/*",
            path_info="/account/sign-in/",
        )
        for n in range(49)
    )
    assert post_password(Client(), "lead", TEST_PASSWORD, address="192.0.2.7").status_code == 302
    # ...and the fiftieth locks the address, for everyone behind it.
    assert fail(Client(), "guess0", 1, address="192.0.2.7").status_code == 429
    assert post_password(Client(), "lead", TEST_PASSWORD, address="192.0.2.7").status_code == 429
    assert events("locked_out")[-1].additional_data["by"] == "address"
    # Another address is not affected.
    assert post_password(Client(), "lead", TEST_PASSWORD, address="192.0.2.8").status_code == 302


def test_lockout_window_counts_failures_at_their_own_times():
    start = timezone.now()
    minute = timedelta(minutes=1)
    ten_quickly = [start + n * timedelta(seconds=20) for n in range(10)]
    assert (
        lockout.lockout_ends_at(ten_quickly, limit=10, window=5 * minute, lockout=15 * minute)
        == ten_quickly[-1] + 15 * minute
    )
    every_forty_seconds = [start + n * timedelta(seconds=40) for n in range(12)]
    assert (
        lockout.lockout_ends_at(
            every_forty_seconds, limit=10, window=5 * minute, lockout=15 * minute
        )
        is None
    )


# --- two-factor verification ----------------------------------------------------------------------


def test_code_from_the_app_verifies_the_session_and_goes_where_the_person_was_going(people, clock):
    device = enrol(people.keyperson1.user)
    client = Client()
    post_password(client, "keyperson1", TEST_PASSWORD, next=reverse("records:child_list"))
    unverified_key = client.cookies["sessionid"].value
    response = client.post(reverse("accounts:two_factor_verify"), {"code": code_for(device, clock)})
    assert response.status_code == 302
    assert response["Location"] == reverse("records:child_list")
    assert is_signed_in_and_verified(client)
    # A new session key once verified, and the leaver bookkeeping follows it.
    key = client.cookies["sessionid"].value
    assert key != unverified_key
    assert UserSession.objects.filter(session_key=key, user=people.keyperson1.user).exists()
    assert not UserSession.objects.filter(session_key=unverified_key).exists()
    assert events("signed_in")[-1].additional_data["second_factor"] == "authenticator_app"


def test_a_code_used_once_is_refused_a_second_time_in_the_same_step(people, clock):
    device = enrol(people.keyperson1.user)
    code = code_for(device, clock)
    first = Client()
    post_password(first, "keyperson1", TEST_PASSWORD)
    assert first.post(reverse("accounts:two_factor_verify"), {"code": code}).status_code == 302

    second = Client()
    post_password(second, "keyperson1", TEST_PASSWORD)
    response = second.post(reverse("accounts:two_factor_verify"), {"code": code})
    assert response.status_code == 200
    assert "That code has already been used" in response.content.decode()
    assert not is_signed_in_and_verified(second)
    assert events("login_failed")[-1].additional_data["stage"] == "two_factor"


def test_wrong_code_is_refused_counted_towards_the_lockout_and_audited(people, clock):
    device = enrol(people.keyperson1.user)
    wrong = "000000" if code_for(device, clock) != "000000" else "111111"
    client = Client()
    post_password(client, "keyperson1", TEST_PASSWORD)
    response = client.post(reverse("accounts:two_factor_verify"), {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not is_signed_in_and_verified(client)
    assert AccessFailureLog.objects.filter(username="keyperson1").count() == 1
    assert events("login_failed")[-1].object_pk == str(people.keyperson1.user.pk)


def test_wrong_codes_lock_the_account_and_sign_the_session_out(people, clock):
    device = enrol(people.keyperson1.user)
    client = Client()
    fail(client, "keyperson1", 9)
    post_password(client, "keyperson1", TEST_PASSWORD)
    wrong = "000000" if code_for(device, clock) != "000000" else "111111"
    response = client.post(reverse("accounts:two_factor_verify"), {"code": wrong})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # A right code now is no use: the session was signed out.
    response = client.post(reverse("accounts:two_factor_verify"), {"code": code_for(device, clock)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not is_signed_in_and_verified(client)


def test_a_half_signed_in_session_is_refused_once_the_account_is_locked(people, clock):
    device = enrol(people.keyperson1.user)
    client = Client()
    post_password(client, "keyperson1", TEST_PASSWORD)
    # Meanwhile someone else guesses at the account until it locks.
    fail(Client(), "keyperson1", 10)
    response = client.post(reverse("accounts:two_factor_verify"), {"code": code_for(device, clock)})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    device.refresh_from_db()
    assert device.last_t == -1  # the code was never checked
    assert events("login_failed")[-1].additional_data == {
        "event": "login_failed",
        "stage": "two_factor",
        "refused": "locked out",
        # Half signed in, the person is already in their post's setting.
        "setting": str(people.lead.setting_id),
    }


def test_full_sign_in_clears_earlier_failures(people, clock):
    device = enrol(people.keyperson1.user)
    fail(Client(), "keyperson1", 9)
    client = Client()
    post_password(client, "keyperson1", TEST_PASSWORD)
    client.post(reverse("accounts:two_factor_verify"), {"code": code_for(device, clock)})
    assert not AccessFailureLog.objects.filter(username="keyperson1").exists()


def test_right_password_alone_does_not_clear_failures(people):
    enrol(people.keyperson1.user)
    fail(Client(), "keyperson1", 9)
    post_password(Client(), "keyperson1", TEST_PASSWORD)
    assert AccessFailureLog.objects.filter(username="keyperson1").count() == 9


def test_backup_code_signs_in_once_and_says_how_many_are_left(people):
    user = people.practitioner.user
    enrol(user)
    codes = signin.replace_backup_codes(user=user)
    client = Client()
    post_password(client, "practitioner", TEST_PASSWORD)
    spaced = f"{codes[0][:5]} {codes[0][5:]}"
    response = client.post(reverse("accounts:two_factor_verify"), {"code": spaced}, follow=True)
    assert response.status_code == 200
    assert "You have 9 backup codes left" in response.content.decode()
    assert events("signed_in")[-1].additional_data["second_factor"] == "backup_code"

    again = Client()
    post_password(again, "practitioner", TEST_PASSWORD)
    response = again.post(reverse("accounts:two_factor_verify"), {"code": codes[0]})
    assert response.status_code == 200
    assert "already been used" in response.content.decode()
    assert not is_signed_in_and_verified(again)
    assert StaticToken.objects.filter(device__user=user).count() == 9


def test_account_with_only_backup_codes_is_asked_for_a_code_not_enrolment(people):
    user = people.practitioner.user
    signin.replace_backup_codes(user=user)
    response = post_password(Client(), "practitioner", TEST_PASSWORD)
    assert response["Location"] == reverse("accounts:two_factor_verify")


def test_it_superuser_without_staff_profile_also_needs_two_factor(people):
    client = Client()
    response = post_password(client, "it_admin", TEST_PASSWORD)
    assert response["Location"] == reverse("accounts:two_factor_enrol")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_verify")


# --- enrolment ----------------------------------------------------------------------------------


@pytest.fixture
def newcomer(people) -> SimpleNamespace:
    """A new practitioner the Lead has just added, with the enrolment code the Lead was shown."""
    staff, code = services.create_staff(
        created_by=people.lead.user,
        username="newcomer",
        full_name="Nia Newcomer",
        email="newcomer@example.test",
        role=Role.PRACTITIONER,
        rooms=[people.sunflower],
        password=TEST_PASSWORD,
    )
    client = Client()
    post_password(client, "newcomer", TEST_PASSWORD)
    return SimpleNamespace(staff=staff, user=staff.user, code=code, client=client)


def test_enrolment_with_the_leads_code_shows_a_qr_code_then_backup_codes_once(newcomer, clock):
    client = newcomer.client
    response = client.post(reverse("accounts:two_factor_enrol"), {"code": newcomer.code.lower()})
    assert response["Location"] == reverse("accounts:two_factor_setup")

    page = client.get(reverse("accounts:two_factor_setup"))
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR code', html)
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    # Nothing inline that the CSP would block: the QR code is a data: image.
    assert "<script" not in html and "style=" not in html
    device = TOTPDevice.objects.get(user=newcomer.user)
    assert not device.confirmed

    response = client.post(reverse("accounts:two_factor_setup"), {"code": code_for(device, clock)})
    assert response.status_code == 200
    html = response.content.decode()
    tokens = list(StaticToken.objects.filter(device__user=newcomer.user))
    assert len(tokens) == 10
    for token in tokens:
        assert f"{token.token[:5]} {token.token[5:]}" in html
    assert f'href="{reverse("home:dashboard")}"' in html
    device.refresh_from_db()
    assert device.confirmed
    assert EnrolmentCode.objects.get(user=newcomer.user).used_at is not None
    assert is_signed_in_and_verified(client)
    assert events("two_factor_enrolled")[-1].object_pk == str(newcomer.user.pk)
    # Shown once: the backup codes page only counts them.
    later = client.get(reverse("accounts:backup_codes")).content.decode()
    assert tokens[0].token not in later
    assert "10</strong> backup codes left" in later


def test_wrong_enrolment_code_is_refused_and_nothing_is_set_up(newcomer):
    response = newcomer.client.post(
        reverse("accounts:two_factor_enrol"), {"code": "AAAA-BBBB-CCCC"}
    )
    assert response.status_code == 200
    assert "That enrolment code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer.user).exists()
    assert EnrolmentCode.objects.get(user=newcomer.user).used_at is None
    assert events("login_failed")[-1].additional_data["stage"] == "enrolment_code"
    assert newcomer.client.get(reverse("accounts:two_factor_setup"))["Location"] == reverse(
        "accounts:two_factor_enrol"
    )


def test_expired_enrolment_code_is_refused(newcomer):
    EnrolmentCode.objects.filter(user=newcomer.user).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = newcomer.client.post(reverse("accounts:two_factor_enrol"), {"code": newcomer.code})
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=newcomer.user).exists()


def test_setup_page_needs_an_enrolment_code_entered_in_this_session(newcomer):
    response = newcomer.client.get(reverse("accounts:two_factor_setup"))
    assert response["Location"] == reverse("accounts:two_factor_enrol")
    assert not TOTPDevice.objects.filter(user=newcomer.user).exists()


def test_someone_who_stops_half_way_can_start_again_with_the_same_code(newcomer, clock):
    newcomer.client.post(reverse("accounts:two_factor_enrol"), {"code": newcomer.code})
    # Another day, another browser.
    client = Client()
    post_password(client, "newcomer", TEST_PASSWORD)
    assert (
        client.post(reverse("accounts:two_factor_enrol"), {"code": newcomer.code}).status_code
        == 302
    )
    device = TOTPDevice.objects.get(user=newcomer.user)
    response = client.post(reverse("accounts:two_factor_setup"), {"code": code_for(device, clock)})
    assert response.status_code == 200
    assert is_signed_in_and_verified(client)
    # The first browser's half-made device is gone, and the code cannot be used again.
    assert TOTPDevice.objects.filter(user=newcomer.user).count() == 1
    assert newcomer.client.get(reverse("accounts:two_factor_setup"))["Location"] == reverse(
        "accounts:two_factor_verify"
    )


def test_wrong_code_at_set_up_leaves_the_device_unconfirmed(newcomer, clock):
    newcomer.client.post(reverse("accounts:two_factor_enrol"), {"code": newcomer.code})
    device = TOTPDevice.objects.get(user=newcomer.user)
    wrong = "000000" if code_for(device, clock) != "000000" else "111111"
    response = newcomer.client.post(reverse("accounts:two_factor_setup"), {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert EnrolmentCode.objects.get(user=newcomer.user).used_at is None
    assert not StaticDevice.objects.filter(user=newcomer.user).exists()


def test_enrolment_code_reset_by_the_lead_replaces_the_old_device(people, client_for, clock):
    user = people.keyperson2.user
    old = enrol(user)
    response = client_for("lead").post(
        reverse("records:staff_enrolment_code", args=[people.keyperson2.pk])
    )
    code = response.context["code"]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    client = Client()
    assert post_password(client, "keyperson2", TEST_PASSWORD)["Location"] == reverse(
        "accounts:two_factor_enrol"
    )
    client.post(reverse("accounts:two_factor_enrol"), {"code": code})
    device = TOTPDevice.objects.get(user=user)
    client.post(reverse("accounts:two_factor_setup"), {"code": code_for(device, clock)})
    assert is_signed_in_and_verified(client)


# --- backup codes page, sign-out, who reaches which page ---------------------------------------


def test_new_backup_codes_need_the_password_and_replace_the_old_ones(people, client_for):
    user = people.deputy.user
    old = signin.replace_backup_codes(user=user)
    client = client_for("deputy")

    response = client.post(reverse("accounts:backup_codes"), {"password": WRONG_PASSWORD})
    assert response.status_code == 200
    assert "That password is not right" in response.content.decode()
    assert sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == sorted(old)
    assert events("login_failed")[-1].object_pk == str(user.pk)

    response = client.post(reverse("accounts:backup_codes"), {"password": TEST_PASSWORD})
    assert response.status_code == 200
    new = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(new) == 10
    assert not new & set(old)
    assert all(f"{c[:5]} {c[5:]}" in response.content.decode() for c in new)


def test_wrong_passwords_on_the_backup_codes_page_lock_the_account_and_sign_out(people, client_for):
    user = people.deputy.user
    old = signin.replace_backup_codes(user=user)
    client = client_for("deputy")
    fail(Client(), "deputy", 9)
    response = client.post(reverse("accounts:backup_codes"), {"password": WRONG_PASSWORD})
    assert response.status_code == 429
    assert not is_signed_in_and_verified(client)
    assert sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == sorted(old)


def test_getting_the_backup_codes_page_changes_nothing(people, client_for):
    user = people.deputy.user
    old = signin.replace_backup_codes(user=user)
    response = client_for("deputy").get(reverse("accounts:backup_codes"))
    assert response.status_code == 200
    assert sorted(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    ) == sorted(old)


def test_sign_out_is_post_only(people, client_for):
    client = client_for("lead")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert is_signed_in_and_verified(client)
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert client.get(reverse("home:dashboard"))["Location"].startswith(reverse("accounts:login"))


def test_sign_out_forgets_the_session(people, client_for):
    client = client_for("lead")
    client.get(reverse("home:dashboard"))
    key = client.cookies["sessionid"].value
    assert UserSession.objects.filter(session_key=key).exists()
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()


AUTH_PAGES = [
    "accounts:login",
    "accounts:two_factor_verify",
    "accounts:two_factor_enrol",
    "accounts:two_factor_setup",
    "accounts:backup_codes",
]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        # anonymous: only the sign-in page; the rest send to it.
        (
            "anonymous",
            ["200", "accounts:login", "accounts:login", "accounts:login", "accounts:login"],
        ),
        # password given, device enrolled, code not yet given.
        (
            "unverified",
            [
                "200",
                "200",
                "accounts:two_factor_verify",
                "accounts:two_factor_verify",
                "accounts:two_factor_verify",
            ],
        ),
        # password given, no device yet.
        (
            "unenrolled",
            [
                "200",
                "accounts:two_factor_enrol",
                "200",
                "accounts:two_factor_enrol",
                "accounts:two_factor_verify",
            ],
        ),
        # fully signed in.
        (
            "verified",
            [
                "home:dashboard",
                "home:dashboard",
                "accounts:two_factor_verify",
                "accounts:two_factor_verify",
                "200",
            ],
        ),
    ],
)
def test_who_reaches_which_sign_in_page(people, state, expected):
    client = Client()
    user = people.keyperson1.user
    if state == "unverified":
        enrol(user)
        post_password(client, "keyperson1", TEST_PASSWORD)
    elif state == "unenrolled":
        post_password(client, "keyperson1", TEST_PASSWORD)
    elif state == "verified":
        sign_in(client, user)
    results = []
    for name in AUTH_PAGES:
        response = client.get(reverse(name))
        if response.status_code == 200:
            results.append("200")
        else:
            location = response["Location"].split("?")[0]
            results.append(
                next(
                    n
                    for n in [
                        "accounts:login",
                        "accounts:two_factor_verify",
                        "accounts:two_factor_enrol",
                        "home:dashboard",
                    ]
                    if reverse(n) == location
                )
            )
    assert results == expected


# --- passwords: the validators on every path that sets one -------------------------------------


@pytest.mark.parametrize("password", ["short-pass", "qwerty123456", "123456789012"])
def test_staff_creation_refuses_weak_passwords_and_creates_no_account(people, client_for, password):
    response = client_for("lead").post(
        reverse("records:staff_create"),
        {
            "full_name": "Wes Weak",
            "username": "weak",
            "email": "",
            "role": Role.PRACTITIONER,
            "job_title": "",
            "password": password,
        },
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not get_user_model().objects.filter(username="weak").exists()


def test_admin_password_change_refuses_a_short_password(people, client_for):
    user = people.office.user
    response = client_for("it_admin").post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": "short-pass", "password2": "short-pass"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
