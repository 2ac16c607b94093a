"""Text that says nothing — only spaces, zero-width or direction-control characters — and dates
before the child was born or the setting opened are refused with a message, and nothing is saved."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.models import Disclosure
from records.models import Category, RecordEntry, Setting

pytestmark = pytest.mark.django_db

INVISIBLE_ONLY = [
    "   ",
    "\u200b\u200b",  # zero-width spaces
    "\u202e\u202c",  # right-to-left override and pop
    "\ufeff \u2066\u2069\n\t",  # byte-order mark, isolates, white space
    "\u00ad\u2060",  # soft hyphen, word joiner
]


def post_entry(client, child, **overrides):
    data = {
        "category": Category.GENERAL,
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "text": "Built a tower of ten bricks.",
    } | overrides
    return client.post(reverse("records:entry_create", args=[child.pk]), data)


@pytest.mark.parametrize("text", INVISIBLE_ONLY)
def test_an_entry_of_invisible_characters_only_is_refused(people, client_for, text):
    response = post_entry(client_for("keyperson1"), people.child, text=text)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert RecordEntry.objects.count() == 0


def test_an_entry_with_words_and_a_direction_mark_is_kept(people, client_for):
    response = post_entry(client_for("keyperson1"), people.child, text="\u200fمرحبا said hello")
    assert response.status_code == 302
    assert RecordEntry.objects.get().text == "\u200fمرحبا said hello"


def test_an_entry_dated_before_the_child_was_born_is_refused(people, client_for):
    born = people.child.date_of_birth
    before = datetime.combine(born - timedelta(days=1), datetime.min.time()).strftime(
        "%Y-%m-%dT%H:%M"
    )
    response = post_entry(client_for("keyperson1"), people.child, occurred_at=before)
    assert response.status_code == 200
    assert f"before {people.child.first_name} was born" in response.content.decode()
    assert RecordEntry.objects.count() == 0


def test_an_entry_dated_before_the_setting_opened_is_refused(people, client_for):
    Setting.objects.update(opened_on=date(2024, 9, 1))
    people.child.date_of_birth = date(2022, 1, 1)
    people.child.save()
    response = post_entry(client_for("keyperson1"), people.child, occurred_at="2024-08-31T10:00")
    assert response.status_code == 200
    assert "before the setting opened (1 September 2024)" in response.content.decode()
    assert RecordEntry.objects.count() == 0
    assert (
        post_entry(
            client_for("keyperson1"), people.child, occurred_at="2024-09-02T10:00"
        ).status_code
        == 302
    )


def test_a_disclosure_of_invisible_characters_only_is_refused(people):
    from django.core.exceptions import ValidationError

    from consent.models import DiscloserKind
    from consent.services import record_disclosure

    with pytest.raises(ValidationError) as refused:
        record_disclosure(
            author=people.keyperson1.user,
            child=people.child,
            discloser_kind=DiscloserKind.CARER,
            discloser_carer=people.child.carers.get(),
            received_by=people.keyperson1,
            disclosed_at=timezone.now(),
            what="\u200b\u202e ",
            subject_children=[people.child],
        )
    assert "what" in refused.value.message_dict
    assert Disclosure.objects.count() == 0


@pytest.mark.parametrize("typed", ["0001-01-01", "1899-12-31", "9999-12-31"])
def test_a_date_nobody_meant_is_refused_with_its_range(people, client_for, typed):
    """A year typed as 0001 or 9999 (a slip, or a probe) is refused with the range, and nothing
    is saved: here a child's birth, and an acting-Lead period that would never end."""
    from core.dates import long_date
    from core.forms import EARLIEST, latest
    from records.models import ActingLead, Child

    expected = f"Enter a date from {long_date(EARLIEST)} to {long_date(latest())}."
    office = client_for("office")
    response = office.post(
        reverse("records:child_create"),
        {
            "first_name": "Robin",
            "last_name": "Examplechild",
            "date_of_birth": typed,
            "started_on": "2025-09-01",
            "room": people.sunflower.pk,
            "family": people.child.family_id,
        },
    )
    assert response.status_code == 200 and expected in response.content.decode()
    assert not Child.objects.filter(first_name="Robin").exists()
    lead = client_for("lead")
    response = lead.post(
        reverse("records:acting_lead"),
        {"deputy": people.deputy.pk, "reason": "Away.", "ends_at": f"{typed}T17:00"},
    )
    assert response.status_code == 200 and expected in response.content.decode()
    assert not ActingLead.objects.exists()
