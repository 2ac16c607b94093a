"""The chronology a conference can use: a PDF made in the background of what the person asking
may read (filtered as they chose, the significant events say), dated, with their name and
"confidential" on every page; only they download it; asking, making and downloading are audited,
and the entries in it are recorded as read."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from pypdf import PdfReader

from records.models import Category, Child
from safeguarding import printing
from safeguarding.models import PRINT_KEPT_DAYS, ChronologyPrint, PrintState

from ..factories import make_entry

pytestmark = pytest.mark.django_db

SIGNIFICANT = "Initial conference: a child protection plan was made."
ORDINARY = "Built a tall tower with the blue bricks."
CP_ONLY = "Strategy discussion held with children's social care."


def a_file(people: Any) -> dict[str, Any]:
    child = people.child
    return {
        "significant": make_entry(
            child, people.keyperson1, category=Category.CONCERN, text=SIGNIFICANT, significant=True
        ),
        "ordinary": make_entry(child, people.keyperson1, text=ORDINARY),
        "cp": make_entry(child, people.lead, category=Category.CHILD_PROTECTION, text=CP_ONLY),
    }


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def ask(client: Any, people: Any, data: dict[str, str], capture: Any) -> Any:
    url = reverse("safeguarding:print_chronology", args=[people.child.pk])
    with capture(execute=True):
        return client.post(url, data)


def events(user: Any) -> list[str]:
    rows = LogEntry.objects.filter(actor=user, additional_data__event__startswith="chronology")
    return sorted(r.additional_data["event"] for r in rows)


def test_the_lead_prints_the_significant_events_with_name_and_confidential_on_every_page(
    people, client_for, django_capture_on_commit_callbacks
):
    made = a_file(people)
    lead = client_for("lead")
    # The page shows what the print will hold.
    page = lead.get(
        reverse("safeguarding:print_chronology", args=[people.child.pk]), {"significant": "on"}
    )
    assert "Significant events only" in page.content.decode()
    response = ask(lead, people, {"significant": "on"}, django_capture_on_commit_callbacks)
    printed = ChronologyPrint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("safeguarding:chronology_print", args=[printed.pk])
    assert printed.state == PrintState.READY and printed.entries == 1
    assert "Download the PDF" in lead.get(response["Location"]).content.decode()

    download = lead.get(reverse("safeguarding:chronology_print_download", args=[printed.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert people.child.last_name not in download["Content-Disposition"]
    texts = pages(download.content)
    for text in texts:
        assert "CONFIDENTIAL" in text
        assert f"Printed for {people.lead.full_name}" in text
    whole = " ".join(texts)
    assert SIGNIFICANT.split(":")[0] in whole
    assert ORDINARY not in whole and CP_ONLY not in whole
    # Stored encrypted, whole.
    raw = ChronologyPrint.objects.filter(pk=printed.pk).values_list("pdf", flat=True).get()
    assert not str(raw).startswith("%PDF")
    assert events(people.lead.user) == [
        "chronology_print_asked",
        "chronology_print_downloaded",
        "chronology_printed",
    ]
    # The entry in it was read by the Lead (a sensitive concern: its read is audited).
    reads = LogEntry.objects.filter(
        actor=people.lead.user, object_pk=str(made["significant"].pk), additional_data__event="read"
    )
    assert reads.exists()


def test_the_key_person_prints_only_what_they_may_read(
    people, client_for, django_capture_on_commit_callbacks
):
    a_file(people)
    kp = client_for("keyperson1")
    ask(kp, people, {}, django_capture_on_commit_callbacks)
    printed = ChronologyPrint.objects.get()
    pdf = kp.get(reverse("safeguarding:chronology_print_download", args=[printed.pk])).content
    whole = " ".join(pages(pdf))
    assert ORDINARY in whole and "Initial conference" in whole
    assert "Strategy discussion" not in whole
    assert printed.entries == 2


def test_nobody_else_prints_or_opens_anothers_print(
    people, client_for, django_capture_on_commit_callbacks
):
    a_file(people)
    ask(client_for("lead"), people, {}, django_capture_on_commit_callbacks)
    printed = ChronologyPrint.objects.get()
    for name in ("practitioner", "keyperson2", "office", "trustee", "chair"):
        client = client_for(name)
        url = reverse("safeguarding:print_chronology", args=[people.child.pk])
        assert client.get(url).status_code == 404, name
        assert client.post(url, {}).status_code == 404, name
        for view in ("safeguarding:chronology_print", "safeguarding:chronology_print_download"):
            assert client.get(reverse(view, args=[printed.pk])).status_code == 404, name
    # The Deputy may print their own, but not open the Lead's.
    deputy = client_for("deputy")
    url = reverse("safeguarding:chronology_print_download", args=[printed.pk])
    assert deputy.get(url).status_code == 404
    assert ChronologyPrint.objects.count() == 1
    assert events(people.deputy.user) == []


def test_a_filter_with_a_mistake_is_refused_with_a_message_and_nothing_is_queued(
    people, client_for, django_capture_on_commit_callbacks
):
    a_file(people)
    response = ask(
        client_for("lead"), people, {"since": "not a date"}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 400
    assert "The filter has a mistake" in response.content.decode()
    assert ChronologyPrint.objects.count() == 0


def test_the_render_reads_as_the_person_at_that_moment(
    people, client_for, django_capture_on_commit_callbacks
):
    """Asked while the key person, no longer the key person when it is made: nothing is made."""
    a_file(people)
    url = reverse("safeguarding:print_chronology", args=[people.child.pk])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client_for("keyperson1").post(url, {})
    printed = ChronologyPrint.objects.get()
    Child.objects.filter(pk=people.child.pk).update(key_person=people.keyperson2)
    for callback in queued:
        callback()
    printed.refresh_from_db()
    assert printed.state == PrintState.FAILED and not printed.pdf
    assert "no longer" in printed.error
    assert printing.print_for(people.keyperson1.user, printed.pk) is None


def test_a_print_is_removed_after_its_days_and_the_row_kept(
    people, client_for, django_capture_on_commit_callbacks
):
    a_file(people)
    lead = client_for("lead")
    ask(lead, people, {}, django_capture_on_commit_callbacks)
    printed = ChronologyPrint.objects.get()
    assert printing.expire_old_prints() == 0
    later = printed.requested_at + timedelta(days=PRINT_KEPT_DAYS, minutes=1)
    assert printing.expire_old_prints(now=later) == 1
    printed.refresh_from_db()
    assert printed.state == PrintState.EXPIRED and not printed.pdf
    url = reverse("safeguarding:chronology_print_download", args=[printed.pk])
    assert lead.get(url).status_code == 404
    assert (
        "Removed"
        in lead.get(reverse("safeguarding:chronology_print", args=[printed.pk])).content.decode()
    )
