"""The application checks its own audit chain, on a schedule (core.schedules):

- ``audit_anchor`` (every 5 minutes): the chain's head, signed, to the anchor directory
  (audit.anchors);
- ``audit_check`` (every 5 minutes): the chain walked on from the last intact check — only what was
  written since — and compared with the newest anchors; once a day the whole chain and every
  anchor. Each check is kept (audit.models.ChainCheck): the Lead's audit page shows "verified at
  HH:MM, N entries" or the first broken link.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Max
from django.utils import timezone

from . import anchors
from .chain import Checkpoint, verify_chain
from .models import AuditSeal, ChainCheck, SealedEntry

FULL_EVERY = timedelta(days=1)
# A check older than this is stale: the scheduler is not running.
STALE_AFTER = timedelta(minutes=15)
# The most seals the audit page walks itself when the scheduler has fallen behind.
INLINE_LIMIT = 5000


def latest() -> ChainCheck | None:
    return ChainCheck.objects.order_by("-checked_at", "-id").first()


def _checkpoint(check: ChainCheck | None) -> Checkpoint | None:
    if check is None or not check.intact or check.head_sequence == 0:
        return None
    return Checkpoint(check.head_sequence, check.head_digest, check.entries, check.last_entry_id)


def run(*, full: bool | None = None) -> ChainCheck:
    """Check the chain (incrementally unless ``full`` or a full walk is due) and keep the result."""
    last = latest()
    last_full = ChainCheck.objects.filter(full=True).order_by("-checked_at").first()
    if full is None:
        full = last_full is None or last_full.checked_at + FULL_EVERY <= timezone.now()
    since = None if full else _checkpoint(last)
    report = verify_chain(since=since)
    problems = [report.problem] if report.problem else []
    anchor_list = list(anchors.read()) if full else anchors.newest()
    problems += anchors.check(head_sequence=report.head_sequence, anchors=anchor_list)
    last_entry = SealedEntry.objects.filter(seal__sequence=report.head_sequence).aggregate(
        m=Max("entry_id")
    )["m"] or (since.last_entry_id if since else 0)
    return ChainCheck.objects.create(
        full=full,
        from_sequence=since.sequence if since else 0,
        head_sequence=report.head_sequence,
        head_digest=report.head_digest,
        entries=report.entries,
        last_entry_id=last_entry,
        anchors_checked=len(anchor_list),
        problem="\n".join(problems),
    )


def scheduled_check() -> str:
    check = run()
    kind = "full" if check.full else "incremental"
    if not check.intact:
        raise RuntimeError(f"audit chain broken ({kind} check): {check.problem}")
    return f"{kind} check: {check.entries} entries intact to seal #{check.head_sequence}"


def status() -> ChainCheck | None:
    """The newest check for the audit page; when the scheduler has not run lately, a small
    incremental check made now (what was written since the last one), so the page never shows a
    stale 'verified'."""
    check = latest()
    if check is not None and check.checked_at + STALE_AFTER >= timezone.now():
        return check
    since = check.head_sequence if check is not None and check.intact else 0
    if AuditSeal.objects.filter(sequence__gt=since).count() > INLINE_LIMIT:
        return check  # too much to walk while the Lead waits: the page says it is stale
    return run(full=check is None)
