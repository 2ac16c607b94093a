"""Destruction with proof.

Each month a review (a scheduled task, or the Lead's "review now") offers what is past its
retention date (records.retention), grouped by whose it is: a child's, a member of staff's, a
subject-access file. Nothing under a legal hold is offered; nothing of a child or member of staff
is offered while a subject-access file about them is still kept (its copies are encrypted under
their key, so it goes first).

The Lead approves (or not, with a reason); a second person — the Deputy, or another Lead — confirms,
and only then are the records destroyed: the Lead cannot destroy alone. At confirmation the
records are looked at again (a hold placed since, a leaving date changed) and only what is still
due, and was approved, goes.

Destroying is one transaction: the rows are deleted with auditlog's automatic logging off (a
deleted child would otherwise write every field of every row into the log), one tombstone event
says what went (kinds, counts, rules, a reference — never a name or content), and when a whole
file goes its owner's data key is destroyed with it (crypto-shredding, core.keys.destroy): what
any live copy still holds can never be opened again. Confide keeps no record on disk: attachments
and PDFs are encrypted database columns or, with object storage, encrypted objects deleted with
their rows once the transaction commits (core.filestore). The certificate
(lifecycle.certificate) is made from the destruction's row, which keeps no content.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from access_requests.models import (
    BundleItem,
    ClarificationPause,
    DownloadLink,
    JointRequester,
    Letter,
    Release,
    Rendering,
    SubjectAccessRequest,
    ThirdPartyConsent,
)
from audit.log import log_event
from consent.models import ConsentRecord, Disclosure, DisclosureSubject, SharingDecision
from core import keys
from core.http import uuid_or_404
from core.rules import raise_errors, require
from records import policy as records_policy
from records import retention
from records.jobs import for_each_setting
from records.models import (
    IN_THE_FILE,
    ActingLead,
    Amendment,
    Attachment,
    BreakGlass,
    Carer,
    Child,
    ChildFlag,
    Family,
    Leaving,
    LegalHold,
    NeedToKnowGrant,
    RecordEntry,
    Staff,
    StaffRecord,
    StaffRecordKind,
)

from . import policy
from .events import Event
from .models import (
    OPEN_STATES,
    Destruction,
    DestructionState,
    Review,
    SubjectKind,
    Transfer,
    TransferLink,
)

logger = logging.getLogger(__name__)


def reference_of(kind: str, pk: UUID) -> str:
    """Whose records, without a name: a short reference the audit log's rows also carry."""
    prefix = {str(SubjectKind.CHILD): "C", str(SubjectKind.STAFF): "S"}.get(kind, "R")
    return f"{prefix}-{str(pk)[:8]}"


# What a destroyed member of staff's post is called (others' records still name it as author).
FORMER_STAFF = "Former member of staff"


@dataclass(frozen=True)
class Due:
    """Records of one subject past their date, not held."""

    kind: str
    subject_id: UUID
    reference: str
    whole: bool
    items: tuple[tuple[str, str], ...] = field(default=())


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _kept_requests() -> tuple[set[Any], set[Any]]:
    """The children and members of staff a subject-access file still held is about (due or not:
    it goes first, and they wait for it)."""
    children: set[Any] = set()
    staff: set[Any] = set()
    for sar in SubjectAccessRequest.objects.prefetch_related("children"):
        children.update(child.pk for child in sar.children.all())
        if sar.staff_subject_id:
            staff.add(sar.staff_subject_id)
    # A file's snapshot can name another child too (a disclosure or decision about them).
    children.update(
        BundleItem.objects.filter(child__isnull=False).values_list("child_id", flat=True)
    )
    return children, staff


def _request_due(sar: SubjectAccessRequest, rule: Any, today: date) -> bool:
    if sar.closed_at is None:
        return False
    closed = timezone.localdate(sar.closed_at)
    return retention.add_period(closed, rule.years, rule.months) < today


