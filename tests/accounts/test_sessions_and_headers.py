"""Session limits (30 idle minutes, 12 hours in all), leavers' sessions ended at once, and the
headers every signed-in response carries: no-store caching and a strict CSP with nonces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.urls import path, reverse
from django.utils import timezone

from accounts.models import UserSession
from accounts.sessions import LAST_SEEN, LAST_SEEN_EVERY, STARTED

from ..factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def set_session_times(client: Client, *, idle: timedelta, age: timedelta) -> str:
    """As if the last request was `idle` ago and the sign-in `age` ago."""
    now = timezone.now()
    session = client.session
    session[LAST_SEEN] = (now - idle).timestamp()
    session[STARTED] = (now - age).timestamp()
    session.save()
    return session.session_key or ""


# --- idle and absolute limits -------------------------------------------------------------------


def test_session_still_works_after_29_idle_minutes(people, client_for):
    client = client_for("keyperson1")
    set_session_times(client, idle=timedelta(minutes=29), age=timedelta(hours=3))
    assert client.get(reverse("records:child_list")).status_code == 200


def test_session_ends_after_30_idle_minutes(people, client_for):
    client = client_for("keyperson1")
    key = set_session_times(client, idle=timedelta(minutes=31), age=timedelta(hours=1))
    response = client.get(reverse("records:child_list"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?ended=idle&next=%2Fchildren%2F"
    assert response["Cache-Control"] == "no-store"
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    page = client.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in page
    assert 'name="next" value="/children/"' in page
    # Still signed out on the next request.
    assert client.get(reverse("home:dashboard"))["Location"].startswith(reverse("accounts:login"))


def test_every_request_counts_as_activity(people, client_for):
    client = client_for("keyperson1")
    set_session_times(client, idle=timedelta(minutes=20), age=timedelta(hours=1))
    assert client.get(reverse("home:dashboard")).status_code == 200
    # Twenty more minutes pass: 40 since the first request, 20 since the last.
    session = client.session
    session[LAST_SEEN] -= 20 * 60
    session.save()
    assert client.get(reverse("home:dashboard")).status_code == 200


def test_the_session_row_is_written_at_most_once_a_minute(people, client_for):
    client = client_for("keyperson1")
    assert client.get(reverse("home:dashboard")).status_code == 200
    key = client.session.session_key
    stored = Session.objects.get(session_key=key).session_data
    seen = client.session[LAST_SEEN]
    # Within the minute: the page is served and the session row is not written again.
    assert client.get(reverse("home:dashboard")).status_code == 200
    assert Session.objects.get(session_key=key).session_data == stored
    # A minute on, the last-seen time moves.
    session = client.session
    session[LAST_SEEN] -= LAST_SEEN_EVERY
    session.save()
    assert client.get(reverse("home:dashboard")).status_code == 200
    assert client.session[LAST_SEEN] > seen - LAST_SEEN_EVERY


def test_session_ends_12_hours_after_sign_in_even_when_in_use(people, client_for):
    client = client_for("keyperson1")
    key = set_session_times(client, idle=timedelta(minutes=1), age=timedelta(hours=12, minutes=1))
    response = client.get(reverse("home:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('accounts:login')}?ended=limit")
    assert not Session.objects.filter(session_key=key).exists()
    assert "12 hours have passed" in client.get(response["Location"]).content.decode()


def test_ended_session_does_not_ask_to_repeat_a_post(people, client_for):
    client = client_for("lead")
    set_session_times(client, idle=timedelta(hours=1), age=timedelta(hours=2))
    response = client.post(reverse("records:staff_deactivate", args=[people.practitioner.pk]))
    assert response["Location"] == f"{reverse('accounts:login')}?ended=idle"
    people.practitioner.refresh_from_db()
    assert people.practitioner.active


def test_sign_in_starts_the_12_hours_afresh(people):
    client = Client()
    post = client.post(reverse("accounts:login"), {"username": "lead", "password": TEST_PASSWORD})
    assert post.status_code == 302
    session = client.session
    now = timezone.now().timestamp()
    assert now - 5 < session[STARTED] <= now
    assert now - 5 < session[LAST_SEEN] <= now


# --- leavers ------------------------------------------------------------------------------------


def test_deactivating_a_leaver_ends_their_session_at_once(people, client_for):
    leaver = client_for("practitioner")
    assert leaver.get(reverse("home:dashboard")).status_code == 200
    key = leaver.cookies["sessionid"].value
    assert UserSession.objects.filter(session_key=key, user=people.practitioner.user).exists()
    assert Session.objects.filter(session_key=key).exists()

    asked = client_for("lead").post(
        reverse("records:staff_deactivate", args=[people.practitioner.pk])
    )
    assert "Turn off Pat Practitioner&#x27;s account?" in asked.content.decode()
    assert Session.objects.filter(session_key=key).exists()
    people.practitioner.refresh_from_db()
    assert people.practitioner.active
    response = client_for("lead").post(
        reverse("records:staff_deactivate", args=[people.practitioner.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 302

    assert not UserSession.objects.filter(session_key=key).exists()
    assert not Session.objects.filter(session_key=key).exists()
    response = leaver.get(reverse("home:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_leaver_cannot_sign_in_again(people, client_for):
    client_for("lead").post(
        reverse("records:staff_deactivate", args=[people.practitioner.pk]), {"confirm": "yes"}
    )
    response = Client().post(
        reverse("accounts:login"), {"username": "practitioner", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert "The username or password is not right" in response.content.decode()


# --- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "home:dashboard",
        "records:child_list",
        "records:staff_list",
        "records:audit_log",
        "accounts:backup_codes",
    ],
)
def test_signed_in_pages_are_never_cached(people, client_for, name):
    response = client_for("lead").get(reverse(name))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_pages_on_the_way_to_two_factor_are_never_cached(people):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "lead", "password": TEST_PASSWORD})
    for response in (
        client.get(reverse("accounts:two_factor_enrol")),
        client.get(reverse("home:dashboard")),
    ):
        assert response["Cache-Control"] == "no-store"


def test_csp_on_a_signed_in_page_is_strict(people, client_for):
    response = client_for("lead").get(reverse("home:dashboard"))
    policy = dict(
        (part.split(" ", 1) + [""])[:2]
        for part in (p.strip() for p in response["Content-Security-Policy"].split(";"))
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"].startswith("'self'")
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' data:"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def _page_with_inline_script(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string(
        '<script nonce="{{ csp_nonce }}">document.title = "x";</script>'
    )
    return HttpResponse(template.render({}, request))


urlpatterns = [path("nonce/", _page_with_inline_script)]


@override_settings(ROOT_URLCONF=__name__)
def test_an_inline_script_runs_only_with_the_nonce_the_header_names(people, client_for):
    # A page of this test module's own, through every middleware of the project.
    response = client_for("lead").get("/nonce/")
    body = response.content.decode()
    nonce = body.split('nonce="')[1].split('"')[0]
    assert len(nonce) >= 16
    csp = response["Content-Security-Policy"]
    assert f"script-src 'self' 'nonce-{nonce}'" in csp
    assert f"style-src 'self' 'nonce-{nonce}'" in csp
    # A fresh nonce for every response.
    assert client_for("lead").get("/nonce/").content.decode() != body


def test_sign_in_pages_need_no_inline_script_or_style(people):
    client = Client()
    page = client.get(reverse("accounts:login")).content.decode()
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert "Content-Security-Policy" in client.get(reverse("accounts:login")).headers


def test_production_settings_use_hsts_and_secure_cookies():
    from core.crypto import new_key_spec

    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DATABASE_URL"}} | {
        "DJANGO_SECRET_KEY": "x" * 60,
        "CONFIDE_ENCRYPTION_KEYS": new_key_spec(),
        "DJANGO_ALLOWED_HOSTS": "confide.example.test",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.DEBUG]))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=env | {"DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    hsts, subdomains, session_secure, csrf_secure, ssl_redirect, httponly, at_close, debug = (
        json.loads(result.stdout)
    )
    assert hsts >= 365 * 24 * 60 * 60
    assert subdomains and session_secure and csrf_secure and ssl_redirect and httponly
    assert at_close
    assert debug is False


def test_session_cookie_is_http_only_and_same_site(people):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "lead", "password": TEST_PASSWORD})
    cookie: Any = client.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    # Gone when the browser closes: no lasting cookie on a shared tablet.
    assert not cookie["expires"] and not cookie["max-age"]
