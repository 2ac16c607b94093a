"""Subject access in a real browser: the office records a parent's request; the Lead makes the
PDF in the background with the production task backend (django-tasks-db and its db_worker), the
page showing its progress; the Lead approves and releases it, the password shown once; the parent
downloads it once through the emailed link. Every page passes axe's WCAG 2.2 AA checks.

Kept with the subject-access tests; the browser fixtures come from tests/browser/fixtures.py."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from access_requests import services
from access_requests.models import RenderState, Status, SubjectAccessRequest

from ..browser.conftest import check_page, screenshot, sign_in_browser, sign_out_browser
from ..factories import make_entry
from .conftest import checked

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_office_records_a_request_from_a_parent(page, people):
    make_entry(people.child, people.keyperson1, text="Painted a rainbow.")
    sign_in_browser(page, people.office.user)
    page.goto("/")
    page.get_by_role("link", name="Record a subject-access request").first.click()
    check_page(page)
    page.get_by_label("How it came").select_option("spoken")
    page.get_by_label("A parent or carer on our records").check()
    page.get_by_label("The child whose records they asked for").select_option(str(people.child.pk))
    page.get_by_label("The parent or carer (who asked").select_option(
        str(people.child.carers.get().pk)
    )
    page.get_by_label("What they asked for").fill("Asked at collection for everything we hold.")
    page.get_by_role("button", name="Record the request").click()
    page.get_by_role("alert").wait_for()
    check_page(page)  # the error summary: no address for the response
    page.get_by_label("Email for the response").fill("parent@example.test")
    page.get_by_role("button", name="Record the request").click()
    page.get_by_text("The request was recorded as").wait_for()
    sar = SubjectAccessRequest.objects.get()
    assert sar.received_by == people.office and sar.status == Status.RECEIVED


def test_the_lead_makes_approves_and_releases_the_pdf_and_the_parent_downloads_it_once(
    page,
    people,
    database_tasks,
):
    make_entry(people.child, people.keyperson1, text="Built a den with the big blocks.")
    sar = checked(people)
    sign_in_browser(page, people.lead.user)
    page.goto(f"/access-requests/{sar.pk}/")
    check_page(page)
    page.get_by_role("button", name="Make the PDF").click()
    page.get_by_text("The PDF is being made").wait_for()
    status = page.get_by_role("status").filter(has_text="Making the PDF")
    assert "waiting to render" in status.inner_text()
    assert page.locator("progress").count() == 1
    check_page(page)
    sar.refresh_from_db()
    assert sar.render_state == RenderState.QUEUED
    # The worker, as `manage.py db_worker` runs it in production.
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    # The page asks for progress every two seconds and reloads itself when the PDF is ready.
    page.get_by_role("link", name="Read the PDF before approving it").wait_for()
    screenshot(page, "sar-ready")
    page.get_by_role("button", name="Approve this bundle for release").click()
    page.get_by_text("Approved.").wait_for()
    page.get_by_role("button", name="Make the password-protected copy").click()
    password = page.get_by_label("The password").inner_text().strip()
    assert len(password) == 24
    check_page(page)
    page.get_by_role("link", name="I have the password").click()
    assert password not in page.content()

    links: dict[str, str] = {}

    def link_url(token: str) -> str:
        links["url"] = f"{page.base_url}/access-requests/link/{token}/"
        return links["url"]

    sar.refresh_from_db()
    services.send_link(sar=sar, by=people.lead.user, link_url=link_url)
    sign_out_browser(page)
    page.goto(links["url"])
    check_page(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my records (PDF)").click()
    assert download.value.suggested_filename == f"{sar.reference}.pdf"
    page.goto(links["url"])
    assert page.get_by_text("expired or has already been used").is_visible()
    check_page(page)
