"""A record withheld without saying so leaves no trace in the file.

For each kind of item, the file with that item withheld silently is compared with the file made
when the record never existed (its source deleted before the request is compiled again): after
the reference and the moment of the search, which differ between two requests, the text of every
page is the same — record numbers, the letter's and the note of searches' counts, the index, the
months, the attachments — and so is the number of pages.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from access_requests import services
from access_requests.compile import searches_note_for
from access_requests.models import BundleItem, Decision, ItemKind, SubjectAccessRequest
from access_requests.pdf import render_bundle_pdf
from consent.models import ConsentRecord, Disclosure, SharingDecision
from records.models import Attachment, Category, RecordEntry, StaffRecord
from records.services import add_attachment

from ..consent.factories import consent, disclosure, propose
from ..factories import a_png, make_entry
from .conftest import confirmed
from .test_staff_requests import record_staff_request

PNG = a_png()
DAY = timedelta(days=1)


@pytest.fixture
def file(people: Any) -> dict[str, Any]:
    """Records of every kind about the child, a month or more apart, so each month of the index
    holds one."""
    child, kp = people.child, people.keyperson1
    now = timezone.now()
    first = make_entry(child, kp, text="Painted a tall giraffe.", occurred_at=now - 90 * DAY)
    lone = make_entry(
        child,
        kp,
        category=Category.CONCERN,
        text="Quiet after drop-off.",
        occurred_at=now - 60 * DAY,
    )
    with_picture = make_entry(
        child, kp, category=Category.ACCIDENT, text="Bumped a knee.", occurred_at=now - 30 * DAY
    )
    picture = add_attachment(
        entry=with_picture,
        by=kp.user,
        upload=SimpleUploadedFile("knee.png", PNG, content_type="image/png"),
    )
    told = disclosure(child, kp, what="Mum said the move went well.", disclosed_at=now - 20 * DAY)
    agreed = consent(child, kp, given_at=now - 10 * DAY)
    shared = propose(child, kp)
    return {
        ItemKind.ENTRY: lone,
        ItemKind.ATTACHMENT: picture,
        ItemKind.DISCLOSURE: told,
        ItemKind.CONSENT: agreed,
        ItemKind.SHARING: shared,
        "first": first,
    }


def _review(sar: SubjectAccessRequest, by: Any, *, silent_source: Any = None) -> None:
    services.disclose_staff_in_their_role(sar=sar, by=by.user)
    for item in sar.items.all():
        if silent_source is not None and item.source_id == silent_source:
            services.review_item(
                item=item,
                by=by.user,
                decision=Decision.WITHHOLD,
                exemption="serious_harm",
                opinion_from="The health visitor",
                note="Saying it exists would put the child at risk.",
                silent=True,
            )
        else:
            services.review_item(
                item=item, by=by.user, decision=Decision.DISCLOSE, note="Read: fine."
            )


def _text(sar: SubjectAccessRequest) -> tuple[str, int]:
    sar.refresh_from_db()
    pdf, pages = render_bundle_pdf(sar)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    text = text.replace(sar.reference, "REFERENCE")
    text = re.sub(r"\d{1,2} \w+ \d{4}, \d\d:\d\d we searched", "WHEN we searched", text)
    return text, pages


def _forget(source: Any) -> None:
    """The record as if it had never been made."""
    if isinstance(source, Disclosure):
        source.subjects.all().delete()
        source.entries.clear()
    if isinstance(source, SharingDecision):
        source.entries.clear()
        source.other_children.clear()
        source.other_carers.clear()
    type(source).objects.filter(pk=source.pk).delete()


@pytest.mark.parametrize(
    "kind",
    [
        ItemKind.ENTRY,
        ItemKind.ATTACHMENT,
        ItemKind.DISCLOSURE,
        ItemKind.CONSENT,
        ItemKind.SHARING,
    ],
)
def test_a_silently_withheld_record_leaves_the_file_as_if_it_never_existed(people, file, kind):
    source = file[kind]
    withheld = confirmed(people)
    services.compile_bundle(sar=withheld, by=people.deputy.user, other_searches="Paper files.")
    assert withheld.items.filter(source_id=source.pk, kind=kind).exists()
    _review(withheld, people.deputy, silent_source=source.pk)
    with_silent, pages_with = _text(withheld)

    BundleItem.objects.filter(request=withheld).delete()
    _forget(source)
    never = confirmed(people)
    services.compile_bundle(sar=never, by=people.deputy.user, other_searches="Paper files.")
    _review(never, people.deputy)
    without, pages_without = _text(never)

    assert pages_with == pages_without
    assert with_silent == without
    # A withheld record said so would show: the comparison can fail.
    assert "withheld" not in with_silent.split("The records, oldest first")[-1]


def test_a_silently_withheld_staff_record_leaves_no_trace(people):
    records = []
    for days, text in ((40, "Supervision: settling in well."), (20, "Training: first aid done.")):
        record = StaffRecord(
            staff=people.keyperson2,
            kind="supervision",
            recorded_by=people.lead,
            occurred_on=timezone.localdate() - timedelta(days=days),
            text=text,
        )
        record.save()
        records.append(record)

    def request() -> SubjectAccessRequest:
        sar = record_staff_request(people, people.keyperson2)
        services.confirm_identity(
            sar=sar, by=people.lead.user, method="known", confirmed_on=timezone.localdate()
        )
        services.compile_bundle(sar=sar, by=people.lead.user)
        return sar

    withheld = request()
    _review(withheld, people.lead, silent_source=records[0].pk)
    with_silent, pages_with = _text(withheld)
    BundleItem.objects.filter(request=withheld).delete()
    StaffRecord.objects.filter(pk=records[0].pk).delete()
    never = request()
    _review(never, people.lead)
    without, pages_without = _text(never)
    assert (with_silent, pages_with) == (without, pages_without)


def test_an_attachment_cannot_say_its_silently_withheld_entry_exists(people, file):
    """Its line "Attached to the entry of …" would name a record the file does not have."""
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    entry = file[ItemKind.ATTACHMENT].entry
    _review(sar, people.deputy, silent_source=entry.pk)
    with pytest.raises(ValidationError, match="withheld the same way"):
        services.submit_for_check(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.status == "in_review"
    attachment = sar.items.get(kind=ItemKind.ATTACHMENT)
    services.review_item(
        item=attachment,
        by=people.deputy.user,
        decision=Decision.WITHHOLD,
        exemption="serious_harm",
        opinion_from="The health visitor",
        note="Goes with its entry.",
        silent=True,
    )
    services.submit_for_check(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.status == "awaiting_check"


def test_the_note_of_searches_counts_what_is_sent(people, file):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user, other_searches="The paper cabinet.")
    _review(sar, people.deputy, silent_source=file[ItemKind.ENTRY].pk)
    note = searches_note_for(sar)
    entries = RecordEntry.objects.filter(child=people.child).count()
    assert f"Record entries: {entries - 1} (with no amendments and 1 attachment)." in note
    assert "Other places searched: The paper cabinet." in note
    assert Attachment.objects.count() == 1 and ConsentRecord.objects.count() == 1
