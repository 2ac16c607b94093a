"""How long each record is kept: computed, never stored, from the retention schedule (the
RetentionRule table, with a source for each line) and the dates it counts from — so a changed
leaving date or date of birth changes it at once.

- A child-protection entry (at child-protection level, or a child-protection action): until the
  child's 25th birthday. An accident or injury: until 21 years 3 months. Every entry, and the
  child's register row: 3 years after the child leaves. Where rules overlap for one record, the
  longest wins; while a rule's starting day is unknown (the child has not left), so is the date.
- A child's consent and sharing records follow the child's file: the latest date of any record in
  it (other apps register their kinds here: ``register_kind``).
- A member of staff's post and their confidential records: 6 years after employment ends; a DBS
  record (a copy of a certificate): 6 months after it was made.

A day that does not exist in the month a period ends in (a child born on 29 February, a record
made on 31 August plus six months) counts as the first day of the month after — 1 March — so
nothing is ever destroyed early.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from audit.log import log_event
from core.http import uuid_or_404
from core.rules import raise_errors, require

from . import policy
from .events import Event
from .models import (
    IN_THE_FILE,
    Category,
    Child,
    ChildFlag,
    Family,
    LegalHold,
    Level,
    RecordEntry,
    RetentionAnchor,
    RetentionRule,
    Staff,
    StaffRecord,
    StaffRecordKind,
)

CHILD_PROTECTION = "child_protection"
ACCIDENT = "accident_injury"
GENERAL = "general"
STAFF = "staff_personnel"
DBS = "dbs_copy"
SUBJECT_ACCESS = "subject_access"


def add_period(start: date, years: int = 0, months: int = 0) -> date:
    """``start`` plus a whole number of years and months; when the month it lands in lacks the
    day, the first day of the month after (29 February plus a year is 1 March)."""
    index = start.month - 1 + months
    year, month = start.year + years + index // 12, index % 12 + 1
    if start.day <= calendar.monthrange(year, month)[1]:
        return date(year, month, start.day)
    return date(year + month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class Kept:
    """A record's retention: the rule that keeps it longest, and until when (None while the day it
    counts from is not known yet)."""

    rule: str
    until: date | None


# The lines as shipped (records/migrations/0017 writes the same): where a line is missing from
# the table (a database emptied by a test's flush, say), the shipped one stands, so no record
# ever goes without a rule.
SHIPPED = {
    CHILD_PROTECTION: (
        "Child-protection file (entries at child-protection level, and child-protection actions)",
        RetentionAnchor.BIRTH,
        25,
        0,
        "Until the child's 25th birthday (IRMS schools toolkit; older guidance says 24).",
    ),
    ACCIDENT: (
        "Accident and injury records",
        RetentionAnchor.BIRTH,
        21,
        3,
        "Until the child is 21 years and 3 months old (Limitation Act 1980: three years after the "
        "18th birthday, plus a margin).",
    ),
    GENERAL: (
        "General records of a child (the file, consent and sharing records with it)",
        RetentionAnchor.LEAVING,
        3,
        0,
        'The EYFS asks for "a reasonable period" after leaving; 3 years is common practice.',
    ),
    STAFF: (
        "Staff personnel files",
        RetentionAnchor.EMPLOYMENT_END,
        6,
        0,
        "6 years after employment ends (common practice; IRMS toolkit).",
    ),
    DBS: (
        "A copy of a DBS certificate (its number and date stay on the personnel file)",
        RetentionAnchor.MADE,
        0,
        6,
        "6 months; the certificate's number and date stay on the personnel file.",
    ),
    SUBJECT_ACCESS: (
        "Subject-access files and released copies",
        RetentionAnchor.CLOSED,
        1,
        0,
        "1 year after the request is closed: the setting's choice, for a complaint to the ICO.",
    ),
}


def _rules() -> dict[str, RetentionRule]:
    found = {rule.code: rule for rule in RetentionRule.objects.all()}
    for code, (applies_to, anchor, years, months, source) in SHIPPED.items():
        if code not in found:
            found[code] = RetentionRule(
                code=code,
                applies_to=applies_to,
                anchor=anchor,
                years=years,
                months=months,
                source=source,
            )
    return found


def rule_table() -> dict[str, RetentionRule]:
    """The schedule's lines by code (the shipped ones where the table lacks a line)."""
    return _rules()


