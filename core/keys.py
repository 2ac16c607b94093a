"""The key hierarchy: the deployment's master keys → one data key per setting → one data key per
child and per member of staff.

- The master keys are ``CONFIDE_ENCRYPTION_KEYS`` (core.crypto's key ring, rotatable): they only
  wrap the settings' keys, so rotating them re-wraps a few keys, not every record.
- A setting's key wraps the keys of its children and staff; a setting that leaves a group takes
  its own keys with it.
- A child's (or a member of staff's) key encrypts their records. Destroying it makes every live
  copy of them unreadable at once (crypto-shredding); a backup that still holds the wrapped key
  stays readable until it ages out.

A ciphertext of this format names the data key it was made with: ``v2$<key id>$<base64(nonce ||
ciphertext+tag)>``. Keys are unwrapped once per request (or task) and kept in a context-local
cache (``clear_cache`` at its start and end), never for the life of the process: a destroyed key
stops working at the next request.

Core names no model of ours: which setting the deployment's rows belong to is registered by the
records app (``register_setting``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import crypto, tenancy
from .crypto import NONCE_BYTES, DecryptionError
from .models import DataKey

PREFIX = "v2$"
SETTING, CHILD, STAFF = "setting", "child", "staff"
SCOPES = (SETTING, CHILD, STAFF)
# The setting of a deployment that has not recorded one yet.
NO_SETTING = UUID(int=0)


@dataclass(frozen=True)
class Owner:
    """Whose key encrypts a row: a setting's, a child's or a member of staff's."""

    scope: str
    id: UUID

    @classmethod
    def child(cls, pk: UUID | str) -> Owner:
        return cls(CHILD, pk if isinstance(pk, UUID) else UUID(str(pk)))

    @classmethod
    def staff(cls, pk: UUID | str) -> Owner:
        return cls(STAFF, pk if isinstance(pk, UUID) else UUID(str(pk)))

    @classmethod
    def setting(cls) -> Owner:
        return cls(SETTING, current_setting())


_current_setting: Callable[[], UUID | None] | None = None
_setting_of_owner: Callable[[Owner], UUID | None] | None = None


def register_setting(
    resolver: Callable[[], UUID | None],
    owner_setting: Callable[[Owner], UUID | None] | None = None,
) -> None:
    """The records app says which setting the rows being written belong to (the working one),
    and which setting a child or member of staff belongs to (their keys are wrapped under it)."""
    global _current_setting, _setting_of_owner
    _current_setting = resolver
    _setting_of_owner = owner_setting


def setting_of(owner: Owner) -> UUID:
    """The setting whose key wraps this owner's key."""
    if owner.scope == SETTING:
        return owner.id
    found = _setting_of_owner(owner) if _setting_of_owner is not None else None
    return found or current_setting()


_setting: ContextVar[UUID | None] = ContextVar("confide_setting", default=None)


def current_setting() -> UUID:
    """The setting this request's rows belong to: the one being worked in (core.tenancy), else
    the deployment's only one (asked once per request)."""
    working = tenancy.working_setting()
    if working is not None:
        return working
    found = _setting.get()
    if found is None:
        resolved = _current_setting() if _current_setting is not None else None
        found = resolved or NO_SETTING
        _setting.set(found)
    return found


# --- the per-request cache ----------------------------------------------------------------------

_unwrapped: ContextVar[dict[UUID, bytes] | None] = ContextVar("confide_unwrapped", default=None)
# Which setting's key each unwrapped key hangs from (filled in by ``unwrap``).
_settings_of_keys: ContextVar[dict[UUID, UUID] | None] = ContextVar(
    "confide_settings_of_keys", default=None
)
_current: ContextVar[dict[Owner, UUID] | None] = ContextVar("confide_current_keys", default=None)


def clear_cache() -> None:
    """Forget every unwrapped key: at the start and end of each request and task."""
    _unwrapped.set(None)
    _settings_of_keys.set(None)
    _current.set(None)
    _setting.set(None)
    _ciphers.set(None)


def _cache() -> dict[UUID, bytes]:
    cache = _unwrapped.get()
    if cache is None:
        cache = {}
        _unwrapped.set(cache)
    return cache


def _owners() -> dict[Owner, UUID]:
    owners = _current.get()
    if owners is None:
        owners = {}
        _current.set(owners)
    return owners


