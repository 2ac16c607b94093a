"""The request itself: arrival, identity and the clock, compiling, review and the second check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from audit.chain import bulk_insert
from audit.log import log_event
from core.fields import prepare_for_insert
from core.rules import blank, raise_errors, require
from records.models import Carer, Child, Level, Setting, Staff

from .. import compile as bundle
from .. import policy
from ..events import Event
from ..models import (
    BEFORE_CLOCK,
    OPEN_STATUSES,
    PROFESSIONAL_KINDS,
    BundleItem,
    ClarificationPause,
    ConsentAnswer,
    Decision,
    DisclosureReason,
    Exemption,
    IdentityMethod,
    ItemKind,
    JointRequester,
    Letter,
    LetterKind,
    MentionDecision,
    Redaction,
    RefusalReason,
    RenderState,
    RequesterKind,
    Status,
    SubjectAccessRequest,
    ThirdPartyConsent,
    ThirdPartyMention,
)
from ..third_parties import widened, word_spans
from .common import (
    _handler,
    _letter,
    _move,
    _new_reference,
    _staff,
)

# --- arrival ------------------------------------------------------------------------------------


@transaction.atomic
def record_request(
    *,
    by: User,
    received_on: date,
    channel: str,
    requester_kind: str,
    asked_for: str,
    requester_carer: Carer | None = None,
    requester_staff: Staff | None = None,
    requester_name: str = "",
    authority: str = "",
    contact_email: str = "",
    contact_address: str = "",
    child: Child | None = None,
    include_siblings: bool = False,
    include_requester: bool = True,
    request: HttpRequest | None = None,
) -> SubjectAccessRequest:
    """Record a request the moment it arrives, whoever took it and however it came.

    The subjects are the children named and the person asking. Another parent or carer is not a
    subject because they are family: what they told us stays their own (third-party information
    for the requester) unless they join the request themselves, with their own identity check
    (``add_joint_requester``)."""
    staff = _staff(by)
    require(policy.can_record_request(by))
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if received_on > today:
        errors["received_on"] = "The date received cannot be in the future."
    elif received_on < today - timedelta(days=366):
        errors["received_on"] = "The date received is more than a year ago: check the date."
    if blank(asked_for):
        errors["asked_for"] = "Write down what they asked for, in their words if you can."
    if child is not None and not policy.children_for_recording(by).filter(pk=child.pk).exists():
        errors["child"] = "Choose a child from the list."
    if requester_kind == RequesterKind.CARER:
        if requester_carer is None:
            errors["requester_carer"] = "Choose the parent or carer who asked."
        elif child is not None:
            if not child.carers.filter(pk=requester_carer.pk).exists():
                errors["requester_carer"] = "This carer is not recorded as a carer of the child."
            elif not requester_carer.parental_responsibility:
                errors["child"] = (
                    f"{requester_carer.full_name} has no parental responsibility for "
                    f"{child.first_name} on our records, so cannot ask for the child's records. "
                    "Record the request for their own information instead (choose no child), "
                    "or ask the Lead if the register is wrong."
                )
    elif requester_kind == RequesterKind.STAFF:
        if requester_staff is None:
            errors["requester_staff"] = "Choose the member of staff who asked."
        elif child is not None:
            errors["child"] = "A member of staff asks for their own records, not a child's."
    elif requester_kind == RequesterKind.REPRESENTATIVE:
        if blank(requester_name):
            errors["requester_name"] = "Give the name and role of the person acting for them."
        if requester_carer is None and requester_staff is None:
            errors["requester_carer"] = "Choose the parent, carer or staff member they act for."
    else:
        errors["requester_kind"] = "Say who is asking."
    if requester_kind != RequesterKind.STAFF and blank(contact_email) and blank(contact_address):
        errors["contact_email"] = "Give an email or postal address for the response."
    if child is None and not include_requester:
        errors["include_requester"] = "Choose whose records they asked for."
    raise_errors(errors)

    carer_subject = requester_carer
    sar = SubjectAccessRequest(
        received_on=received_on,
        channel=channel,
        received_by=staff,
        requester_kind=requester_kind,
        requester_carer=requester_carer,
        requester_staff=requester_staff if requester_kind != RequesterKind.CARER else None,
        requester_name=requester_name,
        authority=authority,
        contact_email=contact_email,
        contact_address=contact_address,
        asked_for=asked_for,
    )
    if (
        requester_kind == RequesterKind.STAFF
        or requester_kind == RequesterKind.REPRESENTATIVE
        and requester_staff is not None
    ):
        sar.staff_subject = requester_staff if include_requester else None
    for _ in range(5):
        sar.reference = _new_reference(received_on)
        if not SubjectAccessRequest.objects.filter(reference=sar.reference).exists():
            break
    sar.save()
    children: list[Child] = []
    carers: set[Carer] = set()
    if child is not None:
        children.append(child)
        if include_siblings:
            children += list(Child.objects.filter(family=child.family).exclude(pk=child.pk))
    if include_requester and carer_subject is not None:
        carers.add(carer_subject)
    sar.children.set(children)
    sar.carers.set(carers)
    if policy.waits_for_a_trustee(sar):
        # The Lead's own records: identity is known, so the clock runs from the day received,
        # while the request waits for the safeguarding trustee.
        sar.status = Status.IN_PROGRESS
        sar.identity_method = IdentityMethod.KNOWN_TO_STAFF
        sar.clock_started_on = received_on
        sar.save(update_fields=["status", "identity_method", "clock_started_on"])
    # What the requester is told at once: the date received, what they asked for, when they
    # will have it, and how.
    _letter(sar, LetterKind.ACKNOWLEDGEMENT, staff, due=sar.due_on())
    log_event(actor=by, event=Event.SAR_RECEIVED, obj=sar, request=request)
    return sar


@transaction.atomic
def add_joint_requester(
    *,
    sar: SubjectAccessRequest,
    by: User,
    carer: Carer,
    method: str,
    confirmed_on: date,
    evidence_received_on: date | None = None,
    note: str = "",
) -> JointRequester:
    """Another parent or carer of the child joins the request: their identity is checked like
    the requester's, and from then on what is held about them is theirs to receive too."""
    staff = _handler(by, sar)
    errors: dict[str, str] = {}
    if sar.compiled_at is not None or sar.status not in OPEN_STATUSES:
        errors["carer"] = "Someone can join a request only before its bundle is compiled."
    elif not Carer.objects.filter(children__in=sar.children.all(), pk=carer.pk).exists():
        errors["carer"] = "Choose a parent or carer of a child the request is about."
    elif sar.carers.filter(pk=carer.pk).exists():
        errors["carer"] = f"{carer.full_name} is already a subject of this request."
    if method not in IdentityMethod.values:
        errors["method"] = "Say how their identity was checked."
    elif method != IdentityMethod.KNOWN_TO_STAFF and evidence_received_on is None:
        errors["evidence_received_on"] = "Give the date their evidence of identity reached us."
    elif evidence_received_on is not None and evidence_received_on > confirmed_on:
        errors["evidence_received_on"] = "The evidence must have arrived by the day it was checked."
    if confirmed_on > timezone.localdate():
        errors["confirmed_on"] = "The date cannot be in the future."
    if method in (IdentityMethod.OTHER, IdentityMethod.WRITTEN_AUTHORITY) and blank(note):
        errors["note"] = "Say what was checked."
    raise_errors(errors)
    joined = JointRequester(
        request=sar,
        carer=carer,
        identity_method=method,
        identity_confirmed_on=confirmed_on,
        identity_evidence_received_on=evidence_received_on,
        identity_note=note,
        checked_by=staff,
    )
    joined.save()
    sar.carers.add(carer)
    log_event(actor=by, event=Event.SAR_JOINED, obj=sar, detail={"carer": str(carer.pk)})
    return joined


