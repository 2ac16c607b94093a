"""PDF attachments in the subject-access file: disclosed in full, the document travels inside
the PDF as an embedded file (encrypted with it); withheld, it is not there at all."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from access_requests import services
from access_requests.models import Decision, ItemKind
from access_requests.pdf import _safe_filename
from records.models import Category
from records.services import add_attachment

from ..factories import make_entry
from .conftest import confirmed, released
from .test_pdf import pdf_text

pytestmark = pytest.mark.django_db


def a_pdf(marker: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Title": marker})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_disclosed_pdf_is_inside_the_file_and_a_withheld_one_is_not(people):
    entry = make_entry(people.child, people.keyperson1, category=Category.CONCERN)
    letter, report = a_pdf("health visitor"), a_pdf("police report")
    for name, content in (
        ("letter from the health visitor.pdf", letter),
        ("police report.pdf", report),
    ):
        upload = SimpleUploadedFile(name, content, content_type="application/pdf")
        add_attachment(entry=entry, by=people.keyperson1.user, upload=upload)
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    for item in sar.items.all():
        if item.kind == ItemKind.ATTACHMENT and item.body == "police report.pdf":
            services.review_item(
                item=item,
                by=people.deputy.user,
                decision=Decision.WITHHOLD,
                exemption="third_party",
                note="The police's document.",
            )
        else:
            services.review_item(
                item=item, by=people.deputy.user, decision=Decision.DISCLOSE, note="Read it."
            )
    release, password = released(people, sar)

    reader = PdfReader(io.BytesIO(release.pdf))
    assert reader.decrypt(password)
    attached = {name: contents for name, contents in reader.attachments.items()}
    assert len(attached) == 1
    [(name, [content])] = attached.items()
    assert name.endswith("-letter from the health visitor.pdf")
    # The document itself, without what it carried besides (its title here).
    inside = PdfReader(io.BytesIO(content))
    assert inside.metadata is None and len(inside.pages) == 1
    assert b"health visitor" not in content
    flat = " ".join(pdf_text(release.pdf, password).split())
    assert f"inside this PDF, as the attached file “{name}”" in flat
    # The whole file is encrypted: without the password the embedded document is unreadable.
    assert b"health visitor" not in release.pdf


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("letter.pdf", "letter.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\me\\scan.PDF", "scan.PDF"),
        ("bad\x00name\n.pdf", "badname.pdf"),
        ("", "attachment.pdf"),
    ],
)
def test_embedded_file_names_are_plain_file_names(given, safe):
    assert _safe_filename(given) == safe
