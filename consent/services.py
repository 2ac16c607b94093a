"""State changes for disclosures, consent records and sharing decisions: one rule each, inside a
transaction, audit included.

django-auditlog records every create and ``save()`` (encrypted fields redacted). State transitions
are conditional UPDATEs — ``filter(state=...).update(...)`` and a check of the count — so a second
decision on an already decided proposal is refused on SQLite and PostgreSQL alike; auditlog does not
see bulk updates, so each transition also writes its own audit event. Encrypted fields are never in
those UPDATEs: they are set afterwards with ``save(update_fields=...)``, bound to their row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from audit.log import log_event
from core.rules import CLOCK_GRACE, blank, in_future, raise_errors, require
from records import policy as records_policy
from records import services as records_services
from records.models import Carer, Child, InformedHow, Level, RecordEntry, Staff

from . import policy
from .models import (
    CP_RECIPIENTS,
    REFERRAL_RECIPIENTS,
    Confidentiality,
    ConsentHow,
    ConsentKind,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    ConsentToShare,
    DecisionKind,
    DecisionState,
    DiscloserKind,
    Disclosure,
    DisclosureSubject,
    LawfulBasis,
    LeadDecision,
    LspProcedures,
    NoConsentReason,
    RecipientKind,
    ReferralOutcome,
    ServiceAgreement,
    SharedHow,
    SharingDecision,
    SubjectConfidentiality,
)
from .working_days import one_working_day_after


def _staff(user: Any) -> Staff:
    staff = records_policy.staff_of(user)
    require(staff is not None)
    assert staff is not None
    return staff


def _not_in_future(value: datetime | None, field: str, what: str, errors: dict[str, str]) -> None:
    if in_future(value):
        errors[field] = f"{what} cannot be in the future."


# --- disclosures ------------------------------------------------------------------------------


def _subject_confidentiality(
    *, discloser_kind: str, discloser_carer: Carer | None, child: Child, subject: Any, given: str
) -> str:
    if (
        isinstance(subject, Carer)
        and discloser_carer is not None
        and subject.pk == discloser_carer.pk
    ):
        return SubjectConfidentiality.SELF
    if (
        isinstance(subject, Child)
        and discloser_kind == DiscloserKind.CHILD
        and subject.pk == child.pk
    ):
        return SubjectConfidentiality.SELF
    return given


@transaction.atomic
def record_disclosure(
    *,
    child: Child,
    author: Any,
    discloser_kind: str,
    disclosed_at: datetime,
    what: str,
    discloser_carer: Carer | None = None,
    discloser_name: str = "",
    received_by: Staff | None = None,
    subject_children: Iterable[Child] = (),
    subject_carers: Iterable[Carer] = (),
    third_parties: Iterable[str] = (),
    confidentiality: str = Confidentiality.NOT_ASKED,
    subject_confidentiality: str = SubjectConfidentiality.NOT_ASKED,
    entries: Iterable[RecordEntry] = (),
    level: int | None = None,
) -> Disclosure:
    """Who told whom, when, about whom, what, and whether it is confidential — for the person
    who told us and for each person it concerns."""
    staff = _staff(author)
    require(policy.can_record_disclosure(author, child))
    subject_children = list(subject_children)
    subject_carers = list(subject_carers)
    third_parties = [t.strip() for t in third_parties if t.strip()]
    entries = list(entries)
    received_by = received_by or staff
    errors: dict[str, str] = {}

    if discloser_kind not in DiscloserKind.values:
        errors["discloser_kind"] = "Say who told us."
    elif discloser_kind == DiscloserKind.CARER and discloser_carer is None:
        errors["discloser_carer"] = "Choose which parent or carer told us."
    elif (
        discloser_kind not in (DiscloserKind.CARER, DiscloserKind.CHILD)
        and discloser_carer is None
        and blank(discloser_name)
    ):
        errors["discloser_name"] = "Give the name and role of the person who told us."
    if (
        discloser_carer is not None
        and not policy.visible_carers(author).filter(pk=discloser_carer.pk).exists()
    ):
        errors["discloser_carer"] = "Choose a carer of a child you work with."
    if not records_policy.works_with_children(received_by):
        errors["received_by"] = "Choose the member of staff they told."
    _not_in_future(disclosed_at, "disclosed_at", "When they told us", errors)
    if blank(what):
        errors["what"] = "Write what they told us."
    if not (subject_children or subject_carers or third_parties):
        errors["subject_children"] = "Say whom it is about: at least one child or adult."
    visible_children = records_policy.visible_children(author)
    if subject_children and visible_children.filter(
        pk__in=[c.pk for c in subject_children]
    ).count() != len({c.pk for c in subject_children}):
        errors["subject_children"] = "Choose children you work with."
    if subject_carers and policy.visible_carers(author).filter(
        pk__in=[c.pk for c in subject_carers]
    ).count() != len({c.pk for c in subject_carers}):
        errors["subject_carers"] = "Choose carers of children you work with."
    if confidentiality not in Confidentiality.values:
        errors["confidentiality"] = "Say whether they regard it as confidential."
    if subject_confidentiality not in (
        SubjectConfidentiality.YES,
        SubjectConfidentiality.NO,
        SubjectConfidentiality.NOT_ASKED,
    ):
        errors["subject_confidentiality"] = (
            "Say whether the people it concerns regard it as confidential."
        )
    allowed_children = {child.pk} | {c.pk for c in subject_children}
    readable = records_policy.visible_entries(author).filter(pk__in=[e.pk for e in entries])
    if entries and (
        readable.count() != len({e.pk for e in entries})
        or any(e.child_id not in allowed_children for e in entries)
    ):
        errors["entries"] = "Link only entries about the children it concerns that you can read."
    lowest = max([e.level for e in entries], default=Level.GENERAL)
    if level is None:
        level = max(lowest, Level.SENSITIVE)
    elif int(level) < lowest:
        errors["level"] = (
            f"A linked entry is {Level(lowest).label.lower()}: the disclosure cannot be less."
        )
    raise_errors(errors)

    now = timezone.now()
    disclosure = Disclosure(
        child=child,
        level=int(level),
        author=staff,
        discloser_kind=discloser_kind,
        discloser_carer=discloser_carer,
        discloser_name=discloser_name.strip(),
        received_by=received_by,
        disclosed_at=disclosed_at,
        what=what,
        confidentiality=confidentiality,
    )
    if confidentiality != Confidentiality.NOT_ASKED:
        disclosure.confidentiality_asked_at = now
        disclosure.confidentiality_asked_by = staff
    disclosure.save()
    if entries:
        disclosure.entries.set(entries)
    people: list[tuple[str, Any]] = [("child", c) for c in dict.fromkeys(subject_children)]
    people += [("carer", c) for c in dict.fromkeys(subject_carers)]
    people += [("third_party", t) for t in third_parties]
    for field, person in people:
        value = (
            subject_confidentiality
            if field == "third_party"
            else _subject_confidentiality(
                discloser_kind=discloser_kind,
                discloser_carer=discloser_carer,
                child=child,
                subject=person,
                given=subject_confidentiality,
            )
        )
        subject = DisclosureSubject(disclosure=disclosure, confidentiality=value, **{field: person})
        if value in (SubjectConfidentiality.YES, SubjectConfidentiality.NO):
            subject.asked_at, subject.asked_by = now, staff
        subject.save()
    return disclosure


@transaction.atomic
def record_entry_with_disclosure(
    *,
    child: Child,
    author: Any,
    entry: Mapping[str, Any],
    disclosure: Mapping[str, Any],
) -> tuple[RecordEntry, Disclosure]:
    """A record entry and the disclosure it records: one form, one transaction. ``entry`` holds
    records.services.record_entry's arguments, ``disclosure`` record_disclosure's; the
    disclosure takes the entry's level and links to it."""
    new_entry = records_services.record_entry(child=child, author=author, **entry)
    new_disclosure = record_disclosure(
        child=child,
        author=author,
        entries=[new_entry],
        level=new_entry.level,
        **disclosure,
    )
    return new_entry, new_disclosure


