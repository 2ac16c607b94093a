"""Journey: a child leaves for school; the Lead sends the child-protection file on to the
school's designated safeguarding lead, who downloads it once and confirms receipt through the
link; the Lead sees it received. Another child named in it is redacted unless the Lead decides
otherwise — nobody has to notice them."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pikepdf
import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from lifecycle.models import Transfer, TransferState
from records import leaving
from records.models import Category, Destination, FileHandOver, Leaving, LeavingReason

from ..factories import make_child, make_entry
from .conftest import check_page, doc_screenshot, sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_lead_sends_the_file_on_and_the_school_confirms_receipt(page, browser, people):
    child = make_child(
        room=people.sunflower, key_person=people.keyperson1, first_name="Mia", last_name="Harbour"
    )
    other = people.other_child
    make_entry(
        child,
        people.lead,
        category=Category.CHILD_PROTECTION,
        text=f"Strategy meeting held. Mia said {other.full_name} saw what happened at home.",
    )
    make_entry(child, people.keyperson1, category=Category.CONCERN, text="Arrived hungry again.")
    make_entry(child, people.keyperson1, text="Loved the water tray.")
    leaving.record_leaving(
        by=people.lead.user,
        child=child,
        left_on=timezone.localdate() - timedelta(days=1),
        destination_kind=Destination.SCHOOL,
        destination="Exampletown Primary School",
        reason=LeavingReason.STARTING_SCHOOL,
    )

    # The Lead starts from the leaver's checklist.
    sign_in_browser(page, people.lead.user)
    page.goto(f"/children/{child.pk}/leaving/")
    page.get_by_role("link", name="Send the child-protection file on").click()
    page.get_by_role("heading", name="Send Mia Harbour's child-protection file on").wait_for()
    check_page(page)
    assert page.get_by_label("The school or setting the child moves to").input_value() == (
        "Exampletown Primary School"
    )
    page.get_by_label("Their designated safeguarding lead (name)").fill("Dana Safeguard")
    page.get_by_label("The safeguarding lead's email address").fill("dsl@exampletown.example")
    page.get_by_label("The safeguarding lead's telephone").fill("01632 960000")
    page.get_by_label("The current plan (for the cover sheet)").fill(
        "Child protection plan; core group meets monthly."
    )
    page.get_by_role("button", name="Compile the file").click()

    # The review: the other child is found and redacted by default.
    page.get_by_role("heading", name="Mia Harbour's child-protection file").wait_for()
    check_page(page)
    people_table = page.get_by_role("table")
    assert other.full_name in people_table.inner_text()
    assert people_table.get_by_label("Redact").is_checked()
    records = page.locator("section", has_text="Strategy meeting held")
    assert other.full_name not in records.first.inner_text()
    assert "Redacted: Third party: not passed on" in records.first.inner_text()
    assert "Loved the water tray" not in page.content()
    doc_screenshot(page, "transfer-review")

    # Approving without the tick is refused, and nothing is made.
    page.get_by_role("button", name="Approve and make the file").click()
    assert "Tick the box to go ahead" in page.get_by_role("alert").inner_text()
    assert Transfer.objects.get().state == TransferState.REVIEW
    page.get_by_label("I have reviewed this and it is right to go ahead").check()
    page.get_by_role("button", name="Approve and make the file").click()
    page.get_by_role("heading", name="The password for Mia Harbour's file").wait_for()
    check_page(page)
    password = page.get_by_label("The password").inner_text().strip()
    page.get_by_role("link", name="I have the password: back to the transfer").click()

    page.get_by_label("I have reviewed this and it is right to go ahead").check()
    page.get_by_role("button", name="Email the link").click()
    page.get_by_text("The link is emailed to Dana Safeguard").wait_for()
    [email] = mail.outbox
    body = str(email.body)
    found = re.search(r"(/transfer-link/([^/\s]+)/)", body)
    assert found is not None
    # The link's random token may hold any letters ("...Mia5Ez..." once): looked for without it.
    token = found.group(2)
    words = body.replace(token, "")
    assert "Mia" not in words and "Harbour" not in words

    # The school's DSL, in a browser of their own, with no account here.
    school = browser.new_context(base_url=page.base_url, locale="en-GB")
    dsl = school.new_page()
    dsl.goto(found.group(1))
    dsl.get_by_role("heading", name=re.compile("A child-protection file from")).wait_for()
    check_page(dsl)
    assert "Mia" not in dsl.content().replace(token, "")
    with dsl.expect_download() as download:
        dsl.get_by_role("button", name="Download the file (PDF)").click()
    data = Path(download.value.path()).read_bytes()
    with pikepdf.open(io.BytesIO(data), password=password) as pdf:
        plain = io.BytesIO()
        pdf.save(plain)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(plain.getvalue())).pages)
    assert "Mia Harbour" in text and "core group meets monthly" in text
    assert other.full_name not in text and other.first_name not in text
    assert "Loved the water tray" not in text

    dsl.reload()
    assert "cannot be downloaded again" in dsl.content()
    dsl.get_by_label("Your name").fill("Dana Safeguard")
    dsl.get_by_label("Your role").fill("Designated safeguarding lead")
    dsl.get_by_label("The day you received the file").fill(timezone.localdate().isoformat())
    dsl.get_by_role("button", name="Confirm receipt").click()
    dsl.get_by_role("heading", name="Thank you").wait_for()
    school.close()

    # The Lead sees it received; the leaver's checklist says the file was sent on.
    page.goto("/transfers/")
    check_page(page)
    assert "Received" in page.get_by_role("table").inner_text()
    received = Transfer.objects.get()
    assert (received.state, received.received_how) == (TransferState.RECEIVED, "link")
    assert Leaving.objects.get(child=child).cp_file == FileHandOver.TRANSFERRED