# --- wrapping -----------------------------------------------------------------------------------


def _wrap_aad(scope: str, owner: UUID, key_id: UUID) -> bytes:
    return f"confide data key|{scope}|{owner}|{key_id}".encode()


def _seal(wrapping_key: bytes, key: bytes, aad: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(wrapping_key).encrypt(nonce, key, aad)).decode()


def _open(wrapping_key: bytes, wrapped: str, aad: bytes) -> bytes:
    raw = base64.b64decode(wrapped)
    try:
        return AESGCM(wrapping_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError("a data key failed its integrity check (tampered)") from None


def unwrap(key_id: UUID) -> bytes:
    """A data key, unwrapped (by its setting's key, itself by a master key)."""
    cache = _cache()
    if key_id in cache:
        return cache[key_id]
    row = DataKey.objects.filter(pk=key_id).first()
    if row is None:
        raise DecryptionError(f"data key {key_id} does not exist (destroyed, or never made)")
    if row.destroyed_at is not None:
        raise DecryptionError(f"data key {key_id} was destroyed on {row.destroyed_at:%Y-%m-%d}")
    aad = _wrap_aad(row.scope, row.owner, row.pk)
    if row.parent_id is not None:
        key = _open(unwrap(row.parent_id), row.wrapped, aad)
        setting = _key_settings().get(row.parent_id, NO_SETTING)
    else:
        key = _open(crypto.keyring().key(row.master_key_id), row.wrapped, aad)
        setting = row.owner if row.scope == SETTING else NO_SETTING
    cache[key_id] = key
    _key_settings()[key_id] = setting
    if row.scope == SETTING:
        _owners().setdefault(Owner(SETTING, row.owner), key_id)  # spares key_id_for a query
    return key


def _key_settings() -> dict[UUID, UUID]:
    found = _settings_of_keys.get()
    if found is None:
        found = {}
        _settings_of_keys.set(found)
    return found


def setting_of_key(key_id: UUID) -> UUID:
    """The setting whose key a data key hangs from (NO_SETTING for keys made before the
    deployment recorded one)."""
    unwrap(key_id)  # records it, as making a key does
    return _key_settings()[key_id]


def _make(owner: Owner) -> UUID:
    key = AESGCM.generate_key(bit_length=256)
    row = DataKey(id=uuid.uuid4(), scope=owner.scope, owner=owner.id)
    aad = _wrap_aad(owner.scope, owner.id, row.id)
    if owner.scope == SETTING:
        ring = crypto.keyring()
        row.master_key_id = ring.current_id
        row.wrapped = _seal(ring.keys[ring.current_id], key, aad)
    else:
        parent = key_id_for(Owner(SETTING, setting_of(owner)))
        row.parent_id = parent
        row.wrapped = _seal(unwrap(parent), key, aad)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        # Made at the same moment by another request: use theirs.
        existing = DataKey.objects.live().get(scope=owner.scope, owner=owner.id)
        return existing.pk
    _cache()[row.pk] = key
    _key_settings()[row.pk] = owner.id if owner.scope == SETTING else setting_of(owner)
    return row.pk


def key_id_for(owner: Owner) -> UUID:
    """The live data key of an owner, made (and wrapped) the first time it is needed."""
    owners = _owners()
    if owner in owners:
        return owners[owner]
    found = (
        DataKey.objects.live()
        .filter(scope=owner.scope, owner=owner.id)
        .values_list("pk", flat=True)
        .first()
    )
    key_id = found or _make(owner)
    owners[owner] = key_id
    return key_id


def destroy(owner: Owner) -> int:
    """Crypto-shredding: the owner's keys are erased (their wrapped bytes with them), so their
    ciphertexts can never be opened again from this database."""
    clear_cache()
    return (
        DataKey.objects.live()
        .filter(scope=owner.scope, owner=owner.id)
        .update(wrapped="", destroyed_at=timezone.now())
    )


_table_ready = False


def ready() -> bool:
    """Whether the data keys' table exists yet. A migration that writes encrypted values can run
    before it (on a database from before the hierarchy): what it writes then is in the first
    format, which `manage.py reencrypt` converts."""
    global _table_ready
    if not _table_ready:
        _table_ready = DataKey._meta.db_table in connection.introspection.table_names()
    return _table_ready


# --- ciphertexts ---------------------------------------------------------------------------------


_ciphers: ContextVar[dict[UUID, AESGCM] | None] = ContextVar("confide_ciphers", default=None)


def _aead(key_id: UUID) -> AESGCM:
    """The cipher of a data key, made once per request (cleared with the keys)."""
    ciphers = _ciphers.get()
    if ciphers is None:
        ciphers = {}
        _ciphers.set(ciphers)
    cipher = ciphers.get(key_id)
    if cipher is None:
        cipher = ciphers[key_id] = AESGCM(unwrap(key_id))
    return cipher


def is_sealed_v2(token: str) -> bool:
    return token.startswith(PREFIX)


def encrypt(data: bytes, owner: Owner, aad: bytes) -> str:
    key_id = key_id_for(owner)
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(key_id).encrypt(nonce, data, aad)
    return f"{PREFIX}{key_id.hex}${base64.b64encode(nonce + sealed).decode()}"


def key_of(token: str) -> UUID:
    return UUID(hex=token[len(PREFIX) :].partition("$")[0])


@functools.lru_cache(maxsize=4096)
def _key_id(head: str) -> UUID:
    """A ciphertext's key id, parsed once for the many values made under one key (a page of a
    child's entries); ValueError when it is not one."""
    return UUID(hex=head)


def decrypt(token: str, aad: bytes, *, setting: UUID | None = None) -> bytes:
    """Open a ciphertext; with ``setting`` (the row's setting), also refuse one whose key hangs
    from another setting's: a row moved to another setting behind the application's back."""
    head, sep, encoded = token[len(PREFIX) :].partition("$")
    if not sep:
        raise DecryptionError("stored value is not a Confide ciphertext")
    try:
        key_id = _key_id(head)
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise DecryptionError("stored ciphertext is malformed") from None
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError("stored ciphertext is too short")
    try:
        plain = _aead(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError(
            "stored ciphertext failed its integrity check: tampered, copied from another "
            "record, or a column that decides who may read it was changed"
        ) from None
    if setting is not None and setting_of_key(key_id) not in (
        setting if isinstance(setting, UUID) else UUID(str(setting)),
        NO_SETTING,
    ):
        raise DecryptionError(
            "stored ciphertext was made under another setting's key: the row was moved to "
            "another setting outside the application"
        )
    return plain


def adopt(
    *,
    key_id: UUID,
    scope: str,
    owner: UUID,
    key: bytes | None,
    setting_key: tuple[UUID, bytes] | None,
    created_at: datetime,
    destroyed_at: datetime | None = None,
) -> DataKey:
    """A data key brought from another deployment with the setting it belongs to (records.moving):
    a setting's key wrapped under this deployment's newest master key; a child's or a member of
    staff's under ``setting_key`` (its id and the key itself); a destroyed one kept, with nothing
    to wrap, as the proof of its destruction."""
    row = DataKey(id=key_id, scope=scope, owner=owner, destroyed_at=destroyed_at)
    aad = _wrap_aad(scope, owner, key_id)
    if scope != SETTING:
        assert setting_key is not None, "a child's or staff key hangs from its setting's"
        row.parent_id = setting_key[0]
    if key is None:
        row.wrapped = ""
    elif scope == SETTING:
        ring = crypto.keyring()
        row.master_key_id = ring.current_id
        row.wrapped = _seal(ring.keys[ring.current_id], key, aad)
    else:
        assert setting_key is not None
        row.wrapped = _seal(setting_key[1], key, aad)
    row.save(force_insert=True)
    # Made when it was made, not now (auto_now_add set it on the insert).
    DataKey.objects.filter(pk=key_id).update(created_at=created_at)
    return row


def rewrap_settings() -> int:
    """After a master key rotation: every setting's key wrapped again under the newest master
    key (the keys below them, and every record, are untouched). Returns how many."""
    ring = crypto.keyring()
    done = 0
    for row in DataKey.objects.live().filter(scope=SETTING).exclude(master_key_id=ring.current_id):
        key = unwrap(row.pk)
        row.wrapped = _seal(
            ring.keys[ring.current_id], key, _wrap_aad(row.scope, row.owner, row.pk)
        )
        row.master_key_id = ring.current_id
        row.save(update_fields=["wrapped", "master_key_id"])
        done += 1
    return done
