"""Helpers shared by the services: policy checks, validation errors, conditional moves, letters."""

from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from audit.log import log_event
from core.rules import require
from records import policy as records_policy
from records.models import Setting, Staff

from .. import policy
from ..models import (
    Letter,
    SubjectAccessRequest,
)

logger = logging.getLogger(__name__)

LINK_DAYS = 7
LINK_ATTEMPTS_PER_WINDOW = 20
LINK_WINDOW = timedelta(minutes=15)
# A running render beats every HEARTBEAT_EVERY (tasks.Heartbeat); one silent for RENDER_STALE_AFTER
# was killed (a worker restart, out of memory) and shows as failed. A queued render waits for a
# free worker, so it is given longer.
HEARTBEAT_EVERY = timedelta(seconds=15)
RENDER_STALE_AFTER = timedelta(seconds=60)
QUEUED_STALE_AFTER = timedelta(minutes=15)
UNAMBIGUOUS_CHARACTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _staff(user: User) -> Staff:
    staff = records_policy.staff_of(user)
    require(staff is not None)
    assert staff is not None
    return staff


def _handler(user: User, sar: SubjectAccessRequest) -> Staff:
    """Whoever handles this request: the Lead or the Deputy, and for a staff member's request the
    Lead alone (the policy's visible_requests)."""
    staff = _staff(user)
    require(policy.can_handle_request(user, sar))
    return staff


def _move(
    by: User, request: SubjectAccessRequest, from_statuses: Any, message: str, **changes: Any
) -> None:
    """A conditional UPDATE of the state columns; the count tells whether we won. auditlog does
    not see an UPDATE, so the move is written to the audit log here (no encrypted columns are
    ever moved this way, so nothing secret is in it)."""
    statuses = [from_statuses] if isinstance(from_statuses, str) else list(from_statuses)
    updated = SubjectAccessRequest.objects.filter(pk=request.pk, status__in=statuses).update(
        **changes
    )
    if not updated:
        raise ValidationError(message)
    for name, value in changes.items():
        setattr(request, name, value)
    log_event(
        actor=by,
        event=f"sar_{changes.get('status', 'updated')}",
        obj=request,
        detail={name: str(value) for name, value in changes.items()},
    )


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
