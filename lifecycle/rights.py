"""A parent's other rights: rectification, erasure, restriction and objection.

Each request is recorded with the one-calendar-month deadline that subject access has (the same
clock: access_requests.deadlines), decided by the Lead, answered by a letter, and on the Lead's
dashboard until the letter is sent. What a decision does is done by the software, not left to be
remembered:

- **Rectification** granted: the correction is added to each entry as an amendment, never an
  overwrite; the parent's statement is kept beside the entries either way (refused or not).
- **Erasure** is refused only on an Article 17(3) exception — a legal obligation, or legal claims —
  named in the letter; granted, the entries are offered for destruction (lifecycle.destruction)
  with the Lead's approval already given, and a second person confirms. An entry under a legal
  hold cannot be erased (legal claims).
- **Restriction** granted: the entries are marked restricted; from then only the Lead reads them
  (records.policy.reads_restricted), others see that restricted entries exist. They are still
  used to protect the child or another person (Article 18(2)): a child-protection file sent on
  includes them.
- **Objection**: recorded, decided with reasons, answered.

Article 19: for a rectification, erasure or restriction granted, those the records were shared
with (the child's sharing decisions that were carried out) are listed, and telling each is
recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from access_requests.deadlines import due_date
from audit.log import log_event
from consent.models import SharingDecision
from core.http import uuid_or_404, uuid_or_none
from core.rules import raise_errors, require
from records import policy as records_policy
from records import retention
from records import services as records_services
from records.models import Carer, Child, RecordEntry, Setting

from . import policy
from .destruction import reference_of
from .events import Event
from .models import (
    Destruction,
    DestructionState,
    ErasureException,
    RecipientNotice,
    RightKind,
    RightsOutcome,
    RightsRequest,
    SubjectKind,
)

# The kinds whose granting is told to the recipients (Article 19).
TOLD_TO_RECIPIENTS = (RightKind.RECTIFICATION, RightKind.ERASURE, RightKind.RESTRICTION)


@transaction.atomic
def record_request(
    *,
    by: User,
    kind: str,
    child: Child,
    requester: Carer,
    received_on: date,
    statement: str,
    entries: list[RecordEntry] | QuerySet[RecordEntry] = (),  # type: ignore[assignment]
) -> RightsRequest:
    """Record a parent's request (the Lead or the Deputy), with its deadline."""
    require(policy.can_handle_rights(by))
    entries = list(entries)
    errors: dict[str, str] = {}
    if kind not in RightKind.values:
        errors["kind"] = "Choose what the parent asks for."
    if received_on > timezone.localdate():
        errors["received_on"] = "The day it was received cannot be in the future."
    if not statement.strip():
        errors["statement"] = "Write what the parent says, in their words."
    if not child.carers.filter(pk=requester.pk).exists():
        errors["requester"] = "Choose one of the child's parents or carers."
    readable = set(
        records_policy.linkable_entries(by, child)
        .filter(pk__in=[e.pk for e in entries])
        .values_list("pk", flat=True)
    )
    if any(entry.child_id != child.pk or entry.pk not in readable for entry in entries):
        errors["entries"] = "Choose entries of this child that you can read."
    if kind in TOLD_TO_RECIPIENTS and kind != RightKind.RECTIFICATION and not entries:
        errors["entries"] = "Choose the entries the request is about."
    if kind == RightKind.RECTIFICATION and not entries:
        errors["entries"] = "Choose the entries the parent says are wrong."
    raise_errors(errors)
    staff = records_policy.staff_of(by)
    assert staff is not None
    request = RightsRequest.objects.create(
        kind=kind,
        child=child,
        requester=requester,
        received_on=received_on,
        due_on=due_date(received_on),
        statement=statement.strip(),
        recorded_by=staff,
    )
    request.entries.set(entries)
    log_event(
        actor=by,
        event=Event.RIGHTS_RECEIVED,
        obj=request,
        detail={"kind": kind, "due_on": str(request.due_on), "entries": len(entries)},
    )
    return request


