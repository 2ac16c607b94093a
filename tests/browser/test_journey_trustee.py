"""Journey: the Deputy records an allegation against the Lead; the Lead, signing in next, finds
nothing of it; the safeguarding trustee sees its clocks on the dashboard, opens it, records the
referral to the LADO and that Ofsted was told; the chair reads it and cannot act on it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from governance.models import Allegation, Handler

from .conftest import check_page, sign_in_browser, sign_out_browser, type_datetime

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = "Said at collection that the Lead grabbed her son by the arm in the cloakroom."


def test_an_allegation_against_the_lead_goes_to_the_trustee_and_not_the_lead(page, people):
    # The Deputy records it, naming the child.
    sign_in_browser(page, people.deputy.user)
    page.goto("/")
    page.get_by_role("link", name="Concern about staff").click()
    page.get_by_role("heading", name="A concern about a member of staff").wait_for()
    check_page(page)
    page.get_by_label("Who it is about").select_option(
        label=f"{people.lead.full_name} (Lead Practitioner)"
    )
    page.get_by_label("An allegation:", exact=False).check()
    page.get_by_label("What happened or what was said", exact=False).fill(WORDS)
    page.get_by_label("It is an allegation of serious harm or abuse of a child").check()
    page.get_by_label(people.child.full_name).check()
    page.get_by_role("button", name="Record it").click()
    page.get_by_text("It has gone to the person who handles it").wait_for()
    made = Allegation.objects.get()
    assert made.handler == Handler.TRUSTEE
    # The Deputy cannot read it back.
    assert page.goto(f"/allegations/{made.pk}/").status == 404
    sign_out_browser(page)

    # The Lead finds nothing: not on the dashboard, the list, or the child's page.
    sign_in_browser(page, people.lead.user)
    page.goto("/")
    assert WORDS not in page.content() and made.reference not in page.content()
    page.goto("/allegations/")
    assert made.reference not in page.content()
    page.goto(f"/children/{people.child.pk}/")
    assert "kept apart" not in page.content()
    assert page.goto(f"/allegations/{made.pk}/").status == 404
    sign_out_browser(page)

    # The safeguarding trustee: the clocks on the dashboard, then the allegation.
    sign_in_browser(page, people.trustee.user)
    page.goto("/")
    panel = page.get_by_role("region", name="For the trustees")
    assert "1 allegations of serious harm Ofsted must be told of" in " ".join(
        panel.inner_text().split()
    )
    check_page(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Allegations").click()
    page.get_by_role("link", name=made.reference).click()
    page.get_by_text(WORDS).wait_for()
    check_page(page)
    page.get_by_label("When it was referred to the LADO").focus()
    type_datetime(page, timezone.localtime())
    page.get_by_label("The LADO's reference").fill("LADO-77")
    page.get_by_label("The LADO's advice").fill(
        "Strategy discussion tomorrow; the Lead to step back."
    )
    page.get_by_role("button", name="Record the referral").click()
    page.get_by_text("Referred").first.wait_for()
    page.get_by_label("When Ofsted was told").focus()
    type_datetime(page, timezone.localtime())
    page.get_by_role("button", name="Record that Ofsted was told").click()
    page.get_by_text("Told").first.wait_for()
    made.refresh_from_db()
    assert made.lado_reference == "LADO-77" and made.ofsted_told_at is not None
    sign_out_browser(page)

    # The chair reads it; no form to act on it.
    sign_in_browser(page, people.chair.user)
    page.goto(f"/allegations/{made.pk}/")
    page.get_by_text(WORDS).wait_for()
    assert page.get_by_role("button", name="Record the outcome").count() == 0
    check_page(page)
