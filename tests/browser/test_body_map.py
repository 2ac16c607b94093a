"""The body map in a real browser: tap the figure to place a mark, add and remove marks, and see
them on the entry page; at tablet width, with axe's WCAG 2.2 AA checks."""

from __future__ import annotations

import pytest

from records import body_map
from records.models import Category, RecordEntry

from .conftest import check_page, doc_screenshot, sign_in_browser

pytestmark = pytest.mark.django_db(transaction=True)


def tap(page, region: str, dx: float = 0, dy: float = 0) -> None:
    """Tap a part of the figure a little off its middle (dx, dy in screen pixels)."""
    part = page.locator(f'[data-region="{region}"]')
    part.scroll_into_view_if_needed()
    box = part.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)


def test_marks_are_placed_by_tapping_the_figure_at_tablet_width(page, people):
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in_browser(page, people.keyperson1.user)
    page.goto(f"/children/{people.child.pk}/entries/new/")
    body = page.get_by_role("group", name="Body map (accidents, injuries and concerns)")

    # General progress has no body map; an accident has.
    assert not body.is_visible()
    page.get_by_label("Category").select_option(Category.ACCIDENT)
    assert body.is_visible()
    page.get_by_label("What happened").fill("Fell against the sand tray; bruise on the forehead.")

    # A tap on the forehead fills in the first mark and puts the cursor in its note.
    tap(page, "front:head", dy=-8)
    assert page.get_by_label("Mark 1: where on the body").input_value() == "front:head"
    assert page.evaluate("document.activeElement.name") == "mark-0-note"
    page.keyboard.type("Blue bruise, 2 cm")
    assert page.locator('[data-dots="front"] .body-map-dot').count() == 1
    y = float(page.locator('input[name="mark-0-y"]').input_value())
    assert y < body_map.PARTS["front:head"].centre[1]  # above the middle, where it was tapped

    # A second tap adds a row; a mistaken third one is removed again.
    tap(page, "back:left_hand")
    assert page.get_by_label("Mark 2: where on the body").input_value() == "back:left_hand"
    page.keyboard.type("Graze on the knuckles")
    tap(page, "front:tummy")
    assert page.get_by_label("Mark 3: where on the body").input_value() == "front:tummy"
    page.get_by_role("button", name="Remove mark 3").click()
    assert page.locator(".body-map-dot").count() == 2
    check_page(page)
    # The README's picture: the body map filling a desk-sized window.
    page.set_viewport_size({"width": 1280, "height": 800})
    body.evaluate("el => el.scrollIntoView()")
    doc_screenshot(page, "body-map")
    page.set_viewport_size({"width": 768, "height": 1024})

    page.get_by_role("button", name="Save entry").click()
    page.get_by_text("The entry was recorded.").wait_for()
    entry = RecordEntry.objects.get(child=people.child)
    assert [(m["region"], m["note"]) for m in entry.body_map] == [
        ("front:head", "Blue bruise, 2 cm"),
        ("back:left_hand", "Graze on the knuckles"),
    ]
    assert entry.body_map[0]["y"] == pytest.approx(y, abs=0.1)
    check_page(page)
    assert page.get_by_text("With a body map").is_visible()

    page.locator(".chronology").get_by_role("link", name="Accident or injury").click()
    page.get_by_role("heading", name="Body map").wait_for()
    check_page(page)
    figures = page.get_by_role("img", name="Body map, front: mark 1, described in the list.")
    assert figures.count() == 1
    marks = page.locator(".body-map-list li")
    assert marks.all_inner_texts() == [
        "Front: head and face: Blue bruise, 2 cm",
        "Back: back of left hand: Graze on the knuckles",
    ]


def test_changing_to_a_category_without_a_body_map_drops_the_marks(page, people):
    sign_in_browser(page, people.keyperson1.user)
    page.goto(f"/children/{people.child.pk}/entries/new/")
    page.get_by_label("Category").select_option(Category.CONCERN)
    page.get_by_label("What happened").fill("Said that a tooth hurts.")
    tap(page, "front:head")
    page.keyboard.type("Swollen cheek")
    # The practitioner changes their mind: it is general progress after all.
    page.get_by_label("Category").select_option(Category.GENERAL)
    page.get_by_role("button", name="Save entry").click()
    page.get_by_text("The entry was recorded.").wait_for()
    assert RecordEntry.objects.get().body_map == []


def test_a_mark_without_a_note_is_shown_again_with_its_error(page, people):
    sign_in_browser(page, people.keyperson1.user)
    page.goto(f"/children/{people.child.pk}/entries/new/")
    page.get_by_label("Category").select_option(Category.ACCIDENT)
    page.get_by_label("What happened").fill("Bumped into a chair.")
    tap(page, "front:right_thigh")
    page.get_by_role("button", name="Save entry").click()

    summary = page.get_by_role("alert")
    summary.get_by_role("link", name="Mark 1: what you saw: Say what you saw there.").click()
    assert page.evaluate("document.activeElement.name") == "mark-0-note"
    # The mark is still where it was tapped.
    assert page.get_by_label("Mark 1: where on the body").input_value() == "front:right_thigh"
    assert page.locator('[data-dots="front"] .body-map-dot').count() == 1
    check_page(page)
    assert not RecordEntry.objects.exists()
