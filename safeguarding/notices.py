"""What Ofsted must hear: a serious accident, injury or illness, or the death of a child, marked so
by whoever records the entry, starts a 14-day clock (from when it happened) to tell Ofsted, and
the Lead decides whether the local child protection agencies must be told too. Both are on the
dashboard of the Lead and the Deputy until done (``/notifications/``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.log import log_event
from core.http import uuid_or_404
from core.rules import raise_errors, require
from records import policy as records_policy
from records.models import RecordEntry

from . import policy
from .events import Event
from .models import OFSTED_DAYS, OfstedNotice


def on_entry_recorded(sender: Any, *, entry: RecordEntry, serious: bool = False, **_: Any) -> None:
    if serious and not entry.is_placeholder:
        OfstedNotice.objects.create(
            entry=entry, due_on=timezone.localdate(entry.occurred_at) + timedelta(days=OFSTED_DAYS)
        )


def visible(user: Any) -> QuerySet[OfstedNotice]:
    if not policy.can_triage(user):
        return OfstedNotice.objects.none()
    return OfstedNotice.objects.filter(entry__in=records_policy.visible_entries(user))


def notice_for(user: Any, value: Any) -> OfstedNotice | None:
    return visible(user).select_related("entry__child").filter(pk=uuid_or_404(value)).first()


def open_notices(user: Any) -> list[OfstedNotice]:
    return [n for n in visible(user).select_related("entry__child") if not n.done]


@transaction.atomic
def record(
    *,
    by: Any,
    notice: OfstedNotice,
    ofsted_told_at: datetime | None,
    ofsted_reference: str = "",
    agencies_apply: str = "",
    agencies_told_at: datetime | None = None,
) -> OfstedNotice:
    staff = records_policy.staff_of(by)
    require(staff is not None and visible(by).filter(pk=notice.pk).exists())
    # As it is now (another person may have saved since the page was drawn): only what this form
    # says changes.
    notice = OfstedNotice.objects.select_for_update().get(pk=notice.pk)
    errors: dict[str, str] = {}
    now = timezone.now()
    if ofsted_told_at is not None and ofsted_told_at > now:
        errors["ofsted_told_at"] = "The time cannot be in the future."
    applies = {"yes": True, "no": False}.get(agencies_apply)
    if applies is None:
        applies = notice.agencies_apply
    if applies is not True and agencies_told_at is not None:
        errors["agencies_told_at"] = "Say first that the agencies must be told."
    elif agencies_told_at is not None and agencies_told_at > now:
        errors["agencies_told_at"] = "The time cannot be in the future."
    raise_errors(errors)
    notice.ofsted_told_at = ofsted_told_at or notice.ofsted_told_at
    notice.ofsted_reference = ofsted_reference.strip() or notice.ofsted_reference
    notice.agencies_apply = applies
    notice.agencies_told_at = (agencies_told_at or notice.agencies_told_at) if applies else None
    notice.recorded_by = staff
    notice.save()
    log_event(actor=by, event=Event.OFSTED_NOTICE_RECORDED, obj=notice)
    return notice
