"""Sharing decisions: proposed and approved or declined by the Lead, or recorded after an emergency
share, then marked as shared."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.log import log_event
from core.rules import CLOCK_GRACE, blank, raise_errors, require
from records import policy as records_policy
from records.models import Carer, Child, Level, RecordEntry, Staff

from .. import policy
from ..events import Event
from ..models import (
    CP_RECIPIENTS,
    REFERRAL_RECIPIENTS,
    ConsentKind,
    ConsentRecord,
    ConsentStatus,
    ConsentToShare,
    DecisionKind,
    DecisionState,
    LawfulBasis,
    LeadDecision,
    LspProcedures,
    NoConsentReason,
    RecipientKind,
    ServiceAgreement,
    SharedHow,
    SharingDecision,
)
from ..working_days import one_working_day_after
from .common import _not_in_future, _staff


@dataclass(frozen=True, kw_only=True)
class DecisionDetails:
    """What a decision says, whether proposed or recorded after an emergency share: to whom and
    what for, on what basis, with or without consent, which information, and whom it concerns.
    The services check it; errors are keyed by these names, which are the form's field names."""

    recipient_kind: str
    purpose: str
    lawful_basis: str
    necessary_and_proportionate: str
    consent: str
    lsp_procedures: str
    recipient_organisation: str = ""
    recipient_person: str = ""
    consent_record: ConsentRecord | None = None
    no_consent_reason: str = ""
    no_consent_explanation: str = ""
    service_agreement: str = ServiceAgreement.NOT_APPLICABLE
    advice_from: str = ""
    advice_given: str = ""
    entries: Sequence[RecordEntry] = ()
    summary: str = ""
    other_children: Sequence[Child] = ()
    other_carers: Sequence[Carer] = ()
    other_people: str = ""
    # None: the lowest level for the information and the recipient (default_level).
    level: int | None = None

    @classmethod
    def from_cleaned_data(cls, data: Mapping[str, Any]) -> DecisionDetails:
        """The details in a decision form's cleaned_data. A field the form left out (a list
        with nothing to choose from) keeps its default; the form's other fields are not details."""
        names = {f.name for f in fields(cls)}
        values = {name: value for name, value in data.items() if name in names}
        for name in ("entries", "other_children", "other_carers"):
            if name in values:
                values[name] = list(values[name])
        return cls(**values)


def default_level(*, entries: Iterable[RecordEntry], recipient_kind: str) -> int:
    """The level a decision takes by default: that of the most sensitive entry chosen (sensitive
    when only a summary is shared, or for a section 17 referral), and child protection for S47,
    the police and LSP referrals."""
    if recipient_kind in CP_RECIPIENTS:
        return Level.CHILD_PROTECTION
    levels = [e.level for e in entries]
    level = max(levels) if levels else Level.SENSITIVE
    # A referral to social care is correspondence with an external agency: sensitive at least.
    if recipient_kind in REFERRAL_RECIPIENTS:
        level = max(level, Level.SENSITIVE)
    return level


