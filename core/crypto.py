"""AES-256-GCM encryption of fields and files, bound to the row they belong to.

A ciphertext is ``<key id>:<base64(nonce || ciphertext+tag)>``. The associated data is the model
label, field name and primary key, so a ciphertext copied to another row (or field) fails to
decrypt. Keys come from ``CONFIDE_ENCRYPTION_KEYS``: comma-separated ``id:base64key`` pairs, the
first one the newest, used for all new encryption; older keys stay to decrypt until
``manage.py rotate_keys`` has moved everything onto the newest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12


class DecryptionError(Exception):
    """A ciphertext could not be decrypted: tampered, moved to another row, or its key is gone."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    current_id: str
    # One AESGCM per key, made on first use (each call keeps its own state, so it is shared).
    _aeads: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise DecryptionError(f"no encryption key with id {key_id!r} is configured") from None

    def aead(self, key_id: str) -> AESGCM:
        aead = self._aeads.get(key_id)
        if aead is None:
            try:
                aead = self._aeads[key_id] = AESGCM(self.keys[key_id])
            except KeyError:
                raise DecryptionError(
                    f"no encryption key with id {key_id!r} is configured"
                ) from None
        return aead


def new_key_spec() -> str:
    """A new key in the form CONFIDE_ENCRYPTION_KEYS takes: ``id:base64key``."""
    key_id = "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def parse_key_spec(spec: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id:
            raise ImproperlyConfigured(
                "CONFIDE_ENCRYPTION_KEYS must be comma-separated id:base64key pairs"
            )
        try:
            raw = base64.urlsafe_b64decode(encoded)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"encryption key {key_id!r} is not valid base64") from None
        if len(raw) != 32:
            raise ImproperlyConfigured(f"encryption key {key_id!r} must be 32 bytes (AES-256)")
        if key_id in keys:
            raise ImproperlyConfigured(f"encryption key id {key_id!r} appears twice")
        keys[key_id] = raw
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("CONFIDE_ENCRYPTION_KEYS holds no key")
    return KeyRing(keys=keys, current_id=order[0])


@cache
def _ring_for(spec: str) -> KeyRing:
    return parse_key_spec(spec)


def keyring() -> KeyRing:
    return _ring_for(settings.CONFIDE_ENCRYPTION_KEYS)


def associated_data(label: str, field: str, pk: object) -> bytes:
    return f"{label}|{field}|{pk}".encode()


def encrypt_bytes(data: bytes, aad: bytes) -> str:
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.aead(ring.current_id).encrypt(nonce, data, aad)
    return f"{ring.current_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt_bytes(token: str, aad: bytes) -> bytes:
    key_id, sep, encoded = token.partition(":")
    if not sep:
        raise DecryptionError("stored value is not a Confide ciphertext")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("stored ciphertext is not valid base64") from None
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError("stored ciphertext is too short")
    try:
        return keyring().aead(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError(
            "stored ciphertext failed its integrity check (tampered, or copied from another record)"
        ) from None


def key_id_of(token: str) -> str:
    return token.partition(":")[0]


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash of ``value`` (HMAC-SHA256 under a key derived from the newest encryption
    key), so equal values can be matched without keeping them in the clear, and a stolen
    database cannot be searched for a name without the key."""
    ring = keyring()
    key = _index_key(ring.current_id, ring.keys[ring.current_id], purpose)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


@cache
def _index_key(key_id: str, secret: bytes, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"confide blind index v1|{purpose}|{key_id}".encode(),
    )
    return hkdf.derive(secret)
