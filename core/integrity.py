"""Row seals: a MAC over the columns that grant access, for the rows that grant access without
holding a ciphertext of their own (need-to-know grants, a member of staff's role and rooms, acting
Lead periods, break-glass openings).

A ciphertext is bound to the columns that decide who reads it (core.fields), but a grant decides
who reads *other* rows: a grant inserted or extended with psql would open a child's records and
nothing would fail to decrypt. So each such row carries ``row_seal``: an HMAC-SHA256, under a key
derived from its setting's data key (core.keys), over its model, primary key and deciding
columns. The policy uses a row only when its seal verifies; one that does not grants nothing and
is reported (``core.signals.row_tampered``, audited as ``row_seal_failed``).

A seal names the setting key it was made with (``s1$<key id>$<hex>``), so it survives a rotation
of the master keys (which re-wraps the setting's key without changing it) and a setting's move to
another deployment (which takes its keys with it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import models

from . import keys
from .crypto import DecryptionError
from .signals import row_tampered

PREFIX = "s1$"
_INFO = b"confide row seal v1"


def _canonical(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        # The same instant reads back the same whatever the database's time zone.
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(sorted(_canonical(v) for v in value))
    return str(value)


def message(label: str, pk: Any, parts: Iterable[tuple[str, Any]]) -> bytes:
    body = "|".join(f"{name}={_canonical(value)}" for name, value in parts)
    return f"{label}|{pk}|{body}".encode()


def _mac_key(key_id: UUID) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        keys.unwrap(key_id)
    )


def _setting_key(setting: UUID | None) -> UUID:
    return keys.key_id_for(keys.Owner(keys.SETTING, setting or keys.current_setting()))


def seal(
    label: str, pk: Any, parts: Iterable[tuple[str, Any]], *, setting: UUID | None = None
) -> str:
    """A MAC over the row's deciding columns, with a key of its setting's (the working setting's
    when not named): a row moved to another setting no longer verifies there."""
    key_id = _setting_key(setting)
    mac = hmac.new(_mac_key(key_id), message(label, pk, parts), hashlib.sha256).hexdigest()
    return f"{PREFIX}{key_id.hex}${mac}"


def verify(
    token: str,
    label: str,
    pk: Any,
    parts: Iterable[tuple[str, Any]],
    *,
    setting: UUID | None = None,
) -> bool:
    if not token or not token.startswith(PREFIX):
        return False
    head, sep, mac = token[len(PREFIX) :].partition("$")
    try:
        key_id = UUID(hex=head)
        if setting is not None and key_id != _setting_key(setting):
            # Sealed in another setting: the row was moved behind the application's back.
            return False
        key = _mac_key(key_id)
    except (ValueError, DecryptionError):
        return False
    expected = hmac.new(key, message(label, pk, parts), hashlib.sha256).hexdigest()
    return bool(sep) and hmac.compare_digest(expected, mac)


# --- models with a sealed row ------------------------------------------------------------------


def parts_of(instance: models.Model, columns: Iterable[str]) -> list[tuple[str, Any]]:
    return [(name, getattr(instance, name)) for name in columns]


def label_of(instance: models.Model) -> str:
    return instance._meta.label_lower


def setting_of(instance: models.Model) -> UUID | None:
    setting: UUID | None = getattr(instance, "setting_id", None)
    return setting


def seal_instance(instance: models.Model, columns: Iterable[str]) -> str:
    return seal(
        label_of(instance),
        instance.pk,
        parts_of(instance, columns),
        setting=setting_of(instance),
    )


def instance_is_intact(
    instance: models.Model, columns: Iterable[str], *, field: str = "row_seal"
) -> bool:
    """Whether the row's seal verifies; a row whose seal does not is reported as tampered."""
    token = getattr(instance, field)
    if verify(
        token,
        label_of(instance),
        instance.pk,
        parts_of(instance, columns),
        setting=setting_of(instance),
    ):
        return True
    row_tampered.send(
        sender=type(instance),
        instance=instance,
        field=field,
        message="its seal does not match the columns that grant access: changed or inserted "
        "outside the application",
    )
    return False