def _check_decision(
    request: RightsRequest, outcome: str, reason: str, exception: str, correction: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if request.outcome:
        errors["outcome"] = "This request is decided already."
    if outcome not in RightsOutcome.values:
        errors["outcome"] = "Grant the request or refuse it."
    if not reason.strip():
        errors["reason"] = "Give the reasons (they go in the letter to the parent)."
    refused_erasure = request.kind == RightKind.ERASURE and outcome == RightsOutcome.REFUSED
    if exception and not refused_erasure:
        errors["exception"] = "An Article 17(3) exception is named only to refuse an erasure."
    if refused_erasure and exception not in ErasureException.values:
        errors["exception"] = (
            "An erasure is refused only on an Article 17(3) exception: a legal obligation "
            "to keep the records, or legal claims. Name it, or grant the request."
        )
    granted_rectification = (
        request.kind == RightKind.RECTIFICATION and outcome == RightsOutcome.GRANTED
    )
    if granted_rectification and not correction.strip():
        errors["correction"] = "Write the correction: it is added to each entry."
    if request.kind == RightKind.ERASURE and outcome == RightsOutcome.GRANTED:
        held = retention.standing_holds()
        if any(held.entry(e, request.child) for e in request.entries.all()):
            errors["outcome"] = (
                "An entry it names is under a legal hold: it cannot be erased while the hold "
                "stands. Refuse under Article 17(3)(e), legal claims."
            )
    return errors


@transaction.atomic
def decide(
    *,
    by: User,
    request: RightsRequest,
    outcome: str,
    reason: str,
    exception: str = "",
    correction: str = "",
) -> RightsRequest:
    """The Lead decides; what the decision does is done here, in the same transaction."""
    require(policy.can_decide_rights(by))
    locked = RightsRequest.objects.select_for_update().get(pk=request.pk)
    raise_errors(_check_decision(locked, outcome, reason, exception, correction))
    staff = records_policy.staff_of(by)
    locked.outcome = outcome
    locked.reason = reason.strip()
    # Article 17(3) names grounds for refusing an erasure, and nothing else.
    refused_erasure = locked.kind == RightKind.ERASURE and outcome == RightsOutcome.REFUSED
    locked.exception = exception if refused_erasure else ""
    locked.correction = correction.strip() if locked.kind == RightKind.RECTIFICATION else ""
    locked.decided_by = staff
    locked.decided_at = timezone.now()
    if outcome == RightsOutcome.GRANTED:
        _carry_out(by, locked)
    locked.save()
    log_event(
        actor=by,
        event=Event.RIGHTS_DECIDED,
        obj=locked,
        detail={"kind": locked.kind, "outcome": outcome, "exception": locked.exception},
    )
    return locked


def _carry_out(by: User, request: RightsRequest) -> None:
    entries = list(request.entries.all())
    if request.kind == RightKind.RECTIFICATION:
        for entry in entries:
            records_services.amend_entry(
                entry=entry,
                author=by,
                text=request.correction,
                reason=f"Corrected at the parent's request ({request.reference}).",
            )
    elif request.kind == RightKind.RESTRICTION:
        RecordEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
            restricted_at=timezone.now()
        )
    elif request.kind == RightKind.ERASURE:
        staff = records_policy.staff_of(by)
        destruction = Destruction.objects.create(
            kind=SubjectKind.CHILD,
            subject_id=request.child_id,
            reference=reference_of(SubjectKind.CHILD, request.child_id),
            whole=False,
            items=[["records.recordentry", str(e.pk)] for e in entries],
            review_month=timezone.localdate().replace(day=1),
            for_request_id=request.pk,
            state=DestructionState.APPROVED,
            approved_by=staff,
            approved_at=timezone.now(),
        )
        request.destruction_id = destruction.pk


def letter_text(request: RightsRequest) -> str:
    """The letter to the parent: the decision and its reasons, the exception relied on, their
    right to complain to the ICO."""
    return render_to_string(
        "lifecycle/letters/rights.txt",
        {
            "request": request,
            "setting": Setting.current(),
            "lead": records_policy.the_lead(),
            "today": timezone.localdate(),
        },
    ).strip()


