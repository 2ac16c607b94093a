"""Recording a request, identity, the clock: the rules, and bad input refused with a message and
nothing saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from access_requests import services
from access_requests.deadlines import due_date
from access_requests.models import (
    ClarificationPause,
    Letter,
    RequesterKind,
    Status,
    SubjectAccessRequest,
)
from records.models import Carer, Relationship

from .conftest import confirmed, record


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def test_any_staff_member_records_a_request_from_any_channel(people):
    for who in ("office", "practitioner", "keyperson1"):
        sar = record(people, by=getattr(people, who).user, channel="spoken")
        assert sar.status == Status.RECEIVED
        assert sar.received_by == getattr(people, who)
    first = SubjectAccessRequest.objects.first()
    assert first is not None
    sar = first
    assert list(sar.children.all()) == [people.child]
    assert people.child.carers.get() in sar.carers.all()
    assert sar.due_on() is None  # the clock waits for identity


def test_the_it_administrator_cannot_record_a_request(people):
    with pytest.raises(PermissionDenied):
        record(people, by=people.it_admin)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"received_on": timezone.localdate() + timedelta(days=1)}, "received_on", "future"),
        ({"asked_for": "  "}, "asked_for", "what they asked for"),
        ({"requester_carer": None}, "requester_carer", "Choose the parent or carer"),
        ({"contact_email": ""}, "contact_email", "email or postal address"),
        (
            {"requester_kind": RequesterKind.REPRESENTATIVE, "requester_name": ""},
            "requester_name",
            "acting for them",
        ),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_saved(people, change, field, message):
    with pytest.raises(ValidationError) as exc:
        record(people, **change)
    assert field in exc.value.error_dict
    assert message in _messages(exc.value)
    assert not SubjectAccessRequest.objects.exists()


def test_a_carer_without_parental_responsibility_cannot_ask_for_the_childs_records(people):
    child = people.child
    stepdad = Carer.objects.create(
        family=child.family,
        full_name="Rob Stepparent",
        relationship=Relationship.STEP_PARENT,
        parental_responsibility=False,
        phone="01632 960001",
    )
    child.carers.add(stepdad)
    with pytest.raises(ValidationError) as exc:
        record(people, requester_carer=stepdad, requester_kind=RequesterKind.CARER)
    assert "no parental responsibility" in _messages(exc.value)
    assert not SubjectAccessRequest.objects.exists()
    # Their own information they may ask for.
    sar = record(people, requester_carer=stepdad, child=None)
    assert list(sar.carers.all()) == [stepdad]
    assert not sar.children.exists()


def test_the_recording_page_refuses_bad_input_with_the_message(people, client_for):
    response = client_for("practitioner").post(
        reverse("access_requests:new"),
        {
            "received_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
            "channel": "letter",
            "requester_kind": "carer",
            "child": people.child.pk,
            "requester_carer": people.child.carers.get().pk,
            "asked_for": "Everything.",
            "contact_email": "parent@example.test",
        },
    )
    assert response.status_code == 400
    assert b"cannot be in the future" in response.content
    assert not SubjectAccessRequest.objects.exists()


def test_a_practitioner_records_and_is_sent_to_the_dashboard(people, client_for):
    response = client_for("practitioner").post(
        reverse("access_requests:new"),
        {
            "received_on": timezone.localdate().isoformat(),
            "channel": "spoken",
            "requester_kind": "carer",
            "child": people.child.pk,
            "requester_carer": people.child.carers.get().pk,
            "asked_for": "Asked at pick-up for everything written about her son.",
            "contact_address": "1 Example Lane",
            "include_requester": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home:dashboard")
    sar = SubjectAccessRequest.objects.get()
    assert (
        client_for("practitioner").get(reverse("access_requests:detail", args=[sar.pk])).status_code
        == 404
    )


def test_compiling_before_identity_is_confirmed_is_refused(people):
    sar = record(people)
    with pytest.raises(ValidationError) as exc:
        services.compile_bundle(sar=sar, by=people.lead.user)
    assert "once identity is confirmed" in _messages(exc.value)
    assert not sar.items.exists()


def test_identity_for_a_childs_records_needs_parental_responsibility_confirmed(people):
    sar = record(people)
    with pytest.raises(ValidationError) as exc:
        services.confirm_identity(
            sar=sar,
            by=people.lead.user,
            method="photo_id",
            confirmed_on=timezone.localdate(),
            evidence_received_on=timezone.localdate(),
        )
    assert "parental responsibility" in _messages(exc.value)
    sar.refresh_from_db()
    assert sar.status == Status.RECEIVED and sar.clock_started_on is None


def test_a_court_order_must_be_considered(people):
    carer = people.child.carers.get()
    carer.court_order_restrictions = "Child arrangements order: lives with mother."
    carer.save()
    sar = record(people)
    with pytest.raises(ValidationError) as exc:
        services.confirm_identity(
            sar=sar,
            by=people.lead.user,
            method="photo_id",
            confirmed_on=timezone.localdate(),
            evidence_received_on=timezone.localdate(),
            parental_responsibility=True,
        )
    assert "court order" in _messages(exc.value)
    services.confirm_identity(
        sar=sar,
        by=people.lead.user,
        method="photo_id",
        confirmed_on=timezone.localdate(),
        evidence_received_on=timezone.localdate(),
        parental_responsibility=True,
        court_order_note="The order does not limit her access to records.",
    )
    assert sar.status == Status.IN_PROGRESS


def test_the_clock_starts_on_the_day_the_evidence_arrived_not_the_day_it_was_checked(people):
    today = timezone.localdate()
    sar = record(people, received_on=today - timedelta(days=10))
    base = dict(sar=sar, by=people.deputy.user, method="photo_id", parental_responsibility=True)
    for evidence, field in (
        (None, "evidence_received_on"),
        (today - timedelta(days=11), "evidence_received_on"),  # before the request came
        (today + timedelta(days=1), "evidence_received_on"),  # after it was checked
    ):
        with pytest.raises(ValidationError) as refused:
            services.confirm_identity(**base, confirmed_on=today, evidence_received_on=evidence)
        assert field in refused.value.error_dict
        sar.refresh_from_db()
        assert sar.clock_started_on is None and sar.status == Status.RECEIVED
    services.confirm_identity(
        **base, confirmed_on=today, evidence_received_on=today - timedelta(days=4)
    )
    sar.refresh_from_db()
    assert sar.clock_started_on == today - timedelta(days=4)
    assert sar.identity_confirmed_on == today
    assert sar.identity_evidence_received_on == today - timedelta(days=4)


def test_the_clock_starts_when_identity_is_confirmed(people):
    today = timezone.localdate()
    sar = record(people, received_on=today - timedelta(days=5))
    services.ask_for_identity(sar=sar, by=people.deputy.user, what="Photo ID")
    assert Letter.objects.filter(request=sar, kind="identity").exists()
    services.confirm_identity(
        sar=sar,
        by=people.deputy.user,
        method="photo_id",
        confirmed_on=today,
        evidence_received_on=today,
        parental_responsibility=True,
    )
    assert sar.clock_started_on == today
    known = record(people, received_on=today - timedelta(days=5))
    services.confirm_identity(
        sar=known,
        by=people.deputy.user,
        method="known",
        confirmed_on=today,
        parental_responsibility=True,
    )
    # Known to staff: no check was needed, so the clock ran from the day received.
    assert known.clock_started_on == today - timedelta(days=5)


def test_pausing_for_clarification_moves_the_deadline(people):
    today = timezone.localdate()
    sar = confirmed(people)
    before = sar.due_on(today)
    services.pause_for_clarification(
        sar=sar, by=people.lead.user, asked="Which year do you mean?", started_on=today
    )
    assert sar.status == Status.AWAITING_CLARIFICATION
    assert Letter.objects.filter(request=sar, kind="clarification").exists()
    with pytest.raises(ValidationError):
        services.resume_after_clarification(
            sar=sar, by=people.lead.user, ended_on=today - timedelta(days=1)
        )
    services.resume_after_clarification(sar=sar, by=people.lead.user, ended_on=today)
    pause = ClarificationPause.objects.get(request=sar)
    assert pause.ended_on == today
    assert sar.status == Status.IN_PROGRESS
    # Paused then answered the same day: no days lost.
    assert sar.due_on(today) == before
    pause.started_on = today - timedelta(days=10)
    pause.save()
    sar = SubjectAccessRequest.objects.get(pk=sar.pk)
    assert sar.due_on(today) is not None and before is not None
    assert sar.clock_started_on is not None
    assert sar.due_on(today) == due_date(sar.clock_started_on, days_paused=10)


def test_extension_needs_a_reason_writes_a_letter_and_happens_once(people):
    sar = confirmed(people)
    with pytest.raises(ValidationError):
        services.extend_deadline(sar=sar, by=people.lead.user, reason=" ")
    assert not sar.is_extended
    letter = services.extend_deadline(
        sar=sar, by=people.lead.user, reason="Five years of records across three siblings."
    )
    assert "Five years of records" in letter.body
    sar = SubjectAccessRequest.objects.get(pk=sar.pk)
    assert sar.is_extended
    with pytest.raises(ValidationError) as exc:
        services.extend_deadline(sar=sar, by=people.lead.user, reason="Again")
    assert "already been extended" in _messages(exc.value)


def test_extension_after_the_first_month_is_refused(people):
    sar = confirmed(people, received_on=timezone.localdate() - timedelta(days=60))
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        clock_started_on=timezone.localdate() - timedelta(days=60)
    )
    sar.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.extend_deadline(sar=sar, by=people.lead.user, reason="Complex")
    assert "within it" in _messages(exc.value)


def test_refusal_is_the_leads_with_the_right_to_complain(people):
    sar = confirmed(people)
    with pytest.raises(PermissionDenied):
        services.refuse_request(
            sar=sar, by=people.deputy.user, reason="excessive", explanation="Repeated weekly."
        )
    with pytest.raises(ValidationError):
        services.refuse_request(sar=sar, by=people.lead.user, reason="excessive", explanation="")
    letter = services.refuse_request(
        sar=sar,
        by=people.lead.user,
        reason="excessive",
        explanation="The same request was answered in full last week.",
    )
    assert sar.status == Status.REFUSED
    assert "Information Commissioner" in letter.body
    assert "0303 123 1113" in letter.body
    assert "manifestly excessive" in letter.body


def test_overdue_requests_stand_out_on_the_dashboard(people, client_for):
    sar = confirmed(people, received_on=timezone.localdate() - timedelta(days=60))
    SubjectAccessRequest.objects.filter(pk=sar.pk).update(
        clock_started_on=timezone.localdate() - timedelta(days=60)
    )
    fresh = record(people)
    response = client_for("lead").get(reverse("home:dashboard"))
    body = response.content.decode()
    assert "Overdue by" in body
    assert sar.reference in body and fresh.reference in body
    assert 'class="overdue"' in body
    office = client_for("office").get(reverse("home:dashboard")).content.decode()
    assert sar.reference not in office
    assert "Record a subject-access request" in office


def test_the_list_shows_open_due_soon_or_overdue_requests(people, client_for):
    today = timezone.localdate()
    overdue = confirmed(people, received_on=today - timedelta(days=60))
    soon = confirmed(people, received_on=today - timedelta(days=27))
    later = confirmed(people)
    waiting = record(people)  # identity not yet confirmed: no deadline
    SubjectAccessRequest.objects.filter(pk=overdue.pk).update(
        clock_started_on=today - timedelta(days=60)
    )
    SubjectAccessRequest.objects.filter(pk=soon.pk).update(
        clock_started_on=today - timedelta(days=27)
    )
    closed = record(people)
    SubjectAccessRequest.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    lead = client_for("lead")

    def listed(query: str) -> set[str]:
        response = lead.get(reverse("access_requests:list") + query)
        assert response.status_code == 200
        return {r.reference for r in response.context["requests"]}

    everything = {r.reference for r in (overdue, soon, later, waiting, closed)}
    assert listed("") == everything
    assert listed("?show=open") == everything - {closed.reference}
    assert listed("?show=soon") == {soon.reference}
    assert listed("?show=overdue") == {overdue.reference}
    # An unknown view is the whole list, not an error.
    assert listed("?show=everything") == everything
    page = lead.get(reverse("access_requests:list") + "?show=overdue").content.decode()
    assert '<strong aria-current="page">Overdue</strong>' in page
    assert "<title>Subject access requests: overdue" in page


def test_an_acknowledgement_is_written_when_the_request_is_recorded(people):
    sar = record(people, received_on=timezone.localdate() - timedelta(days=1))
    letter = Letter.objects.get(request=sar, kind="acknowledgement")
    body = letter.body
    assert f"We received it on {sar.received_on:%-d %B %Y}" in body
    assert sar.asked_for in body
    assert "within one calendar month of the day we receive proof of your identity" in body
    assert "one-time link" in body and "parent@example.test" in body
    assert letter.created_by == people.office
    # Known to us: the clock runs from the day received, and the letter gives the date.
    staff_request = services.record_request(
        by=people.office.user,
        received_on=timezone.localdate(),
        channel="spoken",
        requester_kind="staff",
        requester_staff=people.lead,
        asked_for="My own file, please.",
    )
    due = staff_request.due_on()
    assert due is not None
    staff_letter = Letter.objects.get(request=staff_request, kind="acknowledgement")
    assert f"We will answer by {due:%-d %B %Y}" in staff_letter.body
