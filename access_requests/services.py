"""State changes of a subject-access request: one rule each, inside a transaction, audited.

Services check the policy again (views check first). Moves between states are conditional UPDATEs
of the (unencrypted) status columns — ``filter(status=...).update(...)`` with the count checked —
so two people pressing the same button, or a retry racing a worker, cannot both win, on SQLite and
PostgreSQL alike. Encrypted columns are only ever written through ``save()``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from records import policy as records_policy
from records.audit import log_event
from records.models import Carer, Child, Setting, Staff

from . import compile as bundle
from . import policy
from .models import (
    BEFORE_CLOCK,
    OPEN_STATUSES,
    BundleItem,
    ClarificationPause,
    Decision,
    DownloadLink,
    Exemption,
    IdentityMethod,
    ItemKind,
    Letter,
    LetterKind,
    LinkAttempt,
    RefusalReason,
    Release,
    Rendering,
    RenderState,
    RequesterKind,
    SentHow,
    Status,
    SubjectAccessRequest,
)

logger = logging.getLogger(__name__)

LINK_DAYS = 7
LINK_ATTEMPTS_PER_WINDOW = 20
LINK_WINDOW = timedelta(minutes=15)
# A render with no sign of life for this long was killed (a worker restart, out of memory).
RENDER_STALE_AFTER = timedelta(minutes=15)
UNAMBIGUOUS_CHARACTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _require(allowed: bool, message: str = "You may not do that.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def _staff(user: Any) -> Staff:
    staff = records_policy.staff_of(user)
    _require(staff is not None)
    assert staff is not None
    return staff


def _handler(user: Any) -> Staff:
    staff = _staff(user)
    _require(policy.can_handle_requests(user))
    return staff


def _raise(errors: Mapping[str, str | list[str]]) -> None:
    if errors:
        raise ValidationError(dict(errors))


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


def _move(request: SubjectAccessRequest, from_statuses: Any, message: str, **changes: Any) -> None:
    """A conditional UPDATE of the state columns; the count tells whether we won."""
    statuses = [from_statuses] if isinstance(from_statuses, str) else list(from_statuses)
    updated = SubjectAccessRequest.objects.filter(pk=request.pk, status__in=statuses).update(
        **changes
    )
    if not updated:
        raise ValidationError(message)
    for name, value in changes.items():
        setattr(request, name, value)


def _letter(request: SubjectAccessRequest, kind: str, by: Staff, **context: Any) -> Letter:
    body = render_to_string(
        f"access_requests/letters/{kind}.txt",
        {
            "sar": request,
            "setting": Setting.current(),
            "by": by,
            "today": timezone.localdate(),
            **context,
        },
    ).strip()
    letter = Letter(request=request, kind=kind, created_by=by, body=body)
    letter.save()
    return letter


def _new_reference(received_on: date) -> str:
    return f"SAR-{received_on:%Y}-{secrets.token_hex(3).upper()}"


# --- arrival ------------------------------------------------------------------------------------


@transaction.atomic
def record_request(
    *,
    by: Any,
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
    include_family: bool = False,
    include_requester: bool = True,
    request: Any = None,
) -> SubjectAccessRequest:
    """Record a request the moment it arrives, whoever took it and however it came."""
    staff = _staff(by)
    _require(policy.can_record_request(by))
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if received_on > today:
        errors["received_on"] = "The date received cannot be in the future."
    elif received_on < today - timedelta(days=366):
        errors["received_on"] = "The date received is more than a year ago: check the date."
    if _blank(asked_for):
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
        if _blank(requester_name):
            errors["requester_name"] = "Give the name and role of the person acting for them."
        if requester_carer is None and requester_staff is None:
            errors["requester_carer"] = "Choose the parent, carer or staff member they act for."
    else:
        errors["requester_kind"] = "Say who is asking."
    if requester_kind != RequesterKind.STAFF and _blank(contact_email) and _blank(contact_address):
        errors["contact_email"] = "Give an email or postal address for the response."
    if child is None and not include_requester:
        errors["include_requester"] = "Choose whose records they asked for."
    _raise(errors)

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
        if include_family:
            for c in children:
                carers |= set(c.carers.all())
    if include_requester and carer_subject is not None:
        carers.add(carer_subject)
    sar.children.set(children)
    sar.carers.set(carers)
    log_event(actor=by, event="sar_received", obj=sar, request=request)
    return sar


# --- identity, clarification, extension, refusal -------------------------------------------------


@transaction.atomic
def ask_for_identity(*, sar: SubjectAccessRequest, by: Any, what: str) -> Letter:
    staff = _handler(by)
    _raise({"what": "Say what proof of identity you asked for."} if _blank(what) else {})
    _move(
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
    by: Any,
    method: str,
    confirmed_on: date,
    note: str = "",
    parental_responsibility: bool = False,
    court_order_note: str = "",
) -> SubjectAccessRequest:
    """Identity (and, for a child's records, parental responsibility and any court order) checked.
    The clock starts now — or on the day received, where the requester is known to us and no
    check was needed."""
    staff = _handler(by)
    errors: dict[str, str] = {}
    if confirmed_on > timezone.localdate():
        errors["confirmed_on"] = "The date cannot be in the future."
    elif confirmed_on < sar.received_on:
        errors["confirmed_on"] = "Identity cannot be confirmed before the request was received."
    if method not in IdentityMethod.values:
        errors["method"] = "Say how identity was checked."
    elif method in (IdentityMethod.OTHER, IdentityMethod.WRITTEN_AUTHORITY) and _blank(note):
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
        if carer is not None and carer.court_order_restrictions and _blank(court_order_note):
            errors["court_order_note"] = (
                "There is a court order on this carer's record: say how it affects this request."
            )
    _raise(errors)
    clock = sar.received_on if method == IdentityMethod.KNOWN_TO_STAFF else confirmed_on
    _move(
        sar,
        BEFORE_CLOCK,
        "Identity has already been confirmed for this request.",
        status=Status.IN_PROGRESS,
        identity_method=method,
        identity_checked_by=staff,
        identity_confirmed_on=confirmed_on,
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
    *, sar: SubjectAccessRequest, by: Any, asked: str, started_on: date
) -> ClarificationPause:
    staff = _handler(by)
    errors: dict[str, str] = {}
    if _blank(asked):
        errors["asked"] = "Say what you asked them to clarify."
    if started_on > timezone.localdate():
        errors["started_on"] = "The date cannot be in the future."
    elif sar.clock_started_on and started_on < sar.clock_started_on:
        errors["started_on"] = "The clock cannot pause before it started."
    _raise(errors)
    _move(
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
    *, sar: SubjectAccessRequest, by: Any, ended_on: date
) -> ClarificationPause:
    staff = _handler(by)
    pause = sar.pauses.filter(ended_on__isnull=True).first()
    if pause is None or sar.status != Status.AWAITING_CLARIFICATION:
        raise ValidationError("This request is not waiting for clarification.")
    if ended_on > timezone.localdate():
        _raise({"ended_on": "The date cannot be in the future."})
    if ended_on < pause.started_on:
        _raise({"ended_on": "Clarification cannot arrive before it was asked for."})
    back = Status.IN_REVIEW if sar.compiled_at else Status.IN_PROGRESS
    _move(
        sar,
        Status.AWAITING_CLARIFICATION,
        "This request is not waiting for clarification.",
        status=back,
    )
    ClarificationPause.objects.filter(pk=pause.pk, ended_on__isnull=True).update(
        ended_on=ended_on, ended_by=staff
    )
    pause.refresh_from_db()
    log_event(actor=by, event="sar_clock_resumed", obj=sar)
    return pause


@transaction.atomic
def extend_deadline(*, sar: SubjectAccessRequest, by: Any, reason: str) -> Letter:
    """Up to two further months for a complex or numerous request, told to the requester, with
    the reason, within the first month."""
    staff = _handler(by)
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
    _raise({"reason": "Say why the request is complex or numerous."} if _blank(reason) else {})
    _move(
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
def refuse_request(*, sar: SubjectAccessRequest, by: Any, reason: str, explanation: str) -> Letter:
    """Manifestly unfounded or excessive: a Lead's decision, told with the right to complain."""
    staff = _staff(by)
    _require(policy.can_approve(by))
    errors: dict[str, str] = {}
    if reason not in RefusalReason.values:
        errors["reason"] = "Choose why the request is refused."
    if _blank(explanation):
        errors["explanation"] = "Explain the reasons: the requester is told them."
    _raise(errors)
    _move(
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
def compile_bundle(*, sar: SubjectAccessRequest, by: Any, other_searches: str = "") -> int:
    """Snapshot everything in scope for the subjects (by the policy's rules for the subjects, not
    by who is compiling)."""
    staff = _handler(by)
    now = timezone.now()
    _move(
        sar,
        Status.IN_PROGRESS,
        "The bundle can be compiled once identity is confirmed, and only once.",
        status=Status.IN_REVIEW,
        compiled_at=now,
        compiled_by=staff,
    )
    items, counts = bundle.build_items(sar)
    BundleItem.objects.bulk_create(items, batch_size=200)
    sar.searches = bundle.searches_note(sar, counts, other_searches, now)
    sar.save(update_fields=["searches"])
    log_event(actor=by, event="sar_compiled", obj=sar, detail=counts)
    return len(items)


@transaction.atomic
def review_item(
    *,
    item: BundleItem,
    by: Any,
    decision: str,
    exemption: str = "",
    exemption_other: str = "",
    redactions: str = "",
    note: str = "",
    silent: bool = False,
) -> BundleItem:
    staff = _handler(by)
    sar = item.request
    if sar.status != Status.IN_REVIEW:
        raise ValidationError("The bundle is not in review: its items cannot be changed now.")
    errors: dict[str, str] = {}
    passages = [p.strip() for p in redactions.splitlines() if p.strip()]
    if decision not in (Decision.DISCLOSE, Decision.REDACT, Decision.WITHHOLD):
        errors["decision"] = "Choose whether to disclose, redact or withhold."
    if decision in (Decision.REDACT, Decision.WITHHOLD):
        if exemption not in Exemption.values:
            errors["exemption"] = "Choose the exemption that applies."
        elif exemption == Exemption.OTHER and _blank(exemption_other):
            errors["exemption_other"] = "State the exemption."
        if _blank(note):
            errors["note"] = "Note why the exemption applies."
    if decision == Decision.REDACT:
        if item.kind == ItemKind.ATTACHMENT:
            errors["decision"] = "An attachment is disclosed or withheld whole."
        elif not passages:
            errors["redactions"] = "Copy each passage to redact onto its own line."
        else:
            missing = [p for p in passages if p not in item.body and p not in item.meta]
            if missing:
                errors["redactions"] = f"This passage is not in the record: “{missing[0][:80]}”."
    if silent and decision != Decision.WITHHOLD:
        errors["silent"] = "Only a withheld item can be left out without saying so."
    if decision == Decision.DISCLOSE and item.third_party and _blank(note):
        errors["note"] = (
            "This item holds third-party information: note that they consented, or why "
            "disclosing it is reasonable without their consent."
        )
    _raise(errors)
    keep = decision in (Decision.REDACT, Decision.WITHHOLD)
    item.decision = decision
    item.exemption = exemption if keep else ""
    item.exemption_other = exemption_other if keep and exemption == Exemption.OTHER else ""
    item.redactions = "\n".join(passages) if decision == Decision.REDACT else ""
    item.note = note
    item.silent = silent and decision == Decision.WITHHOLD
    item.reviewed_by = staff
    item.reviewed_at = timezone.now()
    item.save()
    return item


@transaction.atomic
def submit_for_check(*, sar: SubjectAccessRequest, by: Any) -> SubjectAccessRequest:
    staff = _handler(by)
    pending = sar.items.filter(decision=Decision.PENDING).count()
    if sar.status == Status.IN_REVIEW and pending:
        raise ValidationError(
            f"{pending} item{'s are' if pending != 1 else ' is'} still to review: decide every "
            "item before the bundle is checked."
        )
    _move(
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
    *, sar: SubjectAccessRequest, by: Any, accept: bool, note: str = ""
) -> SubjectAccessRequest:
    """A second person checks the review: not the one who submitted it, nor anyone who reviewed
    an item of it."""
    staff = _handler(by)
    if sar.submitted_by_id == staff.pk or sar.items.filter(reviewed_by=staff).exists():
        raise ValidationError(
            "A second person must check the bundle: you reviewed it, so ask the Lead or Deputy."
        )
    if not accept and _blank(note):
        _raise({"note": "Say what needs to change."})
    _move(
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


# --- rendering ------------------------------------------------------------------------------------


def render_is_stale(sar: SubjectAccessRequest, now: Any = None) -> bool:
    now = now or timezone.now()
    beat = sar.render_heartbeat_at or sar.render_started_at
    return (
        sar.render_state in (RenderState.QUEUED, RenderState.RENDERING)
        and beat is not None
        and beat < now - RENDER_STALE_AFTER
    )


def effective_render_state(sar: SubjectAccessRequest) -> str:
    return RenderState.FAILED if render_is_stale(sar) else sar.render_state


def mark_stale_renders_failed() -> int:
    """Renders with no sign of life for RENDER_STALE_AFTER were killed: mark them failed."""
    cutoff = timezone.now() - RENDER_STALE_AFTER
    return SubjectAccessRequest.objects.filter(
        render_state__in=[RenderState.QUEUED, RenderState.RENDERING],
        render_heartbeat_at__lt=cutoff,
    ).update(
        render_state=RenderState.FAILED,
        render_error="The render stopped without finishing (the worker was interrupted).",
    )


def start_render(*, sar: SubjectAccessRequest, by: Any) -> uuid.UUID:
    """Queue the render of a checked bundle in the background (a new attempt replaces a failed
    or interrupted one). Returns the attempt's token."""
    _handler(by)
    token = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        stale = timezone.now() - RENDER_STALE_AFTER
        updated = (
            SubjectAccessRequest.objects.filter(pk=sar.pk, status=Status.CHECKED)
            .filter(
                Q(render_state__in=[RenderState.NONE, RenderState.FAILED])
                | Q(
                    render_state__in=[RenderState.QUEUED, RenderState.RENDERING],
                    render_heartbeat_at__lt=stale,
                )
            )
            .update(
                render_state=RenderState.QUEUED,
                render_token=token,
                render_progress=0,
                render_started_at=now,
                render_heartbeat_at=now,
                render_error="",
            )
        )
        if not updated:
            raise ValidationError(
                "The bundle can be rendered once it has been checked, and not while a render is "
                "already running."
            )
        log_event(actor=by, event="sar_render_queued", obj=sar)
    sar.refresh_from_db()
    from .tasks import render_bundle

    try:
        render_bundle.enqueue(str(sar.pk), str(token))
    except Exception:
        logger.exception("Could not queue the render of %s", sar.reference)
        fail_render(sar_id=sar.pk, token=token, error="The render could not be queued.")
        raise
    return token


def render_progress(
    *, sar_id: Any, token: Any, progress: int, state: str = RenderState.RENDERING
) -> bool:
    """A sign of life from the worker; False when this attempt is no longer the current one."""
    return bool(
        SubjectAccessRequest.objects.filter(
            pk=sar_id,
            render_token=token,
            render_state__in=[RenderState.QUEUED, RenderState.RENDERING],
        ).update(render_state=state, render_progress=progress, render_heartbeat_at=timezone.now())
    )


def fail_render(*, sar_id: Any, token: Any, error: str) -> None:
    SubjectAccessRequest.objects.filter(
        pk=sar_id,
        render_token=token,
        render_state__in=[RenderState.QUEUED, RenderState.RENDERING],
    ).update(render_state=RenderState.FAILED, render_error=error[:300])


@transaction.atomic
def finish_render(*, sar_id: Any, token: Any, pdf: bytes, pages: int) -> Rendering | None:
    """The finished file and the state change commit together, or neither does."""
    sar = SubjectAccessRequest.objects.get(pk=sar_id)
    rendering = Rendering(
        request=sar,
        token=token,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        pages=pages,
    )
    rendering.save()
    updated = SubjectAccessRequest.objects.filter(
        pk=sar_id, render_token=token, render_state=RenderState.RENDERING, status=Status.CHECKED
    ).update(
        render_state=RenderState.READY,
        render_progress=100,
        rendered_at=timezone.now(),
        render_heartbeat_at=timezone.now(),
    )
    if not updated:
        transaction.set_rollback(True)
        return None
    log_event(
        actor=None,
        event="sar_rendered",
        obj=sar,
        detail={"sha256": rendering.sha256, "pages": pages},
    )
    return rendering


def current_rendering(sar: SubjectAccessRequest) -> Rendering | None:
    if sar.render_token is None or sar.render_state != RenderState.READY:
        return None
    return Rendering.objects.filter(request=sar, token=sar.render_token).first()


# --- approval, release, delivery ------------------------------------------------------------------


@transaction.atomic
def approve_bundle(*, sar: SubjectAccessRequest, by: Any) -> SubjectAccessRequest:
    """The Lead (or acting Lead) approves exactly the rendered file they can see."""
    staff = _staff(by)
    _require(policy.can_approve(by))
    rendering = current_rendering(sar)
    if sar.status != Status.CHECKED:
        raise ValidationError("Only a bundle that a second person has checked can be approved.")
    if rendering is None:
        raise ValidationError("Render the bundle and read it before approving it.")
    updated = SubjectAccessRequest.objects.filter(
        pk=sar.pk,
        status=Status.CHECKED,
        render_state=RenderState.READY,
        render_token=rendering.token,
    ).update(
        status=Status.APPROVED,
        approved_by=staff,
        approved_at=timezone.now(),
        approved_sha256=rendering.sha256,
    )
    if not updated:
        raise ValidationError("The bundle changed while you were approving it: look again.")
    sar.refresh_from_db()
    return sar


def new_password() -> str:
    groups = ["".join(secrets.choice(UNAMBIGUOUS_CHARACTERS) for _ in range(4)) for _ in range(5)]
    return "-".join(groups)


@transaction.atomic
def release_copy(*, sar: SubjectAccessRequest, by: Any, request: Any = None) -> tuple[Release, str]:
    """The approved bundle, protected with a new password (AES-256). The password is returned
    once, to be shown to staff; it is never stored. A lost password means a new release."""
    from .pdf import encrypt_pdf

    staff = _handler(by)
    if sar.status not in (Status.APPROVED, Status.SENT):
        raise ValidationError("Nothing leaves before the Lead has approved the bundle.")
    rendering = Rendering.objects.filter(request=sar, sha256=sar.approved_sha256).first()
    if rendering is None or not sar.approved_sha256:
        raise ValidationError("The approved bundle cannot be found: render and approve it again.")
    password = new_password()
    protected = encrypt_pdf(rendering.pdf, password)
    release = Release(
        request=sar,
        created_by=staff,
        pdf=protected,
        sha256=hashlib.sha256(protected).hexdigest(),
        size=len(protected),
        source_sha256=rendering.sha256,
    )
    release.save()
    log_event(
        actor=by,
        event="sar_released",
        obj=release,
        request=request,
        detail={"sha256": release.sha256, "request": sar.reference},
    )
    return release, password


def latest_release(sar: SubjectAccessRequest) -> Release | None:
    return sar.releases.order_by("-created_at").first()


def staff_download(*, sar: SubjectAccessRequest, by: Any, request: Any = None) -> Release:
    _handler(by)
    release = latest_release(sar)
    if release is None or sar.status not in (Status.APPROVED, Status.SENT, Status.CLOSED):
        raise ValidationError("There is no released copy to download.")
    log_event(
        actor=by,
        event="sar_pdf_downloaded",
        obj=release,
        request=request,
        detail={"sha256": release.sha256, "request": sar.reference, "by": "staff"},
    )
    return release


def link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def send_link(
    *, sar: SubjectAccessRequest, by: Any, link_url: Any, request: Any = None
) -> DownloadLink:
    """Email the requester a one-time link (expires in 7 days) to the latest released copy.
    ``link_url(token)`` makes the absolute address."""
    staff = _handler(by)
    release = latest_release(sar)
    if sar.status not in (Status.APPROVED, Status.SENT) or release is None:
        raise ValidationError("Release a password-protected copy before sending a link.")
    if _blank(sar.contact_email):
        raise ValidationError("There is no email address for the requester on this request.")
    token = secrets.token_urlsafe(32)
    link = DownloadLink.objects.create(
        release=release,
        token_hash=link_token_hash(token),
        created_by=staff,
        expires_at=timezone.now() + timedelta(days=LINK_DAYS),
    )
    body = render_to_string(
        "access_requests/emails/link.txt",
        {
            "sar": sar,
            "url": link_url(token),
            "expires_at": link.expires_at,
            "setting": Setting.current(),
        },
    )
    SubjectAccessRequest.objects.filter(pk=sar.pk, status=Status.APPROVED).update(
        status=Status.SENT, sent_at=timezone.now(), sent_how=SentHow.EMAIL_LINK, sent_by=staff
    )
    sar.refresh_from_db()
    log_event(
        actor=by,
        event="sar_link_sent",
        obj=link,
        request=request,
        detail={"request": sar.reference, "expires_at": link.expires_at.isoformat()},
    )
    email = sar.contact_email.strip()
    transaction.on_commit(
        lambda: send_mail(f"Your records from us ({sar.reference})", body, None, [email])
    )
    return link


@transaction.atomic
def mark_sent(*, sar: SubjectAccessRequest, by: Any, how: str) -> SubjectAccessRequest:
    staff = _handler(by)
    if how not in (SentHow.POST, SentHow.IN_PERSON):
        _raise({"how": "Say how the copy was sent."})
    if latest_release(sar) is None:
        raise ValidationError("Release a password-protected copy before recording it as sent.")
    _move(
        sar,
        Status.APPROVED,
        "Only an approved bundle can be sent.",
        status=Status.SENT,
        sent_at=timezone.now(),
        sent_how=how,
        sent_by=staff,
    )
    return sar


@transaction.atomic
def close_request(*, sar: SubjectAccessRequest, by: Any) -> SubjectAccessRequest:
    staff = _handler(by)
    _move(
        sar,
        Status.SENT,
        "Only a request whose response was sent can be closed.",
        status=Status.CLOSED,
        closed_at=timezone.now(),
        closed_by=staff,
    )
    return sar


# --- the public link ------------------------------------------------------------------------------


class LinkRefused(Exception):
    """The link cannot be used: the message says why, for the person holding it."""

    def __init__(self, message: str, status: int = 410) -> None:
        super().__init__(message)
        self.status = status


def _client(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def check_rate(request: Any) -> None:
    """Each look at a link page counts; too many from one address in a window is refused."""
    address = _client(request)
    since = timezone.now() - LINK_WINDOW
    recent = LinkAttempt.objects.filter(address=address, at__gte=since).count()
    LinkAttempt.objects.create(address=address)
    if recent >= LINK_ATTEMPTS_PER_WINDOW:
        raise LinkRefused(
            "Too many attempts from your connection. Wait 15 minutes and try again.", status=429
        )


def find_link(token: str) -> DownloadLink | None:
    return (
        DownloadLink.objects.select_related("release", "release__request")
        .filter(token_hash=link_token_hash(token))
        .first()
    )


def use_link(*, token: str, request: Any = None) -> Release:
    """The one use of a link: a conditional UPDATE that only one request can win (on SQLite and
    PostgreSQL alike); every attempt, won or refused, is audited."""
    check_rate(request)
    link = find_link(token)
    if link is None:
        log_event(actor=None, event="sar_link_refused", request=request, detail={"why": "unknown"})
        raise LinkRefused("This link is not valid. Ask the setting for a new one.")
    now = timezone.now()
    with transaction.atomic():
        won = DownloadLink.objects.filter(
            pk=link.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now, used_from=_client(request))
        if won:
            release = link.release
            log_event(
                actor=None,
                event="sar_pdf_downloaded",
                obj=release,
                request=request,
                detail={
                    "sha256": release.sha256,
                    "by": "requester",
                    "link": str(link.pk),
                    "request": release.request.reference,
                },
            )
            return release
        used = DownloadLink.objects.filter(pk=link.pk, used_at__isnull=False).exists()
        why = "used" if used else "expired"
        log_event(
            actor=None, event="sar_link_refused", obj=link, request=request, detail={"why": why}
        )
    if used:
        raise LinkRefused(
            "This link has already been used: it works once. Ask the setting for a new one."
        )
    raise LinkRefused("This link has expired. Ask the setting for a new one.")


def link_is_usable(link: DownloadLink | None) -> bool:
    return link is not None and link.used_at is None and link.expires_at > timezone.now()