@transaction.atomic
def answer_confidentiality(
    *,
    disclosure: Disclosure,
    by: Any,
    confidentiality: str = "",
    subjects: Mapping[Any, str] | None = None,
    request: Any = None,
) -> Disclosure:
    """Record the answer to "is it confidential?", asked later. Each question is answered once:
    a conditional UPDATE from "not yet asked", so two people answering at once cannot both win."""
    staff = _staff(by)
    require(policy.can_answer_confidentiality(by, disclosure))
    answers = {str(k): v for k, v in (subjects or {}).items() if v}
    if not confidentiality and not answers:
        raise ValidationError("Give at least one answer.")
    answered = (Confidentiality.YES, Confidentiality.NO)
    if confidentiality and confidentiality not in answered:
        raise ValidationError({"confidentiality": "Answer yes or no."})
    if any(v not in answered for v in answers.values()):
        raise ValidationError("Answer yes or no for each person.")
    now = timezone.now()
    if confidentiality:
        updated = Disclosure.objects.filter(
            pk=disclosure.pk, confidentiality=Confidentiality.NOT_ASKED
        ).update(
            confidentiality=confidentiality,
            confidentiality_asked_at=now,
            confidentiality_asked_by=staff,
        )
        if updated != 1:
            raise ValidationError(
                {"confidentiality": "This has already been answered; the answer is kept."}
            )
    if answers:
        pending = DisclosureSubject.objects.filter(
            disclosure=disclosure, confidentiality=SubjectConfidentiality.NOT_ASKED
        )
        for subject_id, value in answers.items():
            if (
                pending.filter(pk=subject_id).update(
                    confidentiality=value, asked_at=now, asked_by=staff
                )
                != 1
            ):
                raise ValidationError("One of these answers was already recorded; reload the page.")
    log_event(
        actor=by,
        event="confidentiality_answered",
        obj=disclosure,
        request=request,
        detail={"discloser": confidentiality or None, "people": len(answers)},
    )
    disclosure.refresh_from_db()
    return disclosure


