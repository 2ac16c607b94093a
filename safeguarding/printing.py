"""A child's chronology as a PDF for a child-protection conference.

Asked for from the child's page with the chronology's filter as it stands; made in the background
(Django's tasks: at once in development and tests, by ``db_worker`` in production), as the
subject-access file is, with the same renderer (access_requests.pdf.render_html: no URL outside
the static files is fetched). The render reads the entries **as the person who asked**, through
records.policy at that moment: a grant that ended meanwhile narrows the file, nothing widens it.
Every page carries the date, the person's name and "confidential"; the PDF is kept encrypted under
the child's key and only the person who asked downloads it. Asked, made (with a read of each
entry in it) and downloaded are audited.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from access_requests.pdf import RenderError, render_html
from audit.log import log_event
from core.fields import decrypt_fields
from core.filestore import FileStorageError
from core.http import uuid_or_none
from core.rules import require
from records import policy as records_policy
from records import selectors as records_selectors
from records.jobs import for_each_setting
from records.models import CATEGORY_LABELS, LEVEL_LABELS, Child, RecordEntry, Staff
from records.selectors import log_reads, with_amendments

from . import tasks
from .events import Event
from .models import PRINT_KEPT_DAYS, ChronologyPrint, PrintState

logger = logging.getLogger(__name__)

# The filter's fields kept with the print (records.chronology_filter).
FILTER_FIELDS = ("category", "level", "since", "until", "author", "significant")


def _chosen(params: Any) -> dict[str, str]:
    return {f: str(params.get(f, "")).strip() for f in FILTER_FIELDS if params.get(f)}


@transaction.atomic
def ask(*, by: User, child: Child, params: Any) -> ChronologyPrint:
    """Queue the print of the chronology as filtered by ``params`` (the chronology filter's
    values); an invalid filter is refused with its message."""
    require(records_policy.can_print_chronology(by, child))
    staff = records_policy.staff_of(by)
    assert staff is not None
    chosen = _chosen(params)
    filtered = records_selectors.chronology_filter(by, child, _as_query(chosen))
    if filtered.is_bound and not filtered.is_valid():
        raise ValidationError(
            "The filter has a mistake: correct it on the chronology, then print again."
        )
    made = ChronologyPrint.objects.create(child=child, requested_by=staff, filters=chosen)
    log_event(actor=by, event=Event.CHRONOLOGY_PRINT_ASKED, obj=made, detail={"filters": chosen})
    transaction.on_commit(lambda: _enqueue(made))
    return made


def _as_query(chosen: dict[str, str]) -> QueryDict | None:
    if not chosen:
        return None
    query = QueryDict(mutable=True)
    query.update(chosen)
    return query


def _enqueue(made: ChronologyPrint) -> None:
    try:
        tasks.render_chronology.enqueue(str(made.pk), str(made.setting_id))
    except Exception:
        logger.exception("The chronology print %s could not be queued", made.pk)
        ChronologyPrint.objects.filter(pk=made.pk, state=PrintState.QUEUED).update(
            state=PrintState.FAILED, error="It could not be queued: try again."
        )


def entries_for(made: ChronologyPrint) -> list[RecordEntry]:
    """What goes in the print: what the person who asked may read of the child now, narrowed by
    the filter they chose, oldest first (a conference chronology reads forwards)."""
    user = made.requested_by.user
    filtered = records_selectors.chronology_filter(user, made.child, _as_query(made.filters))
    if filtered.is_bound and not filtered.is_valid():
        # A choice that no longer exists for this person (their access changed since they
        # asked): nothing rather than more than the print says it holds.
        raise RenderError("the filter no longer applies to what you may read: print again")
    qs = filtered.qs if filtered.is_bound else filtered.queryset
    qs = qs.filter(hidden_from__isnull=True).select_related("author").order_by("occurred_at")
    entries = with_amendments(list(qs), qs)
    decrypt_fields(entries, "text")
    return entries


LABELS = {
    "category": "Category",
    "level": "Level",
    "since": "From",
    "until": "To",
    "author": "Recorded by",
    "significant": "Significant events only",
}


def _words(chosen: dict[str, str]) -> list[str]:
    """The filter in words, for the page and the PDF's first lines."""
    words = []
    for key, value in chosen.items():
        if key == "significant":
            words.append(LABELS[key])
            continue
        shown = value
        if key == "author":
            staff = Staff.objects.filter(pk=value).first() if uuid_or_none(value) else None
            shown = staff.full_name if staff else value
        elif key == "category":
            shown = CATEGORY_LABELS.get(value, value)
        elif key == "level":
            shown = LEVEL_LABELS.get(int(value), value) if value.isdigit() else value
        words.append(f"{LABELS[key]}: {shown}")
    return words