@transaction.atomic
def letter_sent(*, by: User, request: RightsRequest, sent_on: date) -> RightsRequest:
    require(policy.can_handle_rights(by))
    errors: dict[str, str] = {}
    if not request.outcome:
        errors["sent_on"] = "Decide the request before sending the letter."
    elif request.letter_sent_on is not None:
        errors["sent_on"] = "The letter was sent already."
    if sent_on > timezone.localdate():
        errors["sent_on"] = "The day it was sent cannot be in the future."
    raise_errors(errors)
    request.letter_sent_on = sent_on
    request.save(update_fields=["letter_sent_on"])
    log_event(actor=by, event=Event.RIGHTS_LETTER_SENT, obj=request, detail={"on": str(sent_on)})
    return request


def recipients(request: RightsRequest) -> list[SharingDecision]:
    """Those the records were shared with (Article 19): the child's sharing decisions carried
    out, those naming the request's entries first — all of them when it names none."""
    if request.kind not in TOLD_TO_RECIPIENTS or request.outcome != RightsOutcome.GRANTED:
        return []
    child = request.child_id
    shared = SharingDecision.objects.filter(
        Q(child=child) | Q(other_children=child), shared_at__isnull=False
    ).distinct()
    entry_ids = list(request.entries.values_list("pk", flat=True))
    linked = shared.filter(entries__in=entry_ids).distinct() if entry_ids else shared
    return list(linked or shared)


@transaction.atomic
def tell_recipient(
    *, by: User, request: RightsRequest, decision: SharingDecision, told_on: date, how: str
) -> RecipientNotice:
    require(policy.can_handle_rights(by))
    errors: dict[str, str] = {}
    if decision.pk not in {d.pk for d in recipients(request)}:
        errors["decision"] = "Choose one of those the records were shared with."
    if not how.strip():
        errors["how"] = "Say how they were told (a letter, a secure email, a call)."
    if told_on > timezone.localdate():
        errors["told_on"] = "The day they were told cannot be in the future."
    if RecipientNotice.objects.filter(request=request, decision=decision).exists():
        errors["decision"] = "They have been told already."
    raise_errors(errors)
    staff = records_policy.staff_of(by)
    assert staff is not None
    notice = RecipientNotice.objects.create(
        request=request, decision=decision, told_on=told_on, how=how.strip(), told_by=staff
    )
    log_event(
        actor=by,
        event=Event.RIGHTS_RECIPIENT_TOLD,
        obj=request,
        detail={"decision": str(decision.pk), "told_on": str(told_on)},
    )
    return notice


# --- reading -------------------------------------------------------------------------------


def requests() -> list[RightsRequest]:
    return list(RightsRequest.objects.select_related("child", "requester"))


def request_by_id(value: Any) -> RightsRequest | None:
    return (
        RightsRequest.objects.select_related("child", "requester", "decided_by")
        .filter(pk=uuid_or_404(value))
        .first()
    )


def decision_by_id(request: RightsRequest, value: Any) -> SharingDecision | None:
    wanted = uuid_or_none(value)  # a malformed id is one of none: the form says so
    if wanted is None:
        return None
    return next((d for d in recipients(request) if d.pk == wanted), None)


def open_counts(today: date | None = None) -> tuple[int, int]:
    """For the dashboard: requests still to answer, and those past their deadline."""
    today = today or timezone.localdate()
    waiting = RightsRequest.objects.filter(letter_sent_on__isnull=True)
    return waiting.count(), waiting.filter(due_on__lt=today).count()


def statements_about(entry: RecordEntry) -> list[RightsRequest]:
    """The parents' statements kept beside an entry (rectification asked, granted or not)."""
    return list(
        RightsRequest.objects.filter(
            Q(kind=RightKind.RECTIFICATION) | Q(kind=RightKind.RESTRICTION), entries=entry
        ).select_related("requester")
    )
