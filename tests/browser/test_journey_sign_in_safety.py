"""Journey 5: ten wrong passwords pause signing in for that username, even with the right password
afterwards; a session left idle for more than 30 minutes ends, the sign-in page says why, and
signing in again (password, then the app's code) returns to the page that was asked for."""

from __future__ import annotations

import time
from importlib import import_module

import pytest
from auditlog.models import LogEntry
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.sessions import LAST_SEEN

from ..factories import TEST_PASSWORD
from .conftest import check_page, screenshot, sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_with_password(page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_ten_wrong_passwords_pause_sign_in_even_for_the_right_password(page, people):
    user = people.keyperson2.user
    page.goto("/account/sign-in/")
    check_page(page)
    for attempt in range(1, 10):
        sign_in_with_password(page, "keyperson2", f"not-the-password-{attempt}")
        page.get_by_role("alert").get_by_text("The username or password is not right.").wait_for()
    check_page(page)

    sign_in_with_password(page, "keyperson2", "not-the-password-10")
    page.get_by_role("heading", name="Sign-in is paused").wait_for()
    check_page(page)
    screenshot(page, "locked-out")

    page.goto("/account/sign-in/")
    sign_in_with_password(page, "keyperson2", TEST_PASSWORD)
    page.get_by_role("heading", name="Sign-in is paused").wait_for()
    page.goto("/")
    page.wait_for_url("**/account/sign-in/**")

    assert AccessFailureLog.objects.filter(username="keyperson2").count() == 10
    about_user = LogEntry.objects.filter(object_pk=str(user.pk))
    failed = about_user.filter(additional_data__event="login_failed")
    assert failed.count() == 11
    assert failed.filter(additional_data__refused="locked out").count() == 1
    assert about_user.filter(additional_data__event="locked_out").count() == 1
    assert not about_user.filter(additional_data__event="signed_in").exists()
    assert not Session.objects.exists()


def test_idle_session_ends_and_signing_in_again_returns_to_the_page(page, people):
    user = people.keyperson1.user
    sign_in_browser(page, user)
    page.goto("/")
    page.get_by_role("heading", name="Dashboard").wait_for()
    check_page(page)
    screenshot(page, "dashboard-key-person")

    # 31 minutes pass without a request.
    session_key = next(
        c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME
    )
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    session[LAST_SEEN] = session[LAST_SEEN] - 31 * 60
    session.save()

    child_url = f"/children/{people.child.pk}/"
    page.goto(child_url)
    page.wait_for_url("**/account/sign-in/?ended=idle**")
    page.get_by_text("You were signed out after 30 minutes without activity.").wait_for()
    check_page(page)
    assert not Session.objects.filter(session_key=session_key).exists()

    # Signing in again, with the password and the app's code, goes back to the child's page.
    sign_in_with_password(page, "keyperson1", TEST_PASSWORD)
    page.wait_for_url("**/account/two-factor/")
    check_page(page)
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    totp.time = time.time()
    page.get_by_label("Code", exact=True).fill(f"{totp.token():06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**{child_url}")
    check_page(page)

    signed_in = LogEntry.objects.filter(actor=user, additional_data__event="signed_in")
    assert signed_in.count() == 1
    assert signed_in.get().additional_data["second_factor"] == "authenticator_app"
