"""Re-encrypt every encrypted value under the newest key (the first in CONFIDE_ENCRYPTION_KEYS).

Rows are read in primary-key order, a small batch at a time, each batch in its own transaction,
so a crash leaves every row readable (under the old key or the new) and a second run carries on
where the first stopped; a run with nothing left to do changes nothing. Each row is saved with
``save(update_fields=...)``, so the ciphertext stays bound to its row: never ``queryset.update()``.
The per-row change rows django-auditlog would write are suppressed; one ``keys_rotated`` event
summarises the run.
"""

from __future__ import annotations

from typing import Any

from auditlog.context import disable_auditlog
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import Q

from audit.events import Event
from audit.log import log_event
from audit.models import AuditSeal
from core import crypto
from core.fields import EncryptedBinaryField, encrypted_fields

BATCH_SIZE = 200
# Attachments (and any other bytes) are up to 10 MB each: load only a few at once.
BINARY_BATCH_SIZE = 5


def rotatable_models() -> list[type[models.Model]]:
    """Every installed model with an encrypted field, whichever app it is in."""
    return [model for model in apps.get_models() if encrypted_fields(model)]


def _not_on_current_key(model: type[models.Model], current_id: str) -> Q:
    """Rows with at least one value sealed under an older key (empty values are stored as '')."""
    q = Q()
    for field in encrypted_fields(model):
        name = field.name
        q |= (
            Q(**{f"{name}__isnull": False})
            & ~Q(**{name: ""})
            & ~Q(**{f"{name}__startswith": f"{current_id}:"})
        )
    return q


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the newest key in CONFIDE_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        current_id = crypto.keyring().current_id
        values = rows = already = 0
        failures: list[str] = []
        with disable_auditlog():
            for model in rotatable_models():
                fields = encrypted_fields(model)
                binary = any(isinstance(f, EncryptedBinaryField) for f in fields)
                size = min(options["batch_size"], BINARY_BATCH_SIZE if binary else BATCH_SIZE)
                manager = model._base_manager
                stale = manager.filter(_not_on_current_key(model, current_id))
                already += manager.count() - stale.count()
                names = [f.attname for f in fields]
                last_pk = None
                while True:
                    with transaction.atomic():
                        batch_qs = stale.order_by("pk").only("pk", *names).select_for_update()
                        if last_pk is not None:
                            batch_qs = batch_qs.filter(pk__gt=last_pk)
                        batch = list(batch_qs[:size])
                        for instance in batch:
                            try:
                                changed = [f.attname for f in fields if f.reseal(instance)]
                            except crypto.DecryptionError as exc:
                                # Audited by the field; the row stays as it is, for investigation.
                                failures.append(f"{model._meta.label} {instance.pk}: {exc}")
                                continue
                            if changed:
                                instance.save(update_fields=changed)
                                values += len(changed)
                                rows += 1
                            else:
                                already += 1
                    if len(batch) < size:
                        break
                    last_pk = batch[-1].pk
        summary = (
            f"re-encrypted {values} values in {rows} rows; {already} rows already on the newest key"
        )
        log_event(
            actor=None,
            event=Event.KEYS_ROTATED,
            detail={
                "key_id": current_id,
                "values": values,
                "rows": rows,
                "already_current": already,
                "failed_rows": len(failures),
            },
        )
        self.stdout.write(summary)
        older_seals = sorted(
            AuditSeal.objects.exclude(key_id=current_id)
            .order_by()
            .values_list("key_id", flat=True)
            .distinct()
        )
        if older_seals:
            keys = ", ".join(older_seals)
            self.stdout.write(
                f"Keep the older key(s) {keys} in CONFIDE_ENCRYPTION_KEYS, after the newest: the "
                "audit log's seals made with them are verified with them (manage.py verify_audit)."
            )
        if failures:
            raise CommandError(
                f"{len(failures)} rows could not be decrypted and stay on their old key (each is "
                "in the audit log as decryption_failed):\n" + "\n".join(failures)
            )
