"""Journeys: the Lead flags a child (a child-protection plan), filters the chronology to the
significant events and prints it as a PDF for the conference; the chair of trustees reads the
year's report (charts with their tables, small counts hidden) and downloads the evidence pack."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from records.models import Category, ChildFlag, FlagKind

from ..factories import make_entry
from .conftest import check_page, doc_screenshot, sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)

SIGNIFICANT = "Initial child protection conference: a plan was made."


def test_the_lead_flags_a_child_and_prints_the_significant_events(page, people):
    make_entry(
        people.child,
        people.lead,
        category=Category.CHILD_PROTECTION,
        text=SIGNIFICANT,
        significant=True,
    )
    make_entry(people.child, people.keyperson1, text="Built a tall tower with the blue bricks.")
    sign_in_browser(page, people.lead.user)
    page.goto(f"/children/{people.child.pk}/")
    page.get_by_role("link", name="Flags (plans, social worker, SEND, EAL)").click()
    page.get_by_label("Kind of flag").select_option(label="Child protection plan")
    page.get_by_label("Details").fill("Category: neglect. The setting is in the core group.")
    page.get_by_label("From").fill((timezone.localdate() - timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Add the flag").click()
    page.get_by_text("Flag added: Child protection plan.").wait_for()
    check_page(page)
    assert ChildFlag.objects.get().kind == FlagKind.CP_PLAN
    page.get_by_role("link", name=people.child.full_name).click()
    assert page.get_by_role("list", name="Flags").inner_text().strip() == "Child protection plan"

    page.get_by_role("link", name="Significant events only").click()
    page.get_by_role("link", name="Print these entries as a PDF", exact=False).click()
    page.get_by_text("Entries chosen by: Significant events only").wait_for()
    check_page(page)
    page.get_by_role("button", name="Make the PDF").click()
    link = page.get_by_role("link", name="Download the PDF")
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    pdf = download.value.path().read_bytes()
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert all("CONFIDENTIAL" in t and people.lead.full_name in t for t in texts)
    assert "Initial child protection conference" in " ".join(texts)
    assert "tall tower" not in " ".join(texts)


def test_the_chair_reads_the_report_and_downloads_the_evidence_pack(page, people):
    for n in range(6):
        make_entry(people.child, people.keyperson1, category=Category.CONCERN, text=f"Concern {n}.")
    for n in range(7):
        make_entry(
            people.other_child, people.keyperson2, category=Category.ACCIDENT, text=f"Fell {n}."
        )
    for n in range(5):
        make_entry(people.child, people.lead, category=Category.CHILD_PROTECTION, text=f"CP {n}.")
    sign_in_browser(page, people.chair.user)
    page.goto("/")
    page.get_by_role("link", name="Reports", exact=True).first.click()
    page.get_by_role("heading", name="Reports", exact=True).wait_for()
    page.get_by_role("button", name="Show").click()
    assert page.locator("svg").count() > 0
    assert "Concern · sensitive" in page.content()
    for name in (people.child.first_name, people.other_child.first_name):
        assert name not in page.content()
    check_page(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator(".report-section").first.evaluate("section => section.scrollIntoView()")
    doc_screenshot(page, "report-chart")
    page.goto("/reports/evidence/")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the evidence pack (PDF)").click()
    pdf = download.value.path().read_bytes()
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert texts and all("onfidential" in t for t in texts)
