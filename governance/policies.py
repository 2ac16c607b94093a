"""The policy register: the setting's policies, each version kept, who reviewed and approved it,
and a reminder when a review is due (the Lead's dashboard, and an email 30 days before and on the
day)."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from access_requests.deadlines import add_calendar_months
from audit.log import log_event
from core.http import uuid_or_404
from core.rules import blank, raise_errors, require
from records import policy as records_policy
from records.jobs import for_each_setting
from records.models import Setting

from . import policy as rules
from .breaches import leaders
from .events import Event
from .models import Policy, PolicyVersion

logger = logging.getLogger(__name__)

SOON_DAYS = 30


def _check(text: str, adopted_on: date, approved_by: str, review_due_on: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if blank(text):
        errors["text"] = "Paste the policy's text as adopted."
    if adopted_on > timezone.localdate():
        errors["adopted_on"] = "The day it was adopted cannot be in the future."
    if blank(approved_by):
        errors["approved_by"] = "Say who approved it for the trustees (the chair, say)."
    if review_due_on <= adopted_on:
        errors["review_due_on"] = "The next review falls after the day it was adopted."
    return errors


@transaction.atomic
def add_policy(
    *,
    by: User,
    number: str,
    title: str,
    review_every_months: int,
    text: str,
    adopted_on: date,
    approved_by: str,
    review_due_on: date | None = None,
) -> Policy:
    require(rules.can_manage_policies(by))
    due = review_due_on or add_calendar_months(adopted_on, review_every_months)
    errors = _check(text, adopted_on, approved_by, due)
    if blank(number):
        errors["number"] = "Give the policy's number (10.9, say)."
    if blank(title):
        errors["title"] = "Give the policy's title."
    raise_errors(errors)
    try:
        with transaction.atomic():
            found = Policy.objects.create(
                number=number.strip(),
                title=title.strip(),
                review_every_months=review_every_months,
            )
    except IntegrityError:
        raise_errors({"number": "A policy with this number is in the register already."})
    _version(by, found, text, adopted_on, approved_by, due, "")
    return found


def _version(
    by: User,
    found: Policy,
    text: str,
    adopted_on: date,
    approved_by: str,
    review_due_on: date,
    note: str,
) -> PolicyVersion:
    staff = records_policy.staff_of(by)
    assert staff is not None
    version = PolicyVersion.objects.create(
        policy=found,
        text=text.strip(),
        adopted_on=adopted_on,
        reviewed_by=staff,
        approved_by=approved_by.strip(),
        review_due_on=review_due_on,
        note=note.strip(),
    )
    log_event(
        actor=by,
        event=Event.POLICY_REVIEWED,
        obj=found,
        detail={"number": found.number, "review_due_on": str(review_due_on)},
    )
    return version


@transaction.atomic
def review(
    *,
    by: User,
    found: Policy,
    text: str,
    adopted_on: date,
    approved_by: str,
    note: str = "",
    review_due_on: date | None = None,
) -> PolicyVersion:
    """A review makes a new version (the text changed or not); the old ones are kept."""
    require(rules.can_manage_policies(by))
    due = review_due_on or add_calendar_months(adopted_on, found.review_every_months)
    errors = _check(text, adopted_on, approved_by, due)
    latest = current(found)
    if latest is not None and adopted_on < latest.adopted_on:
        errors["adopted_on"] = "A review comes after the version it replaces."
    raise_errors(errors)
    return _version(by, found, text, adopted_on, approved_by, due, note)


def current(found: Policy) -> PolicyVersion | None:
    return found.versions.order_by("-adopted_on", "-created_at").first()


@dataclass(frozen=True)
class Row:
    policy: Policy
    version: PolicyVersion | None
    due_in_days: int | None

    @property
    def overdue(self) -> bool:
        return self.due_in_days is not None and self.due_in_days < 0

    @property
    def soon(self) -> bool:
        return self.due_in_days is not None and 0 <= self.due_in_days <= SOON_DAYS


def register(today: date | None = None) -> list[Row]:
    today = today or timezone.localdate()
    rows = []
    versions_only = Prefetch("versions", queryset=PolicyVersion.objects.defer("text"))
    for found in Policy.objects.prefetch_related(versions_only):
        versions = sorted(found.versions.all(), key=lambda v: (v.adopted_on, v.created_at))
        latest = versions[-1] if versions else None
        days = (latest.review_due_on - today).days if latest else None
        rows.append(Row(found, latest, days))
    return rows


def due_counts(today: date | None = None) -> tuple[int, int]:
    """Policies due for review within 30 days, and those overdue."""
    rows = register(today)
    return sum(r.soon for r in rows), sum(r.overdue for r in rows)


def versions_of(found: Policy) -> list[PolicyVersion]:
    return list(found.versions.select_related("reviewed_by"))


def policy_by_id(value: Any) -> Policy | None:
    return Policy.objects.filter(pk=uuid_or_404(value)).first()


def remind(today: date | None = None) -> int:
    """Email the Lead once when a review is 30 days away, and once when it is due."""
    today = today or timezone.localdate()
    to = leaders()
    if not to:
        return 0
    sent = 0
    for row in register(today):
        if row.version is None or row.due_in_days is None:
            continue
        due = [
            name
            for name, reached in (
                ("soon", row.due_in_days <= SOON_DAYS),
                ("due", row.due_in_days <= 0),
            )
            if reached and name not in row.version.reminders
        ]
        if not due:
            continue
        body = render_to_string(
            "governance/emails/policy_review.txt",
            {"row": row, "setting": Setting.current()},
        )
        try:
            when = "overdue" if row.overdue else "due today" if row.due_in_days == 0 else "due soon"
            send_mail(
                f"Policy {row.policy.number}: its review is {when}",
                body,
                None,
                to,
                fail_silently=False,
            )
        except (OSError, smtplib.SMTPException) as exc:
            logger.warning("A policy reminder could not be sent: %s", exc)
            continue
        PolicyVersion.objects.filter(pk=row.version.pk).update(
            reminders=[*row.version.reminders, *due]
        )
        sent += 1
    return sent


def remind_every_setting() -> str:
    return for_each_setting(remind, name="Policy reminders", done="policy review reminders sent")
