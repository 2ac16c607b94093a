"""Alerts and triage: the first half of the safeguarding lead's day.

- A concern or a child-protection entry (its category, or the child-protection level) raises an
  alert as it is written (``records.signals.entry_recorded``, in the entry's transaction).
- The Lead and the Deputy are emailed at once, through a task (``tasks.send_alert``): no child's
  name and no content, only that a new concern needs them and where. An urgent one (the author's
  tick) goes also to the setting's urgent channel (``Setting.urgent_alert_address``). A failed
  send is tried again every five minutes (``alert_retry``), up to five times; then it shows as
  failed on the triage queue and the dashboard.
- The triage queue (``/triage/``, the Lead and the Deputy) lists what waits, urgent first, then by
  level, marking what came since the person last looked; each alert is acknowledged (by whom,
  when) with a next step — no further action (with the reason), monitor, early help, consult,
  refer (which opens a sharing decision for the child). One not acknowledged a working day after
  it was raised turns red on the dashboard.
- An allegation's placeholder is written without ``record_entry``: it raises no alert.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from audit.log import log_event
from consent.working_days import one_working_day_after
from core.http import uuid_or_404
from core.rules import blank, raise_errors, require
from records import policy as records_policy
from records.jobs import for_each_setting
from records.models import Category, Level, RecordEntry, Setting

from . import policy, tasks
from .events import Event
from .models import MAX_ATTEMPTS, Alert, NextStep, TriageVisit

logger = logging.getLogger(__name__)

ALERTING_CATEGORIES = (Category.CONCERN, Category.CHILD_PROTECTION)


def raises_alert(entry: RecordEntry) -> bool:
    return entry.category in ALERTING_CATEGORIES or entry.level >= Level.CHILD_PROTECTION


def on_entry_recorded(sender: Any, *, entry: RecordEntry, urgent: bool = False, **_: Any) -> None:
    if entry.is_placeholder or not raises_alert(entry):
        return
    alert = Alert.objects.create(entry=entry, urgent=urgent)
    # The email goes once the entry is committed (a rolled-back entry alerts nobody).
    transaction.on_commit(lambda: _enqueue(alert))


def _enqueue(alert: Alert) -> None:
    try:
        tasks.send_alert.enqueue(str(alert.pk), str(alert.setting_id))
    except Exception:  # the queue being down never loses the alert: alert_retry sends it
        logger.exception("The alert %s could not be queued", alert.pk)


def leaders(alert: Alert) -> list[str]:
    """The Lead and the Deputy (a Deputy may be acting Lead)."""
    return records_policy.manager_emails()


def send(alert_id: Any) -> bool:
    """Email the alert, once: the Lead and the Deputy, and for an urgent one the setting's urgent
    channel, as a message of its own (the gateway sees no one's address but its own). Each try is
    claimed first by a conditional update of the attempt count, so the task and the retry job
    never both send it; each part, once sent, is not sent again. True when every part is sent."""
    alert = Alert.objects.select_related("entry__setting").filter(pk=alert_id).first()
    if alert is None:
        return False
    if alert.sent_at is not None:
        return True
    claimed = Alert.objects.filter(
        pk=alert.pk, sent_at__isnull=True, attempts=alert.attempts
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return False  # another worker is sending it now
    subject = (
        "Confide: URGENT — a new concern needs you now"
        if alert.urgent
        else "Confide: a new concern needs you"
    )
    body = render_to_string(
        "safeguarding/emails/alert.txt", {"alert": alert, "setting": Setting.current()}
    )
    now = timezone.now()
    changes: dict[str, Any] = {}
    errors: list[str] = []
    if alert.leaders_sent_at is None:
        to = leaders(alert)
        try:
            if not to:
                raise ValueError("nobody to send it to")
            send_mail(subject, body, None, to, fail_silently=False)
            changes["leaders_sent_at"] = now
        except Exception as exc:  # any failure is recorded and tried again, never lost
            errors.append("nobody to send it to" if not to else type(exc).__name__)
            logger.warning("Alert %s not sent: %s", alert.pk, exc)
    channel = alert.entry.setting.urgent_alert_address if alert.urgent else ""
    if channel and alert.urgent_sent_at is None:
        try:
            send_mail(subject, body, None, [channel], fail_silently=False)
            changes["urgent_sent_at"] = now
        except Exception as exc:  # likewise, for the urgent channel on its own
            errors.append(f"urgent channel: {type(exc).__name__}")
            logger.warning("Alert %s not sent to the urgent channel: %s", alert.pk, exc)
    leaders_done = alert.leaders_sent_at is not None or "leaders_sent_at" in changes
    urgent_done = not channel or alert.urgent_sent_at is not None or "urgent_sent_at" in changes
    done = leaders_done and urgent_done
    changes["last_error"] = "" if done else "; ".join(errors)[:200]
    if done:
        changes["sent_at"] = now
    Alert.objects.filter(pk=alert.pk).update(**changes)
    return done


# A retry leaves an alert alone this long after it was raised: its own task is sending it.
RETRY_AFTER = timedelta(minutes=2)


def retry() -> int:
    """Send the alerts still unsent (fewer than MAX_ATTEMPTS tries, not yet acknowledged: the
    Lead who triaged it from the queue needs no email), each on its own."""
    unsent = Alert.objects.filter(
        sent_at__isnull=True,
        attempts__lt=MAX_ATTEMPTS,
        acknowledged_at__isnull=True,
        raised_at__lt=timezone.now() - RETRY_AFTER,
    )
    sent = 0
    for pk in unsent.values_list("pk", flat=True):
        try:
            sent += send(pk)
        except Exception:  # one alert's failure never stops the others
            logger.exception("Alert %s could not be retried", pk)
    return sent


def retry_every_setting() -> str:
    return for_each_setting(retry, name="Alert retries", done="alerts sent again")


# --- the triage queue ---------------------------------------------------------------------------


def _visible(user: Any) -> QuerySet[Alert]:
    if not policy.can_triage(user):
        return Alert.objects.none()
    return Alert.objects.filter(entry__in=records_policy.visible_entries(user))


def queue(user: Any) -> list[Alert]:
    """What waits (urgent first, then by level, oldest first), then the last 30 days' done."""
    since = timezone.now() - timedelta(days=30)
    rows = (
        _visible(user)
        .filter(Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=since))
        .select_related("entry__child", "entry__author", "acknowledged_by")
        .annotate(
            waiting=Case(
                When(acknowledged_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("waiting", "-urgent", "-entry__level", "raised_at")
    )
    return list(rows)


def last_seen(user: Any) -> datetime | None:
    staff = records_policy.staff_of(user)
    visit = TriageVisit.objects.filter(staff=staff).first() if staff else None
    return visit.seen_at if visit else None


def seen_now(user: Any) -> None:
    staff = records_policy.staff_of(user)
    if staff is not None:
        TriageVisit.objects.update_or_create(staff=staff, defaults={"seen_at": timezone.now()})


def alert_for(user: Any, value: Any) -> Alert | None:
    return (
        _visible(user)
        .select_related("entry__child", "entry__author", "acknowledged_by")
        .filter(pk=uuid_or_404(value))
        .first()
    )


def is_late(alert: Alert, now: datetime | None = None) -> bool:
    """Not acknowledged a working day after it was raised."""
    return alert.acknowledged_at is None and (now or timezone.now()) > one_working_day_after(
        alert.raised_at
    )


@transaction.atomic
def acknowledge(*, by: Any, alert: Alert, next_step: str, reason: str = "") -> Alert:
    staff = records_policy.staff_of(by)
    require(staff is not None and policy.can_triage(by))
    require(_visible(by).filter(pk=alert.pk).exists())
    errors: dict[str, str] = {}
    if alert.acknowledged_at is not None:
        raise ValidationError("This concern was acknowledged already.")
    if next_step not in NextStep.values:
        errors["next_step"] = "Choose the next step."
    elif next_step == NextStep.NO_FURTHER_ACTION and blank(reason):
        errors["reason"] = "Say why no further action is needed: it is what an inspector asks."
    raise_errors(errors)
    done = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=staff, next_step=next_step
    )
    if not done:
        raise ValidationError("This concern was acknowledged already.")
    alert.refresh_from_db()
    alert.reason = reason.strip()
    alert.save(update_fields=["reason"])
    log_event(actor=by, event=Event.ALERT_ACKNOWLEDGED, obj=alert, detail={"next_step": next_step})
    return alert


def counts(user: Any, now: datetime | None = None) -> tuple[int, int, int]:
    """For the dashboard: waiting, late (over a working day), emails that could not be sent."""
    waiting = list(_visible(user).filter(acknowledged_at__isnull=True))
    late = sum(1 for a in waiting if is_late(a, now))
    failed = sum(1 for a in waiting if a.send_failed)
    return len(waiting), late, failed
