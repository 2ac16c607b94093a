"""Approval, the password-protected release, sending, closing, and the requester's one-time link."""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from audit.log import log_event
from core import tenancy
from core.rules import blank, raise_errors, require
from records.models import Setting

from .. import policy
from ..events import Event
from ..models import (
    DownloadLink,
    LinkAttempt,
    Release,
    Rendering,
    RenderState,
    SentHow,
    Status,
    SubjectAccessRequest,
)
from ..pdf import encrypt_pdf
from .common import (
    LINK_ATTEMPTS_PER_WINDOW,
    LINK_DAYS,
    LINK_WINDOW,
    UNAMBIGUOUS_CHARACTERS,
    _handler,
    _move,
)
from .rendering import current_rendering

logger = logging.getLogger(__name__)

# --- approval, release, delivery ------------------------------------------------------------------


@transaction.atomic
def approve_bundle(*, sar: SubjectAccessRequest, by: User) -> SubjectAccessRequest:
    """The Lead (or acting Lead) approves exactly the rendered file they can see."""
    staff = _handler(by, sar)
    require(policy.can_approve(by))
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
    log_event(actor=by, event=Event.SAR_APPROVED, obj=sar, detail={"sha256": rendering.sha256})
    return sar


def new_password() -> str:
    groups = ["".join(secrets.choice(UNAMBIGUOUS_CHARACTERS) for _ in range(4)) for _ in range(5)]
    return "-".join(groups)


@transaction.atomic
def release_copy(
    *, sar: SubjectAccessRequest, by: User, request: HttpRequest | None = None
) -> tuple[Release, str]:
    """The approved bundle, protected with a new password (AES-256). The password is returned
    once, to be shown to staff; it is never stored. A lost password means a new release."""
    staff = _handler(by, sar)
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
        event=Event.SAR_RELEASED,
        obj=release,
        request=request,
        detail={"sha256": release.sha256, "request": sar.reference},
    )
    return release, password


def latest_release(sar: SubjectAccessRequest) -> Release | None:
    return sar.releases.order_by("-created_at").first()


def staff_download(
    *, sar: SubjectAccessRequest, by: User, request: HttpRequest | None = None
) -> Release:
    _handler(by, sar)
    release = latest_release(sar)
    if release is None or sar.status not in (Status.APPROVED, Status.SENT, Status.CLOSED):
        raise ValidationError("There is no released copy to download.")
    log_event(
        actor=by,
        event=Event.SAR_PDF_DOWNLOADED,
        obj=release,
        request=request,
        detail={"sha256": release.sha256, "request": sar.reference, "by": "staff"},
    )
    return release


def link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send_link(
    *, sar: SubjectAccessRequest, by: User, link_url: Any, request: HttpRequest | None = None
) -> DownloadLink:
    """Email the requester a one-time link (expires in 7 days) to the latest released copy.
    ``link_url(token)`` makes the absolute address.

    Three steps, so the email never names a link the database does not hold: the link is made and
    committed; the email is sent; then "sent" is recorded. A refusal by the mail server deletes
    the link (its token went nowhere) and leaves the request as it was, to try again; a failure
    after the mail server took the email leaves a working link, not yet shown as sent."""
    with transaction.atomic():
        staff = _handler(by, sar)
        release = latest_release(sar)
        if sar.status not in (Status.APPROVED, Status.SENT) or release is None:
            raise ValidationError("Release a password-protected copy before sending a link.")
        if blank(sar.contact_email):
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
    try:
        send_mail(
            f"Your records from us ({sar.reference})",
            body,
            None,
            [sar.contact_email.strip()],
            fail_silently=False,
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("The link for %s could not be emailed: %s", sar.reference, exc)
        DownloadLink.objects.filter(pk=link.pk, sent_at__isnull=True).delete()
        raise ValidationError(
            "The email could not be sent: the mail server did not accept it. Nothing was "
            "recorded as sent and no link was made; check the address and try again, or send "
            "the file another way."
        ) from None
    with transaction.atomic():
        now = timezone.now()
        link.sent_at = now
        link.save(update_fields=["sent_at"])
        SubjectAccessRequest.objects.filter(pk=sar.pk, status=Status.APPROVED).update(
            status=Status.SENT, sent_at=now, sent_how=SentHow.EMAIL_LINK, sent_by=staff
        )
        sar.refresh_from_db()
        log_event(
            actor=by,
            event=Event.SAR_LINK_SENT,
            obj=link,
            request=request,
            detail={"request": sar.reference, "expires_at": link.expires_at.isoformat()},
        )
    return link


@transaction.atomic
def mark_sent(*, sar: SubjectAccessRequest, by: User, how: str) -> SubjectAccessRequest:
    staff = _handler(by, sar)
    if how not in (SentHow.POST, SentHow.IN_PERSON):
        raise_errors({"how": "Say how the copy was sent."})
    if latest_release(sar) is None:
        raise ValidationError("Release a password-protected copy before recording it as sent.")
    _move(
        by,
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
def close_request(*, sar: SubjectAccessRequest, by: User) -> SubjectAccessRequest:
    staff = _handler(by, sar)
    _move(
        by,
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


def use_link(*, token: str, request: HttpRequest | None = None) -> Release:
    """The one use of a link: a conditional UPDATE that only one request can win (on SQLite and
    PostgreSQL alike); every attempt, won or refused, is audited."""
    check_rate(request)
    link = find_link(token)
    if link is None:
        log_event(
            actor=None, event=Event.SAR_LINK_REFUSED, request=request, detail={"why": "unknown"}
        )
        raise LinkRefused("This link is not valid. Ask the setting for a new one.")
    # Nobody is signed in: the use is audited in the setting the file came from.
    with tenancy.working_in(link.release.request.setting_id):
        return _use(link, request)


def _use(link: DownloadLink, request: HttpRequest | None) -> Release:
    now = timezone.now()
    with transaction.atomic():
        won = DownloadLink.objects.filter(
            pk=link.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now, used_from=_client(request))
        if won:
            release = link.release
            log_event(
                actor=None,
                event=Event.SAR_PDF_DOWNLOADED,
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
        DownloadLink.objects.filter(pk=link.pk).update(refused=F("refused") + 1)
        log_event(
            actor=None, event=Event.SAR_LINK_REFUSED, obj=link, request=request, detail={"why": why}
        )
    if used:
        raise LinkRefused(
            "This link has already been used: it works once. Ask the setting for a new one."
        )
    raise LinkRefused("This link has expired. Ask the setting for a new one.")


def record_refused_look(link: DownloadLink) -> None:
    """Someone opened a link already used: counted, for the request page."""
    DownloadLink.objects.filter(pk=link.pk).update(refused=F("refused") + 1)


def opened(link: DownloadLink) -> None:
    """The requester opened the link's page (the first time is kept)."""
    DownloadLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(opened_at=timezone.now())


def link_is_usable(link: DownloadLink | None) -> bool:
    return link is not None and link.used_at is None and link.expires_at > timezone.now()
