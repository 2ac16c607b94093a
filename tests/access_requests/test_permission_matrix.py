"""Who may reach the subject-access pages: every URL name of access_requests, with every role.

Typed out by hand from DESIGN.md's permission table, never computed from the policy module:
anyone on the staff records a request's arrival; only the Lead and the Deputy handle requests
beyond that; only the Lead (or an acting Lead) approves or refuses. The requester's one-time link
needs no sign-in. Someone who may not handle requests gets 404, never 403.

Codes as in tests/records/test_permission_matrix.py: 200 page shown, 302 done and redirected, 400
form re-shown with errors (allowed, but the empty POST was invalid), 404 not known to exist,
"login" sent to sign in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access_requests import services
from access_requests.models import (
    BundleItem,
    DownloadLink,
    Letter,
    RequesterKind,
    ThirdPartyConsent,
)
from access_requests.urls import URL_NAMES

from ..conftest import sign_in
from ..records.test_permission_matrix import ROLES, L, row
from .conftest import approved, checked, record, reviewed

MATRIX: list[tuple[str, str, str, dict[str, Any]]] = [
    # The safeguarding trustee handles the Lead's own request (and sees no other).
    ("access_requests:list", "", "get", row(200, 200, 404, 404, 404, 404, 200, 404, 404)),
    (
        "access_requests:detail",
        "leads_own",
        "get",
        row(404, 404, 404, 404, 404, 404, 200, 404, 404),
    ),
    # A request can reach anyone here, a trustee included: they record its arrival.
    ("access_requests:new", "", "get", row(200, 200, 200, 200, 200, 200, 200, 200, 404)),
    ("access_requests:detail", "received", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    (
        "access_requests:ask_identity",
        "received",
        "post",
        row(400, 400, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:identity",
        "received",
        "post",
        row(400, 400, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("access_requests:join", "received", "post", row(400, 400, 404, 404, 404, 404, 404, 404, 404)),
    (
        "access_requests:ask_consent",
        "in_review",
        "post",
        row(400, 400, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:consent_reply",
        "consent_ask",
        "post",
        row(400, 400, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("access_requests:pause", "received", "post", row(400, 400, 404, 404, 404, 404, 404, 404, 404)),
    (
        "access_requests:resume",
        "received",
        "post",
        row(400, 400, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:extend",
        "received",
        "post",
        row(400, 400, 404, 404, 404, 404, 404, 404, 404),
    ),
    # Refusing is the Lead's decision; the Deputy only while acting Lead.
    (
        "access_requests:refuse",
        "received",
        "post",
        row(400, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:compile",
        "received",
        "post",
        row(400, 400, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("access_requests:item", "item", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    (
        "access_requests:disclose_professionals",
        "in_review",
        "post",
        row(302, 302, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:disclose_general",
        "in_review",
        "post",
        row(200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:submit",
        "in_review",
        "post",
        row(302, 302, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:check",
        "in_review",
        "post",
        row(400, 400, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("access_requests:render", "checked", "post", row(302, 302, 404, 404, 404, 404, 404, 404, 404)),
    (
        "access_requests:progress",
        "checked",
        "get",
        row(200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("access_requests:draft", "approved", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    (
        "access_requests:approve",
        "checked",
        "post",
        row(302, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:release",
        "approved",
        "post",
        row(200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:download",
        "released",
        "get",
        row(200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:send_link",
        "released",
        "post",
        row(302, 302, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "access_requests:mark_sent",
        "released",
        "post",
        row(400, 400, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("access_requests:close", "released", "post", row(302, 302, 404, 404, 404, 404, 404, 404, 404)),
    ("access_requests:letter", "letter", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    # The requester's link: a page for anyone holding it, signed in or not.
    ("access_requests:link", "link", "get", row(200, 200, 200, 200, 200, 200, 200, 200, 200, 200)),
]

# Every URL name with a row here; tests/records/test_permission_matrix.py's meta-test imports it.
COVERED_NAMES = frozenset(name for name, *_ in MATRIX)


def test_every_access_request_url_has_a_row():
    assert not URL_NAMES - COVERED_NAMES


@pytest.fixture
def objects(people, entries) -> dict[str, Any]:
    received = record(people)
    in_review = reviewed(people)
    item = BundleItem.objects.filter(request=in_review).first()
    ready = checked(people)
    done = approved(people)
    released = approved(people)
    services.release_copy(sar=released, by=people.lead.user)
    services.ask_for_identity(sar=received, by=people.deputy.user, what="Photo ID.")
    letter = Letter.objects.get(request=received, kind="identity")
    link_token = "a-test-token-for-the-matrix"
    DownloadLink.objects.create(
        release=released.releases.get(),
        token_hash=services.link_token_hash(link_token),
        created_by=people.lead,
        expires_at=released.releases.get().created_at + timedelta(days=7),
    )
    leads_own = record(
        people,
        requester_kind=RequesterKind.STAFF,
        requester_carer=None,
        requester_staff=people.lead,
        child=None,
        asked_for="Everything you hold about me.",
    )
    return {
        "": None,
        "leads_own": leads_own,
        "received": received,
        "in_review": in_review,
        "item": item,
        "checked": ready,
        "approved": done,
        "released": released,
        "letter": letter,
        "consent_ask": ThirdPartyConsent.objects.create(
            request=in_review,
            person_key="name:test",
            name="Jordan Quillfeather",
            asked_on=timezone.localdate(),
            asked_by=people.deputy,
            letter="Dear Jordan Quillfeather, ...",
        ),
        "link": link_token,
    }


def _client(people, role: str) -> Client:
    if role == "anon":
        return Client()
    user = people.it_admin if role == "it_admin" else getattr(people, role).user
    return sign_in(Client(), user)


def _url(name: str, obj: Any) -> str:
    if obj is None:
        return reverse(name)
    if isinstance(obj, str):
        return reverse(name, args=[obj])
    if isinstance(obj, BundleItem | Letter | ThirdPartyConsent):
        return reverse(name, args=[obj.request_id, obj.pk])
    return reverse(name, args=[obj.pk])


@pytest.mark.django_db(transaction=False)
def test_permission_matrix(people, objects):
    failures = []
    for name, about, method, expected in MATRIX:
        url = _url(name, objects[about])
        results = {}
        for role in ROLES:
            client = _client(people, role)
            sid = transaction.savepoint_create()
            response = getattr(client, method)(url)
            transaction.savepoint_rollback(sid)
            code: Any = response.status_code
            if code == 302 and "/account/sign-in/" in response["Location"]:
                code = L
            results[role] = code
        if results != expected:
            failures.append((name, about, method, results, expected))
    assert not failures, "\n".join(f"{n}[{a}] {m}: got {r}, want {e}" for n, a, m, r, e in failures)