# --- identity, clarification, extension, refusal -------------------------------------------------


@transaction.atomic
def ask_for_identity(*, sar: SubjectAccessRequest, by: User, what: str) -> Letter:
    staff = _handler(by, sar)
    raise_errors({"what": "Say what proof of identity you asked for."} if blank(what) else {})
    _move(
        by,
        sar,
        Status.RECEIVED,
        "Identity has already been asked for or confirmed.",
        status=Status.AWAITING_IDENTITY,
    )
    return _letter(sar, LetterKind.IDENTITY, staff, what=what)


def _pr_carer(sar: SubjectAccessRequest) -> Carer | None:
    return sar.requester_carer


@transaction.atomic
def confirm_identity(
    *,
    sar: SubjectAccessRequest,
    by: User,
    method: str,
    confirmed_on: date,
    evidence_received_on: date | None = None,
    note: str = "",
    parental_responsibility: bool = False,
    court_order_note: str = "",
) -> SubjectAccessRequest:
    """Identity (and, for a child's records, parental responsibility and any court order) checked.
    The clock starts on the day the evidence of identity was received — whatever day staff got
    round to checking it — or on the day the request was received, where the requester is known
    to us and no evidence was needed."""
    staff = _handler(by, sar)
    errors: dict[str, str] = {}
    if confirmed_on > timezone.localdate():
        errors["confirmed_on"] = "The date cannot be in the future."
    elif confirmed_on < sar.received_on:
        errors["confirmed_on"] = "Identity cannot be confirmed before the request was received."
    if method not in IdentityMethod.values:
        errors["method"] = "Say how identity was checked."
    elif method != IdentityMethod.KNOWN_TO_STAFF:
        if evidence_received_on is None:
            errors["evidence_received_on"] = (
                "Give the date the evidence of identity reached us: the clock starts then."
            )
        elif evidence_received_on < sar.received_on:
            errors["evidence_received_on"] = (
                "The evidence cannot have arrived before the request: give the date it came "
                "with the request, or after."
            )
        elif evidence_received_on > confirmed_on:
            errors["evidence_received_on"] = (
                "The evidence must have arrived by the day it was checked."
            )
    elif method in (IdentityMethod.OTHER, IdentityMethod.WRITTEN_AUTHORITY) and blank(note):
        errors["note"] = "Say what was checked."
    if sar.children.exists():
        carer = _pr_carer(sar)
        if carer is not None and not carer.parental_responsibility:
            errors["parental_responsibility"] = (
                f"{carer.full_name} has no parental responsibility on our records: the child's "
                "records cannot be released to them."
            )
        elif not parental_responsibility:
            errors["parental_responsibility"] = (
                "Confirm that the requester has parental responsibility for the child."
            )
        if carer is not None and carer.court_order_restrictions and blank(court_order_note):
            errors["court_order_note"] = (
                "There is a court order on this carer's record: say how it affects this request."
            )
    raise_errors(errors)
    known = method == IdentityMethod.KNOWN_TO_STAFF
    clock = sar.received_on if known or evidence_received_on is None else evidence_received_on
    _move(
        by,
        sar,
        BEFORE_CLOCK,
        "Identity has already been confirmed for this request.",
        status=Status.IN_PROGRESS,
        identity_method=method,
        identity_checked_by=staff,
        identity_confirmed_on=confirmed_on,
        identity_evidence_received_on=None if known else evidence_received_on,
        parental_responsibility_confirmed=bool(sar.children.exists() and parental_responsibility),
        clock_started_on=clock,
    )
    sar.identity_note = note
    sar.court_order_note = court_order_note
    sar.save(update_fields=["identity_note", "court_order_note"])
    return sar


