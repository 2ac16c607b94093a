"""Held securely and audited: PDFs encrypted at rest under our keys, no plaintext of encrypted
fields in the audit log, and flat query counts on the list and request pages."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access_requests import services
from access_requests.models import BundleItem, Release, Rendering

from ..factories import make_entry
from .conftest import approved, record, reviewed


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - fixed names
        return [str(row[0]) for row in cursor.fetchall()]


def test_pdfs_and_snapshots_are_encrypted_at_rest(people, entries):
    sar = approved(people)
    services.release_copy(sar=sar, by=people.lead.user)
    for table in (Rendering._meta.db_table, Release._meta.db_table):
        (value,) = _raw(table, "pdf")
        assert "%PDF" not in value and value.startswith("v2$")
    bodies = _raw(BundleItem._meta.db_table, "body")
    assert bodies and not any("Built a tall tower" in b for b in bodies)


def test_the_audit_log_keeps_no_plaintext_of_review_notes(people, entries):
    sar = reviewed(people)
    item_type = ContentType.objects.get_for_model(BundleItem)
    changes = [str(e.changes) for e in LogEntry.objects.filter(content_type=item_type)]
    assert changes
    assert not any("Reviewed: fine to disclose." in c for c in changes)
    assert any("[encrypted]" in c for c in changes)
    assert sar.items.exists()


def test_approving_with_items_still_unreviewed_is_refused(people, entries):
    from .conftest import confirmed

    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    with pytest.raises(ValidationError) as exc:
        services.approve_bundle(sar=sar, by=people.lead.user)
    assert "second person has checked" in " ".join(exc.value.messages)
    sar.refresh_from_db()
    assert sar.approved_by is None


def _count(client, url) -> int:
    # Once first, uncounted: a session's first page stores the setting worked in, and its
    # last-seen time is written at most once a minute; the pages after it are what is compared.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_stay_flat(people, entries, client_for):
    client = client_for("lead")
    for _ in range(2):
        record(people)
    sar = reviewed(people)
    few_list = _count(client, reverse("access_requests:list"))
    few_detail = _count(client, reverse("access_requests:detail", args=[sar.pk]))
    few_dash = _count(client, reverse("home:dashboard"))
    for _ in range(4):
        record(people)
    for i in range(5):
        make_entry(people.child, people.keyperson1, text=f"More painting, {i}.")
    more = reviewed(people)
    assert _count(client, reverse("access_requests:list")) == few_list
    assert _count(client, reverse("access_requests:detail", args=[more.pk])) == few_detail
    assert _count(client, reverse("home:dashboard")) == few_dash


def test_every_step_is_in_the_audit_log(people, entries, client_for):
    sar = approved(people)
    release, _password = services.release_copy(sar=sar, by=people.lead.user)
    services.mark_sent(sar=sar, by=people.deputy.user, how="post")
    services.close_request(sar=sar, by=people.lead.user)
    client_for("lead").get(reverse("access_requests:download", args=[sar.pk]))
    by_event: dict[str, Any] = {}
    for entry in LogEntry.objects.select_related("actor").order_by("timestamp"):
        event = (entry.additional_data or {}).get("event")
        if event:
            by_event.setdefault(event, entry)
    for event, who in [
        ("sar_received", people.office),
        ("sar_in_progress", people.deputy),  # identity confirmed, the clock started
        ("sar_in_review", people.deputy),  # compiled
        ("sar_awaiting_check", people.deputy),
        ("sar_checked", people.lead),
        ("sar_render_queued", people.deputy),
        ("sar_approved", people.lead),
        ("sar_released", people.lead),
        ("sar_sent", people.deputy),
        ("sar_closed", people.lead),
        ("sar_pdf_downloaded", people.lead),
    ]:
        assert event in by_event, event
        assert by_event[event].actor == who.user, event
    assert "sar_rendered" in by_event
    assert by_event["sar_approved"].additional_data["sha256"] == sar.approved_sha256
    assert release.sha256 == by_event["sar_released"].additional_data["sha256"]
