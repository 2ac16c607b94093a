"""The consent ledger of a carer: append-only, the latest row is the current state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from consent import services
from consent.models import ConsentRecord

from ..factories import a_pdf
from .factories import consent

pytestmark = pytest.mark.django_db

PDF = a_pdf("consent form signed by the parent")


def test_consent_history_is_append_only_and_the_latest_row_is_current(people, client_for):
    carer = people.child.carers.get()
    given = consent(people.child, people.keyperson1, given_at=timezone.now() - timedelta(days=30))
    given_snapshot = ConsentRecord.objects.filter(pk=given.pk).values().get()
    withdrawn = consent(
        people.child,
        people.keyperson1,
        status="withdrawn",
        how="verbal",
        given_at=timezone.now() - timedelta(days=1),
        note="Mum asked us to stop sharing with the health visitor.",
    )
    assert ConsentRecord.objects.count() == 2
    assert ConsentRecord.objects.filter(pk=given.pk).values().get() == given_snapshot
    current = services.current_consent(
        carer=carer, child=people.child, kind="share", purpose="health_visitor"
    )
    assert current == withdrawn

    page = client_for("keyperson1").get(reverse("consent:carer", args=[carer.pk]))
    html = page.content.decode()
    assert "Now: Withdrawn" in html
    assert html.count("<tr><td>") >= 2  # the given row is still shown as history
    assert "Mum asked us to stop sharing" in html


def test_consent_records_have_no_edit_path(people):
    # Append-only: no URL changes a consent row, and the admin does not list them.
    from django.contrib import admin

    assert ConsentRecord not in admin.site._registry
    from consent import urls

    assert {p.name for p in urls.urlpatterns} & {"consent_edit", "consent_delete"} == set()


def test_withdrawing_consent_never_given_is_refused(people):
    with pytest.raises(ValidationError) as error:
        consent(people.child, people.keyperson1, status="withdrawn")
    assert "no consent given for this purpose to withdraw" in str(error.value)
    assert not ConsentRecord.objects.exists()


def test_a_row_dated_before_the_latest_is_refused(people):
    consent(people.child, people.keyperson1, given_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        consent(
            people.child,
            people.keyperson1,
            status="refused",
            given_at=timezone.now() - timedelta(days=5),
        )
    assert "given_at" in error.value.message_dict
    assert ConsentRecord.objects.count() == 1


def test_consent_to_share_and_agreement_to_a_service_are_separate_ledgers(people):
    consent(
        people.child, people.keyperson1, kind="share", purpose="family_support", status="refused"
    )
    agreed = consent(
        people.child, people.keyperson1, kind="service", purpose="family_support", status="given"
    )
    carer = people.child.carers.get()
    share = services.current_consent(
        carer=carer, child=people.child, kind="share", purpose="family_support"
    )
    assert share is not None and share.status == "refused"
    assert (
        services.current_consent(
            carer=carer, child=people.child, kind="service", purpose="family_support"
        )
        == agreed
    )


def test_other_purpose_needs_its_text(people):
    with pytest.raises(ValidationError) as error:
        consent(people.child, people.keyperson1, purpose="other")
    assert "purpose_other" in error.value.message_dict


def test_evidence_is_stored_encrypted_downloaded_and_the_download_audited(people, client_for):
    record = consent(
        people.child,
        people.keyperson1,
        evidence=SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
    )
    raw = ConsentRecord.objects.filter(pk=record.pk).values_list("evidence", flat=True).get()
    assert b"consent form" not in str(raw).encode()
    assert record.evidence_size == len(PDF)
    response = client_for("keyperson1").get(reverse("consent:consent_evidence", args=[record.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response) == PDF
    assert LogEntry.objects.filter(
        object_pk=str(record.pk), additional_data__event="evidence_opened"
    ).exists()


def test_evidence_of_the_wrong_type_is_refused_and_nothing_saved(people, client_for):
    carer = people.child.carers.get()
    response = client_for("keyperson1").post(
        reverse("consent:consent_create", args=[carer.pk]),
        {
            "child": people.child.pk,
            "kind": "share",
            "purpose": "school_transition",
            "status": "given",
            "how": "written",
            "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "evidence": SimpleUploadedFile("form.pdf", b"MZ not a pdf", "application/pdf"),
        },
    )
    assert response.status_code == 200
    assert "must be a PDF, a JPEG or a PNG" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_evidence_too_large_is_refused(people, settings):
    settings.CONFIDE_MAX_ATTACHMENT_BYTES = 16
    with pytest.raises(ValidationError) as error:
        consent(
            people.child,
            people.keyperson1,
            evidence=SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
        )
    assert "too large" in str(error.value)
    assert not ConsentRecord.objects.exists()


def test_add_a_consent_row_through_the_page(people, client_for):
    carer = people.child.carers.get()
    response = client_for("practitioner").post(
        reverse("consent:consent_create", args=[carer.pk]),
        {
            "child": people.child.pk,
            "kind": "share",
            "purpose": "school_transition",
            "status": "given",
            "how": "written",
            "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    row = ConsentRecord.objects.get()
    assert row.author == people.practitioner
    assert row.carer == carer
