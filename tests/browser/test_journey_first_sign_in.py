"""Journey 1: a new key person signs in for the first time, sets up two-factor sign-in with the
enrolment code the Lead issued, records an injury with a body map for their key child by keyboard alone, and
records that the parent was told."""

from __future__ import annotations

import time
from base64 import b32decode

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import EnrolmentCode
from records import body_map
from records.models import Category, InformedHow, Level, ParentInformed, RecordEntry
from records.services import create_staff

from ..factories import TEST_PASSWORD, make_child
from .conftest import check_page, doc_screenshot, screenshot, tab_to

pytestmark = pytest.mark.django_db(transaction=True)


def current_code(secret: str) -> str:
    """What the authenticator app on the phone would show now."""
    key = b32decode(secret.replace(" ", ""))
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_new_key_person_sets_up_two_factor_records_an_injury_and_tells_the_parent(page, people):
    staff, enrolment_code = create_staff(
        created_by=people.lead.user,
        username="nia.newstarter",
        full_name="Nia Newstarter",
        email="nia@example.test",
        role="practitioner",
        rooms=[people.sunflower],
        password=TEST_PASSWORD,
    )
    child = make_child(
        room=people.sunflower, key_person=staff, first_name="Alfie", last_name="Brookes"
    )
    user = staff.user

    # Signed out, any page leads to the sign-in form.
    page.goto("/")
    page.wait_for_url("**/account/sign-in/**")
    check_page(page)
    doc_screenshot(page, "sign-in")
    page.get_by_label("Username").fill("nia.newstarter")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # No authenticator yet: the enrolment code the Lead gave with the account.
    page.wait_for_url("**/account/two-factor/enrol/")
    check_page(page)
    page.get_by_label("Enrolment code").fill(enrolment_code.lower().replace("-", " "))
    page.get_by_role("button", name="Continue").click()

    # The QR code, and the key for people who cannot scan it.
    page.wait_for_url("**/account/two-factor/set-up/")
    check_page(page)
    doc_screenshot(page, "two-factor-set-up")
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.get_by_label("Setup key").inner_text()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert b32decode(secret.replace(" ", "")) == device.bin_key
    check_page(page)
    page.get_by_label("Code from your app").fill(current_code(secret))
    page.get_by_role("button", name="Confirm").click()

    # Set up: ten backup codes, shown once.
    page.get_by_role("heading", name="Two-factor sign-in is set up").wait_for()
    check_page(page)
    codes = page.get_by_role("list", name="Backup codes").get_by_role("listitem")
    assert codes.count() == 10
    assert StaticToken.objects.filter(device__user=user).count() == 10
    screenshot(page, "backup-codes")
    page.get_by_role("link", name="I have kept my backup codes – continue").click()

    # From here on, the keyboard alone: Tab to move, Enter to follow or press, typing to fill.
    page.get_by_role("heading", name="Dashboard").wait_for()
    check_page(page)
    # The first Tab shows the skip link, on screen.
    skip_link = page.get_by_role("link", name="Skip to main content")
    tab_to(page, skip_link, limit=1)
    box = skip_link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    tab_to(page, page.get_by_role("link", name="Alfie Brookes"))
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Alfie Brookes").wait_for()
    check_page(page)
    tab_to(page, page.get_by_role("link", name="Record an entry"))
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Record an entry for Alfie Brookes").wait_for()
    check_page(page)
    tab_to(page, page.get_by_label("Category"))
    page.keyboard.type("Accident")
    assert page.get_by_label("Category").input_value() == Category.ACCIDENT
    tab_to(page, page.get_by_label("What happened"))
    page.keyboard.type(
        "Tripped on the step to the garden at 10:15 and grazed the left shin. "
        "Cleaned with water, plaster applied; Alfie was back playing in five minutes."
    )
    # The README's picture shows the top of the form (scrolling moves no focus).
    page.evaluate("window.scrollTo(0, 0)")
    doc_screenshot(page, "record-an-entry")
    # The body map by keyboard: the part of the body from the list, then what was seen.
    tab_to(page, page.get_by_label("Mark 1: where on the body"))
    page.keyboard.type("Left lower leg")
    assert page.get_by_label("Mark 1: where on the body").input_value() == "front:left_lower_leg"
    assert page.locator('[data-dots="front"] .body-map-dot').count() == 1
    tab_to(page, page.get_by_label("Mark 1: what you saw"))
    page.keyboard.type("Graze about 3 cm long, not bleeding")
    tab_to(page, page.get_by_role("button", name="Save entry"))
    page.keyboard.press("Enter")

    page.get_by_text("The entry was recorded.").wait_for()
    check_page(page)
    entry = RecordEntry.objects.get(child=child)
    assert entry.category == Category.ACCIDENT
    assert entry.level == Level.GENERAL
    assert entry.author == staff
    assert entry.parent_informed == ParentInformed.TO_INFORM
    assert entry.body_map == [
        {
            "region": "front:left_lower_leg",
            "x": body_map.PARTS["front:left_lower_leg"].centre[0],
            "y": body_map.PARTS["front:left_lower_leg"].centre[1],
            "note": "Graze about 3 cm long, not bleeding",
        }
    ]
    doc_screenshot(page, "child-page")
    tab_to(page, page.locator(".chronology").get_by_role("link", name="Accident or injury"))
    page.keyboard.press("Enter")

    # The entry page: tell the parent at collection, and say so.
    page.get_by_role("heading", name="Tell the parent").wait_for()
    check_page(page)
    assert page.locator(".body-map-list li").all_inner_texts() == [
        "Front: left lower leg: Graze about 3 cm long, not bleeding"
    ]
    tab_to(page, page.get_by_label("How", exact=True))
    page.keyboard.type("In person")
    tab_to(page, page.get_by_role("button", name="Record that the parent was told"))
    page.keyboard.press("Enter")
    page.get_by_text("Recorded that the parent was told.").wait_for()
    check_page(page)
    assert page.get_by_text("Informed: in person").is_visible()

    entry.refresh_from_db()
    assert entry.parent_informed == ParentInformed.INFORMED
    assert entry.informed_how == InformedHow.IN_PERSON
    assert entry.informed_by == staff
    assert entry.informed_at is not None
    device.refresh_from_db()
    assert device.confirmed
    assert EnrolmentCode.objects.get(user=user).used_at is not None

    # The audit log: the enrolment code made, the enrolment and sign-in, the entry written and
    # the parent's being told.
    code_type = ContentType.objects.get_for_model(EnrolmentCode)
    assert LogEntry.objects.filter(content_type=code_type, action=LogEntry.Action.CREATE).exists()
    assert list(
        LogEntry.objects.filter(actor=user, object_pk=str(user.pk), action=LogEntry.Action.ACCESS)
        .order_by("timestamp")
        .values_list("additional_data__event", flat=True)
    ) == ["two_factor_enrolled", "signed_in"]
    signed_in = LogEntry.objects.get(actor=user, additional_data__event="signed_in")
    assert signed_in.additional_data["second_factor"] == "authenticator_app"
    entry_type = ContentType.objects.get_for_model(RecordEntry)
    changes = LogEntry.objects.filter(content_type=entry_type, object_pk=str(entry.pk))
    assert changes.filter(action=LogEntry.Action.CREATE, actor=user).exists()
    informed = changes.filter(action=LogEntry.Action.UPDATE, actor=user).get()
    assert informed.changes_dict["parent_informed"] == [
        ParentInformed.TO_INFORM,
        ParentInformed.INFORMED,
    ]
    assert not LogEntry.objects.filter(additional_data__event="login_failed").exists()