CLOCK_RUNNING = (Status.IN_PROGRESS, Status.IN_REVIEW)


@transaction.atomic
def pause_for_clarification(
    *, sar: SubjectAccessRequest, by: User, asked: str, started_on: date
) -> ClarificationPause:
    staff = _handler(by, sar)
    errors: dict[str, str] = {}
    if blank(asked):
        errors["asked"] = "Say what you asked them to clarify."
    if started_on > timezone.localdate():
        errors["started_on"] = "The date cannot be in the future."
    elif sar.clock_started_on and started_on < sar.clock_started_on:
        errors["started_on"] = "The clock cannot pause before it started."
    raise_errors(errors)
    _move(
        by,
        sar,
        CLOCK_RUNNING,
        "The clock can be paused only while it is running (identity confirmed, not yet sent).",
        status=Status.AWAITING_CLARIFICATION,
    )
    pause = ClarificationPause(request=sar, started_on=started_on, asked=asked, started_by=staff)
    pause.save()
    _letter(sar, LetterKind.CLARIFICATION, staff, asked=asked)
    return pause


@transaction.atomic
def resume_after_clarification(
    *, sar: SubjectAccessRequest, by: User, ended_on: date
) -> ClarificationPause:
    staff = _handler(by, sar)
    pause = sar.pauses.filter(ended_on__isnull=True).first()
    if pause is None or sar.status != Status.AWAITING_CLARIFICATION:
        raise ValidationError("This request is not waiting for clarification.")
    if ended_on > timezone.localdate():
        raise_errors({"ended_on": "The date cannot be in the future."})
    if ended_on < pause.started_on:
        raise_errors({"ended_on": "Clarification cannot arrive before it was asked for."})
    back = Status.IN_REVIEW if sar.compiled_at else Status.IN_PROGRESS
    _move(
        by,
        sar,
        Status.AWAITING_CLARIFICATION,
        "This request is not waiting for clarification.",
        status=back,
    )
    ClarificationPause.objects.filter(pk=pause.pk, ended_on__isnull=True).update(
        ended_on=ended_on, ended_by=staff
    )
    pause.refresh_from_db()
    log_event(actor=by, event=Event.SAR_CLOCK_RESUMED, obj=sar)
    return pause


