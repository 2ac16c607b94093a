"""The alert email, sent by a task (the immediate backend in development and tests; the database
backend and ``db_worker`` in production). A failure is recorded on the alert and tried again by
``alert_retry``."""

from __future__ import annotations

from django.tasks import task

from core import tenancy

from . import alerts


@task()
def send_alert(alert_id: str, setting_id: str) -> bool:
    with tenancy.working_in(setting_id):
        return alerts.send(alert_id)


@task()
def render_chronology(print_id: str, setting_id: str) -> str:
    # The render works in the print's own setting, as the person who asked for it did.
    from . import printing  # printing queues this task: imported here to avoid a cycle

    with tenancy.working_in(setting_id):
        return printing.render(print_id)