@transaction.atomic
def change_rule(*, by: User, code: str, years: int, months: int, reason: str) -> RetentionRule:
    """The Lead changes one line of the schedule, with a reason kept beside it and audited. Every
    record's date follows at once (they are computed)."""
    require(policy.can_manage_holds(by))
    errors: dict[str, str] = {}
    if code not in SHIPPED:
        errors["rule"] = "Choose one of the schedule's lines."
    if not reason.strip():
        errors["change_reason"] = (
            "Say why the period changes (the guidance, or the setting's decision)."
        )
    if not years and not months:
        errors["years"] = "A record is kept for some time: at least a month."
    raise_errors(errors)
    rule = _rules()[code]
    before = rule.period
    rule.years, rule.months = years, months
    rule.changed_reason = reason.strip()
    rule.changed_at = timezone.now()
    rule.save()
    log_event(
        actor=by,
        event=Event.RETENTION_CHANGED,
        obj=rule,
        detail={"rule": code, "from": before, "to": rule.period},
    )
    return rule


def rules() -> list[RetentionRule]:
    """The schedule's lines, for the Lead to read."""
    return sorted(_rules().values(), key=lambda rule: rule.code)


def _from(rule: RetentionRule, start: date | None) -> Kept:
    return Kept(rule.code, None if start is None else add_period(start, rule.years, rule.months))


def longest(found: Iterable[Kept]) -> Kept:
    """Where rules overlap, the longest wins; unknown beats every date (it may be later)."""
    candidates = list(found)
    unknown = [kept for kept in candidates if kept.until is None]
    if unknown:
        return unknown[0]
    return max(candidates, key=lambda kept: kept.until or date.min)


def entry_rules(entry: RecordEntry, child: Child, rules: dict[str, RetentionRule]) -> list[Kept]:
    found = [_from(rules[GENERAL], child.left_on)]
    if entry.level == Level.CHILD_PROTECTION or entry.category == Category.CHILD_PROTECTION:
        found.append(_from(rules[CHILD_PROTECTION], child.date_of_birth))
    if entry.category == Category.ACCIDENT:
        found.append(_from(rules[ACCIDENT], child.date_of_birth))
    return found


def keep_entry(entry: RecordEntry, rules: dict[str, RetentionRule] | None = None) -> Kept:
    return longest(entry_rules(entry, entry.child, rules or _rules()))


@dataclass(frozen=True)
class Shown:
    """What a record's page says of how long it is kept."""

    kept: Kept
    rule: RetentionRule
    held: bool


def entry_retention(entry: RecordEntry) -> Shown:
    """An entry's retention for its page: its longest rule, the date (or what it waits for), and
    whether a legal hold stands over it (two queries)."""
    rules = _rules()
    kept = longest(entry_rules(entry, entry.child, rules))
    child = entry.child
    held = LegalHold.objects.filter(
        models.Q(entry=entry) | models.Q(child=child) | models.Q(family_id=child.family_id),
        lifted_at__isnull=True,
    ).exists()
    return Shown(kept, rules[kept.rule], held)


def keep_child_file(child: Child, rules: dict[str, RetentionRule] | None = None) -> Kept:
    """The child's file as a whole: the register row and every entry (so the longest of them)."""
    rules = rules or _rules()
    found = [_from(rules[GENERAL], child.left_on)]
    kinds = (
        RecordEntry.objects.filter(IN_THE_FILE, child=child)
        .order_by()  # the model's ordering would make every entry distinct
        .values_list("level", "category")
        .distinct()
    )
    for level, category in kinds:
        found += entry_rules(RecordEntry(level=level, category=category), child, rules)
    # A flag at child-protection level (a child protection plan) keeps the file as a
    # child-protection entry would.
    if ChildFlag.objects.filter(child=child, level=Level.CHILD_PROTECTION).exists():
        found += entry_rules(
            RecordEntry(level=Level.CHILD_PROTECTION, category=Category.CHILD_PROTECTION),
            child,
            rules,
        )
    return longest(found)


def keep_staff(staff: Staff, rules: dict[str, RetentionRule] | None = None) -> Kept:
    return _from((rules or _rules())[STAFF], staff.left_on)


def keep_staff_record(record: StaffRecord, rules: dict[str, RetentionRule] | None = None) -> Kept:
    """A DBS record's copy of the certificate (its text) is kept 6 months; its number and date
    stay on the personnel file, as every other staff record does, once the copy is gone."""
    rules = rules or _rules()
    if record.kind == StaffRecordKind.DBS and record.text:
        return _from(rules[DBS], timezone.localdate(record.recorded_at))
    return _from(rules[STAFF], record.staff.left_on)


# --- every record of the setting: for the schedule's listing --------------------------------


@dataclass(frozen=True)
class Line:
    model: str
    id: str
    rule: str
    keep_until: date | None
    hold: bool = False


# --- legal holds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Holds:
    """What the standing legal holds cover, read once."""

    children: frozenset[Any]
    families: frozenset[Any]
    staff: frozenset[Any]
    entries: frozenset[Any]

    def child(self, child: Child) -> bool:
        return child.pk in self.children or child.family_id in self.families

    def entry(self, entry: RecordEntry, child: Child) -> bool:
        return entry.pk in self.entries or self.child(child)