@transaction.atomic
def extend_deadline(*, sar: SubjectAccessRequest, by: User, reason: str) -> Letter:
    """Up to two further months for a complex or numerous request, told to the requester, with
    the reason, within the first month."""
    staff = _handler(by, sar)
    today = timezone.localdate()
    if sar.clock_started_on is None:
        raise ValidationError("The deadline can be extended once identity is confirmed.")
    if sar.is_extended:
        raise ValidationError("The deadline has already been extended (three months at most).")
    original = sar.original_due_on(today)
    assert original is not None
    if today > original:
        raise ValidationError(
            "The first month has passed: an extension must be told to the requester within it."
        )
    raise_errors({"reason": "Say why the request is complex or numerous."} if blank(reason) else {})
    _move(
        by,
        sar,
        OPEN_STATUSES - BEFORE_CLOCK - {Status.APPROVED},
        "This request cannot be extended now.",
        extended_on=today,
        extended_by=staff,
    )
    sar.extension_reason = reason
    sar.save(update_fields=["extension_reason"])
    return _letter(sar, LetterKind.EXTENSION, staff, reason=reason, new_due=sar.due_on(today))


@transaction.atomic
def refuse_request(*, sar: SubjectAccessRequest, by: User, reason: str, explanation: str) -> Letter:
    """Manifestly unfounded or excessive: a Lead's decision, told with the right to complain."""
    staff = _handler(by, sar)
    require(policy.can_approve(by))
    errors: dict[str, str] = {}
    if reason not in RefusalReason.values:
        errors["reason"] = "Choose why the request is refused."
    if blank(explanation):
        errors["explanation"] = "Explain the reasons: the requester is told them."
    raise_errors(errors)
    _move(
        by,
        sar,
        OPEN_STATUSES - {Status.APPROVED},
        "This request can no longer be refused.",
        status=Status.REFUSED,
        refusal_reason=reason,
        refused_by=staff,
        refused_on=timezone.localdate(),
    )
    sar.refusal_explanation = explanation
    sar.save(update_fields=["refusal_explanation"])
    return _letter(sar, LetterKind.REFUSAL, staff, explanation=explanation)


# --- compiling, reviewing, checking -------------------------------------------------------------


@transaction.atomic
def compile_bundle(*, sar: SubjectAccessRequest, by: User, other_searches: str = "") -> int:
    """Snapshot everything in scope for the subjects (by the policy's rules for the subjects, not
    by who is compiling)."""
    staff = _handler(by, sar)
    now = timezone.now()
    _move(
        by,
        sar,
        Status.IN_PROGRESS,
        "The bundle can be compiled once identity is confirmed, and only once.",
        status=Status.IN_REVIEW,
        compiled_at=now,
        compiled_by=staff,
    )
    items, mentions, counts = bundle.build_items(sar)
    # Written as bulk_create would, without its per-value work: a child's whole file is
    # thousands of values (audit.chain.bulk_insert prepares each shared value once).
    prepare_for_insert([*items, *mentions])
    bulk_insert(items)
    bulk_insert(mentions)
    sar.other_searches = other_searches.strip()
    sar.save(update_fields=["other_searches"])
    log_event(actor=by, event=Event.SAR_COMPILED, obj=sar, detail=counts)
    return len(items)


SERIOUS_HARM_NEEDS_AN_OPINION = (
    "The serious-harm test rests on an opinion: say whose (the social worker or health "
    "professional, and when)."
)


@dataclass(frozen=True)
class MentionChoice:
    """The reviewer's decision about one person found in an item: disclose, with the reason
    (and a note where the reason needs one), or redact."""

    decision: str
    reason: str = ""
    note: str = ""


# Reasons that need the reviewer's words: what made it reasonable, or why the words are not them.
REASONS_NEEDING_A_NOTE = frozenset({DisclosureReason.REASONABLE, DisclosureReason.NOT_THIS_PERSON})


