"""Journey 2: a key person records a concern with a parent's disclosure; the practitioner of
another room cannot find it; the Deputy gives them a two-week grant (by keyboard alone); they can
read it until the grant ends, and then they cannot."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from consent.models import Confidentiality, DiscloserKind, Disclosure, SubjectConfidentiality
from records.models import Category, Level, NeedToKnowGrant, RecordEntry

from ..factories import make_child
from .conftest import (
    check_page,
    doc_screenshot,
    screenshot,
    sign_in_browser,
    sign_out_browser,
    tab_to,
    type_datetime,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONCERN = "Mum told us Maya has been waking at night since her dad moved out."


def assert_cannot_find(page, child, entry) -> None:
    """Not listed, not found by searching, and a 404 for the entry and the child."""
    page.goto("/children/")
    check_page(page)
    assert page.get_by_role("link", name="Okafor, Maya").count() == 0
    page.get_by_label("Search by name").fill("Okafor")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("No child you can see matches “Okafor”.").wait_for()
    check_page(page)
    for url in (f"/entries/{entry.pk}/", f"/children/{child.pk}/"):
        response = page.goto(url)
        assert response is not None and response.status == 404
        assert CONCERN not in page.content()
        assert "Okafor" not in page.content()
    check_page(page)


def test_other_room_sees_a_concern_only_while_a_grant_lasts(page, people):
    child = make_child(
        room=people.sunflower, key_person=people.keyperson1, first_name="Maya", last_name="Okafor"
    )
    carer = child.carers.get()

    # The key person records the concern and what Mum told them, in one form.
    sign_in_browser(page, people.keyperson1.user)
    page.goto(f"/children/{child.pk}/")
    check_page(page)
    page.get_by_role("link", name="Sharing, consent and disclosures").click()
    check_page(page)
    page.get_by_role("link", name="Record an entry with a disclosure").click()
    check_page(page)
    page.get_by_label("Category").select_option(Category.CONCERN)
    page.get_by_label("What happened").fill(CONCERN)
    page.get_by_role("group", name="Who told us").get_by_label(
        "A parent or carer of the child"
    ).check()
    page.get_by_label("Which parent or carer").select_option(str(carer.pk))
    page.get_by_role(
        "group", name="Does the person who told us regard it as confidential?"
    ).get_by_label("Yes, confidential").check()
    page.get_by_role(
        "group", name="Do the people it is about regard it as confidential?"
    ).get_by_label("Yes, confidential").check()
    page.get_by_role("button", name="Save the entry and the disclosure").click()
    page.get_by_text("The entry and its disclosure were recorded.").wait_for()
    check_page(page)

    entry = RecordEntry.objects.get(child=child)
    assert entry.category == Category.CONCERN
    assert entry.level == Level.SENSITIVE
    disclosure = Disclosure.objects.get(child=child)
    assert disclosure.discloser_kind == DiscloserKind.CARER
    assert disclosure.discloser_carer == carer
    assert disclosure.confidentiality == Confidentiality.YES
    assert list(disclosure.entries.all()) == [entry]
    assert {s.confidentiality for s in disclosure.subjects.all()} == {SubjectConfidentiality.YES}

    # The practitioner of the Bluebell room does not know the child's record exists.
    sign_out_browser(page)
    sign_in_browser(page, people.keyperson2.user)
    assert_cannot_find(page, child, entry)

    # The Deputy gives them a two-week grant, by keyboard alone.
    sign_out_browser(page)
    sign_in_browser(page, people.deputy.user)
    page.goto(f"/children/{child.pk}/")
    check_page(page)
    tab_to(page, page.get_by_role("link", name="Give a need-to-know grant"))
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Give a need-to-know grant for Maya Okafor").wait_for()
    check_page(page)
    tab_to(page, page.get_by_label("Practitioner"))
    page.keyboard.type("Kay Two")
    tab_to(page, page.get_by_label("Up to level"))
    page.keyboard.type("Sensitive")
    tab_to(page, page.get_by_label("Why they need to know"))
    page.keyboard.type("Kay covers Maya's afternoons in Bluebell while Sunflower is short-staffed.")
    ends = (timezone.localtime() + timedelta(days=14)).replace(second=0, microsecond=0)
    tab_to(page, page.get_by_label("Ends"))
    type_datetime(page, ends)
    screenshot(page, "grant-form")
    tab_to(page, page.get_by_role("button", name="Give grant"))
    page.keyboard.press("Enter")
    page.get_by_text("Kay Two may now see this child's records.").wait_for()
    check_page(page)

    grant = NeedToKnowGrant.objects.get(child=child)
    assert grant.grantee == people.keyperson2
    assert grant.granted_by == people.deputy
    assert grant.level == Level.SENSITIVE
    assert grant.ends_at == ends
    assert grant.is_live

    page.goto("/grants/")
    check_page(page)
    doc_screenshot(page, "grants")

    # Now they can find the child and read the concern; the read is audited.
    sign_out_browser(page)
    sign_in_browser(page, people.keyperson2.user)
    page.goto("/")
    check_page(page)
    page.get_by_role("region", name="Records I have been given access to").get_by_role(
        "link", name="Maya Okafor"
    ).wait_for()
    page.goto("/children/?q=Okafor")
    page.get_by_role("link", name="Okafor, Maya").click()
    check_page(page)
    # The concern is a mark on the strip of Maya's year, and opens from there.
    strip = page.get_by_role("table", name=re.compile("^Entries about Maya that you can read"))
    strip.get_by_role("link", name=re.compile("^Concern, sensitive, ")).click()
    page.get_by_text(CONCERN).wait_for()
    check_page(page)

    # Two weeks pass: the grant ends with no job running, and the record is hidden again.
    NeedToKnowGrant.objects.filter(pk=grant.pk).update(
        ends_at=timezone.now() - timedelta(minutes=1)
    )
    assert_cannot_find(page, child, entry)

    # The audit log: the entry, the disclosure and the grant, who read the concern and when
    # they were refused.
    def made_by(model: type, user: object) -> bool:
        return LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            action=LogEntry.Action.CREATE,
            actor=user,
        ).exists()

    assert made_by(RecordEntry, people.keyperson1.user)
    assert made_by(Disclosure, people.keyperson1.user)
    assert made_by(NeedToKnowGrant, people.deputy.user)
    about_entry = LogEntry.objects.filter(object_pk=str(entry.pk), actor=people.keyperson2.user)
    # Read on the child's chronology and on the entry's page; refused twice after the end.
    assert about_entry.filter(additional_data__event="read").count() == 2
    assert about_entry.filter(additional_data__event="refused").count() == 2
