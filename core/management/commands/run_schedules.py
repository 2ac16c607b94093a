"""``manage.py run_schedules``: run the periodic jobs that are due (core.schedules). Start it every
minute from cron or a systemd timer (README); running it more often changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import schedules


class Command(BaseCommand):
    help = "Run the periodic jobs that are due (audit anchors and checks, reapers, reminders)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="run every job now, due or not")
        parser.add_argument("--job", help="only this job")
        parser.add_argument("--list", action="store_true", help="list the jobs and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in schedules.jobs():
                self.stdout.write(f"{job.name}: every {job.every}")
            return
        if options["job"] and options["job"] not in {j.name for j in schedules.jobs()}:
            raise CommandError(f"No job called {options['job']!r}: see run_schedules --list.")
        outcomes = schedules.run_due(force=options["force"], only=options["job"])
        failed = [o for o in outcomes if o.ran and not o.ok]
        for o in outcomes:
            if o.ran:
                state = "ok" if o.ok else "FAILED"
                self.stdout.write(f"{o.name}: {state}{': ' + o.message if o.message else ''}")
        if failed:
            raise CommandError(f"{len(failed)} job(s) failed: " + ", ".join(o.name for o in failed))
