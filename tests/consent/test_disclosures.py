"""Disclosures: who told whom, about whom, and whether it is confidential — for the person who told
us and for each person it concerns."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from consent import services
from consent.models import Confidentiality, Disclosure, DisclosureSubject, SubjectConfidentiality
from records.models import Carer, Category, Level, RecordEntry, Relationship

from ..factories import make_entry
from .factories import disclosure

pytestmark = pytest.mark.django_db


def _now():
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def test_third_party_information_records_confidentiality_for_each_person(people):
    carer = people.child.carers.get()
    grandparent = Carer.objects.create(
        family=people.child.family,
        full_name="Gran Testparent",
        relationship=Relationship.GRANDPARENT,
        parental_responsibility=False,
    )
    told = disclosure(
        people.child,
        people.keyperson1,
        discloser_carer=carer,
        subject_children=[people.child],
        subject_carers=[carer, grandparent],
        third_parties=["Mother's new partner"],
        confidentiality=Confidentiality.YES,
    )
    subjects = {
        (s.child_id and "child")
        or (s.carer_id == carer.pk and "mother")
        or (s.carer_id and "gran")
        or s.third_party: s.confidentiality
        for s in told.subjects.all()
    }
    assert subjects == {
        "child": SubjectConfidentiality.NOT_ASKED,
        "mother": SubjectConfidentiality.SELF,  # she told us about herself
        "gran": SubjectConfidentiality.NOT_ASKED,
        "Mother's new partner": SubjectConfidentiality.NOT_ASKED,
    }
    assert told.confidentiality == Confidentiality.YES
    assert told.confidentiality_asked_by == people.keyperson1
    assert set(told.carers.all()) == {carer, grandparent}
    assert list(told.children.all()) == [people.child]


def test_a_disclosure_about_nobody_is_refused_and_nothing_saved(people, client_for):
    response = client_for("keyperson1").post(
        reverse("consent:disclosure_create", args=[people.child.pk]),
        {
            "discloser_kind": "professional",
            "discloser_name": "Health visitor",
            "disclosed_at": _now(),
            "what": "Concerned about weight.",
            "confidentiality": "not_asked",
            "subject_confidentiality": "not_asked",
        },
    )
    assert response.status_code == 200
    assert "Say whom it is about" in response.content.decode()
    assert not Disclosure.objects.exists()
    assert not DisclosureSubject.objects.exists()


def test_a_professional_must_be_named(people):
    with pytest.raises(ValidationError) as error:
        disclosure(
            people.child, people.keyperson1, discloser_kind="professional", discloser_carer=None
        )
    assert "discloser_name" in error.value.message_dict


def test_record_a_disclosure_through_the_page(people, client_for):
    carer = people.child.carers.get()
    response = client_for("practitioner").post(
        reverse("consent:disclosure_create", args=[people.child.pk]),
        {
            "discloser_kind": "carer",
            "discloser_carer": carer.pk,
            "received_by": people.practitioner.pk,
            "disclosed_at": _now(),
            "what": "Mum said the family is moving to a refuge.",
            "subject_children": [people.child.pk],
            "subject_carers": [carer.pk],
            "third_parties": "",
            "confidentiality": "yes",
            "subject_confidentiality": "not_asked",
        },
    )
    assert response.status_code == 302
    told = Disclosure.objects.get()
    assert told.author == people.practitioner
    assert told.level == Level.SENSITIVE
    # The practitioner wrote it, so reads it; the room's other staff do not (sensitive).
    assert client_for("practitioner").get(response["Location"]).status_code == 200
    assert client_for("keyperson2").get(response["Location"]).status_code == 404


def test_an_entry_and_its_disclosure_are_one_form_and_one_transaction(people, client_for):
    carer = people.child.carers.get()
    url = reverse("consent:entry_with_disclosure", args=[people.child.pk])
    data = {
        "entry-category": Category.FAMILY_CHANGE,
        "entry-occurred_at": _now(),
        "entry-text": "Dad has moved out; Kit is staying with mum.",
        "disclosure-discloser_kind": "carer",
        "disclosure-discloser_carer": carer.pk,
        "disclosure-received_by": people.keyperson1.pk,
        "disclosure-disclosed_at": _now(),
        "disclosure-subject_children": [people.child.pk],
        "disclosure-confidentiality": "not_asked",
        "disclosure-subject_confidentiality": "not_asked",
    }
    client = client_for("keyperson1")
    assert client.get(url).status_code == 200
    response = client.post(url, data)
    assert response.status_code == 302
    entry = RecordEntry.objects.get()
    told = Disclosure.objects.get()
    assert list(told.entries.all()) == [entry]
    assert told.what == entry.text
    assert told.level == entry.level == Level.SENSITIVE


def test_a_failed_disclosure_leaves_no_entry_behind(people, client_for):
    url = reverse("consent:entry_with_disclosure", args=[people.child.pk])
    response = client_for("keyperson1").post(
        url,
        {
            "entry-category": Category.CONCERN,
            "entry-occurred_at": _now(),
            "entry-text": "Bruise on the left arm.",
            "disclosure-discloser_kind": "professional",
            "disclosure-discloser_name": "",
            "disclosure-disclosed_at": _now(),
            "disclosure-subject_children": [people.child.pk],
            "disclosure-confidentiality": "not_asked",
            "disclosure-subject_confidentiality": "not_asked",
        },
    )
    assert response.status_code == 200
    assert "Give the name and role of the person who told us" in response.content.decode()
    assert not RecordEntry.objects.exists()
    assert not Disclosure.objects.exists()


def test_confidentiality_asked_later_is_answered_once(people, client_for):
    told = disclosure(people.child, people.keyperson1)
    pending = told.subjects.get(confidentiality=SubjectConfidentiality.NOT_ASKED)
    url = reverse("consent:disclosure_confidentiality", args=[told.pk])
    client = client_for("keyperson1")
    assert client.get(url).status_code == 200
    response = client.post(url, {"confidentiality": "yes", f"subject_{pending.pk.hex}": "no"})
    assert response.status_code == 302
    told.refresh_from_db()
    pending.refresh_from_db()
    assert told.confidentiality == Confidentiality.YES
    assert pending.confidentiality == SubjectConfidentiality.NO
    assert pending.asked_by == people.keyperson1
    assert LogEntry.objects.filter(
        object_pk=str(told.pk), additional_data__event="confidentiality_answered"
    ).exists()
    # A stale second answer is refused; the first answer stays.
    with pytest.raises(ValidationError):
        services.answer_confidentiality(disclosure=told, by=people.lead.user, confidentiality="no")
    told.refresh_from_db()
    assert told.confidentiality == Confidentiality.YES


def test_an_empty_answer_is_refused_with_a_message(people, client_for):
    told = disclosure(people.child, people.keyperson1)
    response = client_for("keyperson1").post(
        reverse("consent:disclosure_confidentiality", args=[told.pk]), {}
    )
    assert response.status_code == 200
    assert "Give at least one answer." in response.content.decode()


def test_linking_an_entry_the_author_cannot_read_is_refused(people):
    hidden = make_entry(people.child, people.lead, category=Category.CHILD_PROTECTION)
    with pytest.raises(ValidationError) as error:
        disclosure(people.child, people.practitioner, entries=[hidden])
    assert "entries" in error.value.message_dict
    assert not Disclosure.objects.exists()


def test_a_disclosure_cannot_be_less_sensitive_than_its_linked_entry(people):
    cp = make_entry(people.child, people.lead, category=Category.CHILD_PROTECTION)
    with pytest.raises(ValidationError):
        disclosure(people.child, people.lead, entries=[cp], level=Level.SENSITIVE)
    assert disclosure(people.child, people.lead, entries=[cp]).level == Level.CHILD_PROTECTION


def test_another_childs_name_is_not_shown_to_someone_who_cannot_see_that_child(people, client_for):
    told = disclosure(
        people.child, people.lead, subject_children=[people.child, people.other_child]
    )
    page = (
        client_for("keyperson1")
        .get(reverse("consent:disclosure_detail", args=[told.pk]))
        .content.decode()
    )
    assert people.other_child.last_name not in page
    assert "Another child" in page
    lead_page = (
        client_for("lead")
        .get(reverse("consent:disclosure_detail", args=[told.pk]))
        .content.decode()
    )
    assert people.other_child.last_name in lead_page