def standing_holds() -> Holds:
    rows = LegalHold.objects.filter(lifted_at__isnull=True).values_list(
        "child_id", "family_id", "staff_id", "entry_id"
    )
    columns: list[set[Any]] = [set(), set(), set(), set()]
    for row in rows:
        for found, value in zip(columns, row, strict=True):
            if value is not None:
                found.add(value)
    return Holds(*(frozenset(found) for found in columns))


@transaction.atomic
def place_hold(
    *,
    by: User,
    reason: str,
    review_on: date,
    reference: str = "",
    child: Child | None = None,
    family: Family | None = None,
    staff: Staff | None = None,
    entry: RecordEntry | None = None,
) -> LegalHold:
    """The Lead places a legal hold: what it covers is never offered for destruction."""
    require(policy.can_manage_holds(by))
    placed_by = policy.staff_of(by)
    assert placed_by is not None
    errors: dict[str, str] = {}
    if sum(x is not None for x in (child, family, staff, entry)) != 1:
        errors["target"] = "Choose the one child, family, member of staff or entry the hold covers."
    if not reason.strip():
        errors["reason"] = "Say why the records must be kept (the inquiry or claim)."
    if review_on <= timezone.localdate():
        errors["review_on"] = "The review date is a day still to come."
    raise_errors(errors)
    hold = LegalHold.objects.create(
        child=child,
        family=family,
        staff=staff,
        entry=entry,
        reason=reason.strip(),
        reference=reference.strip(),
        review_on=review_on,
        placed_by=placed_by,
    )
    log_event(actor=by, event=Event.HOLD_PLACED, obj=hold, detail={"review_on": str(review_on)})
    return hold


@transaction.atomic
def lift_hold(*, by: User, hold: LegalHold, reason: str) -> LegalHold:
    require(policy.can_manage_holds(by))
    if not reason.strip():
        raise ValidationError({"lift_reason": "Say why the hold can be lifted."})
    lifted = LegalHold.objects.filter(pk=hold.pk, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by=policy.staff_of(by), lift_reason=reason.strip()
    )
    if not lifted:
        raise ValidationError({"lift_reason": "This hold was lifted already."})
    log_event(actor=by, event=Event.HOLD_LIFTED, obj=hold)
    hold.refresh_from_db()
    return hold


def holds() -> list[LegalHold]:
    return list(LegalHold.objects.select_related("child", "family", "staff", "entry__child"))


def entry_by_id(value: str) -> RecordEntry | None:
    """An entry of the working setting, for the hold form's heading (None for anything else)."""
    try:
        pk = UUID(str(value))
    except ValueError:
        return None
    return RecordEntry.objects.select_related("child").filter(pk=pk).first()


def hold_by_id(value: str) -> LegalHold | None:
    """A hold of the working setting by its id (None for another setting's; not an id: 404)."""
    return LegalHold.objects.filter(pk=uuid_or_404(value)).first()


Kind = Callable[[dict[str, RetentionRule], "Holds"], Iterator[Line]]
_kinds: list[Kind] = []


def register_kind(kind: Kind) -> None:
    """Another app lists its records with their retention (consent's follow the child's file;
    subject access: a year after closing)."""
    if kind not in _kinds:
        _kinds.append(kind)


def _line(obj: models.Model, kept: Kept, hold: bool = False) -> Line:
    return Line(obj._meta.label_lower, str(obj.pk), kept.rule, kept.until, hold)


def child_files(rules: dict[str, RetentionRule]) -> dict[Any, Kept]:
    """Each child's file, by the child's id (what consent's records follow)."""
    return {child.pk: keep_child_file(child, rules) for child in Child.objects.all()}


def _records_lines(rules: dict[str, RetentionRule], held: Holds) -> Iterator[Line]:
    children = {child.pk: child for child in Child.objects.all()}
    files = child_files(rules)
    for child in children.values():
        yield _line(child, files[child.pk], held.child(child))
    for entry in RecordEntry.objects.only("pk", "child_id", "level", "category").iterator():
        child = children[entry.child_id]
        yield _line(entry, longest(entry_rules(entry, child, rules)), held.entry(entry, child))
    for staff in Staff.objects.all():
        yield _line(staff, keep_staff(staff, rules), staff.pk in held.staff)
    for record in StaffRecord.objects.select_related("staff"):
        yield _line(record, keep_staff_record(record, rules), record.staff_id in held.staff)


def schedule() -> Iterator[Line]:
    """Every record of the working setting with its retention rule and date."""
    rules = _rules()
    held = standing_holds()
    yield from _records_lines(rules, held)
    for kind in _kinds:
        yield from kind(rules, held)
