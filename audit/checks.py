"""The application checks its own audit chain, on a schedule (core.schedules):

Each chain (each setting's, and the deployment's) is checked and kept on its own.

- ``audit_anchor`` (every 5 minutes): each chain's head, signed, to the anchor directory
  (audit.anchors);
- ``audit_check`` (every 5 minutes): the chain walked on from the last intact check — only what was
  written since — and compared with the newest anchors; once a day the whole chain and every
  anchor. Each check is kept (audit.models.ChainCheck): the Lead's audit page shows "verified at
  HH:MM, N entries" or the first broken link.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.db.models import Max
from django.utils import timezone

from . import anchors
from .chain import Checkpoint, chain_name, chains, verify_chain
from .models import DEPLOYMENT_CHAIN, AuditSeal, ChainCheck, SealedEntry

FULL_EVERY = timedelta(days=1)
# A check older than this is stale: the scheduler is not running.
STALE_AFTER = timedelta(minutes=15)
# The most seals the audit page walks itself when the scheduler has fallen behind.
INLINE_LIMIT = 5000


def latest(chain: UUID = DEPLOYMENT_CHAIN) -> ChainCheck | None:
    return ChainCheck.objects.filter(chain=chain).order_by("-checked_at", "-id").first()


def _checkpoint(check: ChainCheck | None) -> Checkpoint | None:
    if check is None or not check.intact or check.head_sequence == 0:
        return None
    return Checkpoint(check.head_sequence, check.head_digest, check.entries, check.last_entry_id)


def run_chain(chain: UUID, *, full: bool | None = None) -> ChainCheck:
    """Check one chain (incrementally unless ``full`` or a full walk is due) and keep the result."""
    last = latest(chain)
    if full is None:
        last_full = (
            ChainCheck.objects.filter(chain=chain, full=True).order_by("-checked_at").first()
        )
        full = last_full is None or last_full.checked_at + FULL_EVERY <= timezone.now()
    since = None if full else _checkpoint(last)
    report = verify_chain(chain=chain, since=since)
    problems = [report.problem] if report.problem else []
    anchor_list = list(anchors.read()) if full else anchors.newest()
    problems += anchors.check(head_sequence=report.head_sequence, anchors=anchor_list, chain=chain)
    last_entry = SealedEntry.objects.filter(
        seal__chain=chain, seal__sequence=report.head_sequence
    ).aggregate(m=Max("entry_id"))["m"] or (since.last_entry_id if since else 0)
    return ChainCheck.objects.create(
        chain=chain,
        full=full,
        from_sequence=since.sequence if since else 0,
        head_sequence=report.head_sequence,
        head_digest=report.head_digest,
        entries=report.entries,
        last_entry_id=last_entry,
        anchors_checked=len(anchor_list),
        problem="\n".join(problems),
    )


def all_chains(anchor_list: list[anchors.Anchor] | None = None) -> list[UUID]:
    """Every chain with seals or anchors (a chain deleted whole still has its anchors): those of
    ``anchor_list``, else of the newest anchor file (each month's file names every chain)."""
    if anchor_list is None:
        anchor_list = list(anchors.read(newest_files=1))
    found = chains()
    return found + sorted(anchors.chains_named(anchor_list) - set(found))


def run(*, full: bool | None = None) -> list[ChainCheck]:
    """Check every chain; the deployment's first."""
    return [run_chain(chain, full=full) for chain in all_chains()]


def scheduled_check() -> str:
    results = run()
    broken = [check for check in results if not check.intact]
    if broken:
        kind = "full" if any(check.full for check in broken) else "incremental"
        raise RuntimeError(
            f"audit chain broken ({kind} check): "
            + "; ".join(f"{chain_name(c.chain)}: {c.problem}" for c in broken)
        )
    entries = sum(check.entries for check in results)
    return f"{len(results)} chains checked: {entries} entries intact"


def status(chain: UUID = DEPLOYMENT_CHAIN) -> ChainCheck | None:
    """The newest check of a chain for the audit page; when the scheduler has not run lately, a
    small incremental check made now (what was written since the last one), so the page never
    shows a stale 'verified'."""
    check = latest(chain)
    if check is not None and check.checked_at + STALE_AFTER >= timezone.now():
        return check
    since = check.head_sequence if check is not None and check.intact else 0
    if AuditSeal.objects.filter(chain=chain, sequence__gt=since).count() > INLINE_LIMIT:
        return check  # too much to walk while the Lead waits: the page says it is stale
    return run_chain(chain, full=check is None)


def status_of(chains_shown: list[UUID]) -> ChainCheck | None:
    """The newest checks of several chains as one, for a page that shows their events (a
    setting's own, and the deployment's sign-ins of its people): the oldest check time, the
    entries and anchors added up, every problem. Not saved."""
    found = [status(chain) for chain in chains_shown]
    checks = [check for check in found if check is not None]
    if not checks:
        return None
    return ChainCheck(
        checked_at=min(check.checked_at for check in checks),
        full=all(check.full for check in checks),
        entries=sum(check.entries for check in checks),
        anchors_checked=sum(check.anchors_checked for check in checks),
        problem="\n".join(
            f"{chain_name(check.chain)}: {check.problem}" if len(checks) > 1 else check.problem
            for check in checks
            if check.problem
        ),
    )
