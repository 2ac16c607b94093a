from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse


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


class AccessRequestsConfig(AppConfig):
    name = "access_requests"
    verbose_name = "Subject access requests"

    def ready(self) -> None:
        from audit.log import follow

        follow(self)

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
