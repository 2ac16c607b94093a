"""The 404 and 500 pages say what to do next and give nothing away."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.template.loader import render_to_string

from records.models import Category

from ..factories import make_entry
from .conftest import check_page, screenshot, sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Bruise on the left shin, seen at lunch."


def test_not_found_page_leaks_nothing_and_says_what_to_do(page, people):
    child = people.child
    entry = make_entry(child, people.keyperson1, category=Category.CONCERN, text=SECRET)
    sign_in_browser(page, people.keyperson2.user)
    pages = {}
    for url in (
        f"/entries/{entry.pk}/",
        f"/entries/{uuid4()}/",
        f"/children/{child.pk}/",
        "/no-such-page/",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 404
        check_page(page)
        html = page.content()
        for secret in (SECRET, child.first_name, child.last_name, str(entry.pk), str(child.pk)):
            assert secret not in html
        for debug in ("Traceback", "Request Method", "DEBUG", "urlpatterns"):
            assert debug not in html
        assert page.title() == "Page not found – Confide"
        pages[url] = page.locator("main").inner_text()

    screenshot(page, "not-found-signed-in")

    # The same page whether or not the record exists, saying what to do next.
    assert len(set(pages.values())) == 1
    text = next(iter(pages.values()))
    assert "ask the Lead or Deputy" in text
    page.get_by_role("link", name="your dashboard").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_not_found_page_for_someone_signed_out(page, people):
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    check_page(page)
    assert page.get_by_role("navigation", name="Main").count() == 0
    screenshot(page, "not-found")


def test_server_error_page_is_accessible_and_says_what_to_do(page):
    # Rendered without a request, as when everything else has failed; served beside the CSS.
    page.goto("/static/css/confide.css")
    page.set_content(render_to_string("500.html"))
    page.wait_for_load_state()
    check_page(page)
    assert page.get_by_role("heading", name="Sorry, something went wrong").is_visible()
    assert "tell the Lead" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Go to your dashboard").get_attribute("href") == "/"
    assert page.locator("header").evaluate("el => getComputedStyle(el).backgroundColor") == (
        "rgb(29, 79, 110)"
    )
    screenshot(page, "server-error")