def _check_decision(
    *,
    author: User,
    child: Child,
    decision: str,
    details: DecisionDetails,
    supersedes: SharingDecision | None,
) -> tuple[dict[str, str], int]:
    errors: dict[str, str] = {}
    if decision not in DecisionKind.values:
        errors["decision"] = "Say whether the decision is to share or not to share."
    if details.recipient_kind not in RecipientKind.values:
        errors["recipient_kind"] = "Choose who the information would go to."
    if blank(details.recipient_organisation) and blank(details.recipient_person):
        errors["recipient_organisation"] = (
            "Name the organisation, or the person or role, the information would go to."
        )
    if blank(details.purpose):
        errors["purpose"] = "Say what the sharing is for."
    if details.lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = "Choose the lawful basis."
    if blank(details.necessary_and_proportionate):
        errors["necessary_and_proportionate"] = (
            "Say why sharing (or not) is necessary and proportionate."
        )
    if details.consent not in ConsentToShare.values:
        errors["consent"] = "Say whether consent was sought, and given or refused."
    overridden = details.consent == ConsentToShare.SOUGHT_REFUSED and decision == DecisionKind.SHARE
    if details.consent == ConsentToShare.NOT_SOUGHT or overridden:
        why = (
            "not sought"
            if details.consent == ConsentToShare.NOT_SOUGHT
            else "refused but overridden"
        )
        if details.no_consent_reason not in NoConsentReason.values:
            errors["no_consent_reason"] = (
                f"Consent was {why}: choose the reason (risk of harm to the child, a serious "
                "offence, or seeking consent would increase the risk)."
            )
        if blank(details.no_consent_explanation):
            errors["no_consent_explanation"] = (
                f"Consent was {why}: explain the facts of the case that justify it."
            )
    if (
        details.lawful_basis == LawfulBasis.CONSENT
        and details.consent != ConsentToShare.SOUGHT_GIVEN
    ):
        errors["lawful_basis"] = (
            "Consent can be the lawful basis only when it was sought and given: choose another "
            "basis (for example public task or legal obligation)."
        )
    record = details.consent_record
    if record is not None and (
        record.child_id != child.pk
        or record.kind != ConsentKind.SHARE
        or record.status != ConsentStatus.GIVEN
        or not policy.visible_consent_records(author).filter(pk=record.pk).exists()
    ):
        errors["consent_record"] = "Choose a consent given to share about this child."
    if details.service_agreement not in ServiceAgreement.values:
        errors["service_agreement"] = "Say whether the family agreed to the service."
    if details.lsp_procedures not in LspProcedures.values:
        errors["lsp_procedures"] = (
            "Say whether Local Safeguarding Partners procedures were followed."
        )
    elif (
        details.recipient_kind in REFERRAL_RECIPIENTS
        and details.lsp_procedures == LspProcedures.NOT_APPLICABLE
    ):
        errors["lsp_procedures"] = (
            "Local Safeguarding Partners procedures apply to referrals: say whether they were followed."
        )
    if blank(details.advice_from) != blank(details.advice_given):
        field = "advice_given" if blank(details.advice_given) else "advice_from"
        errors[field] = "Say both whose advice was sought and what the advice was."
    if not details.entries and blank(details.summary):
        errors["entries"] = "Choose the entries to share, or write a summary of the information."
    allowed_children = {child.pk} | {c.pk for c in details.other_children}
    readable = records_policy.linkable_entries(author).filter(
        pk__in=[e.pk for e in details.entries]
    )
    if details.entries and (
        readable.count() != len({e.pk for e in details.entries})
        or any(e.child_id not in allowed_children for e in details.entries)
    ):
        errors["entries"] = "Choose only entries about the children concerned that you can read."
    if details.other_children and records_policy.visible_children(author).filter(
        pk__in=[c.pk for c in details.other_children]
    ).count() != len({c.pk for c in details.other_children}):
        errors["other_children"] = "Choose children you work with."
    if details.other_carers and policy.visible_carers(author).filter(
        pk__in=[c.pk for c in details.other_carers]
    ).count() != len({c.pk for c in details.other_carers}):
        errors["other_carers"] = "Choose carers of children you work with."
    lowest = default_level(entries=details.entries, recipient_kind=details.recipient_kind)
    level = details.level
    if level is None:
        level = lowest
    elif int(level) < lowest:
        errors["level"] = (
            f"{Level(lowest).label} is the lowest level for this information and recipient."
        )
    if supersedes is not None:
        if (
            supersedes.child_id != child.pk
            or not policy.visible_decisions(author).filter(pk=supersedes.pk).exists()
        ):
            errors["supersedes"] = (
                "The earlier decision must be one of this child's that you can see."
            )
        elif not supersedes.is_decided:
            errors["supersedes"] = (
                "The earlier decision is still waiting for the Lead; it can be replaced once it "
                "is approved or declined."
            )
    return errors, int(level)


