"""``manage.py sar_reap_renders``: mark renders that stopped without finishing as failed.

A render sends a sign of life at each stage; one silent for longer than
``services.RENDER_STALE_AFTER`` was killed (a worker restart, out of memory). Every new render runs
this first too, and the request's page already shows such a render as "failed, retry"; run it from
cron (every few minutes) so the stored state agrees.
"""

from typing import Any

from django.core.management.base import BaseCommand

from access_requests.services import mark_stale_renders_failed


class Command(BaseCommand):
    help = "Mark subject-access renders that stopped without finishing as failed (retry)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = mark_stale_renders_failed()
        self.stdout.write(f"{count} interrupted render{'s' if count != 1 else ''} marked failed.")
