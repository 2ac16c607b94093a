"""Follow-up actions: what, who (a member of staff who may read what it hangs on: an entry, or a
sharing decision or referral), by when. The assignee sees them on their dashboard ("My actions")
and at ``/actions/``; overdue ones reach the Lead and the Deputy; completion is recorded with a
note. An action has the level of what it hangs on: only those who may read that see it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.log import log_event
from consent import policy as consent_policy
from consent.models import SharingDecision
from core.http import uuid_or_404
from core.rules import blank, raise_errors, require
from records import policy as records_policy
from records.models import RecordEntry, Staff

from . import policy
from .events import Event
from .models import Action

Subject = RecordEntry | SharingDecision


def _reads(user: Any, subject: Subject) -> bool:
    if isinstance(subject, SharingDecision):
        return consent_policy.visible_decisions(user).filter(pk=subject.pk).exists()
    return records_policy.visible_entries(user).filter(pk=subject.pk).exists()


def possible_assignees(subject: Subject) -> QuerySet[Staff]:
    """Active staff who work with children and may read the entry or decision (so may see the
    action)."""
    readers = [
        staff.pk
        for staff in records_policy.staff_working_with_children().select_related("user")
        if _reads(staff.user, subject)
    ]
    return Staff.objects.filter(pk__in=readers)


@transaction.atomic
def set_action(
    *,
    by: Any,
    what: str,
    assignee: Staff,
    due_on: date,
    entry: RecordEntry | None = None,
    decision: SharingDecision | None = None,
) -> Action:
    staff = records_policy.staff_of(by)
    subject = entry if entry is not None else decision
    require(staff is not None and subject is not None and policy.can_set_actions(by))
    assert subject is not None
    require(_reads(by, subject))
    errors: dict[str, str] = {}
    if blank(what):
        errors["what"] = "Say what is to be done."
    if not possible_assignees(subject).filter(pk=assignee.pk).exists():
        errors["assignee"] = f"Choose someone who may read this {_name(subject)}."
    if due_on < timezone.localdate():
        errors["due_on"] = "The date it is due cannot be in the past."
    raise_errors(errors)
    action = Action(
        entry=entry,
        decision=decision if entry is None else None,
        what=what.strip(),
        assignee=assignee,
        due_on=due_on,
        set_by=staff,
    )
    action.save()
    log_event(actor=by, event=Event.ACTION_SET, obj=action)
    return action


def _name(subject: Subject) -> str:
    return "decision" if isinstance(subject, SharingDecision) else "entry"


def visible_actions(user: Any) -> QuerySet[Action]:
    """The actions on entries and decisions the person may read: all of them for the Lead and the
    Deputy, their own for anyone else."""
    staff = records_policy.staff_of(user)
    if staff is None:
        return Action.objects.none()
    readable = Action.objects.filter(
        Q(entry__in=records_policy.visible_entries(user))
        | Q(decision__in=consent_policy.visible_decisions(user))
    )
    if policy.can_set_actions(user):
        return readable
    return readable.filter(assignee=staff)


def my_actions(user: Any) -> list[Action]:
    staff = records_policy.staff_of(user)
    if staff is None:
        return []
    return list(
        visible_actions(user)
        .filter(assignee=staff, done_at__isnull=True)
        .select_related("entry__child", "decision__child")
    )


def overdue(user: Any, today: date | None = None) -> list[Action]:
    """For the Lead and the Deputy: every open action past its date."""
    if not policy.can_set_actions(user):
        return []
    today = today or timezone.localdate()
    return list(
        visible_actions(user)
        .filter(done_at__isnull=True, due_on__lt=today)
        .select_related("entry__child", "decision__child", "assignee")
    )


def action_for(user: Any, value: Any) -> Action | None:
    return (
        visible_actions(user)
        .select_related("entry__child", "decision__child", "assignee", "set_by", "done_by")
        .filter(pk=uuid_or_404(value))
        .first()
    )


def on_entry(user: Any, entry: RecordEntry) -> list[Action]:
    return list(visible_actions(user).filter(entry=entry).select_related("assignee"))


def on_decision(user: Any, decision: SharingDecision) -> list[Action]:
    return list(visible_actions(user).filter(decision=decision).select_related("assignee"))


@transaction.atomic
def complete(*, by: Any, action: Action, note: str) -> Action:
    staff = records_policy.staff_of(by)
    require(staff is not None and visible_actions(by).filter(pk=action.pk).exists())
    assert staff is not None  # require
    require(action.assignee_id == staff.pk or policy.can_set_actions(by))
    errors: dict[str, str] = {}
    if action.done_at is not None:
        errors["note"] = "This action is done already."
    elif blank(note):
        errors["note"] = "Say what was done."
    raise_errors(errors)
    done = Action.objects.filter(pk=action.pk, done_at__isnull=True).update(
        done_at=timezone.now(), done_by=staff
    )
    if not done:
        raise_errors({"note": "This action is done already."})
    action.refresh_from_db()
    action.done_note = note.strip()
    action.save(update_fields=["done_note"])
    log_event(actor=by, event=Event.ACTION_DONE, obj=action)
    return action