def _new_decision(
    *,
    child: Child,
    staff: Staff,
    level: int,
    decision: str,
    details: DecisionDetails,
    supersedes: SharingDecision | None = None,
    **shared: Any,
) -> SharingDecision:
    """Save a checked decision; ``shared`` holds the columns of a share already made."""
    new = SharingDecision(
        child=child,
        author=staff,
        level=level,
        decision=decision,
        recipient_kind=details.recipient_kind,
        recipient_organisation=details.recipient_organisation.strip(),
        recipient_person=details.recipient_person.strip(),
        purpose=details.purpose,
        lawful_basis=details.lawful_basis,
        necessary_and_proportionate=details.necessary_and_proportionate,
        consent=details.consent,
        consent_record=details.consent_record,
        no_consent_reason=details.no_consent_reason,
        no_consent_explanation=details.no_consent_explanation,
        service_agreement=details.service_agreement,
        lsp_procedures=details.lsp_procedures,
        advice_from=details.advice_from,
        advice_given=details.advice_given,
        summary=details.summary.strip(),
        other_people=details.other_people.strip(),
        supersedes=supersedes,
        **shared,
    )
    new.save()
    if details.entries:
        new.entries.set(details.entries)
    if details.other_children:
        new.other_children.set(details.other_children)
    if details.other_carers:
        new.other_carers.set(details.other_carers)
    return new


@transaction.atomic
def propose_sharing(
    *,
    child: Child,
    author: User,
    decision: str,
    details: DecisionDetails,
    supersedes: SharingDecision | None = None,
) -> SharingDecision:
    """Propose a decision to share, or not to share, for the Lead to approve or decline."""
    staff = _staff(author)
    require(policy.can_propose_sharing(author, child))
    errors, level = _check_decision(
        author=author, child=child, decision=decision, details=details, supersedes=supersedes
    )
    raise_errors(errors)
    return _new_decision(
        child=child,
        staff=staff,
        level=level,
        decision=decision,
        details=details,
        supersedes=supersedes,
    )


@transaction.atomic
def record_emergency_share(
    *,
    child: Child,
    author: User,
    details: DecisionDetails,
    emergency_reason: str,
    shared_what: str,
    shared_at: datetime,
    shared_how: str,
) -> SharingDecision:
    """The Lead or Deputy records a share that already happened because a child was at risk.
    It shows as retrospective and is due for the Lead's review within one working day."""

    if details.consent_record is not None:
        # The emergency form does not ask for one; nothing here would check it was relied on.
        raise ValueError("An emergency share does not link a consent record.")
    staff = _staff(author)
    require(policy.can_record_emergency_share(author, child))
    errors, level = _check_decision(
        author=author, child=child, decision=DecisionKind.SHARE, details=details, supersedes=None
    )
    if blank(emergency_reason):
        errors["emergency_reason"] = "Say why the child was at risk and it could not wait."
    if blank(shared_what):
        errors["shared_what"] = "Say exactly what was shared."
    if shared_how not in SharedHow.values:
        errors["shared_how"] = "Say how it was shared."
    _not_in_future(shared_at, "shared_at", "When it was shared", errors)
    raise_errors(errors)
    now = timezone.now()
    decision = _new_decision(
        child=child,
        staff=staff,
        level=level,
        decision=DecisionKind.SHARE,
        details=details,
        retrospective=True,
        emergency_reason=emergency_reason,
        review_due_at=one_working_day_after(now),
        state=DecisionState.SHARED,
        shared_what=shared_what,
        shared_at=shared_at,
        shared_how=shared_how,
        shared_by=staff,
        acknowledgement_due_at=(
            one_working_day_after(shared_at)
            if details.recipient_kind in REFERRAL_RECIPIENTS
            else None
        ),
    )
    log_event(actor=author, event=Event.SHARING_EMERGENCY_RECORDED, obj=decision)
    return decision


