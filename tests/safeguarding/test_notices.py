"""Injuries seen on arrival are their own kind, with what the parent said; a serious accident,
injury or illness (or a death) starts Ofsted's 14-day clock, on the dashboard until Ofsted — and
the local child protection agencies where the Lead says they must be — are told."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from access_requests.compile import entry_body
from records import services
from records.models import Category, Level, RecordEntry
from safeguarding import notices
from safeguarding.models import OfstedNotice

from ..conftest import sign_in

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def injury(people, **extra):
    return services.record_entry(
        child=people.child,
        author=people.keyperson1.user,
        category=extra.pop("category", Category.EXISTING_INJURY),
        occurred_at=extra.pop("occurred_at", timezone.now()),
        text="A graze on the right knee at drop-off.",
        **extra,
    )


def test_an_injury_seen_on_arrival_needs_what_the_parent_said(people, client):
    with pytest.raises(ValidationError) as refused:
        injury(people)
    assert "parent_said" in refused.value.message_dict
    assert not RecordEntry.objects.exists()
    entry = injury(people, parent_said="Fell on the path at home last night.")
    assert entry.level == Level.SENSITIVE and entry.category == Category.EXISTING_INJURY
    entry.amendment_list = []
    assert "What the parent said: Fell on the path" in entry_body(entry)
    sign_in(client, people.keyperson1.user)
    page = client.get(reverse("records:entry_detail", args=[entry.pk])).content.decode()
    assert "Fell on the path at home last night." in page
    # Kept apart from accidents in the setting: the form offers both kinds.
    form = client.get(reverse("records:entry_create", args=[people.child.pk])).content.decode()
    assert "Injury seen on arrival (existing injury)" in form and "Accident or injury" in form


def test_a_serious_accident_starts_ofsteds_fourteen_days(people, client):
    happened = datetime(2026, 12, 1, 10, 30, tzinfo=LONDON)
    entry = injury(people, category=Category.ACCIDENT, occurred_at=happened, serious=True)
    notice = OfstedNotice.objects.get(entry=entry)
    assert notice.due_on == date(2026, 12, 15)
    assert not notice.late(date(2026, 12, 15)) and notice.late(date(2026, 12, 16))
    # A minor accident starts nothing.
    injury(people, category=Category.ACCIDENT)
    assert OfstedNotice.objects.count() == 1
    sign_in(client, people.lead.user)
    assert (
        "Ofsted (or the agencies) must still be told"
        in client.get(reverse("home:dashboard")).content.decode()
    )
    url = reverse("safeguarding:notice", args=[notice.pk])
    refused = client.post(
        url,
        {
            "ofsted_told_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert refused.status_code == 400
    notice.refresh_from_db()
    assert notice.ofsted_told_at is None
    done = client.post(
        url,
        {
            "ofsted_told_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "ofsted_reference": "OF-2026-11",
            "agencies_apply": "no",
        },
    )
    assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.done and notices.open_notices(people.lead.user) == []


def test_the_notices_are_the_lead_and_deputys(people, client):
    entry = injury(people, category=Category.ACCIDENT, serious=True)
    notice = OfstedNotice.objects.get(entry=entry)
    sign_in(client, people.keyperson1.user)
    assert client.get(reverse("safeguarding:notices")).status_code == 404
    response = client.post(
        reverse("safeguarding:notice", args=[notice.pk]), {"agencies_apply": "yes"}
    )
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.agencies_apply is None


def test_the_agencies_answer_is_kept_between_saves(people):
    entry = injury(people, category=Category.ACCIDENT, serious=True)
    notice = OfstedNotice.objects.get(entry=entry)
    lead = people.lead.user
    notices.record(by=lead, notice=notice, ofsted_told_at=None, agencies_apply="yes")
    # Later, only the time the agencies were told: the earlier "yes" stands.
    told = timezone.now() - timedelta(hours=1)
    notices.record(by=lead, notice=notice, ofsted_told_at=None, agencies_told_at=told)
    notice.refresh_from_db()
    assert notice.agencies_apply is True and notice.agencies_told_at == told
    # A save from a page drawn before keeps what another person saved since.
    notices.record(by=people.deputy.user, notice=notice, ofsted_told_at=told)
    notice.refresh_from_db()
    assert notice.done and notice.agencies_told_at == told
