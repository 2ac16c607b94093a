from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone


def _prune_task_results() -> str:
    """Old rows of finished tasks go (django-tasks-db's own command), where tasks are in the
    database; the immediate backend of development and tests keeps none."""
    if not settings.TASKS["default"]["BACKEND"].startswith("django_tasks_db."):
        return "no task rows are kept by this backend"
    call_command("prune_db_task_results", verbosity=0)
    return "old task rows pruned"


def _open_requests(child: Any) -> Any:
    """A leaver's subject-access requests still open (records.leaving's checklist)."""
    from records.leaving import Open  # models load after the app registry

    from .models import OPEN_STATUSES, SubjectAccessRequest  # likewise

    count = SubjectAccessRequest.objects.filter(children=child, status__in=OPEN_STATUSES).count()
    if not count:
        return None
    return Open("Subject-access requests still open", count, reverse("access_requests:list"))


def _retention(rules: Any, held: Any) -> Any:
    """A request's file, and the copies released from it: a year after it was closed (held while
    a child it is about is held)."""
    from records import retention  # models load after the app registry
    from records.models import Child  # likewise

    from .models import Release, SubjectAccessRequest  # likewise

    rule = rules[retention.SUBJECT_ACCESS]
    children = {child.pk: child for child in Child.objects.all()}
    kept: dict[Any, retention.Kept] = {}
    hold: dict[Any, bool] = {}
    for sar in SubjectAccessRequest.objects.prefetch_related("children"):
        closed = timezone.localdate(sar.closed_at) if sar.closed_at else None
        kept[sar.pk] = retention.Kept(
            rule.code, retention.add_period(closed, rule.years, rule.months) if closed else None
        )
        hold[sar.pk] = any(held.child(children[c.pk]) for c in sar.children.all())
        yield retention.Line(
            "access_requests.subjectaccessrequest",
            str(sar.pk),
            rule.code,
            kept[sar.pk].until,
            hold[sar.pk],
        )
    for pk, request_id in Release.objects.values_list("pk", "request_id").iterator():
        yield retention.Line(
            "access_requests.release", str(pk), rule.code, kept[request_id].until, hold[request_id]
        )


class AccessRequestsConfig(AppConfig):
    name = "access_requests"
    verbose_name = "Subject access requests"

    def ready(self) -> None:
        from audit.log import follow

        # A link attempt is a counter of looks at a link page (its address, its time), written on
        # every look: the link's own events (used, refused) are audited instead.
        follow(self, skip={"LinkAttempt"})

        from datetime import timedelta

        from core import schedules

        from .services import mark_stale_renders_failed

        # A render whose worker died shows as failed within a minute or two, not at the next visit.
        schedules.register(
            "sar_reap_renders",
            timedelta(minutes=1),
            lambda: f"{mark_stale_renders_failed()} interrupted renders marked failed",
        )
        schedules.register("prune_task_results", timedelta(days=1), _prune_task_results)

        from records.leaving import register_check  # it imports records' models

        register_check(_open_requests)

        from records.retention import register_kind  # it imports records' models

        register_kind(_retention)