def _decide(
    *, decision: SharingDecision, by: User, rationale: str, verdict: str, request: Any
) -> SharingDecision:
    staff = _staff(by)
    require(
        policy.approves_decisions(by),
        "Only the Lead, or the Deputy while acting Lead, may approve or decline sharing.",
    )
    if not policy.can_approve(by, decision):
        raise ValidationError(
            "You proposed this decision: the Lead must approve or decline it, not its proposer."
        )
    if blank(rationale):
        raise ValidationError({"rationale": "Give your rationale: it is kept with the decision."})
    now = timezone.now()
    pending = SharingDecision.objects.filter(pk=decision.pk, lead_decision=LeadDecision.PENDING)
    if decision.retrospective:
        # It was shared already; the Lead's review does not move it along.
        updated = pending.update(lead_decision=verdict, decided_by=staff, decided_at=now)
    else:
        state = {
            LeadDecision.APPROVED: DecisionState.APPROVED,
            LeadDecision.DECLINED: DecisionState.DECLINED,
        }[LeadDecision(verdict)]
        updated = pending.filter(state=DecisionState.PROPOSED).update(
            lead_decision=verdict, decided_by=staff, decided_at=now, state=state
        )
    if updated != 1:
        raise ValidationError(
            "This decision has already been approved or declined, and a decision is never "
            "changed. To change it, propose a new decision that replaces it."
        )
    decision.refresh_from_db()
    decision.rationale = rationale.strip()
    decision.save(update_fields=["rationale"])
    event = "sharing_approved" if verdict == LeadDecision.APPROVED else "sharing_declined"
    log_event(
        actor=by,
        event=event,
        obj=decision,
        request=request,
        detail={"retrospective": decision.retrospective, "level": decision.level},
    )
    return decision


@transaction.atomic
def approve_sharing_decision(
    *, decision: SharingDecision, approver: Any, rationale: str, request: HttpRequest | None = None
) -> SharingDecision:
    return _decide(
        decision=decision,
        by=approver,
        rationale=rationale,
        verdict=LeadDecision.APPROVED,
        request=request,
    )


@transaction.atomic
def decline_sharing_decision(
    *, decision: SharingDecision, approver: Any, rationale: str, request: HttpRequest | None = None
) -> SharingDecision:
    return _decide(
        decision=decision,
        by=approver,
        rationale=rationale,
        verdict=LeadDecision.DECLINED,
        request=request,
    )


@transaction.atomic
def mark_shared(
    *,
    decision: SharingDecision,
    by: User,
    shared_what: str,
    shared_at: datetime,
    shared_how: str,
    request: HttpRequest | None = None,
) -> SharingDecision:
    """What exactly was shared, when, how and by whom — only after the Lead approved sharing."""

    staff = _staff(by)
    require(policy.can_mark_shared(by, decision))
    errors: dict[str, str] = {}
    if decision.decision != DecisionKind.SHARE:
        raise ValidationError(
            "This is a decision not to share: there is nothing to mark as shared."
        )
    if blank(shared_what):
        errors["shared_what"] = "Say exactly what was shared."
    if shared_how not in SharedHow.values:
        errors["shared_how"] = "Say how it was shared."
    _not_in_future(shared_at, "shared_at", "When it was shared", errors)
    if decision.decided_at and shared_at < decision.decided_at - CLOCK_GRACE:
        errors["shared_at"] = "It cannot have been shared before the Lead approved it."
    raise_errors(errors)
    updated = SharingDecision.objects.filter(
        pk=decision.pk,
        decision=DecisionKind.SHARE,
        lead_decision=LeadDecision.APPROVED,
        state=DecisionState.APPROVED,
    ).update(
        state=DecisionState.SHARED,
        shared_at=shared_at,
        shared_how=shared_how,
        shared_by=staff,
        acknowledgement_due_at=(one_working_day_after(shared_at) if decision.is_referral else None),
    )
    if updated != 1:
        raise ValidationError(
            "Only a decision the Lead approved, and not yet marked as shared, can be marked as shared."
        )
    decision.refresh_from_db()
    decision.shared_what = shared_what.strip()
    decision.save(update_fields=["shared_what"])
    log_event(actor=by, event=Event.SHARING_SHARED, obj=decision, request=request)
    return decision
