"""Allegations against staff, and low-level concerns: recorded by anyone, then held apart.

- Whoever records one cannot read it back; the person accused cannot learn it exists — not from a
  list, a count, the dashboard, an audit page, a search or a subject-access file — and neither can
  anyone else but its handler (``policy.visible_allegations``): the Lead, or, when the Lead is
  accused, the safeguarding trustee (the chair reads it too).
- The handler refers an allegation to the LADO within one working day, records the LADO's advice,
  the strategy discussion, suspension or not, tells Ofsted within 14 days of an allegation of
  serious harm or abuse, and records the outcome, with the referral to the DBS where the duty
  applies (a substantiated allegation needs that decision before it is concluded).
- Each child named gets a placeholder in their chronology at child-protection level, that says
  nothing of the allegation and is never shown to the person accused (records.policy.entry_q).
- Its history is written to the audit log as events held apart (``audit.log.HELD_APART``): not on
  the setting's audit pages, shown on the allegation's own page to its handler.
- Kept until the accused's normal pension age or 10 years from the allegation, whichever is
  longer; removed at once when found malicious, and by the daily ``allegation_retention`` job when
  its time is up (a tombstone event, held apart, says that it was).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from access_requests.compile import StaffItem
from audit.labels import describe
from audit.log import HELD_APART, log_event
from core.http import uuid_or_404
from core.rules import blank, raise_errors, require
from records import policy as records_policy
from records.jobs import for_each_setting
from records.models import (
    Category,
    Child,
    Level,
    ParentInformed,
    RecordEntry,
    Setting,
    Staff,
)
from records.selectors import EntryNote

from . import policy
from .events import Event
from .models import (
    Allegation,
    AllegationKind,
    AllegationOutcome,
    DbsReferral,
    Suspension,
)

logger = logging.getLogger(__name__)

# What a placeholder says, to everyone who may read the child's child-protection entries except
# the person accused (who never sees it): the same words whoever is accused and whoever handles it.
PLACEHOLDER_TEXT = (
    "A record that names this child is kept apart from the chronology by whoever handles it. "
    "Nothing more of it is shown here; whoever handles it will tell you if you need to know."
)


def _held_apart(allegation: Allegation) -> dict[str, Any]:
    return {HELD_APART: str(allegation.pk)}


def _log(by: Any, event: str, allegation: Allegation, **detail: Any) -> None:
    log_event(actor=by, event=event, obj=allegation, detail={**_held_apart(allegation), **detail})


# --- recording ---------------------------------------------------------------------------------


def colleagues(user: Any) -> QuerySet[Staff]:
    """Whom an allegation may be about: anyone else with an active post here."""
    staff = records_policy.staff_of(user)
    if staff is None:
        return Staff.objects.none()
    return Staff.objects.filter(active=True).exclude(pk=staff.pk)


def children_to_name(user: Any) -> QuerySet[Child]:
    """The children the person recording may name: those they may already see."""
    return records_policy.visible_children(user)


@transaction.atomic
def record(
    *,
    by: User,
    accused: Staff,
    kind: str,
    what_alleged: str,
    occurred_on: date | None = None,
    serious_harm: bool = False,
    children: list[Child] | None = None,
) -> Allegation:
    reporter = records_policy.staff_of(by)
    require(reporter is not None and policy.can_record_allegation(by))
    assert reporter is not None  # require
    errors: dict[str, str] = {}
    if not colleagues(by).filter(pk=accused.pk).exists():
        errors["accused"] = "Choose the member of staff it is about."
    if blank(what_alleged):
        errors["what_alleged"] = "Say what happened or what was said, in the words you heard."
    if occurred_on is not None and occurred_on > timezone.localdate():
        errors["occurred_on"] = "The date cannot be in the future."
    named = list(children or [])
    if named and children_to_name(by).filter(pk__in=[c.pk for c in named]).count() != len(named):
        errors["children"] = "Choose children from the list."
    handler = policy.handler_for(accused)
    author = policy.handler_post(handler)
    if author is None and not errors:
        errors["accused"] = (
            "There is nobody on Confide to handle this (no safeguarding trustee or chair): "
            "telephone the LADO today, and tell the chair of trustees."
        )
    raise_errors(errors)
    assert author is not None
    allegation = Allegation.objects.create(
        accused=accused,
        reported_by=reporter,
        reported_at=timezone.now(),
        handler=handler,
        kind=kind,
        what_alleged=what_alleged.strip(),
        occurred_on=occurred_on,
        serious_harm=serious_harm and kind == AllegationKind.ALLEGATION,
    )
    _log(by, Event.ALLEGATION_RECORDED, allegation)
    for child in named:
        _add_placeholder(by, allegation, child, author)
    transaction.on_commit(lambda: _tell_the_handler(allegation.handler))
    return allegation


def _add_placeholder(by: Any, allegation: Allegation, child: Child, author: Staff) -> RecordEntry:
    # Written without a change row (the change would name the entry on the audit pages): its own
    # event, held apart, says it was made.
    with disable_auditlog():
        entry = RecordEntry(
            child=child,
            category=Category.CHILD_PROTECTION,
            level=Level.CHILD_PROTECTION,
            occurred_at=timezone.now(),
            author=author,
            text=PLACEHOLDER_TEXT,
            parent_informed=ParentInformed.NOT_REQUIRED,
            hidden_from=allegation.accused,
        )
        entry.save()
        allegation.placeholders.add(entry)
    _log(by, Event.ALLEGATION_CHILD_NAMED, allegation, entry=str(entry.pk))
    return entry


def _tell_the_handler(handler: str) -> None:
    """An email with no name and no content: that something needs them, and where."""
    post = policy.handler_post(handler)
    to = [post.user.email] if post is not None and post.user.email else []
    if not to:
        return
    body = render_to_string(
        "governance/emails/allegation_recorded.txt", {"setting": Setting.current()}
    )
    try:
        send_mail("Confide: something needs you today", body, None, to, fail_silently=False)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("The handler could not be emailed: %s", exc)


# --- handling ----------------------------------------------------------------------------------


def allegation_for(user: Any, value: Any) -> Allegation | None:
    """The allegation, if this person handles it; None for everyone else (a 404, never audited as
    a refusal: a refusal's row would name it)."""
    return (
        policy.visible_allegations(user)
        .select_related("accused", "reported_by")
        .filter(pk=uuid_or_404(value))
        .first()
    )


def _acting(by: User, allegation: Allegation) -> None:
    require(policy.can_act_on_allegation(by, allegation))


def _not_concluded(allegation: Allegation) -> None:
    if allegation.concluded_at is not None:
        raise ValidationError("This allegation is concluded: nothing more is recorded on it.")


@transaction.atomic
def refer_to_lado(
    *, by: User, allegation: Allegation, referred_at: datetime, reference: str = "", advice: str
) -> Allegation:
    _acting(by, allegation)
    _not_concluded(allegation)
    errors: dict[str, str] = {}
    if referred_at > timezone.now():
        errors["referred_at"] = "The referral cannot be in the future."
    elif referred_at < allegation.reported_at - timedelta(days=7):
        errors["referred_at"] = "The referral cannot be long before the allegation was recorded."
    if blank(advice):
        errors["advice"] = "Write down the LADO's advice (or 'awaiting advice')."
    raise_errors(errors)
    allegation.lado_referred_at = referred_at
    allegation.lado_reference = reference.strip()
    allegation.lado_advice = advice.strip()
    allegation.save()
    _log(by, Event.ALLEGATION_LADO_REFERRED, allegation)
    return allegation


@transaction.atomic
def record_strategy(
    *, by: User, allegation: Allegation, outcome: str, suspension: str, suspension_note: str = ""
) -> Allegation:
    _acting(by, allegation)
    _not_concluded(allegation)
    errors: dict[str, str] = {}
    if blank(outcome):
        errors["outcome"] = "Write down what the strategy discussion (or the LADO) decided."
    if suspension not in Suspension.values:
        errors["suspension"] = "Say whether the member of staff is suspended."
    elif suspension == Suspension.NOT_SUSPENDED and blank(suspension_note):
        errors["suspension_note"] = (
            "Say what keeps the children safe meanwhile (another role, supervision, leave)."
        )
    raise_errors(errors)
    allegation.strategy_outcome = outcome.strip()
    allegation.suspension = suspension
    allegation.suspension_note = suspension_note.strip()
    allegation.save()
    _log(by, Event.ALLEGATION_STRATEGY, allegation)
    return allegation


@transaction.atomic
def tell_ofsted(
    *, by: User, allegation: Allegation, told_at: datetime, reference: str = ""
) -> Allegation:
    _acting(by, allegation)
    errors: dict[str, str] = {}
    if told_at > timezone.now():
        errors["told_at"] = "The time cannot be in the future."
    raise_errors(errors)
    allegation.ofsted_told_at = told_at
    allegation.ofsted_reference = reference.strip()
    allegation.save()
    _log(by, Event.ALLEGATION_OFSTED_TOLD, allegation)
    return allegation


@transaction.atomic
def conclude(
    *,
    by: User,
    allegation: Allegation,
    outcome: str,
    note: str,
    dbs_referral: str = "",
    dbs_referred_at: datetime | None = None,
    accused_pension_on: date | None = None,
) -> Allegation | None:
    """Record the outcome. A malicious allegation is removed at once (None is returned): its
    placeholders go with it, and a tombstone event held apart says that it was."""
    _acting(by, allegation)
    _not_concluded(allegation)
    errors: dict[str, str] = {}
    if outcome not in AllegationOutcome.values:
        errors["outcome"] = "Choose the outcome."
    if blank(note):
        errors["note"] = "Say how the outcome was reached (with the LADO, an investigation)."
    if (
        allegation.kind == AllegationKind.ALLEGATION
        and allegation.lado_referred_at is None
        and outcome != AllegationOutcome.MALICIOUS
    ):
        errors["outcome"] = (
            "Record the referral to the LADO first: the outcome is agreed with them."
        )
    if outcome == AllegationOutcome.SUBSTANTIATED and dbs_referral not in DbsReferral.values:
        errors["dbs_referral"] = (
            "A substantiated allegation needs the decision on referring to the DBS (a legal duty "
            "where the person is removed from work with children, or would have been)."
        )
    if dbs_referral == DbsReferral.REFERRED and dbs_referred_at is None:
        errors["dbs_referred_at"] = "Give the date the DBS referral was made."
    if dbs_referred_at is not None and dbs_referred_at > timezone.now():
        errors["dbs_referred_at"] = "The date cannot be in the future."
    if allegation.ofsted_due_on is not None and allegation.ofsted_told_at is None:
        errors["outcome"] = "Ofsted must be told of an allegation of serious harm first."
    raise_errors(errors)
    if outcome == AllegationOutcome.MALICIOUS:
        remove(allegation, by=by, why="found malicious")
        return None
    allegation.outcome = outcome
    allegation.outcome_note = note.strip()
    allegation.dbs_referral = dbs_referral
    allegation.dbs_referred_at = dbs_referred_at if dbs_referral == DbsReferral.REFERRED else None
    allegation.accused_pension_on = accused_pension_on
    allegation.concluded_at = timezone.now()
    allegation.save()
    _log(by, Event.ALLEGATION_CONCLUDED, allegation, outcome=outcome)
    return allegation


def remove(allegation: Allegation, *, by: Any, why: str) -> None:
    """The allegation and its placeholders go, without change rows; one tombstone event, held
    apart, keeps that it existed and why it went (no words of it)."""
    entries = list(allegation.placeholders.values_list("pk", flat=True))
    with transaction.atomic(), disable_auditlog():
        allegation.placeholders.clear()
        RecordEntry.objects.filter(pk__in=entries).delete()
        _log(by, Event.ALLEGATION_REMOVED, allegation, why=why, placeholders=len(entries))
        allegation.delete()


# --- what the handler sees ----------------------------------------------------------------------


def open_clocks(user: Any) -> list[Allegation]:
    """The handler's open allegations whose LADO referral or Ofsted notice is still to do."""
    rows = policy.visible_allegations(user).filter(concluded_at__isnull=True)
    return [
        a
        for a in rows.select_related("accused")
        if (a.lado_due_at is not None and a.lado_referred_at is None)
        or (a.ofsted_due_on is not None and a.ofsted_told_at is None)
    ]


def placeholder_note(entry: RecordEntry, user: Any) -> list[EntryNote]:
    """Beside a placeholder, to whoever handles its allegation (and nobody else): the link to
    it."""
    if not entry.is_placeholder:
        return []
    found = policy.visible_allegations(user).filter(placeholders=entry).first()
    if found is None:
        return []
    return [
        EntryNote(
            "Held apart",
            f"This placeholder stands for {found.reference}, which you handle.",
            reverse("governance:allegation", args=[found.pk]),
        )
    ]


def staff_items(staff: Staff) -> list[StaffItem]:
    """For a member of staff's own subject-access request: each allegation about them that is
    kept, as an item for whoever handles the request (the allegation's handler too) to review
    with the exemptions — never who recorded it, which is a third party's."""
    items = []
    for found in Allegation.objects.filter(accused=staff).order_by("reported_at"):
        outcome = (
            f"Outcome: {found.get_outcome_display()} ({found.concluded_at:%d %B %Y})."
            if found.concluded_at
            else "Not yet concluded."
        )
        items.append(
            StaffItem(
                source_id=found.pk,
                occurred_at=found.reported_at,
                title=f"{found.get_kind_display().split(':')[0]} ({found.reference})",
                body=f"{found.what_alleged}\n\n{outcome}",
            )
        )
    return items


def children_named(allegation: Allegation) -> list[Child]:
    return [entry.child for entry in allegation.placeholders.select_related("child")]


@dataclass(frozen=True)
class Step:
    at: datetime
    what: str
    who: str


def history(allegation: Allegation) -> list[Step]:
    """The allegation's own events, held apart from the audit pages."""
    rows = (
        LogEntry.objects.filter(**{f"additional_data__{HELD_APART}": str(allegation.pk)})
        .select_related("actor")
        .order_by("timestamp")
    )
    return [
        Step(
            row.timestamp,
            describe(str((row.additional_data or {}).get("event") or ""), row.action),
            row.actor.get_username() if row.actor else "Confide",
        )
        for row in rows
    ]


def log_read(user: Any, allegation: Allegation, request: Any = None) -> None:
    log_event(
        actor=user,
        event=Event.ALLEGATION_READ,
        obj=allegation,
        request=request,
        detail=_held_apart(allegation),
    )


# --- retention ---------------------------------------------------------------------------------


def past_keeping(today: date | None = None) -> list[Allegation]:
    today = today or timezone.localdate()
    return [
        a for a in Allegation.objects.filter(concluded_at__isnull=False) if a.keep_until < today
    ]


def remove_past_keeping() -> int:
    removed = 0
    for allegation in past_keeping():
        remove(allegation, by=None, why="its keeping time ended")
        removed += 1
    return removed


def remove_past_keeping_every_setting() -> str:
    return for_each_setting(
        remove_past_keeping, name="Allegation retention", done="allegations past keeping removed"
    )