def _mention_errors(
    mention: ThirdPartyMention, choice: MentionChoice, *, attachment: bool
) -> dict[str, str]:
    key = f"mentions.{mention.pk}."
    who = mention.name
    if choice.decision not in (MentionDecision.DISCLOSE, MentionDecision.REDACT):
        return {key + "decision": f"Decide about {who}: disclose with a reason, or redact."}
    if choice.decision == MentionDecision.REDACT:
        if attachment:
            return {
                key + "decision": "An attachment is disclosed or withheld whole: to keep "
                f"{who} out, withhold it."
            }
        return {}
    if choice.reason not in DisclosureReason.values:
        return {key + "reason": f"Say why {who} may be disclosed."}
    if choice.reason == DisclosureReason.PROFESSIONAL_ROLE and not mention.is_professional:
        return {
            key + "reason": f"{who} is not named here as a professional: choose another reason, "
            "or redact."
        }
    if choice.reason in REASONS_NEEDING_A_NOTE and blank(choice.note):
        return {key + "note": f"Note why, for {who}."}
    if choice.reason == DisclosureReason.CONSENTED and _consent_of(mention) is None:
        return {
            key + "reason": f"There is no recorded consent from {who}: ask them from the "
            "request's page and record their reply, or choose another reason."
        }
    return {}


def _consent_of(mention: ThirdPartyMention) -> ThirdPartyConsent | None:
    return ThirdPartyConsent.objects.filter(
        request_id=mention.item.request_id, person_key=mention.person_key, answer=ConsentAnswer.YES
    ).first()


def _inside_passages(item: BundleItem, mention: ThirdPartyMention, passages: list[str]) -> bool:
    """Whether every place the mention's words stand (in the title, the line and the text) lies
    inside one of the passages."""
    if mention.field:
        return False
    for text in (item.title, item.meta, item.body):
        spans = [(start, start + len(p)) for p in passages if p for start in _all_starts(text, p)]
        for word in mention.words:
            for start, end in word_spans(text, word):
                if not any(a <= start and end <= b for a, b in spans):
                    return False
    return True


def _all_starts(text: str, passage: str) -> list[int]:
    starts, start = [], text.find(passage)
    while start != -1:
        starts.append(start)
        start = text.find(passage, start + 1)
    return starts


@dataclass(frozen=True)
class PassageRedaction:
    """One passage the reviewer redacts, with the exemption relied on for it and why."""

    passage: str
    exemption: str = ""
    exemption_other: str = ""
    opinion_from: str = ""
    note: str = ""
    # Grow it to whole words, over a possessive or a relationship word beside it, rather than be
    # refused for leaving a fragment.
    widen: bool = False


def _passage_text(p: PassageRedaction) -> str:
    # A browser sends a textarea's line breaks as CRLF; the snapshot has LF.
    return p.passage.replace("\r\n", "\n").strip()


