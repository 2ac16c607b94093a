"""Destruction with proof, end to end: the review offers what is past its date (never what is
held), the Lead approves, a second person confirms, the rows and the child's key go in one
transaction with one tombstone in the log, the certificate names no one, and the audit chain
still verifies. Run on SQLite and on PostgreSQL (CI's two legs)."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from consent.models import ConsentRecord, Disclosure, DisclosureSubject, SharingDecision
from core.models import DataKey
from lifecycle import destruction
from lifecycle.models import Destruction, DestructionState, Review, SubjectKind
from records import retention
from records import services as records_services
from records.models import (
    Attachment,
    Carer,
    Category,
    Child,
    ChildFlag,
    Family,
    FlagKind,
    RecordEntry,
)

from ..conftest import sign_in
from ..consent.factories import consent, disclosure, propose
from ..factories import a_png, make_child, make_entry

pytestmark = pytest.mark.django_db

NAMES = ("Wilhelmina", "Destroyme")


def on_roll(people: Any, **extra: Any) -> Child:
    return make_child(
        room=people.sunflower,
        key_person=people.keyperson1,
        started_on=date(2018, 9, 1),
        date_of_birth=extra.pop("date_of_birth", date(2016, 2, 29)),
        **extra,
    )


def leave(child: Child, years_ago: int = 4) -> Child:
    """The child left ``years_ago`` years ago (general records are kept 3 years after)."""
    today = timezone.localdate()
    Child.objects.filter(pk=child.pk).update(left_on=today - timedelta(days=365 * years_ago + 1))
    child.refresh_from_db()
    return child


def past_leaver(people: Any, years_ago: int = 4, **extra: Any) -> Child:
    return leave(on_roll(people, **extra), years_ago)


def a_full_file(people: Any) -> Child:
    child = on_roll(people, first_name=NAMES[0], last_name=NAMES[1])
    entry = make_entry(child, people.keyperson1, text="Painted a rainbow with Wilhelmina's friend.")
    make_entry(child, people.lead, category=Category.CONCERN, text="Seemed withdrawn today.")
    Attachment(
        entry=entry,
        uploaded_by=people.keyperson1,
        filename="rainbow.png",
        content_type="image/png",
        size=len(a_png()),
        sha256="0" * 64,
        content=a_png(),
    ).save()
    disclosure(child, people.keyperson1)
    consent(child, people.keyperson1)
    propose(child, people.keyperson1)
    records_services.add_flag(
        child=child,
        by=people.lead.user,
        kind=FlagKind.SOCIAL_WORKER,
        started_on=child.started_on,
        detail="Sam Socialworker, Exampleshire Children's Services",
    )
    return leave(child)


def log_text() -> str:
    return json.dumps(
        [
            [row.changes, row.changes_text, row.object_repr, row.additional_data]
            for row in LogEntry.objects.all()
        ],
        default=str,
    )


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_destruction_end_to_end_leaves_no_row_no_key_and_no_name(people):
    child = a_full_file(people)
    family_id = child.family_id
    carer_ids = list(child.carers.values_list("pk", flat=True))
    held = past_leaver(people)
    kept_entry = make_entry(held, people.keyperson1, text="Held for an inquiry.")
    retention.place_hold(
        by=people.lead.user,
        reason="The county's inquiry asked us to keep this child's file.",
        review_on=timezone.localdate() + timedelta(days=90),
        child=held,
    )
    partial = past_leaver(people)
    general = make_entry(partial, people.keyperson1, text="Enjoyed the sand tray.")
    protection = make_entry(partial, people.lead, category=Category.CHILD_PROTECTION)
    on_roll = make_entry(people.child, people.keyperson1)

    made = destruction.review(by=people.lead.user)

    # The held child is not offered; the child still on roll neither; the leaver with a
    # child-protection entry only for the entries past their date.
    offered = {(d.subject_id, d.whole): d for d in made}
    assert set(offered) == {(child.pk, True), (partial.pk, False)}
    assert offered[(partial.pk, False)].items == [["records.recordentry", str(general.pk)]]
    whole = offered[(child.pk, True)]
    assert whole.reference == f"C-{str(child.pk)[:8]}"
    assert Review.objects.count() == 1
    # A second review offers nothing twice.
    assert destruction.review(by=people.lead.user) == []

    # The Lead cannot destroy alone: not before approving, nor after.
    with pytest.raises(PermissionDenied):
        destruction.confirm(by=people.lead.user, destruction=whole)
    destruction.approve(by=people.lead.user, destruction=whole)
    whole.refresh_from_db()
    with pytest.raises(PermissionDenied):
        destruction.confirm(by=people.lead.user, destruction=whole)
    # Nor may a practitioner confirm.
    with pytest.raises(PermissionDenied):
        destruction.confirm(by=people.keyperson1.user, destruction=whole)
    assert Child.objects.filter(pk=child.pk).exists()
    assert RecordEntry.objects.filter(child=child).count() == 2

    before = LogEntry.objects.count()
    destruction.confirm(by=people.deputy.user, destruction=whole)

    # Every row of the file is gone, and the family with its last child.
    assert not Child._base_manager.filter(pk=child.pk).exists()
    assert not RecordEntry._base_manager.filter(child_id=child.pk).exists()
    assert not Attachment.objects.filter(entry__child_id=child.pk).exists()
    for model in (Disclosure, ConsentRecord, SharingDecision):
        assert not model._base_manager.filter(child_id=child.pk).exists()
    assert not DisclosureSubject._base_manager.filter(child_id=child.pk).exists()
    assert not Family._base_manager.filter(pk=family_id).exists()
    assert not Carer._base_manager.filter(pk__in=carer_ids).exists()
    # The child's key is destroyed: what a live copy still holds can never be opened again.
    key = DataKey.objects.get(scope="child", owner=child.pk)
    assert key.wrapped == "" and key.destroyed_at is not None
    # One event in the log for all of it: the tombstone, with kinds and counts, no content.
    # (The destruction's own row changes too: it holds no content either.)
    new = list(LogEntry.objects.order_by("timestamp", "pk")[before:])
    assert {row.content_type.model for row in new} == {"destruction"}
    events = [row.additional_data["event"] for row in new if row.additional_data]
    assert events == ["records_destroyed"]
    tombstone = next(row.additional_data for row in new if row.additional_data)
    counts = {line["what"]: line["count"] for line in tombstone["destroyed"]}
    assert counts["record entries"] == 2
    assert counts["attachments"] == 1
    assert counts["children"] == 1
    assert counts["flags on children"] == 1
    assert not ChildFlag._base_manager.filter(child_id=child.pk).exists()
    assert counts["disclosures"] == counts["consent records"] == counts["sharing decisions"] == 1
    assert tombstone["key_destroyed"] is True
    # No name of the child is left in the log, in any row.
    for name in NAMES:
        assert name not in log_text()
    # The chain still verifies across the destroyed records.
    assert "FAILED" not in verify()

    # The held child is untouched; the child on roll too.
    assert RecordEntry.objects.filter(pk=kept_entry.pk).exists()
    assert RecordEntry.objects.filter(pk=on_roll.pk).exists()
    assert DataKey.objects.live().filter(owner=held.pk).exists()

    # The partial offer: only the general entry goes; the child, the child-protection entry
    # and the key stay.
    part = offered[(partial.pk, False)]
    destruction.approve(by=people.lead.user, destruction=part)
    destruction.confirm(by=people.deputy.user, destruction=part)
    assert not RecordEntry.objects.filter(pk=general.pk).exists()
    assert RecordEntry.objects.filter(pk=protection.pk).exists()
    assert Child.objects.filter(pk=partial.pk).exists()
    assert DataKey.objects.live().filter(owner=partial.pk).exists()
    assert RecordEntry.objects.get(pk=protection.pk).text  # still readable


def test_the_certificate_names_the_reference_the_counts_and_the_people_never_the_child(
    people, client
):
    child = a_full_file(people)
    [offer] = destruction.review(by=people.lead.user)
    destruction.approve(by=people.lead.user, destruction=offer)
    destruction.confirm(by=people.deputy.user, destruction=offer)

    sign_in(client, people.deputy.user)
    response = client.get(reverse("lifecycle:certificate", args=[offer.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f"C-{str(child.pk)[:8]}" in text
    assert "Record entries" in text and "Attachments" in text
    assert people.lead.full_name in text and people.deputy.full_name in text
    assert "25th birthday" not in text  # no child-protection rule was used
    for name in NAMES:
        assert name not in text
    assert LogEntry.objects.filter(
        additional_data__event="destruction_certificate_downloaded"
    ).exists()


def test_a_hold_placed_after_approval_stops_the_destruction(people):
    child = a_full_file(people)
    [offer] = destruction.review(by=people.lead.user)
    destruction.approve(by=people.lead.user, destruction=offer)
    retention.place_hold(
        by=people.lead.user,
        reason="A claim was made this morning.",
        review_on=timezone.localdate() + timedelta(days=30),
        child=child,
    )

    with pytest.raises(ValidationError):
        destruction.confirm(by=people.deputy.user, destruction=offer)

    assert Child.objects.filter(pk=child.pk).exists()
    assert RecordEntry.objects.filter(child=child).count() == 2
    assert DataKey.objects.live().filter(owner=child.pk).exists()
    offer.refresh_from_db()
    assert offer.state == DestructionState.APPROVED


def test_a_kept_subject_access_file_goes_first_and_its_child_waits(people):
    from ..access_requests.conftest import record

    child = on_roll(people)
    make_entry(child, people.keyperson1)
    sar = record(people, child=child, requester_carer=child.carers.first())
    leave(child)
    assert destruction.review(by=people.lead.user) == []  # the request is open: nothing offered

    # Closed two years ago: the request's file is due (a year after closing), then the child.
    type(sar)._base_manager.filter(pk=sar.pk).update(
        status="closed", closed_at=timezone.now() - timedelta(days=730)
    )
    [offer] = destruction.review(by=people.lead.user)
    assert (offer.kind, offer.subject_id) == (SubjectKind.REQUEST, sar.pk)
    destruction.approve(by=people.lead.user, destruction=offer)
    destruction.confirm(by=people.deputy.user, destruction=offer)
    assert not type(sar)._base_manager.filter(pk=sar.pk).exists()

    [then] = destruction.review(by=people.lead.user)
    assert (then.kind, then.subject_id, then.whole) == (SubjectKind.CHILD, child.pk, True)


def test_the_monthly_task_reviews_each_setting_once_a_month(people):
    past_leaver(people)
    assert destruction.monthly_review() == "1 destructions offered"
    assert destruction.monthly_review() == "0 destructions offered"
    assert Destruction.objects.count() == 1


def test_the_queue_and_the_two_steps_through_the_pages(people, client):
    child = a_full_file(people)
    sign_in(client, people.lead.user)
    client.post(reverse("lifecycle:review_now"))
    page = client.get(reverse("lifecycle:queue"))
    assert child.full_name in page.content.decode()
    offer = Destruction.objects.get()

    # A missing tick re-displays the form, with the message, and approves nothing.
    refused = client.post(reverse("lifecycle:detail", args=[offer.pk]), {"step": "approve"})
    assert refused.status_code == 400
    assert "Tick the box" in refused.content.decode()
    offer.refresh_from_db()
    assert offer.state == DestructionState.PROPOSED

    client.post(reverse("lifecycle:detail", args=[offer.pk]), {"step": "approve", "checked": "on"})
    offer.refresh_from_db()
    assert offer.state == DestructionState.APPROVED
    # The Lead has no confirm button, and a confirm from the Lead is refused.
    assert (
        "Confirm and destroy"
        not in client.get(reverse("lifecycle:detail", args=[offer.pk])).content.decode()
    )
    refused = client.post(
        reverse("lifecycle:detail", args=[offer.pk]), {"step": "confirm", "checked": "on"}
    )
    assert refused.status_code == 404
    assert Child.objects.filter(pk=child.pk).exists()

    client.logout()
    sign_in(client, people.deputy.user)
    done = client.post(
        reverse("lifecycle:detail", args=[offer.pk]), {"step": "confirm", "checked": "on"}
    )
    assert done.status_code == 302
    assert not Child._base_manager.filter(pk=child.pk).exists()
    shown = client.get(reverse("lifecycle:detail", args=[offer.pk])).content.decode()
    assert "certificate" in shown and child.first_name not in shown


def test_the_dashboard_counts_what_waits_for_each_of_the_two_people(people):
    from lifecycle.selectors import waiting_for

    a_full_file(people)
    [offer] = destruction.review(by=people.lead.user)
    assert waiting_for(people.lead.user) == 1  # to approve
    assert waiting_for(people.deputy.user) == 0  # nothing to confirm yet
    assert waiting_for(people.keyperson1.user) == 0
    destruction.approve(by=people.lead.user, destruction=offer)
    assert waiting_for(people.lead.user) == 0  # the Lead approved it: not theirs to confirm
    assert waiting_for(people.deputy.user) == 1


def test_a_held_entry_keeps_its_file_and_its_hold(people):
    child = on_roll(people)
    held = make_entry(child, people.keyperson1, text="Part of the inquiry.")
    other = make_entry(child, people.keyperson1)
    retention.place_hold(
        by=people.lead.user,
        reason="The inquiry named this entry.",
        review_on=timezone.localdate() + timedelta(days=60),
        entry=held,
    )
    leave(child)

    [offer] = destruction.review(by=people.lead.user)

    assert offer.whole is False
    assert offer.items == [["records.recordentry", str(other.pk)]]
    destruction.approve(by=people.lead.user, destruction=offer)
    destruction.confirm(by=people.deputy.user, destruction=offer)
    assert RecordEntry.objects.filter(pk=held.pk).exists()
    assert not RecordEntry.objects.filter(pk=other.pk).exists()
    assert retention.holds()[0].entry_id == held.pk


def test_an_offer_that_changed_shape_since_approval_destroys_nothing(people):
    """Approved as some entries; by confirmation the whole file is due: refused, nothing goes."""
    child = on_roll(people)
    general = make_entry(child, people.keyperson1)
    make_entry(child, people.lead, category=Category.ACCIDENT, text="Fell from the slide.")
    leave(child)
    [offer] = destruction.review(by=people.lead.user)
    assert offer.whole is False
    destruction.approve(by=people.lead.user, destruction=offer)
    # The date of birth was wrong: the accident record is past its date too now.
    Child.objects.filter(pk=child.pk).update(date_of_birth=date(1990, 1, 1))

    with pytest.raises(ValidationError):
        destruction.confirm(by=people.deputy.user, destruction=offer)
    assert RecordEntry.objects.filter(pk=general.pk).exists()
    offer.refresh_from_db()
    assert offer.state == DestructionState.APPROVED


def test_a_member_of_staffs_file_goes_their_post_keeps_a_reference_and_their_account_no_name(
    people,
):
    from records.models import StaffRecord

    from ..factories import make_staff

    leaver = make_staff("formerly", "practitioner", full_name="Freya Formerly")
    StaffRecord(
        staff=leaver,
        recorded_by=people.lead,
        kind="supervision",
        occurred_on=date(2018, 5, 1),
        text="Supervision notes.",
    ).save()
    type(leaver)._base_manager.filter(pk=leaver.pk).update(
        left_on=timezone.localdate() - timedelta(days=7 * 365), active=False
    )

    [offer] = [d for d in destruction.review(by=people.lead.user) if d.kind == SubjectKind.STAFF]
    destruction.approve(by=people.lead.user, destruction=offer)
    destruction.confirm(by=people.deputy.user, destruction=offer)

    leaver.refresh_from_db()
    leaver.user.refresh_from_db()
    assert leaver.full_name == f"Former member of staff {offer.reference}"
    assert not StaffRecord.objects.filter(staff=leaver).exists()
    assert (leaver.user.first_name, leaver.user.email, leaver.user.is_active) == ("", "", False)
    assert not leaver.user.has_usable_password()
    assert "Freya" not in log_text()
    assert "FAILED" not in verify()
    # Nothing more to offer for them.
    assert not [d for d in destruction.due() if d.subject_id == leaver.pk]


def test_a_dbs_copy_goes_after_six_months_and_its_number_and_date_stay(people):
    from records.models import StaffRecord

    record = StaffRecord(
        staff=people.keyperson1,
        recorded_by=people.lead,
        kind="dbs",
        occurred_on=date(2026, 1, 5),
        text="Enhanced DBS certificate seen; a copy of both pages.",
        reference="001234567890",
        update_service=True,
    )
    record.save()
    StaffRecord.objects.filter(pk=record.pk).update(
        recorded_at=timezone.now() - timedelta(days=7 * 31)
    )

    [offer] = [d for d in destruction.review(by=people.lead.user) if d.kind == SubjectKind.STAFF]
    assert (offer.whole, offer.items) == (False, [["records.staffrecord", str(record.pk)]])
    destruction.approve(by=people.lead.user, destruction=offer)
    destruction.confirm(by=people.deputy.user, destruction=offer)

    kept = StaffRecord.objects.get(pk=record.pk)
    assert kept.text == ""
    assert (kept.reference, kept.occurred_on, kept.update_service) == (
        "001234567890",
        date(2026, 1, 5),
        True,
    )
    assert "Enhanced DBS certificate seen" not in log_text()
    assert not [d for d in destruction.due() if d.subject_id == people.keyperson1.pk]