# --- consent records --------------------------------------------------------------------------


def _same_purpose(record: ConsentRecord, purpose: str, purpose_other: str) -> bool:
    if record.purpose != purpose:
        return False
    if purpose != ConsentPurpose.OTHER:
        return True
    return record.purpose_other.strip().lower() == purpose_other.strip().lower()


def current_consent(
    *, carer: Carer, child: Child, kind: str, purpose: str, purpose_other: str = ""
) -> ConsentRecord | None:
    """The latest row for a carer, child, kind and purpose: the current state."""
    rows = ConsentRecord.objects.filter(carer=carer, child=child, kind=kind, purpose=purpose)
    for row in rows.order_by("-given_at", "-recorded_at"):
        if _same_purpose(row, purpose, purpose_other):
            return row
    return None


@transaction.atomic
def record_consent(
    *,
    carer: Carer,
    child: Child,
    author: Any,
    kind: str,
    purpose: str,
    status: str,
    how: str,
    given_at: datetime,
    purpose_other: str = "",
    note: str = "",
    evidence: UploadedFile | None = None,
) -> ConsentRecord:
    """Append a row to a carer's consent ledger. Nothing is changed: withdrawing consent is a new
    row, and the latest row is the current state."""
    staff = _staff(author)
    require(policy.can_record_consent(author, child))
    errors: dict[str, str] = {}
    if not child.carers.filter(pk=carer.pk).exists():
        errors["child"] = "This carer does not act for that child."
    if kind not in ConsentKind.values:
        errors["kind"] = "Say whether this is consent to share or agreement to a service."
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = "Choose the purpose."
    elif purpose == ConsentPurpose.OTHER and blank(purpose_other):
        errors["purpose_other"] = "Say what the purpose is."
    if status not in ConsentStatus.values:
        errors["status"] = "Say whether consent was given, refused or withdrawn."
    if how not in ConsentHow.values:
        errors["how"] = "Say how it was given: in writing or verbally."
    _not_in_future(given_at, "given_at", "The date", errors)
    raise_errors(errors)
    current = current_consent(
        carer=carer, child=child, kind=kind, purpose=purpose, purpose_other=purpose_other
    )
    if status == ConsentStatus.WITHDRAWN and (
        current is None or current.status != ConsentStatus.GIVEN
    ):
        errors["status"] = "There is no consent given for this purpose to withdraw."
    if current is not None and given_at < current.given_at:
        when = timezone.localtime(current.given_at).strftime("%d/%m/%Y %H:%M")
        errors["given_at"] = (
            f"The latest record for this purpose is dated {when}: the ledger is kept in order, "
            "so a new row cannot be dated before it."
        )
    record = ConsentRecord(
        carer=carer,
        child=child,
        author=staff,
        kind=kind,
        purpose=purpose,
        purpose_other=purpose_other.strip() if purpose == ConsentPurpose.OTHER else "",
        status=status,
        how=how,
        given_at=given_at,
        note=note.strip(),
    )
    if evidence is not None:
        try:
            content_type, data = records_services.check_attachment(evidence)
        except ValidationError as exc:
            errors["evidence"] = " ".join(exc.messages)
        else:
            record.evidence = data
            record.evidence_content_type = content_type
            record.evidence_size = len(data)
            record.evidence_sha256 = hashlib.sha256(data).hexdigest()
    raise_errors(errors)
    record.save()
    return record


# --- sharing decisions ------------------------------------------------------------------------


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


@transaction.atomic
def record_family_informed(
    *, decision: SharingDecision, by: Any, informed_at: datetime, how: str, request: Any = None
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
    log_event(actor=by, event="sharing_family_informed", obj=decision, request=request)
    return decision


@transaction.atomic
def decide_family_not_informed(
    *, decision: SharingDecision, lead: Any, reason: str, request: Any = None
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
    log_event(actor=lead, event="sharing_family_not_informed", obj=decision, request=request)
    return decision


SHARED_STATES = (
    DecisionState.SHARED,
    DecisionState.FAMILY_INFORMED,
    DecisionState.FAMILY_NOT_INFORMED,
)


@transaction.atomic
def record_referral_acknowledged(
    *, decision: SharingDecision, by: Any, acknowledged_at: datetime, request: Any = None
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
    log_event(actor=by, event="referral_acknowledged", obj=decision, request=request)
    return decision


@transaction.atomic
def record_referral_outcome(
    *,
    decision: SharingDecision,
    by: Any,
    outcome: str,
    outcome_at: datetime,
    notes: str = "",
    request: Any = None,
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
    log_event(actor=by, event="referral_outcome", obj=decision, request=request)
    return decision
