"""The child-protection file moves on: compiled apart from the general file, third parties
redacted unless the Lead says otherwise, a password-protected PDF/UA with a cover sheet, a one-time
link to the named DSL (an email naming no child), receipt confirmed through the link or by phone,
chased while unconfirmed, on a clock of school days."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pikepdf
import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from lifecycle import transfer
from lifecycle.models import MoveKind, PersonDecision, Transfer, TransferState
from records import leaving
from records.models import Category, Destination, FileHandOver, Leaving, LeavingReason, Level

from ..consent.factories import propose
from ..factories import make_entry

pytestmark = pytest.mark.django_db

CP_TEXT = "Said that {other} hit her at the park; a bruise on the left arm."
GENERAL_TEXT = "Painted a big yellow sun."


def leaves(people: Any, left_on: date | None = None) -> Leaving:
    return leaving.record_leaving(
        by=people.lead.user,
        child=people.child,
        left_on=left_on or timezone.localdate() - timedelta(days=1),
        destination_kind=Destination.SCHOOL,
        destination="Exampletown Primary School",
        reason=LeavingReason.STARTING_SCHOOL,
    )


def a_file(people: Any) -> dict[str, Any]:
    other = people.other_child.full_name
    cp = make_entry(
        people.child,
        people.lead,
        category=Category.CHILD_PROTECTION,
        text=CP_TEXT.format(other=other),
    )
    concern = make_entry(
        people.child, people.keyperson1, category=Category.CONCERN, text="Arrived hungry again."
    )
    general = make_entry(people.child, people.keyperson1, text=GENERAL_TEXT)
    referral = propose(
        people.child,
        people.lead,
        recipient_kind="s47",
        recipient_organisation="Exampleshire Children's Services",
        lsp_procedures="yes",
    )
    return {"cp": cp, "concern": concern, "general": general, "referral": referral}


def start(people: Any) -> Transfer:
    return transfer.start(
        by=people.lead.user,
        child=people.child,
        receiving_setting="Exampletown Primary School",
        dsl_name="Dana Safeguard",
        dsl_email="dsl@exampletown.example",
        dsl_phone="01632 960000",
        current_plan="Child protection plan since March; core group meets monthly.",
    )


def pdf_text(data: bytes, password: str) -> str:
    with pikepdf.open(io.BytesIO(data), password=password) as pdf:
        out = io.BytesIO()
        pdf.save(out)
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(out.getvalue())).pages)


def test_the_clock_counts_school_days_from_the_leaving_or_the_new_term(people):
    # No terms recorded: an in-year move, 5 working days from the leaving (Fri 4 Dec 2026 ->
    # Fri 11 Dec).
    assert transfer.clock(date(2026, 12, 4)) == (MoveKind.IN_YEAR, date(2026, 12, 11))
    leaving.add_term(
        by=people.lead.user, name="Autumn", starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18)
    )
    leaving.add_term(
        by=people.lead.user, name="Spring", starts_on=date(2027, 1, 5), ends_on=date(2027, 3, 26)
    )
    assert transfer.clock(date(2026, 12, 4)) == (MoveKind.IN_YEAR, date(2026, 12, 11))
    # Leaving on the last day of term, or in the holiday: within the new term's first 5 school
    # days (Tue 5 Jan 2027 is the first; the fifth is Mon 11 Jan).
    for left_on in (date(2026, 12, 18), date(2026, 12, 23)):
        assert transfer.clock(left_on) == (MoveKind.NEW_TERM, date(2027, 1, 11))


def test_only_the_child_protection_file_is_compiled_and_third_parties_are_redacted(people):
    records = a_file(people)
    leaves(people)

    with pytest.raises(PermissionDenied):
        transfer.start(
            by=people.deputy.user,
            child=people.child,
            receiving_setting="X",
            dsl_name="Y",
            dsl_email="y@example.test",
        )
    sent = start(people)

    sources = {item.source_id for item in sent.items.all()}
    assert sources == {records["cp"].pk, records["concern"].pk, records["referral"].pk}
    found = {person.key: person for person in sent.people.all()}
    person = found[f"child:{people.other_child.pk}"]
    # The person a referral went to is a free-text field: redacted too unless passed on.
    assert {p.name for p in found.values()} == {people.other_child.full_name, "Health visitor"}
    assert {p.decision for p in found.values()} == {PersonDecision.REDACT}
    assert "Exampleshire Children's Services" in sent.professionals
    # Passing someone on needs a reason.
    with pytest.raises(ValidationError):
        transfer.decide_person(by=people.lead.user, person=person, decision="pass_on")

    approved, password = transfer.approve(by=people.lead.user, transfer=sent)

    assert approved.state == TransferState.READY
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(approved.pdf))
    text = pdf_text(approved.pdf, password)
    assert "cover sheet" in text.lower()
    assert people.child.full_name in text
    assert "Dana Safeguard" in text and "core group meets monthly" in text
    assert "a bruise on the left arm" in text
    assert "Arrived hungry again" in text
    assert people.other_child.full_name not in text
    assert people.other_child.first_name not in text
    assert "Redacted: Third party: not passed on" in text
    assert GENERAL_TEXT not in text
    # Approved: no more changes.
    with pytest.raises(ValidationError):
        transfer.set_item(
            by=people.lead.user,
            item=approved.items.get(source_id=records["cp"].pk),
            included=False,
            reason="x",
        )


def test_a_leaver_with_no_child_protection_file_has_nothing_to_send(people):
    make_entry(people.child, people.keyperson1, text=GENERAL_TEXT)
    leaves(people)
    with pytest.raises(ValidationError):
        start(people)
    assert not Transfer.objects.exists()


def test_the_link_the_download_once_and_the_receipt(people):
    a_file(people)
    row = leaves(people)
    sent = start(people)
    approved, password = transfer.approve(by=people.lead.user, transfer=sent)
    transfer.send(
        by=people.lead.user,
        transfer=approved,
        link_url=lambda token: f"https://confide.example.test/transfer-link/{token}/",
    )

    [email] = mail.outbox
    assert email.to == ["dsl@exampletown.example"]
    written = f"{email.subject} {email.body}"
    assert people.child.first_name not in written
    assert people.child.last_name not in written
    assert password not in written
    found = re.search(r"transfer-link/([^/]+)/", written)
    assert found is not None
    token = found.group(1)
    url = reverse("lifecycle:transfer_link", args=[token])

    dsl = Client()
    page = dsl.get(url)
    assert page.status_code == 200
    assert people.child.first_name not in page.content.decode()
    first = dsl.post(url, {"step": "download"})
    assert first.status_code == 200 and first.content == approved.pdf
    again = dsl.post(url, {"step": "download"})
    assert again.status_code == 410
    # A receipt with no name is refused, and records nothing.
    refused = dsl.post(url, {"step": "receipt", "received_role": "DSL", "received_on": ""})
    assert refused.status_code == 400 and b"error-summary" in refused.content
    assert Transfer.objects.get().state == TransferState.SENT
    done = dsl.post(
        url,
        {
            "step": "receipt",
            "received_name": "Dana Safeguard",
            "received_role": "Designated safeguarding lead",
            "received_on": timezone.localdate().isoformat(),
        },
    )
    assert done.status_code == 200 and b"Thank you" in done.content
    received = Transfer.objects.get()
    assert received.state == TransferState.RECEIVED
    assert received.received_how == "link"
    row.refresh_from_db()
    assert row.cp_file == FileHandOver.TRANSFERRED
    events = set(LogEntry.objects.values_list("additional_data__event", flat=True))
    assert {
        "transfer_started",
        "transfer_approved",
        "transfer_sent",
        "transfer_downloaded",
        "transfer_received",
    } <= events
    sent_event = LogEntry.objects.get(additional_data__event="transfer_sent")
    assert sent_event.additional_data["to"] == "Exampletown Primary School"
    assert sent_event.additional_data["dsl"] == "Dana Safeguard"
    # A random token is refused.
    assert dsl.get(reverse("lifecycle:transfer_link", args=["not-a-token"])).status_code == 410


def test_an_unconfirmed_transfer_is_chased_and_a_phone_confirmation_ends_it(people):
    a_file(people)
    leaves(people)
    approved, _ = transfer.approve(by=people.lead.user, transfer=start(people))
    transfer.send(by=people.lead.user, transfer=approved, link_url=lambda token: f"/{token}/")
    mail.outbox.clear()
    Transfer.objects.update(sent_at=timezone.now() - timedelta(days=7))

    assert transfer.chase() == 1
    assert transfer.chase() == 0  # not again until 3 more working days
    [email] = mail.outbox
    assert people.child.first_name not in email.body
    assert Transfer.objects.get().chases == 1
    assert transfer.clock_counts().unconfirmed == 1

    with pytest.raises(ValidationError):
        transfer.record_phone_receipt(
            by=people.lead.user,
            transfer=approved,
            name="Dana Safeguard",
            role="DSL",
            received_on=timezone.localdate() + timedelta(days=1),
        )
    transfer.record_phone_receipt(
        by=people.lead.user,
        transfer=approved,
        name="Dana Safeguard",
        role="DSL",
        received_on=timezone.localdate(),
    )
    assert Transfer.objects.get().received_how == "phone"
    assert transfer.clock_counts().unconfirmed == 0


def test_a_late_transfer_counts_on_the_clock(people):
    a_file(people)
    leaves(people, left_on=timezone.localdate() - timedelta(days=20))
    start(people)
    assert transfer.clock_counts().late == 1


def test_the_child_protection_level_is_what_is_compiled(people):
    """A sensitive entry that is not a concern stays in the general file."""
    make_entry(people.child, people.lead, category=Category.FAMILY_CHANGE, text="Moved house.")
    cp = make_entry(people.child, people.lead, level=Level.CHILD_PROTECTION)
    leaves(people)
    sent = start(people)
    assert [item.source_id for item in sent.items.all()] == [cp.pk]


def test_the_copy_sent_is_listed_in_the_retention_schedule_as_the_child_protection_file(people):
    import json
    from io import StringIO

    from django.core.management import call_command

    a_file(people)
    leaves(people)
    sent = start(people)
    out = StringIO()
    call_command("retention_schedule", "--json", stdout=out)
    lines = {json.loads(line)["id"]: json.loads(line) for line in out.getvalue().splitlines()}

    born = people.child.date_of_birth
    assert lines[str(sent.pk)] == {
        "model": "lifecycle.transfer",
        "id": str(sent.pk),
        "rule": "child_protection",
        "keep_until": born.replace(year=born.year + 25).isoformat(),
        "hold": False,
    }


def test_a_name_in_the_cover_sheet_or_a_free_text_field_is_redacted_too(people):
    from ..consent.factories import disclosure

    a_file(people)
    disclosure(
        people.child,
        people.lead,
        discloser_kind="other",
        discloser_carer=None,
        discloser_name="neighbour, Jordan Smith",
        level=Level.CHILD_PROTECTION,
        subject_carers=[],
    )
    leaves(people)
    sent = start(people)
    other = people.other_child.full_name
    transfer.update_cover(
        by=people.lead.user,
        transfer=sent,
        professionals=sent.professionals,
        current_plan=f"Keep apart from {other} at drop-off.",
    )
    names = {person.name for person in sent.people.all()}
    assert "neighbour, Jordan Smith" in names

    approved, password = transfer.approve(by=people.lead.user, transfer=sent)
    text = pdf_text(approved.pdf, password)
    assert "Keep apart from" in text
    assert other not in text and "Jordan Smith" not in text


def test_a_new_link_ends_the_old_one_and_a_refused_download_is_audited(people):
    a_file(people)
    leaves(people)
    approved, _ = transfer.approve(by=people.lead.user, transfer=start(people))
    tokens: list[str] = []

    def keep(token: str) -> str:
        tokens.append(token)
        return token

    for _ in range(2):
        transfer.send(by=people.lead.user, transfer=approved, link_url=keep)
    first, second = (reverse("lifecycle:transfer_link", args=[t]) for t in tokens)
    dsl = Client()

    assert dsl.post(first, {"step": "download"}).status_code == 410
    assert dsl.post(second, {"step": "download"}).status_code == 200
    assert dsl.post(second, {"step": "download"}).status_code == 410
    refusals = LogEntry.objects.filter(additional_data__event="transfer_link_refused")
    assert sorted(r.additional_data["why"] for r in refusals) == ["expired", "used"]


def test_a_restricted_entry_in_the_file_is_shown_to_the_lead_alone(people, client):
    from ..conftest import sign_in

    records = a_file(people)
    RecordEntryModel = type(records["cp"])
    RecordEntryModel.objects.filter(pk=records["cp"].pk).update(restricted_at=timezone.now())
    leaves(people)
    sent = start(people)
    assert sent.items.get(source_id=records["cp"].pk).restricted

    sign_in(client, people.deputy.user)
    page = client.get(reverse("lifecycle:transfer", args=[sent.pk])).content.decode()
    assert "a bruise on the left arm" not in page
    assert "only the Lead reads it" in page
    client.logout()
    sign_in(client, people.lead.user)
    page = client.get(reverse("lifecycle:transfer", args=[sent.pk])).content.decode()
    assert "a bruise on the left arm" in page


@pytest.mark.parametrize(
    "target", ["a\x00b", "not-an-id", "", "00000000-0000-0000-0000-000000000000"]
)
@pytest.mark.parametrize("step", ["item", "person"])
def test_a_posted_record_or_person_that_is_not_the_files_is_refused_on_the_page(
    people, client, target, step
):
    # A hostile or stale id is a mistake to say on the page (400), never a 404 for the whole
    # transfer, and nothing changes.
    from ..conftest import sign_in  # noqa: PLC0415 - as the test above

    a_file(people)
    leaves(people)
    sent = start(people)
    before = [(i.pk, i.included, i.left_out_reason) for i in sent.items.all()]
    sign_in(client, people.lead.user)
    data = {"step": step, "target": target}
    if step == "item":
        data |= {"included": "no", "left_out_reason": "Not about this child."}
    else:
        data |= {"decision": PersonDecision.values[0], "reason": "Named in passing."}
    response = client.post(reverse("lifecycle:transfer", args=[sent.pk]), data)
    assert response.status_code == 400
    assert b"Choose one of the" in response.content
    assert [(i.pk, i.included, i.left_out_reason) for i in sent.items.all()] == before
