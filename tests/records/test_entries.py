from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from records.models import Amendment, Category, Level, RecordEntry

from ..factories import make_entry

pytestmark = pytest.mark.django_db


def test_key_person_records_a_concern_at_sensitive_level(people, client_for):
    client = client_for("keyperson1")
    response = client.post(
        reverse("records:entry_create", args=[people.child.pk]),
        {
            "category": Category.CONCERN,
            "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "text": "Seemed withdrawn at drop-off and did not want to join circle time.",
        },
    )
    assert response.status_code == 302
    entry = RecordEntry.objects.get(child=people.child)
    assert entry.level == Level.SENSITIVE
    assert entry.text.startswith("Seemed withdrawn")
    assert entry.parent_informed == "to_inform"


def test_entry_text_is_stored_encrypted(people):
    entry = make_entry(people.child, people.keyperson1, text="Bumped knee on the slide.")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM records_recordentry WHERE id = %s", [entry.pk.hex])
        row = cursor.fetchone()
    if row is None:  # PostgreSQL stores UUIDs natively
        with connection.cursor() as cursor:
            cursor.execute("SELECT text FROM records_recordentry WHERE id = %s", [entry.pk])
            row = cursor.fetchone()
    assert "Bumped" not in row[0]
    assert RecordEntry.objects.get(pk=entry.pk).text == "Bumped knee on the slide."


def test_future_occurrence_is_refused_and_nothing_saved(people, client_for):
    client = client_for("keyperson1")
    response = client.post(
        reverse("records:entry_create", args=[people.child.pk]),
        {
            "category": Category.GENERAL,
            "occurred_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "text": "Painted a picture.",
        },
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not RecordEntry.objects.exists()


def test_level_cannot_be_lowered_below_the_category_default(people, client_for):
    client = client_for("keyperson1")
    response = client.post(
        reverse("records:entry_create", args=[people.child.pk]),
        {
            "category": Category.CHILD_PROTECTION,
            "level": Level.GENERAL,
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "text": "Referral made.",
        },
    )
    assert response.status_code == 200
    assert "lowest level" in response.content.decode()
    assert not RecordEntry.objects.exists()


def test_amendment_keeps_the_original(people, client_for):
    entry = make_entry(people.child, people.keyperson1, text="Original words.")
    client = client_for("keyperson1")
    response = client.post(
        reverse("records:entry_amend", args=[entry.pk]),
        {"text": "Corrected words.", "reason": "Wrong time noted."},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.text == "Original words."
    assert Amendment.objects.get(entry=entry).text == "Corrected words."


def test_chronology_and_entry_page_show_amendments_and_attachments(people, client_for):
    from records.models import Attachment

    entry = make_entry(people.child, people.keyperson1, text="Original words.")
    Amendment(
        entry=entry, author=people.keyperson1, text="Added later.", reason="Forgot a detail."
    ).save()
    Attachment(
        entry=entry,
        uploaded_by=people.keyperson1,
        filename="drawing.png",
        content_type="image/png",
        size=8,
        sha256="0" * 64,
        content=b"\x89PNG\r\n\x1a\n",
    ).save()
    client = client_for("keyperson1")
    chronology = client.get(
        reverse("records:child_detail", args=[people.child.pk])
    ).content.decode()
    assert "Added later." in chronology and "Forgot a detail." in chronology
    assert "1 attachment" in chronology
    page = client.get(reverse("records:entry_detail", args=[entry.pk])).content.decode()
    assert "Added later." in page and "drawing.png" in page
