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
import smtplib
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from audit.log import log_event
from consent.working_days import one_working_day_after
from core import tenancy
from core.http import uuid_or_404
from core.rules import blank, raise_errors, require
from records import policy as records_policy
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


def recipients(alert: Alert) -> list[str]:
    people = {s.user.email for s in records_policy.managers().select_related("user")}
    if alert.urgent and alert.entry.setting.urgent_alert_address:
        people.add(alert.entry.setting.urgent_alert_address)
    return sorted(people - {""})


def send(alert_id: Any) -> bool:
    """Email the alert (in the alert's setting); record the attempt. True when sent."""
    alert = Alert.objects.select_related("entry__setting").filter(pk=alert_id).first()
    if alert is None or alert.sent_at is not None:
        return alert is not None
    to = recipients(alert)
    subject = (
        "Confide: URGENT — a new concern needs you now"
        if alert.urgent
        else "Confide: a new concern needs you"
    )
    body = render_to_string(
        "safeguarding/emails/alert.txt", {"alert": alert, "setting": Setting.current()}
    )
    try:
        if not to:
            raise smtplib.SMTPRecipientsRefused({})
        send_mail(subject, body, None, to, fail_silently=False)
    except (OSError, smtplib.SMTPException) as exc:
        Alert.objects.filter(pk=alert.pk).update(
            attempts=alert.attempts + 1,
            last_error=("nobody to send it to" if not to else type(exc).__name__)[:200],
        )
        logger.warning("Alert %s not sent: %s", alert.pk, exc)
        return False
    Alert.objects.filter(pk=alert.pk).update(
        sent_at=timezone.now(), attempts=alert.attempts + 1, last_error=""
    )
    return True


def retry() -> int:
    """Send the alerts still unsent (fewer than MAX_ATTEMPTS tries)."""
    unsent = Alert.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
    return sum(1 for pk in unsent.values_list("pk", flat=True) if send(pk))


def retry_every_setting() -> str:
    sent = failed = 0
    for setting_id in Setting.objects.values_list("pk", flat=True):
        with tenancy.working_in(setting_id):
            try:
                sent += retry()
            except Exception:  # one setting's failure never stops the others
                logger.exception("Alert retries for setting %s failed", setting_id)
                failed += 1
    return f"{sent} alerts sent again" + (f", {failed} settings failed" if failed else "")


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
