"""Released attachments lose what they carry besides what they show, and a picture or a scan is
marked for the reviewer to read, because the search for other people's names cannot."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from access_requests import services
from access_requests.attachments import searchable, without_metadata
from access_requests.models import Decision, ItemKind
from records.models import Attachment, Category
from records.services import add_attachment

from ..factories import make_entry
from .conftest import confirmed, released
from .test_released_file import released_text

GPS_IFD = 0x8825
ARTIST = 0x013B


def a_photo(fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (40, 30), (200, 120, 40))
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[ARTIST] = "Ownerfindme Phonecamera"
        exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
        image.save(out, format="JPEG", exif=exif.tobytes())
    else:
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "Ownerfindme Phonecamera")
        image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def a_pdf_with_an_author() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": "Authorfindme Caseworker", "/Producer": "Wordish 9"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_photos_exif_and_gps_are_taken_off():
    photo = a_photo()
    assert Image.open(io.BytesIO(photo)).getexif()  # the photo carries them
    clean = without_metadata(photo, "image/jpeg")
    assert not Image.open(io.BytesIO(clean)).getexif()
    assert b"Ownerfindme" not in clean and b"Exif" not in clean
    assert Image.open(io.BytesIO(clean)).size == (40, 30)


def test_a_pngs_text_chunks_are_taken_off():
    clean = without_metadata(a_photo("PNG"), "image/png")
    assert b"Ownerfindme" not in clean
    assert not Image.open(io.BytesIO(clean)).text  # type: ignore[attr-defined]


def test_a_pdfs_author_and_history_are_taken_off():
    clean = without_metadata(a_pdf_with_an_author(), "application/pdf")
    assert b"Authorfindme" not in clean and b"Wordish" not in clean
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        assert "/Info" not in pdf.trailer
        assert len(pdf.pages) == 1


def test_pictures_and_scans_cannot_be_searched_but_a_pdf_with_text_can():
    assert not searchable(a_photo(), "image/jpeg")
    assert not searchable(a_pdf_with_an_author(), "application/pdf")  # no text: a scan
    from access_requests.pdf import render_html

    with_text, _pages = render_html('<html lang="en"><body><p>Words.</p></body></html>')
    assert searchable(with_text, "application/pdf")


@pytest.fixture
def photo_request(people: Any) -> Any:
    entry = make_entry(people.child, people.keyperson1, category=Category.ACCIDENT)
    add_attachment(
        entry=entry,
        by=people.keyperson1.user,
        upload=SimpleUploadedFile("knee.jpg", a_photo(), content_type="image/jpeg"),
    )
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    services.disclose_staff_in_their_role(sar=sar, by=people.deputy.user)
    return sar


def test_a_picture_is_marked_and_disclosed_only_once_read(people, photo_request, client_for):
    sar = photo_request
    photo = sar.items.get(kind=ItemKind.ATTACHMENT)
    assert photo.unsearchable
    page = client_for("deputy").get(f"/access-requests/{sar.pk}/items/{photo.pk}/").content
    assert b"Not searchable: read it before disclosing" in page
    with pytest.raises(ValidationError, match="picture or a scan"):
        services.review_item(item=photo, by=people.deputy.user, decision=Decision.DISCLOSE)
    photo.refresh_from_db()
    assert photo.decision == Decision.PENDING
    for item in sar.items.all():
        services.review_item(
            item=item, by=people.deputy.user, decision=Decision.DISCLOSE, note="Read it: a knee."
        )
    release, password = released(people, sar)
    text, raw = released_text(release, password)
    # The photo's owner and place are nowhere in the file (the cleaning itself is proved on the
    # bytes above; the embedded PDF's, in test_attachments_in_pdf.py).
    assert b"Ownerfindme" not in raw
    assert b"Exif" not in raw


def test_a_picture_that_cannot_be_read_stops_the_render_with_a_message(people):
    entry = make_entry(people.child, people.keyperson1, category=Category.ACCIDENT)
    # Uploaded before pictures were decoded on upload (records.services.check_attachment refuses
    # one like it now): the render is the last line of defence.
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    Attachment(
        entry=entry,
        uploaded_by=people.keyperson1,
        filename="broken.png",
        content_type="image/png",
        size=len(broken),
        sha256=hashlib.sha256(broken).hexdigest(),
        content=broken,
    ).save()
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    services.disclose_staff_in_their_role(sar=sar, by=people.deputy.user)
    for item in sar.items.all():
        services.review_item(
            item=item, by=people.deputy.user, decision=Decision.DISCLOSE, note="Read."
        )
    services.submit_for_check(sar=sar, by=people.deputy.user)
    services.check_bundle(sar=sar, by=people.lead.user, accept=True)
    services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    assert sar.render_state == "failed"
    assert "cannot be read as an image" in sar.render_error
    assert not sar.renderings.exists()
