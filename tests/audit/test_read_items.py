"""A page's reads are one read event (issue 17): its sealed data lists the items shown, and an
index (audit.models.ReadItem) answers "who read this entry". Every sensitive read stays
attributable: to the person, the time, the address and the item, on the child's audit page and
the Lead's audit search, in the reports' counts, and proved by the chain and verify_audit."""

from __future__ import annotations

import csv
from datetime import timedelta
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.log import READ_ITEMS, listed_items, rows_about
from audit.models import ReadItem
from records.audit_page import entry_title
from records.models import Category, Level, RecordEntry
from safeguarding.periods import Segment
from safeguarding.reports import _count_audit

from ..factories import make_entry
from .test_audit import sql, without_trigger

pytestmark = pytest.mark.django_db


def _reads() -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            action=LogEntry.Action.ACCESS, additional_data__event="read"
        ).order_by("pk")
    )


def _sensitive(people, n: int) -> list[RecordEntry]:
    entries = []
    for i in range(n):
        category = Category.CHILD_PROTECTION if i % 2 else Category.CONCERN
        entries.append(make_entry(people.child, people.keyperson1, category=category))
    return entries


def test_a_chronology_page_is_one_read_event_listing_every_audited_entry(people, client_for):
    make_entry(people.child, people.keyperson1)  # general progress: not audited
    shown = _sensitive(people, 6)
    response = client_for("lead").get(
        reverse("records:child_detail", args=[people.child.pk]), REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 200
    [event] = _reads()
    assert event.actor == people.lead.user
    assert event.remote_addr == "192.0.2.7"
    assert event.content_type.model_class() is RecordEntry
    assert event.object_pk == ""
    assert event.object_repr == "6 record entries"
    assert sorted(listed_items(event)) == sorted(str(e.pk) for e in shown)
    assert sorted(ReadItem.objects.filter(entry=event).values_list("object_pk", flat=True)) == (
        sorted(str(e.pk) for e in shown)
    )
    for entry in shown:
        assert list(
            LogEntry.objects.filter(
                rows_about(RecordEntry, [entry.pk]), action=LogEntry.Action.ACCESS
            )
        ) == [event]
    # The list is in the sealed content: the chain and the index agree.
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    assert "Audit log intact" in out.getvalue()


def test_an_entry_read_alone_is_named_by_its_own_row_and_indexed_too(people, client_for):
    [entry] = _sensitive(people, 1)
    client_for("lead").get(reverse("records:entry_detail", args=[entry.pk]))
    [event] = _reads()
    assert event.object_pk == str(entry.pk)
    assert listed_items(event) == [str(entry.pk)]
    assert list(ReadItem.objects.filter(entry=event).values_list("object_pk", flat=True)) == [
        str(entry.pk)
    ]


def test_the_childs_audit_page_and_the_lead_s_search_show_who_read_the_page(people, client_for):
    shown = _sensitive(people, 3)
    client_for("keyperson1").get(reverse("records:child_detail", args=[people.child.pk]))
    lead = client_for("lead")
    page = lead.get(reverse("records:audit_child", args=[people.child.pk])).content.decode()
    assert "3 record entries on one page" in page
    assert people.keyperson1.full_name in page
    # Each entry the page showed is named in the row: which item, not only how many.
    for entry in shown:
        assert entry_title(entry) in page
    # The Lead's search by child and level finds the page through any of its entries' levels.
    search = lead.get(
        reverse("records:audit_log"),
        {"child": people.child.pk, "level": Level.CHILD_PROTECTION, "action": "read"},
    ).content.decode()
    assert "3 record entries on one page" in search
    # With a level, only the entries at that level are named.
    for entry in shown:
        assert (entry_title(entry) in search) == (entry.level == Level.CHILD_PROTECTION)
    # The export has a line for each entry read.
    export = lead.post(
        reverse("records:audit_export"), {"child": people.child.pk, "action": "read"}
    )
    rows = list(csv.reader(b"".join(export.streaming_content).decode().splitlines()))
    reads = [row for row in rows[1:] if row[1] == people.keyperson1.full_name]
    assert sorted(row[3] for row in reads) == sorted(entry_title(e) for e in shown)


def test_another_child_s_audit_page_does_not_show_the_page(people, client_for):
    _sensitive(people, 2)
    client_for("keyperson1").get(reverse("records:child_detail", args=[people.child.pk]))
    other = client_for("lead").get(reverse("records:audit_child", args=[people.other_child.pk]))
    assert "on one page" not in other.content.decode()


def test_the_reports_count_each_entry_a_page_showed_as_a_read(people, client_for):
    _sensitive(people, 7)
    client_for("keyperson1").get(reverse("records:child_detail", args=[people.child.pk]))
    today = timezone.localdate()
    week = Segment("week", "this week", ((today - timedelta(days=3), today + timedelta(days=3)),))
    assert _count_audit(people.lead.user, week)["reads"] == 7


def test_verify_audit_finds_an_index_row_taken_away(people, client_for):
    _sensitive(people, 4)
    client_for("lead").get(reverse("records:child_detail", args=[people.child.pk]))
    [event] = _reads()
    assert len(event.additional_data[READ_ITEMS]) == 4
    victim = ReadItem.objects.filter(entry=event).earliest("pk")
    if connection.vendor == "postgresql":
        # The database refuses it, as for the rest of the log...
        with pytest.raises(DatabaseError), transaction.atomic():
            ReadItem.objects.filter(pk=victim.pk).delete()
        # ...so only someone who can switch the trigger off could; and the check still sees it.
        without_trigger("audit_readitem", "confide_readitem_no_change")
    sql("DELETE FROM audit_readitem WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match="index of what read events covered"):
        call_command("verify_audit", stdout=StringIO(), stderr=StringIO())


def test_verify_audit_finds_an_index_row_forged_onto_another_event(people, client_for):
    [entry] = _sensitive(people, 1)
    client_for("lead").get(reverse("records:entry_detail", args=[entry.pk]))
    # A row that lists nothing (a change), given an index row: a read that never happened.
    change = LogEntry.objects.exclude(additional_data__has_key=READ_ITEMS).latest("pk")
    ReadItem.objects.create(entry=change, object_pk=str(entry.pk))
    with pytest.raises(CommandError, match="lists no items read"):
        call_command("verify_audit", stdout=StringIO(), stderr=StringIO())


def test_an_index_row_cannot_be_changed(people, client_for):
    _sensitive(people, 2)
    client_for("lead").get(reverse("records:child_detail", args=[people.child.pk]))
    row = ReadItem.objects.earliest("pk")
    with pytest.raises(DatabaseError), transaction.atomic():
        ReadItem.objects.filter(pk=row.pk).update(object_pk="something else")
    row.refresh_from_db()
    assert row.object_pk != "something else"
