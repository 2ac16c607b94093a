"""A parent's other rights: rectification (an amendment, the statement kept beside it), erasure
(refused only on an Article 17(3) exception; granted through the destruction path), restriction
(only the Lead reads), objection; each with its one-month deadline, a decision, a letter, and
Article 19 notices to those the records were shared with."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from lifecycle import destruction, rights
from lifecycle.models import Destruction, DestructionState, RecipientNotice, RightKind
from records import policy, retention
from records.models import Amendment, Category, RecordEntry

from ..conftest import sign_in
from ..consent.factories import emergency
from ..factories import make_entry

pytestmark = pytest.mark.django_db

STATEMENT = "The entry says I was shouting at pick-up. I was not there that day: my sister was."


def a_request(people: Any, kind: str, entry: RecordEntry, **extra: Any) -> Any:
    return rights.record_request(
        by=people.deputy.user,
        kind=kind,
        child=people.child,
        requester=people.child.carers.get(),
        received_on=extra.pop("received_on", date(2026, 11, 30)),
        statement=STATEMENT,
        entries=[entry],
    )


def test_a_rectification_adds_an_amendment_keeps_the_statement_and_tells_the_recipients(
    people, client
):
    entry = make_entry(
        people.child, people.keyperson1, category=Category.CONCERN, text="Mum shouting at pick-up."
    )
    shared = emergency(people.child, people.deputy)
    request = a_request(people, RightKind.RECTIFICATION, entry)

    # One calendar month, as for subject access (30 November -> 30 December).
    assert request.due_on == date(2026, 12, 30)
    assert rights.open_counts(date(2026, 12, 31)) == (1, 1)
    with pytest.raises(PermissionDenied):
        rights.decide(by=people.deputy.user, request=request, outcome="granted", reason="x")
    with pytest.raises(ValidationError):
        rights.decide(by=people.lead.user, request=request, outcome="granted", reason="Right.")
    decided = rights.decide(
        by=people.lead.user,
        request=request,
        outcome="granted",
        reason="The register shows her sister collected that day.",
        correction="Collected by the child's aunt, not her mother.",
    )

    amendment = Amendment.objects.get(entry=entry)
    assert amendment.text == "Collected by the child's aunt, not her mother."
    assert decided.reference in amendment.reason
    entry.refresh_from_db()
    assert entry.text == "Mum shouting at pick-up."  # never overwritten
    sign_in(client, people.keyperson1.user)
    page = client.get(reverse("records:entry_detail", args=[entry.pk])).content.decode()
    assert "my sister was" in page  # the parent's statement, beside the entry
    letter = rights.letter_text(decided)
    assert "We have agreed to your request" in letter and "ico.org.uk" in letter
    # Article 19: who it was shared with, and the telling recorded.
    assert rights.recipients(decided) == [shared]
    with pytest.raises(ValidationError):
        rights.tell_recipient(
            by=people.deputy.user, request=decided, decision=shared, told_on=date.today(), how=""
        )
    rights.tell_recipient(
        by=people.deputy.user,
        request=decided,
        decision=shared,
        told_on=timezone.localdate(),
        how="Secure email to the duty team",
    )
    assert RecipientNotice.objects.filter(request=decided, decision=shared).exists()
    rights.letter_sent(by=people.deputy.user, request=decided, sent_on=timezone.localdate())
    assert rights.open_counts() == (0, 0)


def test_an_erasure_is_refused_only_on_an_article_17_3_exception_named_in_the_letter(people):
    entry = make_entry(people.child, people.lead, category=Category.CHILD_PROTECTION)
    request = a_request(people, RightKind.ERASURE, entry)

    with pytest.raises(ValidationError) as refused:
        rights.decide(
            by=people.lead.user, request=request, outcome="refused", reason="We must keep it."
        )
    assert "exception" in refused.value.message_dict
    decided = rights.decide(
        by=people.lead.user,
        request=request,
        outcome="refused",
        reason="Child-protection records must be kept until the child is 25.",
        exception="legal_obligation",
    )
    assert "Article 17(3)(b)" in rights.letter_text(decided)
    assert RecordEntry.objects.filter(pk=entry.pk).exists()


def test_an_erasure_granted_goes_through_the_destruction_path_with_a_second_person(people):
    entry = make_entry(people.child, people.keyperson1, text="A photo caption with a typo.")
    kept = make_entry(people.child, people.keyperson1)
    decided = rights.decide(
        by=people.lead.user,
        request=a_request(people, RightKind.ERASURE, entry),
        outcome="granted",
        reason="It is not needed.",
    )

    offer = Destruction.objects.get(pk=decided.destruction_id)
    assert offer.state == DestructionState.APPROVED and offer.for_request_id == decided.pk
    with pytest.raises(PermissionDenied):  # the Lead decided: a second person confirms
        destruction.confirm(by=people.lead.user, destruction=offer)
    destruction.confirm(by=people.deputy.user, destruction=offer)
    assert not RecordEntry.objects.filter(pk=entry.pk).exists()
    assert RecordEntry.objects.filter(pk=kept.pk).exists()


def test_an_entry_under_a_legal_hold_cannot_be_erased(people):
    entry = make_entry(people.child, people.keyperson1)
    retention.place_hold(
        by=people.lead.user,
        reason="A claim.",
        review_on=timezone.localdate() + timedelta(days=30),
        entry=entry,
    )
    request = a_request(people, RightKind.ERASURE, entry)
    with pytest.raises(ValidationError):
        rights.decide(by=people.lead.user, request=request, outcome="granted", reason="Yes.")
    assert not Destruction.objects.exists()


def test_a_restricted_entry_is_the_leads_alone_and_shown_as_restricted_to_others(people, client):
    entry = make_entry(people.child, people.keyperson1, text="Talked about the move.")
    rights.decide(
        by=people.lead.user,
        request=a_request(people, RightKind.RESTRICTION, entry),
        outcome="granted",
        reason="While the accuracy is checked.",
    )

    assert policy.can_read_entry(people.lead.user, entry)
    assert not policy.can_read_entry(people.deputy.user, entry)
    assert not policy.can_read_entry(people.keyperson1.user, entry)
    sign_in(client, people.keyperson1.user)
    assert client.get(reverse("records:entry_detail", args=[entry.pk])).status_code == 404
    child_page = client.get(reverse("records:child_detail", args=[people.child.pk]))
    assert "1 entry is restricted at a parent's request" in child_page.content.decode()
    assert "Talked about the move" not in child_page.content.decode()


def test_an_objection_is_decided_with_reasons_and_answered(people):
    entry = make_entry(people.child, people.keyperson1)
    decided = rights.decide(
        by=people.lead.user,
        request=a_request(people, RightKind.OBJECTION, entry),
        outcome="refused",
        reason="The observations are needed for the EYFS progress check.",
    )
    assert "We have not been able to agree" in rights.letter_text(decided)
    assert rights.recipients(decided) == []


def test_the_pages_record_and_decide_a_request(people, client):
    entry = make_entry(people.child, people.keyperson1)
    sign_in(client, people.deputy.user)
    refused = client.post(
        reverse("lifecycle:rights_new", args=[people.child.pk]),
        {"kind": "rectification", "statement": "", "received_on": "2026-11-30"},
    )
    assert refused.status_code == 400 and b"error-summary" in refused.content
    assert not rights.requests()
    done = client.post(
        reverse("lifecycle:rights_new", args=[people.child.pk]),
        {
            "kind": "rectification",
            "requester": people.child.carers.get().pk,
            "received_on": "2026-11-30",
            "statement": STATEMENT,
            "entries": [entry.pk],
        },
    )
    assert done.status_code == 302
    [made] = rights.requests()
    client.logout()
    sign_in(client, people.lead.user)
    decided = client.post(
        reverse("lifecycle:rights", args=[made.pk]),
        {
            "step": "decide",
            "outcome": "refused",
            "reason": "The entry is accurate.",
            "exception": "",
            "correction": "",
        },
    )
    assert decided.status_code == 302
    page = client.get(reverse("lifecycle:rights", args=[made.pk])).content.decode()
    assert "The entry is accurate." in page and "Your statement is kept" in page


def test_a_request_is_kept_as_long_as_the_childs_file(people):
    import json
    from io import StringIO

    from django.core.management import call_command

    entry = make_entry(people.child, people.keyperson1)
    request = a_request(people, RightKind.OBJECTION, entry)
    type(people.child).objects.filter(pk=people.child.pk).update(
        left_on=timezone.localdate() - timedelta(days=3)
    )
    people.child.refresh_from_db()
    out = StringIO()
    call_command("retention_schedule", "--json", stdout=out)
    lines = {json.loads(line)["id"]: json.loads(line) for line in out.getvalue().splitlines()}
    file = retention.keep_child_file(people.child)

    assert lines[str(request.pk)]["model"] == "lifecycle.rightsrequest"
    assert lines[str(request.pk)]["rule"] == file.rule
    assert file.until is not None
    assert lines[str(request.pk)]["keep_until"] == file.until.isoformat()


def test_an_article_17_3_exception_is_named_only_to_refuse_an_erasure(people):
    entry = make_entry(people.child, people.keyperson1)
    request = a_request(people, RightKind.OBJECTION, entry)
    with pytest.raises(ValidationError):
        rights.decide(
            by=people.lead.user,
            request=request,
            outcome="refused",
            reason="Needed.",
            exception="legal_claims",
        )
    decided = rights.decide(
        by=people.lead.user, request=request, outcome="refused", reason="Needed."
    )
    assert decided.exception == "" and "17(3)" not in rights.letter_text(decided)


def test_a_deputy_cannot_review_a_restricted_entry_in_a_subject_access_file(people, client):
    from ..access_requests.conftest import confirmed

    entry = make_entry(people.child, people.keyperson1, text="Talked about the move.")
    RecordEntry.objects.filter(pk=entry.pk).update(restricted_at=timezone.now())
    sar = confirmed(people)
    from access_requests import services as sar_services

    sar_services.compile_bundle(sar=sar, by=people.lead.user)
    item = sar.items.get(source_id=entry.pk)
    url = reverse("access_requests:item", args=[sar.pk, item.pk])

    sign_in(client, people.deputy.user)
    assert client.get(url).status_code == 404
    client.logout()
    sign_in(client, people.lead.user)
    assert client.get(url).status_code == 200
