"""A child leaves; the setting's terms.

One action records the leaving (date, where to, why) and sets the child's leaving date, from which
(plus the grace period) only the Lead and Deputy see the child (records.policy.on_roll_q). The
Lead then works through a checklist: what becomes of the child-protection file and of the general
file (recorded), and what is still open about the child — entries the parents are still to be
told of, and what other apps report (open subject-access requests, sharing decisions waiting),
which they register here (``register_check``), as records may not import them.

The terms are the setting's own calendar: the first days of a new term start the clock for
sending a child-protection file on (``first_term_day_after``), and termly reviews count by them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.log import log_event
from core.http import uuid_or_404
from core.rules import raise_errors, require

from . import policy
from .events import Event
from .models import (
    IN_THE_FILE,
    Child,
    Destination,
    FileHandOver,
    Leaving,
    Level,
    ParentInformed,
    RecordEntry,
    Term,
)

# --- what is still open about a leaver -------------------------------------------------------


@dataclass(frozen=True)
class Open:
    """One thing still open about a leaver: what, how many, and where to see them."""

    what: str
    count: int
    url: str = ""


_checks: list[Callable[[Child], Open | None]] = []


def register_check(check: Callable[[Child], Open | None]) -> None:
    """Another app says what it has open about a child (consent: sharing decisions waiting;
    subject access: open requests): called with the child, it answers None when nothing is."""
    if check not in _checks:
        _checks.append(check)


def _parents_to_tell(child: Child) -> Open | None:
    count = RecordEntry.objects.filter(
        child=child, parent_informed=ParentInformed.TO_INFORM
    ).count()
    return Open("Entries the parents are still to be told of", count) if count else None


@dataclass(frozen=True)
class Checklist:
    leaving: Leaving
    cp_entries: int
    open_items: list[Open]

    @property
    def files_settled(self) -> bool:
        return FileHandOver.TO_DO not in (self.leaving.cp_file, self.leaving.general_file)

    @property
    def complete(self) -> bool:
        return self.files_settled and not self.open_items


def checklist(leaving: Leaving) -> Checklist:
    child = leaving.child
    found = [_parents_to_tell(child), *(check(child) for check in _checks)]
    return Checklist(
        leaving=leaving,
        cp_entries=RecordEntry.objects.filter(
            IN_THE_FILE, child=child, level=Level.CHILD_PROTECTION
        ).count(),
        open_items=[item for item in found if item is not None],
    )


# --- the action ------------------------------------------------------------------------------


@transaction.atomic
def record_leaving(
    *,
    by: User,
    child: Child,
    left_on: date,
    destination_kind: str,
    destination: str,
    reason: str,
) -> Leaving:
    """Record that a child leaves (or change what was recorded): the Lead or the Deputy."""
    require(policy.can_record_leaving(by))
    staff = policy.staff_of(by)
    assert staff is not None
    destination = destination.strip()
    errors: dict[str, str] = {}
    if left_on < child.started_on:
        errors["left_on"] = "The leaving date cannot be before the child started."
    if destination_kind in (Destination.SCHOOL, Destination.SETTING) and not destination:
        errors["destination"] = "Name the school or setting the child goes to."
    raise_errors(errors)
    existing = Leaving.objects.filter(child=child).first()
    changed = existing is not None
    leaving = existing or Leaving(child=child)
    if changed and (leaving.left_on, leaving.destination_kind, leaving.destination) != (
        left_on,
        destination_kind,
        destination,
    ):
        # What the checklist was completed for has changed: it is to be looked at again.
        leaving.checklist_done_at = None
        leaving.checklist_done_by = None
    leaving.left_on = left_on
    leaving.destination_kind = destination_kind
    leaving.destination = destination
    leaving.reason = reason
    leaving.recorded_by = staff
    leaving.recorded_at = timezone.now()
    if (
        leaving.cp_file == FileHandOver.TO_DO
        and not RecordEntry.objects.filter(
            IN_THE_FILE, child=child, level=Level.CHILD_PROTECTION
        ).exists()
    ):
        leaving.cp_file = FileHandOver.NONE_HELD
    leaving.save()
    child.left_on = left_on
    child.save(update_fields=["left_on"])
    log_event(
        actor=by,
        event=Event.LEAVING_CHANGED if changed else Event.LEAVING_RECORDED,
        obj=child,
        detail={"left_on": left_on.isoformat(), "destination": destination_kind},
    )
    return leaving


@transaction.atomic
def update_checklist(
    *, by: User, leaving: Leaving, cp_file: str, general_file: str, note: str
) -> Checklist:
    """The Lead records what became of the files; the checklist is done when both are settled
    and nothing is open."""
    require(policy.can_record_leaving(by))
    for name, value in (("cp_file", cp_file), ("general_file", general_file)):
        if value not in FileHandOver.values:
            raise ValidationError({name: "Choose one of the listed answers."})
    if (
        cp_file == FileHandOver.NONE_HELD
        and RecordEntry.objects.filter(
            IN_THE_FILE, child=leaving.child, level=Level.CHILD_PROTECTION
        ).exists()
    ):
        raise ValidationError(
            {"cp_file": "There are child-protection entries: say what became of the file."}
        )
    leaving.cp_file = cp_file
    leaving.general_file = general_file
    leaving.checklist_note = note.strip()
    found = checklist(leaving)
    if found.complete and leaving.checklist_done_at is None:
        leaving.checklist_done_at = timezone.now()
        leaving.checklist_done_by = policy.staff_of(by)
    elif not found.complete:
        leaving.checklist_done_at = None
        leaving.checklist_done_by = None
    leaving.save()
    log_event(
        actor=by,
        event=Event.LEAVING_CHECKLIST,
        obj=leaving.child,
        detail={"cp_file": cp_file, "general_file": general_file, "done": found.complete},
    )
    return checklist(leaving)


# --- terms -----------------------------------------------------------------------------------


@transaction.atomic
def add_term(*, by: User, name: str, starts_on: date, ends_on: date) -> Term:
    require(policy.can_manage_terms(by))
    errors: dict[str, str] = {}
    if ends_on < starts_on:
        errors["ends_on"] = "A term ends on or after the day it starts."
    elif Term.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).exists():
        errors["starts_on"] = "It overlaps a term already recorded."
    raise_errors(errors)
    term = Term.objects.create(name=name.strip(), starts_on=starts_on, ends_on=ends_on)
    log_event(actor=by, event=Event.TERM_ADDED, obj=term, detail={"starts_on": str(starts_on)})
    return term


@transaction.atomic
def remove_term(*, by: User, term: Term) -> None:
    require(policy.can_manage_terms(by))
    log_event(
        actor=by, event=Event.TERM_REMOVED, obj=term, detail={"starts_on": str(term.starts_on)}
    )
    term.delete()


def leaving_of(child: Child) -> Leaving | None:
    return Leaving.objects.filter(child=child).first()


def terms() -> list[Term]:
    return list(Term.objects.all())


def term_by_id(value: str) -> Term | None:
    """A term of the working setting by its id (None for another setting's; not an id: 404)."""
    return Term.objects.filter(pk=uuid_or_404(value)).first()


def term_of(day: date) -> Term | None:
    """The term a day falls in (None in a holiday, or when no terms are recorded)."""
    return Term.objects.filter(starts_on__lte=day, ends_on__gte=day).first()


def first_term_day_after(day: date) -> date | None:
    """The first day of the next term to start after ``day``."""
    return (
        Term.objects.filter(starts_on__gt=day)
        .order_by("starts_on")
        .values_list("starts_on", flat=True)
        .first()
    )