def _children_due(rules: dict[str, Any], held: retention.Holds, today: date) -> Iterable[Due]:
    waiting, _ = _kept_requests()
    # A child named in an allegation against a member of staff keeps their file while the
    # allegation is kept (its placeholder names them; governance.allegations removes both).
    named = set(
        RecordEntry.objects.exclude(IN_THE_FILE).values_list("child_id", flat=True).distinct()
    )
    for child in Child.objects.filter(left_on__isnull=False):
        if held.child(child) or child.pk in waiting or child.pk in named:
            continue
        reference = reference_of(SubjectKind.CHILD, child.pk)
        whole = retention.keep_child_file(child, rules)
        # A single entry under a hold keeps the file whole (only the rest may go).
        entry_held = RecordEntry.objects.filter(child=child, pk__in=held.entries).exists()
        if whole.until is not None and whole.until < today and not entry_held:
            yield Due(SubjectKind.CHILD, child.pk, reference, True)
            continue
        items = tuple(
            (_label(RecordEntry), str(entry.pk))
            for entry in RecordEntry.objects.filter(IN_THE_FILE, child=child).only(
                "pk", "level", "category"
            )
            if not held.entry(entry, child)
            and (kept := retention.longest(retention.entry_rules(entry, child, rules))).until
            and kept.until < today
        )
        if items:
            yield Due(SubjectKind.CHILD, child.pk, reference, False, items)


def _staff_due(rules: dict[str, Any], held: retention.Holds, today: date) -> Iterable[Due]:
    _, waiting = _kept_requests()
    for staff in Staff.objects.all():
        if staff.pk in held.staff or staff.pk in waiting:
            continue
        reference = reference_of(SubjectKind.STAFF, staff.pk)
        whole = retention.keep_staff(staff, rules)
        has_records = StaffRecord.objects.filter(staff=staff).exists()
        if whole.until is not None and whole.until < today:
            if has_records or not staff.full_name.startswith(FORMER_STAFF):
                yield Due(SubjectKind.STAFF, staff.pk, reference, True)
            continue
        items = tuple(
            (_label(StaffRecord), str(record.pk))
            for record in StaffRecord.objects.filter(staff=staff, kind=StaffRecordKind.DBS)
            if record.text
            and (kept := retention.keep_staff_record(record, rules)).until
            and kept.until < today
        )
        if items:
            yield Due(SubjectKind.STAFF, staff.pk, reference, False, items)


def _requests_due(rules: dict[str, Any], held: retention.Holds, today: date) -> Iterable[Due]:
    rule = rules[retention.SUBJECT_ACCESS]
    for sar in SubjectAccessRequest.objects.prefetch_related("children"):
        if not _request_due(sar, rule, today):
            continue
        if any(held.child(child) for child in sar.children.all()):
            continue
        if sar.staff_subject_id and sar.staff_subject_id in held.staff:
            continue
        yield Due(SubjectKind.REQUEST, sar.pk, sar.reference, True)


def due(today: date | None = None) -> list[Due]:
    """What the working setting holds past its retention date, not held, grouped by subject."""
    today = today or timezone.localdate()
    rules = retention.rule_table()
    held = retention.standing_holds()
    return [
        *_requests_due(rules, held, today),
        *_children_due(rules, held, today),
        *_staff_due(rules, held, today),
    ]


# --- the monthly review -------------------------------------------------------------------


def review(*, by: User | None = None, today: date | None = None) -> list[Destruction]:
    """Offer what is due and not offered yet (the monthly task, or the Lead's "review now")."""
    if by is not None:
        require(policy.can_review(by))
    today = today or timezone.localdate()
    open_subjects = set(
        Destruction.objects.filter(state__in=OPEN_STATES, for_request_id__isnull=True).values_list(
            "kind", "subject_id"
        )
    )
    made = []
    Review.objects.update_or_create(
        month=today.replace(day=1),
        defaults={"run_at": timezone.now(), "run_by": records_policy.staff_of(by) if by else None},
    )
    for found in due(today):
        if (found.kind, found.subject_id) in open_subjects:
            continue
        try:
            with transaction.atomic():
                destruction = Destruction.objects.create(
                    kind=found.kind,
                    subject_id=found.subject_id,
                    reference=found.reference,
                    whole=found.whole,
                    items=[list(item) for item in found.items],
                    review_month=today.replace(day=1),
                )
                log_event(
                    actor=by,
                    event=Event.DESTRUCTION_PROPOSED,
                    obj=destruction,
                    detail={"reference": found.reference, "whole": found.whole},
                )
        except IntegrityError:
            continue  # offered at the same moment by another review
        made.append(destruction)
    return made


def monthly_review() -> str:
    """The scheduled task (run daily): each setting's review, once in each calendar month."""
    today = timezone.localdate()

    def review_once() -> int:
        if Review.objects.filter(month=today.replace(day=1)).exists():
            return 0
        with transaction.atomic():
            return len(review(today=today))

    return for_each_setting(review_once, name="The retention review", done="destructions offered")


def last_review() -> Review | None:
    return Review.objects.order_by("-run_at").first()


