"""Sharing decisions: proposed and approved or declined by the Lead, or recorded after an emergency
share, then marked as shared."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.log import log_event
from core.rules import CLOCK_GRACE, blank, raise_errors, require
from records import policy as records_policy
from records.models import Carer, Child, Level, RecordEntry, Staff

from .. import policy
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
    author: Any,
    child: Child,
    decision: str,
    recipient_kind: str,
    recipient_organisation: str,
    recipient_person: str,
    purpose: str,
    lawful_basis: str,
    necessary_and_proportionate: str,
    consent: str,
    consent_record: ConsentRecord | None,
    no_consent_reason: str,
    no_consent_explanation: str,
    service_agreement: str,
    lsp_procedures: str,
    advice_from: str,
    advice_given: str,
    entries: list[RecordEntry],
    summary: str,
    other_children: list[Child],
    other_carers: list[Carer],
    level: int | None,
    supersedes: SharingDecision | None,
) -> tuple[dict[str, str], int]:
    errors: dict[str, str] = {}
    if decision not in DecisionKind.values:
        errors["decision"] = "Say whether the decision is to share or not to share."
    if recipient_kind not in RecipientKind.values:
        errors["recipient_kind"] = "Choose who the information would go to."
    if blank(recipient_organisation) and blank(recipient_person):
        errors["recipient_organisation"] = (
            "Name the organisation, or the person or role, the information would go to."
        )
    if blank(purpose):
        errors["purpose"] = "Say what the sharing is for."
    if lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = "Choose the lawful basis."
    if blank(necessary_and_proportionate):
        errors["necessary_and_proportionate"] = (
            "Say why sharing (or not) is necessary and proportionate."
        )
    if consent not in ConsentToShare.values:
        errors["consent"] = "Say whether consent was sought, and given or refused."
    overridden = consent == ConsentToShare.SOUGHT_REFUSED and decision == DecisionKind.SHARE
    if consent == ConsentToShare.NOT_SOUGHT or overridden:
        why = "not sought" if consent == ConsentToShare.NOT_SOUGHT else "refused but overridden"
        if no_consent_reason not in NoConsentReason.values:
            errors["no_consent_reason"] = (
                f"Consent was {why}: choose the reason (risk of harm to the child, a serious "
                "offence, or seeking consent would increase the risk)."
            )
        if blank(no_consent_explanation):
            errors["no_consent_explanation"] = (
                f"Consent was {why}: explain the facts of the case that justify it."
            )
    if lawful_basis == LawfulBasis.CONSENT and consent != ConsentToShare.SOUGHT_GIVEN:
        errors["lawful_basis"] = (
            "Consent can be the lawful basis only when it was sought and given: choose another "
            "basis (for example public task or legal obligation)."
        )
    if consent_record is not None and (
        consent_record.child_id != child.pk
        or consent_record.kind != ConsentKind.SHARE
        or consent_record.status != ConsentStatus.GIVEN
        or not policy.visible_consent_records(author).filter(pk=consent_record.pk).exists()
    ):
        errors["consent_record"] = "Choose a consent given to share about this child."
    if service_agreement not in ServiceAgreement.values:
        errors["service_agreement"] = "Say whether the family agreed to the service."
    if lsp_procedures not in LspProcedures.values:
        errors["lsp_procedures"] = (
            "Say whether Local Safeguarding Partners procedures were followed."
        )
    elif recipient_kind in REFERRAL_RECIPIENTS and lsp_procedures == LspProcedures.NOT_APPLICABLE:
        errors["lsp_procedures"] = (
            "Local Safeguarding Partners procedures apply to referrals: say whether they were followed."
        )
    if blank(advice_from) != blank(advice_given):
        field = "advice_given" if blank(advice_given) else "advice_from"
        errors[field] = "Say both whose advice was sought and what the advice was."
    if not entries and blank(summary):
        errors["entries"] = "Choose the entries to share, or write a summary of the information."
    allowed_children = {child.pk} | {c.pk for c in other_children}
    readable = records_policy.visible_entries(author).filter(pk__in=[e.pk for e in entries])
    if entries and (
        readable.count() != len({e.pk for e in entries})
        or any(e.child_id not in allowed_children for e in entries)
    ):
        errors["entries"] = "Choose only entries about the children concerned that you can read."
    if other_children and records_policy.visible_children(author).filter(
        pk__in=[c.pk for c in other_children]
    ).count() != len({c.pk for c in other_children}):
        errors["other_children"] = "Choose children you work with."
    if other_carers and policy.visible_carers(author).filter(
        pk__in=[c.pk for c in other_carers]
    ).count() != len({c.pk for c in other_carers}):
        errors["other_carers"] = "Choose carers of children you work with."
    lowest = default_level(entries=entries, recipient_kind=recipient_kind)
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
    *, child: Child, staff: Staff, level: int, fields: dict[str, Any]
) -> SharingDecision:
    entries = fields.pop("entries")
    other_children = fields.pop("other_children")
    other_carers = fields.pop("other_carers")
    for name in ("recipient_organisation", "recipient_person", "summary", "other_people"):
        fields[name] = fields[name].strip()
    decision = SharingDecision(child=child, author=staff, level=level, **fields)
    decision.save()
    if entries:
        decision.entries.set(entries)
    if other_children:
        decision.other_children.set(other_children)
    if other_carers:
        decision.other_carers.set(other_carers)
    return decision


@transaction.atomic
def propose_sharing(
    *,
    child: Child,
    author: Any,
    decision: str,
    recipient_kind: str,
    purpose: str,
    lawful_basis: str,
    necessary_and_proportionate: str,
    consent: str,
    lsp_procedures: str,
    recipient_organisation: str = "",
    recipient_person: str = "",
    consent_record: ConsentRecord | None = None,
    no_consent_reason: str = "",
    no_consent_explanation: str = "",
    service_agreement: str = ServiceAgreement.NOT_APPLICABLE,
    advice_from: str = "",
    advice_given: str = "",
    entries: Iterable[RecordEntry] = (),
    summary: str = "",
    other_children: Iterable[Child] = (),
    other_carers: Iterable[Carer] = (),
    other_people: str = "",
    level: int | None = None,
    supersedes: SharingDecision | None = None,
) -> SharingDecision:
    """Propose a decision to share, or not to share, for the Lead to approve or decline."""
    staff = _staff(author)
    require(policy.can_propose_sharing(author, child))
    fields: dict[str, Any] = dict(
        decision=decision,
        recipient_kind=recipient_kind,
        recipient_organisation=recipient_organisation,
        recipient_person=recipient_person,
        purpose=purpose,
        lawful_basis=lawful_basis,
        necessary_and_proportionate=necessary_and_proportionate,
        consent=consent,
        consent_record=consent_record,
        no_consent_reason=no_consent_reason,
        no_consent_explanation=no_consent_explanation,
        service_agreement=service_agreement,
        lsp_procedures=lsp_procedures,
        advice_from=advice_from,
        advice_given=advice_given,
        entries=list(entries),
        summary=summary,
        other_children=list(other_children),
        other_carers=list(other_carers),
        supersedes=supersedes,
    )
    errors, level = _check_decision(author=author, child=child, level=level, **fields)
    raise_errors(errors)
    fields["other_people"] = other_people
    return _new_decision(child=child, staff=staff, level=level, fields=fields)


@transaction.atomic
def record_emergency_share(
    *,
    child: Child,
    author: Any,
    recipient_kind: str,
    purpose: str,
    lawful_basis: str,
    necessary_and_proportionate: str,
    consent: str,
    lsp_procedures: str,
    emergency_reason: str,
    shared_what: str,
    shared_at: datetime,
    shared_how: str,
    recipient_organisation: str = "",
    recipient_person: str = "",
    no_consent_reason: str = "",
    no_consent_explanation: str = "",
    service_agreement: str = ServiceAgreement.NOT_APPLICABLE,
    advice_from: str = "",
    advice_given: str = "",
    entries: Iterable[RecordEntry] = (),
    summary: str = "",
    other_children: Iterable[Child] = (),
    other_carers: Iterable[Carer] = (),
    other_people: str = "",
    level: int | None = None,
) -> SharingDecision:
    """The Lead or Deputy records a share that already happened because a child was at risk.
    It shows as retrospective and is due for the Lead's review within one working day."""

    staff = _staff(author)
    require(policy.can_record_emergency_share(author, child))
    fields: dict[str, Any] = dict(
        decision=DecisionKind.SHARE,
        recipient_kind=recipient_kind,
        recipient_organisation=recipient_organisation,
        recipient_person=recipient_person,
        purpose=purpose,
        lawful_basis=lawful_basis,
        necessary_and_proportionate=necessary_and_proportionate,
        consent=consent,
        consent_record=None,
        no_consent_reason=no_consent_reason,
        no_consent_explanation=no_consent_explanation,
        service_agreement=service_agreement,
        lsp_procedures=lsp_procedures,
        advice_from=advice_from,
        advice_given=advice_given,
        entries=list(entries),
        summary=summary,
        other_children=list(other_children),
        other_carers=list(other_carers),
        supersedes=None,
    )
    errors, level = _check_decision(author=author, child=child, level=level, **fields)
    if blank(emergency_reason):
        errors["emergency_reason"] = "Say why the child was at risk and it could not wait."
    if blank(shared_what):
        errors["shared_what"] = "Say exactly what was shared."
    if shared_how not in SharedHow.values:
        errors["shared_how"] = "Say how it was shared."
    _not_in_future(shared_at, "shared_at", "When it was shared", errors)
    raise_errors(errors)
    now = timezone.now()
    # A dict merge, not .update(): the static check for bulk updates of encrypted fields
    # (tests/records/test_crypto.py) reads every ".update(" call.
    fields |= {
        "other_people": other_people,
        "retrospective": True,
        "emergency_reason": emergency_reason,
        "review_due_at": one_working_day_after(now),
        "state": DecisionState.SHARED,
        "shared_what": shared_what,
        "shared_at": shared_at,
        "shared_how": shared_how,
        "shared_by": staff,
        "acknowledgement_due_at": (
            one_working_day_after(shared_at) if recipient_kind in REFERRAL_RECIPIENTS else None
        ),
    }
    decision = _new_decision(child=child, staff=staff, level=level, fields=fields)
    log_event(actor=author, event="sharing_emergency_recorded", obj=decision)
    return decision


def _decide(
    *, decision: SharingDecision, by: Any, rationale: str, verdict: str, request: Any
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
    *, decision: SharingDecision, approver: Any, rationale: str, request: Any = None
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
    *, decision: SharingDecision, approver: Any, rationale: str, request: Any = None
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
    by: Any,
    shared_what: str,
    shared_at: datetime,
    shared_how: str,
    request: Any = None,
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
    log_event(actor=by, event="sharing_shared", obj=decision, request=request)
    return decision
