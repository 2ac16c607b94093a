"""Every periodic job of the deployment, run by one command: ``manage.py run_schedules``, started
every minute by cron or a systemd timer (README). django-tasks-db has no scheduler; this is it.

Each app registers its jobs in its ``ready()`` (``register(name, every, job)``). A run starts the
jobs that are due and skips the rest, so running it more often than needed changes nothing
(idempotent). A job is leased before it starts — a conditional UPDATE of its row that only one
runner can win — so two runners (two machines' timers, or a slow run overlapping the next minute)
never run the same job at once; a runner killed mid-job loses its lease when the lease expires.
Each run's outcome (ok, or the error) is kept on the job's row for the dashboard and the audit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], str | None]
    # How long a run may hold its lease before another runner may start it again.
    lease: timedelta = timedelta(minutes=30)


_jobs: dict[str, Job] = {}


def register(
    name: str, every: timedelta, run: Callable[[], str | None], *, lease: timedelta | None = None
) -> None:
    _jobs[name] = Job(name, every, run, lease or timedelta(minutes=30))


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda j: j.name)


@dataclass(frozen=True)
class Outcome:
    name: str
    ran: bool
    ok: bool = True
    message: str = ""


def _row(name: str) -> ScheduledJob:
    try:
        with transaction.atomic():
            row, _ = ScheduledJob.objects.get_or_create(name=name)
    except IntegrityError:  # made at the same moment by another runner
        row = ScheduledJob.objects.get(name=name)
    return row


def _due(job: Job, row: ScheduledJob, now: datetime) -> bool:
    return row.last_started_at is None or row.last_started_at + job.every <= now


def _lease(job: Job, now: datetime) -> bool:
    """Take the job's lease if nobody holds it: one conditional UPDATE, won by one runner."""
    won = ScheduledJob.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now), name=job.name
    ).update(locked_until=now + job.lease, last_started_at=now)
    return won == 1


def run_due(*, force: bool = False, only: str | None = None) -> list[Outcome]:
    """Run every job that is due (all of them with ``force``); what happened to each."""
    outcomes = []
    for job in jobs():
        if only is not None and job.name != only:
            continue
        now = timezone.now()
        row = _row(job.name)
        if not (force or _due(job, row, now)) or not _lease(job, now):
            outcomes.append(Outcome(job.name, ran=False))
            continue
        try:
            message = job.run() or ""
            ok = True
        except Exception as exc:  # one job's failure must not stop the others
            logger.exception("scheduled job %s failed", job.name)
            message, ok = f"{type(exc).__name__}: {exc}"[:500], False
        ScheduledJob.objects.filter(name=job.name).update(
            locked_until=None,
            last_finished_at=timezone.now(),
            last_ok=ok,
            last_message=message[:500],
        )
        outcomes.append(Outcome(job.name, ran=True, ok=ok, message=message))
    return outcomes


def overdue(now: datetime | None = None) -> list[str]:
    """Jobs that have not run for twice their interval: the scheduler itself is not running."""
    now = now or timezone.now()
    rows = {r.name: r for r in ScheduledJob.objects.all()}
    late = []
    for job in jobs():
        row = rows.get(job.name)
        if row is None or row.last_started_at is None or row.last_started_at + 2 * job.every < now:
            late.append(job.name)
    return late