def queue() -> list[Destruction]:
    return list(Destruction.objects.select_related("approved_by", "confirmed_by", "cancelled_by"))


def destruction_by_id(value: str) -> Destruction | None:
    return Destruction.objects.filter(pk=uuid_or_404(value)).first()


@transaction.atomic
def approve(*, by: User, destruction: Destruction) -> Destruction:
    """The Lead approves: the records wait for a second person to confirm."""
    require(policy.can_approve(by))
    locked = Destruction.objects.select_for_update().get(pk=destruction.pk)
    if locked.state != DestructionState.PROPOSED:
        raise ValidationError("This destruction is not waiting for approval.")
    locked.state = DestructionState.APPROVED
    locked.approved_by = records_policy.staff_of(by)
    locked.approved_at = timezone.now()
    locked.save()
    log_event(
        actor=by,
        event=Event.DESTRUCTION_APPROVED,
        obj=locked,
        detail={"reference": locked.reference},
    )
    return locked


@transaction.atomic
def cancel(*, by: User, destruction: Destruction, reason: str) -> Destruction:
    """The Lead (or the confirming person) decides the records are not destroyed now, and why;
    the next review offers them again if they are still due."""
    require(policy.can_review(by))
    raise_errors({"cancel_reason": "Say why these records are kept."} if not reason.strip() else {})
    locked = Destruction.objects.select_for_update().get(pk=destruction.pk)
    if not locked.is_open:
        raise ValidationError("This destruction is already settled.")
    locked.state = DestructionState.CANCELLED
    locked.cancelled_by = records_policy.staff_of(by)
    locked.cancelled_at = timezone.now()
    locked.cancel_reason = reason.strip()
    locked.save()
    log_event(
        actor=by,
        event=Event.DESTRUCTION_CANCELLED,
        obj=locked,
        detail={"reference": locked.reference},
    )
    return locked


# --- destroying ---------------------------------------------------------------------------


class Tally:
    """What went, by kind of record and rule, for the certificate and the tombstone."""

    def __init__(self, rules: dict[str, Any]) -> None:
        self.rules = rules
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, model: type[models.Model], count: int, rule: str) -> None:
        if count:
            self.counts[(str(model._meta.verbose_name_plural), rule)] += count

    def lines(self) -> list[dict[str, Any]]:
        return [
            {"what": what, "rule": self.rules[rule].applies_to, "count": count}
            for (what, rule), count in sorted(self.counts.items())
        ]


def _delete(queryset: models.QuerySet) -> int:
    """Delete rows with no change rows in the log (the tombstone says what went)."""
    with disable_auditlog():
        deleted, _ = queryset.delete()
    return deleted


def _destroy_entries(entries: models.QuerySet, tally: Tally, rule_of: Any) -> None:
    for entry in entries.only("pk", "level", "category", "child_id"):
        tally.add(RecordEntry, 1, rule_of(entry))
    ids = list(entries.values_list("pk", flat=True))
    tally.add(Amendment, Amendment.objects.filter(entry_id__in=ids).count(), retention.GENERAL)
    tally.add(Attachment, Attachment.objects.filter(entry_id__in=ids).count(), retention.GENERAL)
    # Lifted holds only: a standing one protects its entry, and stops the destruction.
    _delete(LegalHold.objects.filter(entry_id__in=ids, lifted_at__isnull=False))
    _delete(Amendment.objects.filter(entry_id__in=ids))
    _delete(Attachment.objects.filter(entry_id__in=ids))
    for through in (Disclosure.entries.through, SharingDecision.entries.through):
        _delete(through.objects.filter(recordentry_id__in=ids))
    _delete(RecordEntry._base_manager.filter(pk__in=ids))


