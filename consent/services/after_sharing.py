"""After a share: telling the family (or the Lead's decision not to), and the acknowledgement and
outcome of a referral."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from audit.log import log_event
from core.rules import CLOCK_GRACE, blank, raise_errors, require
from records.models import InformedHow

from .. import policy
from ..events import Event
from ..models import DecisionState, ReferralOutcome, SharingDecision
from .common import _not_in_future, _staff


@transaction.atomic
def record_family_informed(
    *,
    decision: SharingDecision,
    by: User,
    informed_at: datetime,
    how: str,
    request: HttpRequest | None = None,
) -> SharingDecision:
    staff = _staff(by)
    require(policy.can_record_family_informed(by, decision))
    errors: dict[str, str] = {}
    if how not in InformedHow.values:
        errors["how"] = "Say how the family was told."
    _not_in_future(informed_at, "informed_at", "When the family was told", errors)
    raise_errors(errors)
    updated = SharingDecision.objects.filter(pk=decision.pk, state=DecisionState.SHARED).update(
        state=DecisionState.FAMILY_INFORMED,
        family_informed_at=informed_at,
        family_informed_how=how,
        family_recorded_by=staff,
    )
    if updated != 1:
        raise ValidationError(
            "Only a share whose family is still to be told can be recorded as told."
        )
    decision.refresh_from_db()
    log_event(actor=by, event=Event.SHARING_FAMILY_INFORMED, obj=decision, request=request)
    return decision


@transaction.atomic
def decide_family_not_informed(
    *, decision: SharingDecision, lead: User, reason: str, request: HttpRequest | None = None
) -> SharingDecision:
    """The Lead's decision not to tell the family (it would put the child at risk), with why."""
    staff = _staff(lead)
    require(policy.can_decide_family_not_informed(lead))
    require(policy.visible_decisions(lead).filter(pk=decision.pk).exists())
    if blank(reason):
        raise ValidationError(
            {"reason": "Record why telling the family would put the child at risk."}
        )
    updated = SharingDecision.objects.filter(pk=decision.pk, state=DecisionState.SHARED).update(
        state=DecisionState.FAMILY_NOT_INFORMED, family_recorded_by=staff
    )
    if updated != 1:
        raise ValidationError("Only a share whose family is still to be told can be decided on.")
    decision.refresh_from_db()
    decision.family_not_informed_reason = reason.strip()
    decision.save(update_fields=["family_not_informed_reason"])
    log_event(actor=lead, event=Event.SHARING_FAMILY_NOT_INFORMED, obj=decision, request=request)
    return decision


SHARED_STATES = (
    DecisionState.SHARED,
    DecisionState.FAMILY_INFORMED,
    DecisionState.FAMILY_NOT_INFORMED,
)


@transaction.atomic
def record_referral_acknowledged(
    *,
    decision: SharingDecision,
    by: User,
    acknowledged_at: datetime,
    request: HttpRequest | None = None,
) -> SharingDecision:
    staff = _staff(by)
    require(policy.can_record_referral_response(by, decision))
    if not decision.is_referral:
        raise ValidationError(
            "Only referrals to social care or the Local Safeguarding Partners are tracked."
        )
    errors: dict[str, str] = {}
    _not_in_future(acknowledged_at, "acknowledged_at", "The acknowledgement", errors)
    if decision.shared_at and acknowledged_at < decision.shared_at - CLOCK_GRACE:
        errors["acknowledged_at"] = "The referral cannot be acknowledged before it was made."
    raise_errors(errors)
    updated = SharingDecision.objects.filter(
        pk=decision.pk, state__in=SHARED_STATES, acknowledged_at__isnull=True
    ).update(acknowledged_at=acknowledged_at, acknowledgement_recorded_by=staff)
    if updated != 1:
        raise ValidationError(
            "The acknowledgement can be recorded once, after the referral was made."
        )
    decision.refresh_from_db()
    log_event(actor=by, event=Event.REFERRAL_ACKNOWLEDGED, obj=decision, request=request)
    return decision


@transaction.atomic
def record_referral_outcome(
    *,
    decision: SharingDecision,
    by: User,
    outcome: str,
    outcome_at: datetime,
    notes: str = "",
    request: HttpRequest | None = None,
) -> SharingDecision:
    staff = _staff(by)
    require(policy.can_record_referral_response(by, decision))
    if not decision.is_referral:
        raise ValidationError(
            "Only referrals to social care or the Local Safeguarding Partners are tracked."
        )
    errors: dict[str, str] = {}
    if outcome not in ReferralOutcome.values:
        errors["outcome"] = "Choose the outcome."
    _not_in_future(outcome_at, "outcome_at", "The outcome", errors)
    raise_errors(errors)
    updated = SharingDecision.objects.filter(
        pk=decision.pk, acknowledged_at__isnull=False, outcome=""
    ).update(outcome=outcome, outcome_at=outcome_at, outcome_recorded_by=staff)
    if updated != 1:
        raise ValidationError("Record the acknowledgement first; the outcome is recorded once.")
    decision.refresh_from_db()
    if notes.strip():
        decision.outcome_notes = notes.strip()
        decision.save(update_fields=["outcome_notes"])
    log_event(actor=by, event=Event.REFERRAL_OUTCOME, obj=decision, request=request)
    return decision
