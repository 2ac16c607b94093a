"""The browser fixtures, shared by every directory's browser tests: one Chromium for the whole
session (Playwright's sync API allows one at a time), a fresh context per test. Imported by
tests/conftest.py, and only there, so there is one ``browser`` fixture, not one per directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import CHROMIUM_ENV, CHROMIUM_FLAGS, chromium_path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS, env={**os.environ, **CHROMIUM_ENV}
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    page.base_url = live_server.url
    page.set_default_timeout(15_000)
    yield page
    context.close()
