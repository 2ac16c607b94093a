"""The PDF: redacted passages and withheld third-party names are absent from the decrypted,
extracted text (the encrypted bytes prove nothing); the fetcher serves only our own files."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from access_requests import services
from access_requests.models import Decision, ItemKind
from access_requests.pdf import RenderError, encrypt_pdf, render_html, safe_fetcher
from access_requests.services import PassageRedaction
from consent.models import (
    Confidentiality,
    DiscloserKind,
    Disclosure,
    DisclosureSubject,
    SubjectConfidentiality,
)
from records.models import Category

from ..factories import make_entry
from .conftest import confirmed

NEIGHBOUR = "Jordan Quillfeather"
PASSAGE = "her neighbour Jordan Quillfeather had been shouting at the children"
# A second passage of the same record, redacted under another exemption.
HARM = "She said the police had been called to the flat twice"


def pdf_text(data: bytes, password: str) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert reader.is_encrypted
    assert reader.decrypt(password)
    return "\n".join(page.extract_text() for page in reader.pages)


def _compiled_with_third_party(people):
    child = people.child
    now = timezone.now()
    make_entry(
        child,
        people.keyperson1,
        text="Loved the water tray today.",
        occurred_at=now - timedelta(days=30),
    )
    concern = make_entry(
        child,
        people.keyperson1,
        category=Category.CONCERN,
        text=f"Mum told us that {PASSAGE}. {HARM}. Kit seemed unsettled.",
        occurred_at=now - timedelta(days=20),
    )
    disclosure = Disclosure(
        child=child,
        author=people.keyperson1,
        discloser_kind=DiscloserKind.RELATIVE,
        discloser_name=f"{NEIGHBOUR} (neighbour)",
        received_by=people.keyperson1,
        disclosed_at=now - timedelta(days=15),
        what=f"{NEIGHBOUR} said the family argue late at night.",
        confidentiality=Confidentiality.YES,
    )
    disclosure.save()
    subject = DisclosureSubject(
        disclosure=disclosure, child=child, confidentiality=SubjectConfidentiality.NOT_ASKED
    )
    subject.save()
    secret = make_entry(
        child,
        people.lead,
        category=Category.CHILD_PROTECTION,
        text="Strategy meeting arranged with children's social care.",
        occurred_at=now - timedelta(days=10),
    )
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    return sar, concern, disclosure, secret


def _decide_all(sar, people, concern, disclosure, secret):
    for item in sar.items.all():
        if item.source_id == concern.pk:
            services.review_item(
                item=item,
                by=people.deputy.user,
                decision=Decision.REDACT,
                passages=[
                    PassageRedaction(
                        PASSAGE, "third_party", note="The neighbour has not consented."
                    ),
                    PassageRedaction(
                        HARM,
                        "serious_harm",
                        opinion_from="The family's social worker",
                        note="Mum told us this fearing for her safety.",
                    ),
                ],
            )
        elif item.source_id == disclosure.pk:
            services.review_item(
                item=item,
                by=people.deputy.user,
                decision=Decision.WITHHOLD,
                exemption="third_party",
                note="Told in confidence by a neighbour.",
            )
        elif item.source_id == secret.pk:
            services.review_item(
                item=item,
                by=people.deputy.user,
                decision=Decision.WITHHOLD,
                exemption="child_abuse_data",
                silent=True,
                note="Saying this exists would tip off the family during an enquiry.",
            )
        else:
            services.review_item(item=item, by=people.deputy.user, decision=Decision.DISCLOSE)


def test_third_party_information_is_found_from_the_consent_ledger(people):
    sar, concern, disclosure, _secret = _compiled_with_third_party(people)
    flagged = {i.source_id: i for i in sar.items.filter(third_party=True)}
    assert disclosure.pk in flagged
    assert NEIGHBOUR in flagged[disclosure.pk].third_party_names
    # The entry names the neighbour: found by the name from the ledger.
    assert concern.pk in flagged
    # Everything about the child is in scope, child protection included, whoever compiles.
    assert sar.items.filter(kind=ItemKind.ENTRY).count() == 3


def test_redacted_and_withheld_text_is_absent_from_the_decrypted_pdf(people):
    sar, concern, disclosure, secret = _compiled_with_third_party(people)
    _decide_all(sar, people, concern, disclosure, secret)
    services.submit_for_check(sar=sar, by=people.deputy.user)
    services.check_bundle(sar=sar, by=people.lead.user, accept=True)
    services.start_render(sar=sar, by=people.deputy.user)
    sar.refresh_from_db()
    services.approve_bundle(sar=sar, by=people.lead.user)
    release, password = services.release_copy(sar=sar, by=people.deputy.user)

    text = pdf_text(release.pdf, password)
    flat = " ".join(text.split())
    assert "Loved the water tray today." in flat
    # Each passage's bar names its own exemption.
    assert re.search(
        r"Mum told us that Redacted: Third-party information ?\. "
        r"Redacted: Serious harm to someone's physical or mental health \(DPA 2018 Sch\. 3 "
        r"Parts 2–4\) ?\. Kit seemed unsettled\.",
        flat,
    )
    assert "This record is withheld. Exemption: Third-party information." in flat
    for absent in (
        PASSAGE,
        HARM,
        "called to the flat",
        NEIGHBOUR,
        "Quillfeather",
        "argue late at night",
        "Strategy meeting",
    ):
        assert absent not in flat, absent
    # The silent withholding leaves no trace in the PDF, only on the internal record.
    assert "Child abuse data" not in flat
    assert sar.items.get(source_id=secret.pk).silent
    # Page numbers and the reference on every page.
    reader = PdfReader(io.BytesIO(release.pdf))
    reader.decrypt(password)
    pages = [p.extract_text() for p in reader.pages]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert sar.reference in page
    # Tagged for accessibility, tags kept through the encryption.
    root: Any = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    # The originals are unchanged.
    concern.refresh_from_db()
    assert PASSAGE in concern.text


def test_a_wrong_password_does_not_open_the_pdf(people, entries):
    from .conftest import approved

    sar = approved(people)
    release, password = services.release_copy(sar=sar, by=people.lead.user)
    reader = PdfReader(io.BytesIO(release.pdf))
    assert not reader.decrypt("not-the-password")
    with pytest.raises(Exception):  # noqa: B017 - pypdf refuses to read an unopened file
        reader.pages[0].extract_text()
    assert reader.decrypt(password)


SMALL = (
    '<html lang="en-GB"><head><meta charset="utf-8"><title>Your records</title>'
    '<meta name="author" content="The setting"></head><body>'
    "<h1>Your records</h1><p>Built a tall tower with the blocks.</p>"
    '<p style="break-before: page">Seemed tired and withdrawn all morning.</p></body></html>'
)


def test_the_password_keeps_the_tags_the_metadata_and_the_text():
    plain, pages = render_html(SMALL)
    protected = encrypt_pdf(plain, "RIGHT-PASS")

    before = PdfReader(io.BytesIO(plain))
    after = PdfReader(io.BytesIO(protected))
    assert after.is_encrypted and after.decrypt("RIGHT-PASS")
    encryption: Any = after.trailer["/Encrypt"]
    assert (encryption["/V"], encryption["/R"]) == (5, 6)  # AES-256
    root: Any = after.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB" and "/Metadata" in root
    assert after.metadata is not None and after.metadata.title == "Your records"
    assert len(after.pages) == pages == 2
    assert [p.extract_text() for p in after.pages] == [p.extract_text() for p in before.pages]


@pytest.mark.parametrize("guess", ["", "not-the-password", "right-pass"])
def test_no_other_password_opens_the_pdf(guess):
    # An empty owner password would open the file for anyone: the owner password is the user's.
    protected = encrypt_pdf(render_html(SMALL)[0], "RIGHT-PASS")
    assert not PdfReader(io.BytesIO(protected)).decrypt(guess)
    import pikepdf

    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(protected), password=guess)


def test_the_fetcher_refuses_file_and_http():
    fetcher = safe_fetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1/x.png", "https://example.test/a.css"):
        with pytest.raises(Exception, match="only our own files|disallowed protocol"):
            fetcher.fetch(url)


def test_the_fetcher_serves_data_uris_and_our_static_files():
    fetcher = safe_fetcher()
    response = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"
    assert fetcher.fetch("confide-static:css/confide.css").read().startswith(b"")
    with pytest.raises(RenderError):
        fetcher.fetch("confide-static:../../../../etc/passwd")


@pytest.mark.parametrize(
    "src",
    ["file:///etc/passwd", "http://127.0.0.1:9/x.png", "confide-static:../../config/settings.py"],
)
def test_a_render_asking_for_anything_else_fails_loudly(src):
    html = f'<html lang="en"><head><title>t</title></head><body><img src="{src}" alt="x"></body></html>'
    with pytest.raises(RenderError):
        render_html(html)


def test_a_stylesheet_from_outside_fails_loudly():
    html = (
        '<html lang="en"><head><title>t</title>'
        '<link rel="stylesheet" href="file:///etc/passwd"></head><body><p>x</p></body></html>'
    )
    with pytest.raises(RenderError):
        render_html(html)


def test_the_index_gives_the_page_where_each_month_starts(people):
    from access_requests.pdf import pdf_items, render_bundle_pdf

    from .conftest import reviewed

    now = timezone.now()
    for days, text in ((100, "Autumn leaves collage."), (40, "Snowman."), (3, "Planted seeds.")):
        for n in range(12):  # enough records that the months fall on different pages
            make_entry(
                people.child,
                people.keyperson1,
                text=f"{text} {n}",
                occurred_at=now - timedelta(days=days, hours=n),
            )
    sar = reviewed(people)
    items = pdf_items(sar)
    firsts = [i for i in items if i.anchor]
    months = {(d.year, d.month) for d in (timezone.localtime(i.item.occurred_at) for i in items)}
    assert len(firsts) == len(months) >= 3  # a line per month, not per record
    pdf, _pages = render_bundle_pdf(sar)
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    index = next(p for p in pages if p.startswith("Index") or " Index " in p[:80])
    lines = re.findall(r"(\w+ \d{4}): records (\d+) to (\d+) \.\.\. page (\d+)", index)
    assert [(label, int(first)) for label, first, _last, _page in lines] == [
        (entry.when.split(" ", 1)[1], entry.number) for entry in firsts
    ]
    for _label, first, _last, page in lines:
        heading = next(
            f"{e.number}. {e.item.title}, {e.when}" for e in items if e.number == int(first)
        )
        assert heading in pages[int(page) - 1]
        assert heading not in pages[int(page) - 2]


def test_the_remembered_page_references_follow_the_pages_added():
    import pydyf

    from access_requests.pdf import _memoise_page_references

    _memoise_page_references()
    document = pydyf.PDF()
    for _ in range(3):
        document.add_page(pydyf.Dictionary({"Type": "/Page"}))
        kids = document.pages["Kids"][::3]
        assert document.page_references == tuple(f"{n} 0 R".encode() for n in kids)


def test_each_tagged_paragraph_points_at_its_own_page():
    # The structure tree names the page of each element (/Pg): after the memoised page
    # references, the paragraph broken onto page 2 still points at page 2.
    reader = PdfReader(io.BytesIO(render_html(SMALL)[0]))
    pages = [p.indirect_reference.idnum for p in reader.pages if p.indirect_reference]
    found: dict[int, int] = {}

    def walk(element: Any) -> None:
        kids = element.get("/K")
        kids = kids if isinstance(kids, list) else [kids]
        for each in kids:
            kid: Any = each.get_object() if hasattr(each, "get_object") else each
            if isinstance(kid, DictionaryObject) and kid.get("/S") == "/P" and "/Pg" in kid:
                found[len(found)] = pages.index(kid.raw_get("/Pg").idnum)
            elif isinstance(kid, DictionaryObject) and "/K" in kid:
                walk(kid)

    root: Any = reader.trailer["/Root"]
    walk(root["/StructTreeRoot"])
    assert list(found.values()) == [0, 1]


def test_a_record_keeps_its_line_breaks_and_others_flow(people):
    from access_requests.pdf import pdf_items, render_bundle_pdf
    from records.models import Amendment

    from .conftest import reviewed

    corrected = make_entry(people.child, people.keyperson1, text="Painted a rainbow.")
    Amendment(
        entry=corrected, author=people.keyperson1, text="It was a sunset.", reason="Misread."
    ).save()
    make_entry(people.child, people.keyperson1, text="Sang three songs at circle time.")
    sar = reviewed(people)
    lines = {e.item.body.split("\n")[0]: e.multiline for e in pdf_items(sar)}
    assert lines == {"Painted a rainbow.": True, "Sang three songs at circle time.": False}
    pdf, _pages = render_bundle_pdf(sar)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert re.search(r"Painted a rainbow\.\s*\n\s*\n?\s*Amendment, ", text)


def test_the_collector_is_paused_only_while_weasyprint_works(monkeypatch):
    import gc

    import weasyprint

    seen = []
    real_render = weasyprint.HTML.render

    def render(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return real_render(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", render)
    assert gc.isenabled()
    render_html(SMALL)
    assert seen == [False] and gc.isenabled()
    # A render that fails turns it back on too.
    with pytest.raises(RenderError):
        render_html('<html lang="en"><body><img src="file:///etc/passwd" alt="x"></body></html>')
    assert gc.isenabled()
    # Paused by someone else, it stays paused.
    gc.disable()
    try:
        render_html(SMALL)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_renders_share_one_pause():
    import gc

    from access_requests.pdf import collector_paused

    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        # The inner one ending does not turn it back on under the outer one.
        assert not gc.isenabled()
    assert gc.isenabled()
