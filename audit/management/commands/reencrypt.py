"""Bring every encrypted value to the current format (core.reencrypt): made with its owner's data
key, bound to the columns that decide who reads it, encrypted even when empty.

Run once after upgrading; it can be stopped and run again, and a run with nothing left to do
changes nothing. When it reports nothing left, set ``CONFIDE_REFUSE_LEGACY_CIPHERTEXT=1`` in the
environment: from then on a value in the old format, or an emptied column, is refused as
tampering. The per-row change rows django-auditlog would write are suppressed; one
``values_reencrypted`` event summarises the run.
"""

from __future__ import annotations

from typing import Any

from auditlog.context import disable_auditlog
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.events import Event
from audit.log import log_event
from core import reencrypt
from core.fields import refusing_legacy


class Command(BaseCommand):
    help = (
        "Re-encrypt every value still in the old format (resumable; a second run changes nothing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=reencrypt.BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        with disable_auditlog():
            outcome = reencrypt.run(batch_size=options["batch_size"], progress=self.stdout.write)
        log_event(
            actor=None,
            event=Event.VALUES_REENCRYPTED,
            detail={
                "values": outcome.values,
                "rows": outcome.rows,
                "already_current": outcome.already,
                "failed_rows": len(outcome.failures),
            },
        )
        self.stdout.write(outcome.summary)
        report_failures(outcome)
        if not refusing_legacy():
            self.stdout.write(
                "Every value is in the current format: set CONFIDE_REFUSE_LEGACY_CIPHERTEXT=1 in "
                "the environment so a value in the old format, or an emptied column, is refused."
            )


def report_failures(outcome: reencrypt.Outcome) -> None:
    if outcome.failures:
        raise CommandError(
            f"{len(outcome.failures)} rows could not be decrypted and were left as they are (each "
            "is in the audit log as decryption_failed):\n" + "\n".join(outcome.failures)
        )
