"""The IT administrator's screens in the admin (accounts, rooms, the setting) pass axe-core's
WCAG 2.2 AA checks too."""

from __future__ import annotations

import pytest

from .conftest import accessibility_violations, sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_it_admins_account_screens_are_accessible(page, people):
    sign_in_browser(page, people.it_admin)
    user = people.keyperson1.user
    problems = {}
    for url in (
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{user.pk}/change/",
        "/admin/auth/user/add/",
        "/admin/records/room/",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        problems[url] = accessibility_violations(page)
    assert problems == {url: [] for url in problems}
