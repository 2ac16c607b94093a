"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

They never skip: without Chromium they fail, saying how to install it (`make test` installs it
on a machine where it can).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
# British dates in date fields (day first, 24-hour clock), as on a British tablet: Chromium on
# Linux takes its own locale from LANGUAGE, and Debian's chromium-l10n has the en-GB data.
CHROMIUM_ENV = {"LANGUAGE": "en_GB"}


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "Browser tests need Chromium: `apt-get install chromium` (make test does it as root)."
    )


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}


def accessibility_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the current page, as readable lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


def sign_in_browser(page: Any, user: Any) -> None:
    """Carry a signed-in, two-factor-verified session into the browser (journeys that test the
    sign-in itself go through the form instead)."""
    from django.conf import settings
    from django.test import Client

    from tests.conftest import sign_in

    client = sign_in(Client(), user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": page.base_url}])


# --- helpers for the journeys -----------------------------------------------------------------

# 1280x800 pictures of the visible page, for the README: copy them into docs/screenshots/.
DOC_SCREENSHOTS = ARTIFACTS / "docs"


def doc_screenshot(page: Any, name: str) -> Path:
    """The visible part of the page at 1280x800 (small enough to commit), beside the full-page
    picture that ``screenshot`` saves."""
    size = page.viewport_size
    page.set_viewport_size({"width": 1280, "height": 800})
    DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = DOC_SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    page.set_viewport_size(size)
    screenshot(page, name)
    return path


def check_page(page: Any) -> None:
    """What every page of a journey must pass: axe-core's WCAG 2.2 AA checks, and no sideways
    scrolling at the width of the viewport (1280 px, or 768 px for a tablet)."""
    violations = accessibility_violations(page)
    assert violations == [], f"{page.url}: {violations}"
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: {scroll_width} px at {width} px"


def sign_out_browser(page: Any) -> None:
    """Forget the browser's session, as when someone else picks up the tablet."""
    page.context.clear_cookies()


# --- the keyboard -----------------------------------------------------------------------------


def tab_to(page: Any, target: Any, *, limit: int = 80) -> None:
    """Press Tab (and nothing else) until ``target``, a locator, has the focus, and check that
    the focus is visible there. Fails if Tab never reaches it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            assert target.evaluate("el => el.matches(':focus-visible')"), "focus not visible"
            outline = target.evaluate("el => getComputedStyle(el).outlineStyle")
            assert outline != "none", f"no focus outline on {target}"
            return
    raise AssertionError(f"Tab never reached {target} in {limit} presses on {page.url}")


_DATETIME_ORDER: dict[str, list[str]] = {}


def _datetime_keys(page: Any) -> list[str]:
    """How this browser's datetime-local field takes typed digits: its segments follow the
    browser's own locale (month first and a 12-hour clock in an en-US build), not the page's,
    so it is found once by typing into a scratch page."""
    if "order" not in _DATETIME_ORDER:
        scratch = page.context.browser.new_context(locale="en-GB")
        probe = scratch.new_page()
        for keys in (
            ["01", "02", "2030", "Tab", "01", "02", "A"],
            ["02", "01", "2030", "Tab", "01", "02"],
        ):
            # A fresh field each time: a used one keeps the focus in its last segment.
            probe.set_content('<input id="d" type="datetime-local" aria-label="When">')
            probe.focus("#d")
            _press(probe, keys)
            if probe.input_value("#d") == "2030-01-02T01:02":
                _DATETIME_ORDER["order"] = keys
                break
        scratch.close()
        assert "order" in _DATETIME_ORDER, "could not work out how to type a date and time"
    return _DATETIME_ORDER["order"]


def _press(page: Any, keys: list[str]) -> None:
    for key in keys:
        if key == "Tab":
            page.keyboard.press("Tab")
        else:
            page.keyboard.type(key)


def type_datetime(page: Any, when: Any) -> None:
    """Type a date and time into the focused datetime-local field, as a keyboard user does."""
    us_style = _datetime_keys(page)[0] == "01"
    hour = when.hour % 12 or 12 if us_style else when.hour
    keys = [f"{when:%m}", f"{when:%d}"] if us_style else [f"{when:%d}", f"{when:%m}"]
    keys += [f"{when:%Y}", "Tab", f"{hour:02d}", f"{when:%M}"]
    if us_style:
        keys.append("P" if when.hour >= 12 else "A")
    _press(page, keys)
