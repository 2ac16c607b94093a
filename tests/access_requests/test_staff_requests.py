"""A member of staff's request for their own records is the Lead's alone.

Anyone records its arrival (a request is valid whoever receives it) and then cannot see it again;
the Lead compiles, reviews, checks and approves it; the Deputy — even as acting Lead — gets 404 on
every URL of it, as for a request that does not exist. The Lead's own request is recorded, its
clock runs, and it waits for the safeguarding trustee: on no one's list, counted on the dashboard.
Expectations typed out from DESIGN.md's permission table ("a staff member's subject-access
request: any step after its arrival — the Lead; the trustee when the Lead asks").
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access_requests import services
from access_requests.models import (
    BundleItem,
    Channel,
    DownloadLink,
    Letter,
    RequesterKind,
    Status,
    SubjectAccessRequest,
    ThirdPartyConsent,
)
from records.models import ActingLead, StaffRecord

from ..conftest import sign_in
from .conftest import reviewed
from .test_permission_matrix import MATRIX

ROLES = ["lead", "deputy", "acting_deputy", "keyperson1", "keyperson2", "office", "it_admin"]


def record_staff_request(people: Any, staff: Any, *, by: Any = None) -> SubjectAccessRequest:
    return services.record_request(
        by=(by or people.office).user,
        received_on=timezone.localdate(),
        channel=Channel.SPOKEN,
        requester_kind=RequesterKind.STAFF,
        requester_staff=staff,
        asked_for="Copies of my supervision notes and anything else you hold about me.",
    )


def _lead(people: Any) -> Any:
    return people.lead.user


def _confirmed(people: Any) -> SubjectAccessRequest:
    sar = record_staff_request(people, people.keyperson2)
    services.confirm_identity(
        sar=sar, by=_lead(people), method="known", confirmed_on=timezone.localdate()
    )
    return sar


def _reviewed(people: Any) -> SubjectAccessRequest:
    sar = _confirmed(people)
    services.compile_bundle(sar=sar, by=_lead(people))
    for item in sar.items.all():
        services.review_item(item=item, by=_lead(people), decision="disclose", note="Their own.")
    return sar


def _checked(people: Any) -> SubjectAccessRequest:
    """The Lead checks their own review: nobody else may see a staff member's records."""
    sar = _reviewed(people)
    services.submit_for_check(sar=sar, by=_lead(people))
    services.check_bundle(sar=sar, by=_lead(people), accept=True)
    return sar


def _approved(people: Any) -> SubjectAccessRequest:
    sar = _checked(people)
    services.start_render(sar=sar, by=_lead(people))
    sar.refresh_from_db()
    services.approve_bundle(sar=sar, by=_lead(people))
    sar.refresh_from_db()
    return sar


@pytest.fixture
def supervision(people: Any) -> StaffRecord:
    record = StaffRecord(
        staff=people.keyperson2,
        kind="supervision",
        recorded_by=people.lead,
        occurred_on=timezone.localdate() - timedelta(days=30),
        text="Termly supervision: confident with the new starters; wants first-aid refresher.",
    )
    record.save()
    return record


@pytest.fixture
def staff_objects(people: Any, supervision: StaffRecord) -> dict[str, Any]:
    received = record_staff_request(people, people.keyperson2)
    services.ask_for_identity(sar=received, by=_lead(people), what="Nothing: known to us.")
    in_review = _reviewed(people)
    released = _approved(people)
    services.release_copy(sar=released, by=_lead(people))
    link_token = "a-staff-request-token"
    DownloadLink.objects.create(
        release=released.releases.get(),
        token_hash=services.link_token_hash(link_token),
        created_by=people.lead,
        expires_at=timezone.now() + timedelta(days=7),
    )
    # The Deputy is acting Lead throughout: it still gives no way in.
    ActingLead(
        deputy=people.deputy,
        appointed_by=people.lead,
        reason="Lead on a course.",
        ends_at=timezone.now() + timedelta(days=2),
    ).save()
    return {
        "": None,
        "received": received,
        "in_review": in_review,
        "item": BundleItem.objects.filter(request=in_review).first(),
        "checked": _checked(people),
        "approved": _approved(people),
        "released": released,
        "letter": Letter.objects.filter(request=received).first(),
        "consent_ask": ThirdPartyConsent.objects.create(
            request=in_review,
            person_key="name:test",
            name="Someone",
            asked_on=timezone.localdate(),
            asked_by=people.lead,
            letter="Dear Someone, ...",
        ),
        "link": link_token,
    }


def _client(people: Any, role: str) -> Client:
    user = {
        "it_admin": people.it_admin,
        "acting_deputy": people.deputy.user,
    }.get(role) or getattr(people, role).user
    return sign_in(Client(), user)


def _url(name: str, obj: Any) -> str:
    if obj is None:
        return reverse(name)
    if isinstance(obj, str):
        return reverse(name, args=[obj])
    if isinstance(obj, BundleItem | Letter | ThirdPartyConsent):
        return reverse(name, args=[obj.request_id, obj.pk])
    return reverse(name, args=[obj.pk])


def _lead_may(code: Any) -> bool:
    return code in (200, 302, 400)


