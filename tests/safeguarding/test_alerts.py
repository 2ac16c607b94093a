"""Alerts and triage: a concern or child-protection entry alerts the Lead and the Deputy at once,
by an email with no child's name and no content (urgent ones by the setting's urgent channel
too), through a task whose failures are tried again and then shown; the triage queue is theirs,
each alert acknowledged with a next step (no further action needs its reason; refer opens a
sharing decision); one not acknowledged a working day on is late on the dashboard."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from governance import allegations
from governance.models import AllegationKind
from records import services
from safeguarding import actions, alerts
from safeguarding.models import MAX_ATTEMPTS, Action, Alert

from ..conftest import sign_in

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
FRIDAY = datetime(2026, 12, 4, 15, 0, tzinfo=LONDON)
TEXT = "Bruise on the left cheek; said 'daddy was cross' when asked."


def concern(people: Any, *, urgent: bool = False, category: str = "concern") -> Any:
    return services.record_entry(
        child=people.child,
        author=people.keyperson1.user,
        category=category,
        occurred_at=timezone.now(),
        text=TEXT,
        urgent=urgent,
    )


def test_a_concern_alerts_the_lead_and_deputy_with_no_name_and_no_content(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = concern(people)
    alert = Alert.objects.get(entry=entry)
    assert alert.sent_at is not None and alert.attempts == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == sorted([people.lead.user.email, people.deputy.user.email])
    text = f"{message.subject} {message.body}"
    assert "a new concern needs you" in text
    for secret in (people.child.first_name, people.child.last_name, "Bruise", "cheek", "daddy"):
        assert secret not in text


def test_general_progress_raises_no_alert_nor_does_an_allegations_placeholder(people):
    concern(people, category="general")
    allegations.record(
        by=people.practitioner.user,
        accused=people.keyperson2,
        kind=AllegationKind.ALLEGATION,
        what_alleged="Shouted at a child.",
        children=[people.child],
    )
    assert not Alert.objects.exists()


def test_an_urgent_concern_goes_by_the_settings_urgent_channel_too(
    people, django_capture_on_commit_callbacks
):
    people.setting.urgent_alert_address = "dsl-phone@example.test"
    people.setting.save()
    with django_capture_on_commit_callbacks(execute=True):
        concern(people, urgent=True)
    leaders, channel = mail.outbox
    assert "URGENT" in leaders.subject and "URGENT" in channel.subject
    assert "dsl-phone@example.test" not in leaders.to
    # A message of its own: the gateway sees no one's address but its own.
    assert channel.to == ["dsl-phone@example.test"]


def test_a_failed_send_is_tried_again_and_then_shown_as_failed(
    people, client, django_capture_on_commit_callbacks
):
    with (
        mock.patch("safeguarding.alerts.send_mail", side_effect=smtplib.SMTPServerDisconnected()),
        django_capture_on_commit_callbacks(execute=True),
    ):
        entry = concern(people)
    alert = Alert.objects.get(entry=entry)
    assert alert.sent_at is None and alert.attempts == 1
    assert alert.last_error == "SMTPServerDisconnected"
    # The retry leaves it to its own task for two minutes; then tries it again.
    assert alerts.retry() == 0
    alert.refresh_from_db()
    assert alert.attempts == 1
    Alert.objects.filter(pk=alert.pk).update(raised_at=timezone.now() - timedelta(minutes=5))
    with mock.patch("safeguarding.alerts.send_mail", side_effect=OSError("refused")):
        for _ in range(MAX_ATTEMPTS):
            alerts.retry()
    alert.refresh_from_db()
    assert alert.attempts == MAX_ATTEMPTS and alert.send_failed
    sign_in(client, people.lead.user)
    assert "Not delivered" in client.get(reverse("safeguarding:triage")).content.decode()
    dashboard = client.get(reverse("home:dashboard")).content.decode()
    assert "concern alerts that could not be emailed" in dashboard
    # The mail server is back: the retry job does not resend one given up on; nothing is lost
    # either — it stays on the queue to triage.
    assert alerts.retry() == 0
    assert not mail.outbox


def test_the_triage_queue_is_the_lead_and_deputys(people, client):
    entry = concern(people)
    alert = Alert.objects.get(entry=entry)
    sign_in(client, people.keyperson1.user)
    assert client.get(reverse("safeguarding:triage")).status_code == 404
    url = reverse("safeguarding:triage_item", args=[alert.pk])
    refused = client.post(url, {"next_step": "monitor"})
    assert refused.status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    client.logout()
    sign_in(client, people.deputy.user)
    queue = client.get(reverse("safeguarding:triage")).content.decode()
    assert people.child.full_name in queue and "New" in queue
    # Seen now: no longer new on the next visit.
    assert "<strong>New</strong>" not in client.get(reverse("safeguarding:triage")).content.decode()


def test_no_further_action_needs_its_reason(people, client):
    alert = Alert.objects.get(entry=concern(people))
    sign_in(client, people.lead.user)
    url = reverse("safeguarding:triage_item", args=[alert.pk])
    refused = client.post(url, {"next_step": "nfa", "reason": "  "})
    assert refused.status_code == 400 and 'class="error-summary"' in refused.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    done = client.post(url, {"next_step": "nfa", "reason": "Fell at the park; mum told us."})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == people.lead and alert.next_step == "nfa"
    assert alert.reason == "Fell at the park; mum told us."


def test_refer_opens_a_sharing_decision_for_the_child(people, client):
    alert = Alert.objects.get(entry=concern(people))
    sign_in(client, people.lead.user)
    done = client.post(reverse("safeguarding:triage_item", args=[alert.pk]), {"next_step": "refer"})
    assert done["Location"] == reverse("consent:decision_create", args=[people.child.pk])


def test_unacknowledged_a_working_day_on_is_late_on_the_dashboard(people, client, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: FRIDAY)
    alert = Alert.objects.get(entry=concern(people))
    alert.raised_at = FRIDAY
    alert.save()
    sign_in(client, people.lead.user)
    assert alerts.counts(people.lead.user) == (1, 0, 0)
    monday = datetime(2026, 12, 7, 15, 1, tzinfo=LONDON)
    monkeypatch.setattr(timezone, "now", lambda: monday)
    assert alerts.counts(people.lead.user) == (1, 1, 0)
    assert alerts.is_late(alert, monday)


# --- follow-up actions ---------------------------------------------------------------------------


def test_an_action_goes_to_someone_who_may_read_its_entry_and_is_done_with_a_note(people, client):
    entry = concern(people)  # sensitive: the Lead, the Deputy and the key person read it
    alert = Alert.objects.get(entry=entry)
    sign_in(client, people.lead.user)
    url = reverse("safeguarding:triage_item", args=[alert.pk])
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    # The room practitioner may not read a concern: refused, nothing made.
    refused = client.post(
        url,
        {
            "step": "action",
            "what": "Talk to mum at collection.",
            "assignee": people.practitioner.pk,
            "due_on": due,
        },
    )
    assert refused.status_code == 400 and not Action.objects.exists()
    made = client.post(
        url,
        {
            "step": "action",
            "what": "Talk to mum at collection.",
            "assignee": people.keyperson1.pk,
            "due_on": due,
        },
    )
    assert made.status_code == 302
    action = Action.objects.get()
    assert action.level == entry.level and action.assignee == people.keyperson1
    client.logout()
    # The key person sees it on their dashboard and completes it; the practitioner cannot see it.
    sign_in(client, people.keyperson1.user)
    assert "Talk to mum at collection." in client.get(reverse("home:dashboard")).content.decode()
    detail = reverse("safeguarding:action", args=[action.pk])
    assert client.post(detail, {"note": " "}).status_code == 400
    assert client.post(detail, {"note": "Mum says he fell off the sofa."}).status_code == 302
    action.refresh_from_db()
    assert action.done_by == people.keyperson1 and action.done_at is not None
    client.logout()
    sign_in(client, people.practitioner.user)
    assert client.get(detail).status_code == 404


def test_overdue_actions_reach_the_lead(people, client):
    entry = concern(people)
    action = actions.set_action(
        by=people.lead.user,
        entry=entry,
        what="Ask the health visitor.",
        assignee=people.keyperson1,
        due_on=timezone.localdate(),
    )
    assert actions.overdue(people.lead.user) == []
    later = timezone.localdate() + timedelta(days=2)
    assert actions.overdue(people.lead.user, later) == [action]
    assert actions.overdue(people.keyperson1.user, later) == []


def test_the_task_and_the_retry_never_both_send_it(people, django_capture_on_commit_callbacks):
    entry = concern(people)  # no commit: its task has not run
    alert = Alert.objects.get(entry=entry)
    Alert.objects.filter(pk=alert.pk).update(raised_at=timezone.now() - timedelta(minutes=5))
    # The task claims it (attempts 0 -> 1) between the retry's read and its own claim.
    stale = Alert.objects.get(pk=alert.pk)
    Alert.objects.filter(pk=alert.pk).update(attempts=1)
    with mock.patch("safeguarding.alerts.Alert.objects.select_related") as read:
        read.return_value.filter.return_value.first.return_value = stale
        assert alerts.send(alert.pk) is False
    assert not mail.outbox


def test_an_acknowledged_alert_is_not_emailed_late_and_a_broken_one_stops_no_other(people):
    first, second = concern(people), concern(people)
    Alert.objects.update(raised_at=timezone.now() - timedelta(minutes=5))
    Alert.objects.filter(entry=first).update(acknowledged_at=timezone.now())
    with mock.patch("safeguarding.alerts.send_mail", side_effect=ValueError("bad header")):
        assert alerts.retry() == 0
    broken = Alert.objects.get(entry=second)
    assert broken.attempts == 1 and broken.last_error == "ValueError"
    assert Alert.objects.get(entry=first).attempts == 0
    assert alerts.retry() == 1
    assert [m.to for m in mail.outbox] == [
        sorted([people.lead.user.email, people.deputy.user.email])
    ]