def chosen_words(user: User, child: Child, params: Any) -> list[str]:
    """What the print will hold, in words: the filter's values as chosen, where valid."""
    chosen = _chosen(params)
    filtered = records_selectors.chronology_filter(user, child, _as_query(chosen))
    if filtered.is_bound and not filtered.is_valid():
        return []
    return _words(chosen)


def hidden_fields(params: Any) -> list[tuple[str, str]]:
    return list(_chosen(params).items())


def render(print_id: Any) -> str:
    """Make the PDF (the task's work): a failure is recorded on the print, never half a file."""
    made = ChronologyPrint.objects.select_related("child", "requested_by__user").get(pk=print_id)
    if made.state != PrintState.QUEUED:
        return made.state
    user = made.requested_by.user
    try:
        if not records_policy.can_print_chronology(user, made.child):
            raise RenderError("You may no longer print this child's chronology.")
        entries = entries_for(made)
        now = timezone.now()
        html = render_to_string(
            "safeguarding/chronology_pdf.html",
            {
                "child": made.child,
                "entries": entries,
                "viewer": made.requested_by.full_name,
                "printed_at": now,
                "filters": _words(made.filters),
                "setting": made.child.room.setting,
            },
        )
        pdf, pages = render_html(html)
    except Exception as exc:
        message = str(exc) if isinstance(exc, RenderError) else type(exc).__name__
        ChronologyPrint.objects.filter(pk=made.pk).update(
            state=PrintState.FAILED,
            error=f"The PDF could not be made ({message}).",
            finished_at=timezone.now(),
        )
        logger.exception("Chronology print %s failed", made.pk)
        return PrintState.FAILED
    try:
        with transaction.atomic():
            made.pdf = pdf
            made.sha256 = hashlib.sha256(pdf).hexdigest()
            made.pages = pages
            made.entries = len(entries)
            made.state = PrintState.READY
            made.finished_at = timezone.now()
            made.save(update_fields=["pdf", "sha256", "pages", "entries", "state", "finished_at"])
            # The person who asked has read every entry in the print.
            log_reads(user, entries)
            log_event(
                actor=user,
                event=Event.CHRONOLOGY_PRINTED,
                obj=made,
                detail={"entries": len(entries), "pages": pages, "sha256": made.sha256},
            )
    except FileStorageError:
        # The object store (core.filestore) refused the PDF: nothing was kept, and the print
        # says so rather than waiting for ever.
        ChronologyPrint.objects.filter(pk=made.pk).update(
            state=PrintState.FAILED,
            error="The PDF could not be stored (the file store did not answer). Ask again later.",
            finished_at=timezone.now(),
        )
        logger.exception("Chronology print %s could not be stored", made.pk)
        return PrintState.FAILED
    return PrintState.READY


def prints_of(user: User, child: Child) -> list[ChronologyPrint]:
    """This person's prints of the child's chronology, newest first (nobody else's)."""
    staff = records_policy.staff_of(user)
    if staff is None:
        return []
    return list(ChronologyPrint.objects.filter(child=child, requested_by=staff).defer("pdf")[:10])


def print_for(user: User, print_id: Any) -> ChronologyPrint | None:
    """One print, for the person who asked for it while they may still print the child's
    chronology; None for anything else."""
    staff = records_policy.staff_of(user)
    if staff is None:
        return None
    made = (
        ChronologyPrint.objects.filter(pk=print_id, requested_by=staff)
        .select_related("child")
        .defer("pdf")
        .first()
    )
    if made is None or not records_policy.can_print_chronology(user, made.child):
        return None
    return made


def download(*, by: User, made: ChronologyPrint, request: HttpRequest | None = None) -> bytes:
    require(made.state == PrintState.READY)
    full = ChronologyPrint.objects.get(pk=made.pk)
    log_event(actor=by, event=Event.CHRONOLOGY_PRINT_DOWNLOADED, obj=made, request=request)
    return bytes(full.pdf)


def expire_old_prints(now: Any = None) -> int:
    """Remove the PDFs of prints older than PRINT_KEPT_DAYS (the row stays, for the audit
    trail): a print is made for a conference; the records stay in Confide."""
    cutoff = (now or timezone.now()) - timedelta(days=PRINT_KEPT_DAYS)
    old = ChronologyPrint.objects.filter(requested_at__lt=cutoff).exclude(state=PrintState.EXPIRED)
    removed = 0
    for made in old.defer("pdf"):
        made.state, made.pdf, made.sha256 = PrintState.EXPIRED, b"", ""
        made.save(update_fields=["state", "pdf", "sha256"])
        removed += 1
    return removed


def expire_every_setting() -> str:
    return for_each_setting(expire_old_prints, name="Chronology prints", done="prints removed")