def _destroy_child(child: Child, destruction: Destruction, tally: Tally) -> None:
    rules = tally.rules
    file_rule = retention.keep_child_file(child, rules).rule
    disclosures = Disclosure.objects.filter(child=child)
    decisions = SharingDecision.objects.filter(child=child)
    tally.add(Disclosure, disclosures.count(), file_rule)
    tally.add(ConsentRecord, ConsentRecord.objects.filter(child=child).count(), file_rule)
    tally.add(SharingDecision, decisions.count(), file_rule)
    _delete(
        DisclosureSubject.objects.filter(
            models.Q(disclosure__in=disclosures) | models.Q(child=child)
        )
    )
    _delete(Disclosure.entries.through.objects.filter(disclosure__in=disclosures))
    _delete(disclosures)
    _delete(SharingDecision.entries.through.objects.filter(sharingdecision__in=decisions))
    _delete(
        SharingDecision.other_children.through.objects.filter(
            models.Q(sharingdecision__in=decisions) | models.Q(child=child)
        )
    )
    _delete(SharingDecision.other_carers.through.objects.filter(sharingdecision__in=decisions))
    # A decision that supersedes another names it (protected): unlinked first, as all go.
    decisions.update(supersedes=None)
    _delete(decisions)
    _delete(ConsentRecord.objects.filter(child=child))
    _destroy_entries(
        RecordEntry.objects.filter(child=child),
        tally,
        lambda entry: retention.longest(retention.entry_rules(entry, child, rules)).rule,
    )
    transfers = Transfer._base_manager.filter(child=child)
    tally.add(Transfer, transfers.count(), retention.CHILD_PROTECTION)
    _delete(TransferLink._base_manager.filter(transfer__child=child))
    flags = ChildFlag._base_manager.filter(child=child)
    tally.add(ChildFlag, flags.count(), file_rule)
    _delete(flags)
    for model in (NeedToKnowGrant, BreakGlass, Leaving, Transfer):
        _delete(model._base_manager.filter(child=child))
    _delete(LegalHold._base_manager.filter(child=child, lifted_at__isnull=False))
    _delete(Child.carers.through.objects.filter(child=child))
    family_id = child.family_id
    tally.add(Child, 1, file_rule)
    _delete(Child._base_manager.filter(pk=child.pk))  # guardian's permission rows go with it
    destruction.key_destroyed = keys.destroy(keys.Owner.child(child.pk)) > 0
    _destroy_family_if_done(family_id, tally, file_rule)


def _destroy_family_if_done(family_id: Any, tally: Tally, rule: str) -> None:
    """A family goes with its last child, unless a record still kept names one of its carers (a
    subject-access file they asked for, say)."""
    if Child._base_manager.filter(family_id=family_id).exists():
        return
    carer_ids = list(Carer._base_manager.filter(family_id=family_id).values_list("pk", flat=True))
    links = (
        SubjectAccessRequest.carers.through,
        SharingDecision.other_carers.through,
        Disclosure.carers.through,
    )
    if any(link.objects.filter(carer_id__in=carer_ids).exists() for link in links):
        return  # a record still kept names a carer: the family goes with it
    try:
        with transaction.atomic():
            carers = Carer._base_manager.filter(family_id=family_id)
            count = carers.count()
            _delete(carers)
            _delete(LegalHold._base_manager.filter(family_id=family_id, lifted_at__isnull=False))
            _delete(Family._base_manager.filter(pk=family_id))
    except ProtectedError:
        return
    tally.add(Carer, count, rule)
    tally.add(Family, 1, rule)


def _destroy_staff(staff: Staff, destruction: Destruction, tally: Tally) -> None:
    """A member of staff's personnel file: their records and acting-Lead periods go, their key
    is destroyed, and their post keeps only a reference where a name was (others' records name
    the post as author)."""
    rules = tally.rules
    for record in StaffRecord.objects.filter(staff=staff):
        tally.add(StaffRecord, 1, retention.keep_staff_record(record, rules).rule)
    _delete(StaffRecord.objects.filter(staff=staff))
    tally.add(ActingLead, ActingLead.objects.filter(deputy=staff).count(), retention.STAFF)
    _delete(ActingLead.objects.filter(deputy=staff))
    _delete(LegalHold._base_manager.filter(staff=staff, lifted_at__isnull=False))
    Staff._base_manager.filter(pk=staff.pk).update(
        full_name=f"{FORMER_STAFF} {destruction.reference}", job_title=""
    )
    # Their account, unless they hold a post elsewhere: no name, no address, no way in. The
    # username stays (the audit chain names actors by it).
    if not Staff._base_manager.filter(user_id=staff.user_id).exclude(pk=staff.pk).exists():
        user = User.objects.get(pk=staff.user_id)
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        with disable_auditlog():
            user.save()
    destruction.key_destroyed = keys.destroy(keys.Owner.staff(staff.pk)) > 0