@pytest.mark.django_db(transaction=False)
def test_every_url_of_a_staff_request_is_the_leads_alone(people, staff_objects):
    """Through every URL of the request, at each of its steps: the Lead reaches it (a page, a
    step done, or a form's errors); everyone else, the acting Deputy included, gets 404 and the
    request is unchanged."""
    failures = []
    for name, about, method, _expected in MATRIX:
        if about in ("", "link", "leads_own"):
            # Not about one request (the list, the new-request page, the public link), or the
            # Lead's own, which the safeguarding trustee handles (tests/governance/test_trustees).
            continue
        obj = staff_objects[about]
        url = _url(name, obj)
        sar_id = (
            obj.request_id if isinstance(obj, BundleItem | Letter | ThirdPartyConsent) else obj.pk
        )
        before = SubjectAccessRequest.objects.filter(pk=sar_id).values().get()
        for role in ROLES:
            sid = transaction.savepoint_create()
            response = getattr(_client(people, role), method)(url)
            after = SubjectAccessRequest.objects.filter(pk=sar_id).values().get()
            transaction.savepoint_rollback(sid)
            code = response.status_code
            if role == "lead":
                if not _lead_may(code):
                    failures.append(f"{name}[{about}] {method}: the Lead got {code}")
            elif code != 404 or after != before:
                failures.append(f"{name}[{about}] {method}: {role} got {code}")
    assert failures == []


def test_the_staff_request_is_on_the_leads_list_only(people, staff_objects, client_for):
    received = staff_objects["received"]
    lead_page = client_for("lead").get(reverse("access_requests:list")).content.decode()
    assert received.reference in lead_page
    for role in ("deputy",):
        page = client_for(role).get(reverse("access_requests:list")).content.decode()
        assert received.reference not in page
        dashboard = client_for(role).get(reverse("home:dashboard")).content.decode()
        assert received.reference not in dashboard


def test_whoever_records_it_cannot_see_it_again(people, client_for):
    deputy = client_for("deputy")
    response = deputy.post(
        reverse("access_requests:new"),
        {
            "received_on": timezone.localdate().strftime("%Y-%m-%d"),
            "channel": Channel.SPOKEN,
            "requester_kind": RequesterKind.STAFF,
            "requester_staff": people.keyperson2.pk,
            "asked_for": "Everything you hold about me.",
            "include_requester": "on",
        },
        follow=True,
    )
    sar = SubjectAccessRequest.objects.get()
    assert response.redirect_chain[-1][0] == reverse("home:dashboard")
    assert "handled by the Lead alone" in response.content.decode()
    assert deputy.get(reverse("access_requests:detail", args=[sar.pk])).status_code == 404
    assert (
        client_for("lead").get(reverse("access_requests:detail", args=[sar.pk])).status_code == 200
    )


def test_the_deputy_cannot_take_a_step_of_it_through_the_services(people, supervision):
    sar = _confirmed(people)
    ActingLead(
        deputy=people.deputy,
        appointed_by=people.lead,
        reason="Lead on a course.",
        ends_at=timezone.now() + timedelta(days=2),
    ).save()
    with pytest.raises(PermissionDenied):
        services.compile_bundle(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.status == Status.IN_PROGRESS
    assert not sar.items.exists()


def test_the_lead_checks_a_staff_review_alone_but_a_family_review_needs_a_second_person(
    people, supervision, entries
):
    staff_sar = _checked(people)
    assert staff_sar.status == Status.CHECKED
    family = reviewed(people)
    services.submit_for_check(sar=family, by=people.deputy.user)
    with pytest.raises(Exception, match="second person"):
        services.check_bundle(sar=family, by=people.deputy.user, accept=True)


def test_the_leads_own_request_waits_for_a_trustee_with_its_clock_running(people, client_for):
    sar = record_staff_request(people, people.lead)
    sar.refresh_from_db()
    assert sar.clock_started_on == sar.received_on
    assert sar.due_on() is not None
    for role in ("lead", "deputy"):
        client = client_for(role)
        assert client.get(reverse("access_requests:detail", args=[sar.pk])).status_code == 404
        assert sar.reference not in client.get(reverse("access_requests:list")).content.decode()
        dashboard = client.get(reverse("home:dashboard")).content.decode()
        assert sar.reference not in dashboard
        assert "1 request is waiting for a trustee" in dashboard
    with pytest.raises(PermissionDenied):
        services.compile_bundle(sar=sar, by=people.lead.user)
    sar.refresh_from_db()
    assert sar.compiled_at is None


def test_a_deputys_own_request_is_the_leads(people, client_for):
    sar = record_staff_request(people, people.deputy)
    assert (
        client_for("deputy").get(reverse("access_requests:detail", args=[sar.pk])).status_code
        == 404
    )
    assert (
        client_for("lead").get(reverse("access_requests:detail", args=[sar.pk])).status_code == 200
    )
    assert sar.clock_started_on is None  # the Lead confirms identity as for anyone else


@pytest.mark.parametrize("role", ["lead", "deputy"])
def test_nobody_sees_a_leads_request_waiting_but_the_count(people, client_for, role):
    record_staff_request(people, people.lead)
    record_staff_request(people, people.lead)
    dashboard = client_for(role).get(reverse("home:dashboard")).content.decode()
    assert "2 requests are waiting for a trustee" in dashboard
