"""After a new master key is put first in CONFIDE_ENCRYPTION_KEYS: wrap every setting's data key
again under it (core.keys), and bring any value still in the old format (sealed directly under a
master key) to the current one, so the older master keys no longer open any record.

Records themselves are not re-encrypted: they are sealed under per-child and per-staff data keys,
which are wrapped by their setting's key, which alone is wrapped by a master key. Both steps can be
stopped and run again; a second run changes nothing. One ``keys_rotated`` event summarises it.
"""

from __future__ import annotations

from typing import Any

from auditlog.context import disable_auditlog
from django.core.management.base import BaseCommand, CommandParser

from audit.events import Event
from audit.log import log_event
from audit.models import DEPLOYMENT_CHAIN, AuditSeal
from core import crypto, keys, reencrypt

from .reencrypt import report_failures


class Command(BaseCommand):
    help = "Wrap the settings' keys under the newest key in CONFIDE_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=reencrypt.BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        current_id = crypto.keyring().current_id
        rewrapped = keys.rewrap_settings()
        with disable_auditlog():
            outcome = reencrypt.run(batch_size=options["batch_size"])
        log_event(
            actor=None,
            event=Event.KEYS_ROTATED,
            detail={
                "key_id": current_id,
                "settings_rewrapped": rewrapped,
                "values": outcome.values,
                "rows": outcome.rows,
                "failed_rows": len(outcome.failures),
            },
        )
        self.stdout.write(f"wrapped {rewrapped} setting keys under {current_id}; {outcome.summary}")
        older_seals = sorted(
            AuditSeal.objects.filter(chain=DEPLOYMENT_CHAIN)
            .exclude(key_id=current_id)
            .order_by()
            .values_list("key_id", flat=True)
            .distinct()
        )
        if older_seals:
            names = ", ".join(older_seals)
            self.stdout.write(
                f"Keep the older key(s) {names} in CONFIDE_ENCRYPTION_KEYS, after the newest: the "
                "audit log's seals made with them are verified with them (manage.py verify_audit)."
            )
        report_failures(outcome)