def _whole(text: str, start: int, end: int) -> tuple[int, int]:
    """A passage grown to whole words, then over a possessive and a relationship word beside it."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return widened(text, start, end)


def _fragment(item: BundleItem, passage: str) -> tuple[str, str] | None:
    """Where redacting ``passage`` would leave part of a word, a possessive or a relationship word
    beside the bar: (what would be left, the passage grown over it), for the first such place."""
    for text in (item.title, item.meta, item.body):
        for start in _all_starts(text, passage):
            end = start + len(passage)
            wide_start, wide_end = _whole(text, start, end)
            if (wide_start, wide_end) != (start, end):
                left = (text[wide_start:start] + " … " + text[end:wide_end]).strip(" …")
                return left, text[wide_start:wide_end]
    return None


def effective_passage(item: BundleItem, p: PassageRedaction) -> str:
    """The passage as it will be redacted: as copied, or grown to leave no fragment when the
    reviewer asked for that."""
    text = _passage_text(p)
    if p.widen and text:
        fragment = _fragment(item, text)
        if fragment is not None:
            return fragment[1]
    return text


def _passage_errors(item: BundleItem, passages: Sequence[PassageRedaction]) -> dict[str, str]:
    """Errors keyed ``passages.<index>.<field>``, so the form can show each by its own row."""
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for n, p in enumerate(passages):
        key = f"passages.{n}."
        text = _passage_text(p)
        if not text:
            errors[key + "passage"] = "Copy the passage to redact, exactly as the record has it."
        elif text not in item.body and text not in item.meta and text not in item.title:
            errors[key + "passage"] = (
                f"This passage is not in the record: “{text[:80]}”. Copy it exactly, "
                "punctuation and line breaks included."
            )
        elif text in seen:
            errors[key + "passage"] = "This passage is listed twice: keep one row for it."
        else:
            wider = effective_passage(item, p)
            fragment = _fragment(item, wider)
            if fragment is not None and not p.widen:
                errors[key + "passage"] = (
                    f"Redacting “{text[:80]}” would leave “{fragment[0]}” beside the bar, which "
                    f"can still say who it was. Redact “{fragment[1][:120]}” instead, or tick "
                    "“widen it” to do so."
                )
            elif fragment is not None:
                errors[key + "passage"] = (
                    f"“{text[:80]}” stands in more than one place with different words around "
                    "it: redact each place as a passage of its own, with the words around it."
                )
        seen.add(text)
        if p.exemption not in Exemption.values:
            errors[key + "exemption"] = "Choose the exemption for this passage."
        elif p.exemption == Exemption.OTHER and blank(p.exemption_other):
            errors[key + "exemption_other"] = "State the exemption for this passage."
        elif p.exemption == Exemption.SERIOUS_HARM and blank(p.opinion_from):
            errors[key + "opinion_from"] = SERIOUS_HARM_NEEDS_AN_OPINION
        if blank(p.note):
            errors[key + "note"] = "Note why the exemption applies to this passage."
    return errors


@transaction.atomic
def review_item(
    *,
    item: BundleItem,
    by: User,
    decision: str,
    exemption: str = "",
    exemption_other: str = "",
    opinion_from: str = "",
    passages: Sequence[PassageRedaction] = (),
    note: str = "",
    silent: bool = False,
    mentions: Mapping[str, MentionChoice] | None = None,
) -> BundleItem:
    """The reviewer's decision on one item. Withholding names one exemption for the whole item;
    redacting names one for each passage. The snapshot's text is never changed: the passages are
    taken out when the PDF is made."""
    sar = item.request
    staff = _handler(by, sar)
    if sar.status != Status.IN_REVIEW:
        raise ValidationError("The bundle is not in review: its items cannot be changed now.")
    errors: dict[str, str] = {}
    if decision not in (Decision.DISCLOSE, Decision.REDACT, Decision.WITHHOLD):
        errors["decision"] = "Choose whether to disclose, redact or withhold."
    if decision == Decision.WITHHOLD:
        if exemption not in Exemption.values:
            errors["exemption"] = "Choose the exemption that applies."
        elif exemption == Exemption.OTHER and blank(exemption_other):
            errors["exemption_other"] = "State the exemption."
        elif exemption == Exemption.SERIOUS_HARM and blank(opinion_from):
            errors["opinion_from"] = SERIOUS_HARM_NEEDS_AN_OPINION
        if blank(note):
            errors["note"] = "Note why the exemption applies."
    # Every person found in the item: the choice made now, or the one made before; a person
    # whose every word stands inside a passage being redacted is redacted with it.
    found = list(item.mentions.all())
    chosen = dict(mentions or {})
    covered = [effective_passage(item, p) for p in passages] if decision == Decision.REDACT else []
    for m in found:
        pending = str(m.pk) not in chosen and m.decision == MentionDecision.PENDING
        if pending and covered and _inside_passages(item, m, covered):
            chosen[str(m.pk)] = MentionChoice(
                MentionDecision.REDACT, note="Inside a passage redacted."
            )
    choices: dict[Any, MentionChoice] = {}
    for m in found:
        choice = chosen.get(str(m.pk))
        if choice is None and m.decision != MentionDecision.PENDING:
            choice = MentionChoice(m.decision, m.reason, m.note)
        if choice is not None:
            choices[m.pk] = choice
        if decision != Decision.WITHHOLD:
            errors.update(
                _mention_errors(
                    m,
                    choice or MentionChoice(MentionDecision.PENDING),
                    attachment=item.kind == ItemKind.ATTACHMENT,
                )
            )
    redacting_people = any(c.decision == MentionDecision.REDACT for c in choices.values())
    if decision == Decision.REDACT:
        if item.kind == ItemKind.ATTACHMENT:
            errors["decision"] = "An attachment is disclosed or withheld whole."
        elif not passages and not redacting_people:
            errors["passages.0.passage"] = (
                "Copy each passage to redact into a row of its own, with its exemption, or "
                "choose to redact a person found in it."
            )
        else:
            errors.update(_passage_errors(item, passages))
    if decision == Decision.DISCLOSE and passages:
        errors["decision"] = (
            "You listed passages to redact: choose “Disclose with passages redacted”, or clear "
            "the passages."
        )
    elif decision == Decision.DISCLOSE and redacting_people:
        errors["decision"] = (
            "You chose to redact a person found in it: choose “Disclose with passages redacted”."
        )
    if silent and decision != Decision.WITHHOLD:
        errors["silent"] = "Only a withheld item can be left out without saying so."
    if decision == Decision.DISCLOSE and item.unsearchable and blank(note):
        errors["note"] = (
            "This attachment is a picture or a scan: Confide cannot search it for other people. "
            "Read it before disclosing it, then note that you did."
        )
    if decision == Decision.DISCLOSE and item.third_party and not found and blank(note):
        errors["note"] = (
            "This item holds third-party information: note that they consented, or why "
            "disclosing it is reasonable without their consent."
        )
    raise_errors(errors)
    now = timezone.now()
    for m in found:
        choice = chosen.get(str(m.pk))
        if choice is None:
            continue
        m.decision = choice.decision
        m.reason = choice.reason if choice.decision == MentionDecision.DISCLOSE else ""
        m.note = choice.note
        m.consent = _consent_of(m) if m.reason == DisclosureReason.CONSENTED else None
        m.decided_by = staff
        m.decided_at = now
        m.save(update_fields=["decision", "reason", "note", "consent", "decided_by", "decided_at"])
    withhold = decision == Decision.WITHHOLD
    item.decision = decision
    item.exemption = exemption if withhold else ""
    item.exemption_other = exemption_other if withhold and exemption == Exemption.OTHER else ""
    item.opinion_from = opinion_from if withhold and exemption == Exemption.SERIOUS_HARM else ""
    item.note = note
    item.silent = silent and withhold
    item.reviewed_by = staff
    item.reviewed_at = timezone.now()
    item.save()
    # A new decision replaces the passages of the last one (a withheld item keeps none).
    item.passages.all().delete()
    if decision == Decision.REDACT:
        for position, p in enumerate(passages):
            Redaction(
                item=item,
                position=position,
                passage=effective_passage(item, p),
                exemption=p.exemption,
                exemption_other=p.exemption_other if p.exemption == Exemption.OTHER else "",
                opinion_from=p.opinion_from if p.exemption == Exemption.SERIOUS_HARM else "",
                note=p.note,
            ).save()
    return item


def _attachments_betraying_silence(sar: SubjectAccessRequest) -> list[BundleItem]:
    """Attachments that would be sent while the entry they belong to is withheld silently: their
    line "Attached to the entry of …" would say the entry exists."""
    silent_entries = sar.items.filter(kind=ItemKind.ENTRY, silent=True).values("source_id")
    return list(
        sar.items.filter(
            kind=ItemKind.ATTACHMENT, silent=False, attachment__entry_id__in=silent_entries
        )
    )


CONSENT_REPLY_DAYS = 10


@transaction.atomic
def ask_third_party_consent(
    *, sar: SubjectAccessRequest, by: User, person_key: str
) -> ThirdPartyConsent:
    """A letter asking a person found in the bundle whether they consent to their information
    being disclosed (it names neither the requester nor the child); the reply is recorded later."""
    staff = _handler(by, sar)
    mention = (
        ThirdPartyMention.objects.filter(item__request=sar, person_key=person_key)
        .order_by("field")
        .first()
    )
    if mention is None:
        raise ValidationError("That person was not found in this request's bundle.")
    if sar.third_party_consents.filter(person_key=person_key).exists():
        raise ValidationError(f"{mention.name} has already been asked: record their reply.")
    today = timezone.localdate()
    ask = ThirdPartyConsent(
        request=sar, person_key=person_key, name=mention.name, asked_on=today, asked_by=staff
    )
    ask.letter = render_to_string(
        "access_requests/letters/third_party_consent.txt",
        {
            "sar": sar,
            "ask_ref": ask.ref,
            "name": mention.name,
            "setting": Setting.current(),
            "by": staff,
            "today": today,
            "reply_by": today + timedelta(days=CONSENT_REPLY_DAYS),
        },
    ).strip()
    ask.save()
    log_event(actor=by, event=Event.SAR_CONSENT_ASKED, obj=sar, detail={"ask": str(ask.pk)})
    return ask


@transaction.atomic
def record_third_party_reply(
    *, ask: ThirdPartyConsent, by: User, answer: str, replied_on: date, note: str = ""
) -> ThirdPartyConsent:
    staff = _handler(by, ask.request)
    errors: dict[str, str] = {}
    if answer not in (ConsentAnswer.YES, ConsentAnswer.NO):
        errors["answer"] = "Say whether they consented or refused."
    if replied_on > timezone.localdate():
        errors["replied_on"] = "The date cannot be in the future."
    elif replied_on < ask.asked_on:
        errors["replied_on"] = "The reply cannot come before they were asked."
    raise_errors(errors)
    ask.answer = answer
    ask.replied_on = replied_on
    ask.reply_note = note
    ask.recorded_by = staff
    ask.save(update_fields=["answer", "replied_on", "reply_note", "recorded_by"])
    return ask


def unflagged_general_entries(sar: SubjectAccessRequest) -> Any:
    """Entries at the general level, still to decide, in which nobody else was found and nothing
    needs reading: the ones that may be disclosed together. Flagged, sensitive and
    child-protection items are always decided one by one."""
    waiting = ThirdPartyMention.objects.filter(decision=MentionDecision.PENDING).values("item_id")
    return sar.items.filter(
        kind=ItemKind.ENTRY,
        level=Level.GENERAL,
        decision=Decision.PENDING,
        third_party=False,
        unsearchable=False,
    ).exclude(pk__in=waiting)


@transaction.atomic
def disclose_unflagged_general_entries(*, sar: SubjectAccessRequest, by: User) -> int:
    staff = _handler(by, sar)
    if sar.status != Status.IN_REVIEW:
        raise ValidationError("The bundle is not in review: its items cannot be changed now.")
    now = timezone.now()
    done = 0
    for item in unflagged_general_entries(sar):
        item.decision = Decision.DISCLOSE
        item.note = "Disclosed with the other general entries in which nobody else was found."
        item.reviewed_by = staff
        item.reviewed_at = now
        item.save(update_fields=["decision", "note", "reviewed_by", "reviewed_at"])
        done += 1
    log_event(actor=by, event=Event.SAR_GENERAL_DISCLOSED, obj=sar, detail={"items": done})
    return done


PROFESSIONAL_ROLE_NOTE = (
    "Named in their professional role, which it is normally reasonable to disclose without "
    "their consent (DPA 2018 Sch. 2 paras 16–17)."
)


@transaction.atomic
def disclose_staff_in_their_role(*, sar: SubjectAccessRequest, by: User) -> int:
    """One step for every member of staff and every other professional the review found and has
    not decided about: disclosed, the reason "professional role" recorded for each. Returns how
    many were decided."""
    staff = _handler(by, sar)
    if sar.status != Status.IN_REVIEW:
        raise ValidationError("The bundle is not in review: its items cannot be changed now.")
    now = timezone.now()
    waiting = ThirdPartyMention.objects.filter(
        item__request=sar, kind__in=PROFESSIONAL_KINDS, decision=MentionDecision.PENDING
    )
    decided = 0
    for mention in waiting:
        mention.decision = MentionDecision.DISCLOSE
        mention.reason = DisclosureReason.PROFESSIONAL_ROLE
        mention.note = PROFESSIONAL_ROLE_NOTE
        mention.decided_by = staff
        mention.decided_at = now
        mention.save(update_fields=["decision", "reason", "note", "decided_by", "decided_at"])
        decided += 1
    log_event(actor=by, event=Event.SAR_STAFF_DISCLOSED, obj=sar, detail={"mentions": decided})
    return decided


@transaction.atomic
def submit_for_check(*, sar: SubjectAccessRequest, by: User) -> SubjectAccessRequest:
    staff = _handler(by, sar)
    pending = sar.items.filter(decision=Decision.PENDING).count()
    if sar.status == Status.IN_REVIEW and pending:
        raise ValidationError(
            f"{pending} item{'s are' if pending != 1 else ' is'} still to review: decide every "
            "item before the bundle is checked."
        )
    betraying = _attachments_betraying_silence(sar)
    if betraying:
        raise ValidationError(
            f"{len(betraying)} attachment{'s belong' if len(betraying) != 1 else ' belongs'} to "
            "an entry withheld without saying so, and must be withheld the same way: "
            "“Attached to the entry of …” would tell the requester the entry exists."
        )
    _move(
        by,
        sar,
        Status.IN_REVIEW,
        "The bundle is not in review.",
        status=Status.AWAITING_CHECK,
        submitted_by=staff,
        submitted_at=timezone.now(),
    )
    return sar


@transaction.atomic
def check_bundle(
    *, sar: SubjectAccessRequest, by: User, accept: bool, note: str = ""
) -> SubjectAccessRequest:
    """A second person checks the review: not the one who submitted it, nor anyone who reviewed
    an item of it."""
    staff = _handler(by, sar)
    second_person = sar.submitted_by_id == staff.pk or sar.items.filter(reviewed_by=staff).exists()
    if second_person and policy.needs_second_check(sar):
        raise ValidationError(
            "A second person must check the bundle: you reviewed it, so ask the Lead or Deputy."
        )
    if not accept and blank(note):
        raise_errors({"note": "Say what needs to change."})
    _move(
        by,
        sar,
        Status.AWAITING_CHECK,
        "The bundle is not waiting for a check.",
        status=Status.CHECKED if accept else Status.IN_REVIEW,
        checked_by=staff if accept else None,
        checked_at=timezone.now() if accept else None,
        render_state=RenderState.NONE,
        render_token=None,
    )
    sar.check_note = note
    sar.save(update_fields=["check_note"])
    return sar
