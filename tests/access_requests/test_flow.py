"""A request from arrival to closing, through the services and the pages."""

from __future__ import annotations

import io

from django.urls import reverse
from pypdf import PdfReader

from access_requests import services
from access_requests.models import RenderState, Status

from .conftest import approved, checked


def test_office_records_a_request_and_sees_no_more(people, client_for, entries):
    child = people.child
    client = client_for("office")
    response = client.post(
        reverse("access_requests:new"),
        {
            "received_on": "",
            "channel": "spoken",
            "requester_kind": "carer",
            "child": child.pk,
            "requester_carer": child.carers.get().pk,
            "asked_for": "Everything.",
            "contact_email": "parent@example.test",
            "include_requester": "on",
        },
    )
    assert response.status_code == 400  # no date
    assert not people.child.access_requests.exists()


def test_whole_flow_through_the_services(people, entries):
    sar = checked(people)
    token = services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.render_state == RenderState.READY, sar.render_error
    assert sar.render_token == token
    services.approve_bundle(sar=sar, by=people.lead.user)
    release, password = services.release_copy(sar=sar, by=people.deputy.user)
    reader = PdfReader(io.BytesIO(release.pdf))
    assert reader.is_encrypted
    assert reader.decrypt(password)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Built a tall tower" in text
    assert sar.reference in text


def test_pages_for_the_lead(people, client_for, entries):
    sar = approved(people)
    client = client_for("lead")
    assert client.get(reverse("access_requests:detail", args=[sar.pk])).status_code == 200
    response = client.post(reverse("access_requests:release", args=[sar.pk]))
    assert response.status_code == 200
    assert b"shown <strong>once</strong>" in response.content
    response = client.post(reverse("access_requests:send_link", args=[sar.pk]))
    assert response.status_code == 302
    sar.refresh_from_db()
    assert sar.status == Status.SENT