def _destroy_request(sar: SubjectAccessRequest, tally: Tally) -> None:
    rule = retention.SUBJECT_ACCESS
    _delete(DownloadLink._base_manager.filter(release__request=sar))
    for model in (Release, Rendering, BundleItem, Letter):
        rows = model._base_manager.filter(request=sar)
        tally.add(model, rows.count(), rule)
        _delete(rows)  # a bundle item's third-party mentions go with it
    for other in (JointRequester, ClarificationPause, ThirdPartyConsent):
        _delete(other._base_manager.filter(request=sar))
    families = set(
        Carer._base_manager.filter(
            models.Q(pk=sar.requester_carer_id) | models.Q(access_requests_about=sar)
        ).values_list("family_id", flat=True)
    )
    tally.add(SubjectAccessRequest, 1, rule)
    _delete(SubjectAccessRequest._base_manager.filter(pk=sar.pk))
    for family_id in families:
        _destroy_family_if_done(family_id, tally, rule)


def _still_due(destruction: Destruction, today: date) -> Due | None:
    if destruction.for_request_id is not None:
        return _erasure_due(destruction)
    for found in due(today):
        if (found.kind, found.subject_id) == (destruction.kind, destruction.subject_id):
            return found
    return None


def _erasure_due(destruction: Destruction) -> Due | None:
    """An erasure granted: the entries it names that still exist and are not held."""
    held = retention.standing_holds()
    child = Child.objects.filter(pk=destruction.subject_id).first()
    if child is None or held.child(child):
        return None
    ids = [pk for _, pk in destruction.items]
    items = tuple(
        (_label(RecordEntry), str(entry.pk))
        for entry in RecordEntry.objects.filter(child=child, pk__in=ids)
        if not held.entry(entry, child)
    )
    return Due(SubjectKind.CHILD, child.pk, destruction.reference, False, items) if items else None


def confirm(*, by: User, destruction: Destruction, today: date | None = None) -> Destruction:
    """A second person confirms what the Lead approved, and the records are destroyed, in one
    transaction."""
    require(policy.can_review(by))
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = Destruction.objects.select_for_update().get(pk=destruction.pk)
        require(policy.can_confirm(by, locked))
        if locked.state != DestructionState.APPROVED:
            raise ValidationError("This destruction is not waiting for confirmation.")
        found = _still_due(locked, today)
        if found is None or locked.whole != found.whole:
            raise ValidationError(
                "These records are no longer due for destruction (a legal hold, a changed date, "
                "or a subject-access file kept about them): cancel it, and the next review "
                "offers what is due then."
            )
        tally = Tally(retention.rule_table())
        try:
            with transaction.atomic():
                _destroy(locked, found, tally)
        except ProtectedError:
            raise ValidationError(
                "Something still kept names these records (a legal hold placed a moment ago, "
                "say): nothing was destroyed. Cancel it, and the next review offers what is due."
            ) from None
        locked.state = DestructionState.DESTROYED
        locked.confirmed_by = records_policy.staff_of(by)
        locked.destroyed_at = timezone.now()
        locked.destroyed = tally.lines()
        locked.save()
        log_event(
            actor=by,
            event=Event.RECORDS_DESTROYED,
            obj=locked,
            detail={
                "reference": locked.reference,
                "kind": locked.kind,
                "whole": locked.whole,
                "key_destroyed": locked.key_destroyed,
                "destroyed": locked.destroyed,
                "approved_by": str(locked.approved_by_id),
            },
        )
    keys.clear_cache()
    return locked


def _destroy(destruction: Destruction, found: Due, tally: Tally) -> None:
    rules = tally.rules
    if destruction.kind == SubjectKind.REQUEST:
        _destroy_request(SubjectAccessRequest.objects.get(pk=destruction.subject_id), tally)
        return
    if destruction.kind == SubjectKind.CHILD:
        child = Child.objects.get(pk=destruction.subject_id)
        if destruction.whole:
            _destroy_child(child, destruction, tally)
            return
        approved = {tuple(item) for item in destruction.items} & set(found.items)
        ids = [pk for _, pk in approved]
        _destroy_entries(
            RecordEntry.objects.filter(child=child, pk__in=ids),
            tally,
            lambda entry: retention.longest(retention.entry_rules(entry, child, rules)).rule,
        )
        return
    staff = Staff.objects.get(pk=destruction.subject_id)
    if destruction.whole:
        _destroy_staff(staff, destruction, tally)
        return
    approved = {tuple(item) for item in destruction.items} & set(found.items)
    # A DBS certificate's copy goes; its number and date stay on the personnel file.
    copies = list(StaffRecord.objects.filter(staff=staff, pk__in=[pk for _, pk in approved]))
    for record in copies:
        record.text = ""
        with disable_auditlog():
            record.save(update_fields=["text"])
    tally.add(StaffRecord, len(copies), retention.DBS)
