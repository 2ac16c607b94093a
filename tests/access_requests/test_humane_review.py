"""Reviewing 300 records is humane: the general entries with nobody else in them go in one step
(after seeing how many), child-protection records prompt the exemptions that apply with the law
named, the serious-harm test says whose opinion it rests on, and words are redacted by selecting
them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from access_requests import services
from access_requests.models import Decision
from records.models import Category

from ..browser.conftest import check_page, sign_in_browser
from ..factories import make_entry
from .conftest import confirmed


@pytest.fixture
def mixed(people: Any) -> dict[str, Any]:
    child, kp, now = people.child, people.keyperson1, timezone.now()
    general = [
        make_entry(
            child, kp, text=f"Painted picture number {n}.", occurred_at=now - timedelta(days=n)
        )
        for n in range(1, 6)
    ]
    other = people.other_child
    flagged = make_entry(
        child,
        kp,
        text=f"Shared the sand with {other.first_name} {other.last_name}.",
        occurred_at=now,
    )
    concern = make_entry(child, kp, category=Category.CONCERN, text="Tired and quiet all day.")
    cp = make_entry(
        child,
        people.lead,
        category=Category.CHILD_PROTECTION,
        text="The police called to arrange a joint visit with social care.",
    )
    return {"general": general, "flagged": flagged, "concern": concern, "cp": cp}


def test_unflagged_general_entries_are_disclosed_in_one_step_after_seeing_the_count(
    people, mixed, client_for
):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    client = client_for("deputy")
    detail = client.get(reverse("access_requests:detail", args=[sar.pk])).content.decode()
    assert "Disclose these 5 entries" in detail
    url = reverse("access_requests:disclose_general", args=[sar.pk])
    asking = client.post(url)
    assert asking.status_code == 200
    assert "Disclose 5 general entries at once?" in asking.content.decode()
    assert not sar.items.exclude(decision=Decision.PENDING).exists()  # nothing yet
    client.post(url, {"confirm": "yes"})
    decided = {i.source_id for i in sar.items.filter(decision=Decision.DISCLOSE)}
    assert decided == {e.pk for e in mixed["general"]}
    for one_by_one in (mixed["flagged"], mixed["concern"], mixed["cp"]):
        assert sar.items.get(source_id=one_by_one.pk).decision == Decision.PENDING


def test_the_serious_harm_test_says_whose_opinion_it_rests_on(people, mixed):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = sar.items.get(source_id=mixed["cp"].pk)
    withhold = dict(
        item=item,
        by=people.deputy.user,
        decision=Decision.WITHHOLD,
        exemption="serious_harm",
        note="Mum's safety.",
    )
    with pytest.raises(ValidationError) as refused:
        services.review_item(**withhold)
    assert "opinion_from" in refused.value.error_dict
    item.refresh_from_db()
    assert item.decision == Decision.PENDING
    services.review_item(**withhold, opinion_from="The allocated social worker, 3 May")
    item.refresh_from_db()
    assert item.opinion_from == "The allocated social worker, 3 May"
    concern = sar.items.get(source_id=mixed["concern"].pk)
    with pytest.raises(ValidationError) as refused:
        services.review_item(
            item=concern,
            by=people.deputy.user,
            decision=Decision.REDACT,
            passages=[services.PassageRedaction("Tired and quiet", "serious_harm", note="x")],
        )
    assert "passages.0.opinion_from" in refused.value.error_dict


def test_a_child_protection_record_prompts_its_exemptions_with_the_law_named(
    people, mixed, client_for
):
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = sar.items.get(source_id=mixed["cp"].pk)
    page = (
        client_for("deputy")
        .get(reverse("access_requests:item", args=[sar.pk, item.pk]))
        .content.decode()
    )
    assert "A child-protection record." in page
    assert "Child abuse data (DPA 2018 Sch. 3 Part 5)" in page
    assert "DPA 2018 Sch. 2 para 2" in page
    assert "this record mentions the police" in page
    general = sar.items.get(source_id=mixed["general"][0].pk)
    page = (
        client_for("deputy")
        .get(reverse("access_requests:item", args=[sar.pk, general.pk]))
        .content.decode()
    )
    assert "A child-protection record." not in page


@pytest.mark.django_db(transaction=True)
def test_words_selected_in_the_record_go_into_a_passage_row(page, people):
    entry = make_entry(
        people.child,
        people.keyperson1,
        category=Category.CONCERN,
        text="Mum said the landlord shouted at them on Friday.",
    )
    sar = confirmed(people)
    services.compile_bundle(sar=sar, by=people.deputy.user)
    item = sar.items.get(source_id=entry.pk)
    sign_in_browser(page, people.deputy.user)
    page.goto(f"/access-requests/{sar.pk}/items/{item.pk}/")
    check_page(page)
    # Select "the landlord shouted" in the record, as a person would with the mouse.
    page.evaluate(
        """() => {
          const p = document.querySelector('#item-text p');
          const node = p.firstChild;
          const start = node.textContent.indexOf('the landlord shouted');
          const range = document.createRange();
          range.setStart(node, start);
          range.setEnd(node, start + 'the landlord shouted'.length);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }"""
    )
    page.get_by_role("button", name="Redact the words I selected").click()
    first_row = page.locator("textarea[name='passages-0-passage']")
    assert first_row.input_value() == "the landlord shouted"
    assert page.locator("input[name='decision'][value='redact']").is_checked()
    page.locator("select[name='passages-0-exemption']").select_option("third_party")
    page.locator("textarea[name='passages-0-note']").fill("The landlord has not consented.")
    page.get_by_role("button", name="Save decision").click()
    page.get_by_text("Your decision on the item was saved").wait_for()
    item.refresh_from_db()
    assert item.decision == Decision.REDACT
    assert [r.passage for r in item.passages.all()] == ["the landlord shouted"]
