"""Follow-up actions on a sharing decision or a referral, as on an entry: set by the Lead or the
Deputy for someone who may read the decision, with its level; the assignee completes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from records.models import Level
from safeguarding.models import Action

from ..consent.factories import propose

pytestmark = pytest.mark.django_db


def due() -> str:
    return (timezone.localdate() + timedelta(days=3)).isoformat()


def test_an_action_on_a_referral_goes_to_someone_who_may_read_it(people, client_for):
    referral = propose(
        people.child,
        people.lead,
        recipient_kind="s47",
        recipient_organisation="Exampleshire Children's Services",
        lsp_procedures="yes",
    )
    assert referral.level == Level.CHILD_PROTECTION
    lead = client_for("lead")
    url = reverse("safeguarding:decision_actions", args=[referral.pk])
    # The key person may not read a child-protection referral: not offered, refused if posted.
    response = lead.post(
        url, {"what": "Chase the duty team.", "assignee": people.keyperson1.pk, "due_on": due()}
    )
    assert response.status_code == 400
    assert Action.objects.count() == 0
    response = lead.post(
        url, {"what": "Chase the duty team.", "assignee": people.deputy.pk, "due_on": due()}
    )
    assert response.status_code == 302
    action = Action.objects.get()
    assert action.decision == referral and action.entry is None
    assert action.level == Level.CHILD_PROTECTION and action.child == people.child
    # The Deputy has it, and completes it.
    deputy = client_for("deputy")
    assert "Chase the duty team" in deputy.get(reverse("safeguarding:actions")).content.decode()
    done = deputy.post(
        reverse("safeguarding:action", args=[action.pk]), {"note": "Duty team replied."}
    )
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.done_by == people.deputy and action.done_note == "Duty team replied."


def test_an_action_on_a_sensitive_decision_reaches_the_key_person(people, client_for):
    decision = propose(people.child, people.keyperson1)
    lead = client_for("lead")
    url = reverse("safeguarding:decision_actions", args=[decision.pk])
    response = lead.post(
        url,
        {"what": "Tell mum what was shared.", "assignee": people.keyperson1.pk, "due_on": due()},
    )
    assert response.status_code == 302
    page = client_for("keyperson1").get(reverse("safeguarding:actions")).content.decode()
    assert "Tell mum what was shared" in page
    # Nobody else's "my actions" shows it.
    assert (
        "Tell mum"
        not in client_for("practitioner").get(reverse("safeguarding:actions")).content.decode()
    )
    # The decision's page links to its actions for the Lead.
    detail = lead.get(reverse("consent:decision_detail", args=[decision.pk])).content.decode()
    assert url in detail


def test_only_the_lead_and_deputy_set_actions_on_decisions(people, client_for):
    decision = propose(people.child, people.keyperson1)
    url = reverse("safeguarding:decision_actions", args=[decision.pk])
    body = {"what": "Anything.", "assignee": people.keyperson1.pk, "due_on": due()}
    for name in ("keyperson1", "practitioner", "office", "trustee", "chair"):
        client = client_for(name)
        assert client.get(url).status_code == 404, name
        assert client.post(url, body).status_code == 404, name
    assert Action.objects.count() == 0
