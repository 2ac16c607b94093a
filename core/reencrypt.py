"""Bring every encrypted value to the current format: made with its owner's data key (core.keys),
bound to the columns that decide who reads it, and encrypted even when empty.

Rows are read in primary-key order, a small batch at a time, each batch in its own transaction, so
a run stopped half-way (a crash, a power cut, Ctrl-C) leaves every row readable in one format or the
other, and the next run carries on where it stopped; a run with nothing left to do changes nothing.
Each row is saved with ``save(update_fields=...)`` so its ciphertext stays bound to it: never
``queryset.update()``. Core names no model of ours: the models are every installed one with an
encrypted field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models import Q

from . import crypto, filestore, keys
from .fields import EncryptedBinaryField, encrypted_fields

BATCH_SIZE = 200
# Attachments (and any other bytes) are up to 10 MB each: load only a few at once.
BINARY_BATCH_SIZE = 5


def encrypted_models() -> list[type[models.Model]]:
    """Every installed model with an encrypted field, whichever app it is in."""
    return [model for model in apps.get_models() if encrypted_fields(model)]


def _not_current(model: type[models.Model]) -> Q:
    """Rows with at least one value in the old format, or empty (NULL or ''). A reference to an
    object (core.filestore) is current: an object is only ever written in the current format."""
    q = Q()
    for f in encrypted_fields(model):
        stale = Q(**{f"{f.name}__isnull": True}) | ~Q(**{f"{f.name}__startswith": keys.PREFIX})
        if isinstance(f, EncryptedBinaryField):
            stale &= ~Q(**{f"{f.name}__startswith": filestore.PREFIX})
        q |= stale
    return q


@dataclass
class Outcome:
    values: int = 0
    rows: int = 0
    already: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"re-encrypted {self.values} values in {self.rows} rows; "
            f"{self.already} rows already in the current format"
        )


def run(*, batch_size: int = BATCH_SIZE, progress: Callable[[str], None] | None = None) -> Outcome:
    """Convert every value not yet in the current format. A value that cannot be decrypted is
    left as it is (the field has audited it) and named in ``failures``."""
    outcome = Outcome()
    for model in encrypted_models():
        fields = encrypted_fields(model)
        binary = any(isinstance(f, EncryptedBinaryField) for f in fields)
        size = max(1, min(batch_size, BINARY_BATCH_SIZE if binary else BATCH_SIZE))
        manager = model._base_manager
        stale = manager.filter(_not_current(model))
        outcome.already += manager.count() - stale.count()
        last_pk = None
        converted = 0
        while True:
            with transaction.atomic():
                batch_qs = stale.order_by("pk").select_for_update()
                if last_pk is not None:
                    batch_qs = batch_qs.filter(pk__gt=last_pk)
                batch = list(batch_qs[:size])
                for instance in batch:
                    try:
                        changed = [f.attname for f in fields if f.reseal(instance)]
                    except crypto.DecryptionError as exc:
                        # Audited by the field; the row stays as it is, for investigation.
                        outcome.failures.append(f"{model._meta.label} {instance.pk}: {exc}")
                        continue
                    if changed:
                        instance.save(update_fields=changed)
                        outcome.values += len(changed)
                        outcome.rows += 1
                        converted += 1
            if len(batch) < size:
                break
            last_pk = batch[-1].pk
        if converted and progress is not None:
            progress(f"{model._meta.label}: {converted} rows")
    return outcome


def remaining() -> int:
    """How many rows still hold a value in the old format (or an empty column)."""
    return sum(
        model._base_manager.filter(_not_current(model)).count() for model in encrypted_models()
    )
