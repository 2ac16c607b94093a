"""Bad input gets a clear message and loses nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from records.models import Attachment, Child, RecordEntry

from ..factories import a_pdf, a_png, make_entry

pytestmark = pytest.mark.django_db

PNG = a_png()


def _entry_post(client, child, **extra):
    data = {
        "category": "accident",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "text": "Fell from the balance beam; cold compress applied.",
    }
    data.update(extra)
    return client.post(reverse("records:entry_create", args=[child.pk]), data)


def test_entry_with_png_attachment_is_saved_encrypted_and_downloadable(people, client_for):
    client = client_for("keyperson1")
    upload = SimpleUploadedFile("knee.png", PNG, content_type="image/png")
    assert _entry_post(client, people.child, attachment=upload).status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content == PNG
    assert attachment.size == len(PNG)
    response = client.get(reverse("records:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response) == PNG


def test_attachment_of_the_wrong_type_is_refused_and_no_entry_saved(people, client_for):
    upload = SimpleUploadedFile("notes.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = _entry_post(client_for("keyperson1"), people.child, attachment=upload)
    assert response.status_code == 200
    assert "must be a PDF, a JPEG or a PNG" in response.content.decode()
    assert not RecordEntry.objects.exists()
    assert not Attachment.objects.exists()


def test_attachment_too_large_is_refused_and_nothing_saved(people, client_for, settings):
    settings.CONFIDE_MAX_ATTACHMENT_BYTES = 1024
    upload = SimpleUploadedFile("scan.png", PNG + b"\x00" * 2048, content_type="image/png")
    response = _entry_post(client_for("keyperson1"), people.child, attachment=upload)
    assert response.status_code == 200
    assert "too large" in response.content.decode()
    assert not RecordEntry.objects.exists()


def test_attachment_added_later_to_an_entry_is_checked_too(people, client_for):
    entry = make_entry(people.child, people.keyperson1)
    upload = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    response = client_for("keyperson1").post(
        reverse("records:attachment_add", args=[entry.pk]), {"attachment": upload}
    )
    assert response.status_code == 400
    assert "must be a PDF" in response.content.decode()
    assert not Attachment.objects.exists()


def _child_data(people, **extra):
    data = {
        "first_name": "Robin",
        "last_name": "Examplechild",
        "date_of_birth": "2022-05-01",
        "started_on": "2025-09-01",
        "left_on": "",
        "room": people.sunflower.pk,
        "key_person": people.keyperson1.pk,
        "family": people.child.family.pk,
    }
    data.update(extra)
    return data


def test_office_adds_a_child_to_the_register(people, client_for):
    response = client_for("office").post(reverse("records:child_create"), _child_data(people))
    assert response.status_code == 302
    assert Child.objects.filter(last_name="Examplechild").exists()


def test_leaving_date_before_start_date_is_refused_and_nothing_changes(people, client_for):
    child = people.child
    response = client_for("lead").post(
        reverse("records:child_edit", args=[child.pk]),
        _child_data(
            people, first_name=child.first_name, last_name=child.last_name, left_on="2025-01-01"
        ),
    )
    assert response.status_code == 200
    assert "The leaving date cannot be before the start date" in response.content.decode()
    child.refresh_from_db()
    assert child.left_on is None


def test_date_of_birth_in_the_future_is_refused(people, client_for):
    future = (date.today() + timedelta(days=30)).isoformat()
    response = client_for("lead").post(
        reverse("records:child_create"), _child_data(people, date_of_birth=future)
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not Child.objects.filter(last_name="Examplechild").exists()


def test_amendment_without_a_reason_is_refused(people, client_for):
    entry = make_entry(people.child, people.keyperson1)
    response = client_for("keyperson1").post(
        reverse("records:entry_amend", args=[entry.pk]), {"text": "Corrected.", "reason": ""}
    )
    assert response.status_code == 200
    assert entry.amendments.count() == 0


def test_practitioner_cannot_amend_someone_elses_entry(people, client_for):
    entry = make_entry(people.child, people.keyperson1)
    response = client_for("practitioner").post(
        reverse("records:entry_amend", args=[entry.pk]), {"text": "Changed.", "reason": "Because."}
    )
    assert response.status_code == 404
    assert entry.amendments.count() == 0


def test_carer_without_any_contact_detail_is_refused(people, client_for):
    response = client_for("office").post(
        reverse("records:carer_create", args=[people.child.pk]),
        {"full_name": "Jo Examplecarer", "relationship": "father", "parental_responsibility": "no"},
    )
    assert response.status_code == 200
    assert "at least one way to contact" in response.content.decode()
    assert people.child.carers.count() == 1


def test_office_adds_a_carer_with_a_court_order_kept_encrypted(people, client_for):
    response = client_for("office").post(
        reverse("records:carer_create", args=[people.child.pk]),
        {
            "full_name": "Jo Examplecarer",
            "relationship": "father",
            "parental_responsibility": "yes",
            "phone": "01632 960111",
            "court_order_restrictions": "Not to collect the child (order of 3 March 2026).",
        },
    )
    assert response.status_code == 302
    carer = people.child.carers.get(full_name="Jo Examplecarer")
    assert carer.parental_responsibility is True
    assert carer.court_order_restrictions.startswith("Not to collect")
    html = client_for("keyperson1").get(reverse("records:child_contacts", args=[people.child.pk]))
    assert "Not to collect the child" in html.content.decode()


def _refused_upload(client, child, name, data, content_type):
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    response = _entry_post(client, child, attachment=upload)
    assert response.status_code == 200
    assert not RecordEntry.objects.exists() and not Attachment.objects.exists()
    return response.content.decode()


def test_a_picture_that_does_not_decode_is_refused_and_no_entry_saved(people, client_for):
    client = client_for("keyperson1")
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert "The picture could not be read" in _refused_upload(
        client, people.child, "knee.png", broken, "image/png"
    )
    # A script behind a JPEG's first bytes, likewise.
    disguised = b"\xff\xd8\xff<script>alert(1)</script>"
    assert "The picture could not be read" in _refused_upload(
        client, people.child, "knee.jpg", disguised, "image/jpeg"
    )


def _pdf_with(**entries: object) -> bytes:
    import io

    import pikepdf

    document = pikepdf.new()
    document.add_blank_page()
    for key, value in entries.items():
        document.Root[f"/{key}"] = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["javascript", "open_action", "page_action", "launch"])
def test_a_pdf_that_runs_something_by_itself_is_refused(people, client_for, kind):
    import pikepdf

    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    if kind == "javascript":
        data = _pdf_with(
            Names=pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=["a", script]))
        )
    elif kind == "open_action":
        data = _pdf_with(OpenAction=script)
    elif kind == "launch":
        data = _pdf_with(
            OpenAction=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe"))
        )
    else:
        document = pikepdf.new()
        document.add_blank_page()
        document.pages[0].obj["/AA"] = pikepdf.Dictionary(O=script)
        import io

        out = io.BytesIO()
        document.save(out)
        data = out.getvalue()
    page = _refused_upload(
        client_for("keyperson1"), people.child, "letter.pdf", data, "application/pdf"
    )
    assert "contains a script or an action that runs when it is opened" in page


def test_a_damaged_pdf_is_refused_and_a_plain_one_kept(people, client_for):
    client = client_for("keyperson1")
    assert "The PDF could not be read" in _refused_upload(
        client, people.child, "letter.pdf", b"%PDF-1.4 not really", "application/pdf"
    )
    upload = SimpleUploadedFile("letter.pdf", a_pdf("from the health visitor"), "application/pdf")
    assert _entry_post(client, people.child, attachment=upload).status_code == 302
    assert Attachment.objects.get().content_type == "application/pdf"
