"""A setting leaves the group: exported whole, imported into another deployment.

README, "Moving a setting to another deployment". The receiving deployment makes a transfer key
(``manage.py transfer_key``) and sends its public half; the group's deployment exports the setting
for that key (``manage.py export_setting``); the receiver imports it (``manage.py import_setting``)
with the private half. What moves:

- every row of the setting (every model with a ``setting``, and the rows that hang from them:
  amendments, attachments, a request's items, letters, releases, many-to-many links), **with its
  ciphertexts as they are**: they are bound to their row's id and the columns that decide access
  (core.fields), all of which are UUIDs or values that move unchanged. A file kept in object
  storage (core.filestore) moves as its ciphertext, read from the store, and lands in its column;
- the data keys those ciphertexts and the rows' seals were made with (core.keys): the setting's
  key, and each child's and member of staff's, in the clear *inside* the file, which is encrypted
  for the receiver alone (X25519 with the receiver's public key, then AES-256-GCM). On import the
  setting's key is wrapped under the receiver's master key, the others under the setting's;
- the people who hold a post there: their accounts (username, password hash, two-factor devices),
  so they sign in as before. A username the receiver already has is refused, not merged;
- the setting's audit chain (audit.chain), whose seals cover only values that survive a move, and
  its anchors (signed with the setting's key): it verifies on its own in the receiving deployment,
  and goes on from its head there.

The import is one transaction: it inserts the rows as they were (no save(), no signals), then
decrypts every value, checks every row seal and walks the chain with its anchors; anything that
does not verify refuses the whole import, which leaves the receiving database as it was.

Not moved: the deployment's own events (sign-ins are in the deployment's chain), a setting's
events from before audit migration 0003 (also the deployment's), render tasks in flight (finish
or cancel them first), and group roles (the group stays behind). The setting stays in the group's
deployment until it is destroyed there (records' retention, on its own schedule).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from auditlog.models import LogEntry
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.duration import duration_string

from audit import anchors
from audit.chain import bulk_insert, verify_chain
from audit.events import Event
from audit.log import listed_items, log_event
from audit.models import AuditSeal, ReadItem, SealedEntry
from core import filestore, integrity, keys, tenancy
from core.access import access_of
from core.crypto import DecryptionError
from core.fields import EncryptedMixin, Sealed, encrypted_fields
from core.models import DataKey, SealedRowModel
from core.signals import decryption_failed

from .models import Child, Setting, SettingGroup, Staff, rooms_are_sealed

MAGIC = b"CONFIDE-SETTING 1\n"
_INFO = b"confide setting transfer v1"
NONCE = 12
FORMAT = 1
# The apps whose rows belong to a setting; and the accounts' apps whose rows follow a person.
SETTING_APPS = ("records", "consent", "access_requests", "lifecycle", "governance", "safeguarding")
ACCOUNT_APPS = ("otp_totp", "otp_static")
# Rows of the group, not of a setting: they stay behind.
STAYS = {
    "records.setting",
    "records.settinggroup",
    "records.grouprole",
    # The deployment's own (the law is the same for every setting): the receiver has its own.
    "records.retentionrule",
    # Not used by Confide (grants are per person): a receiver's groups are not the sender's.
    "records.childgroupobjectpermission",
}
# The most a file may hold once decompressed (a setting of many years is far less).
MAX_PAYLOAD = 4 * 1024**3
CHUNK = 500


logger = logging.getLogger(__name__)


class MoveRefused(Exception):
    """The export or import cannot go ahead; the message says why and what to do."""

    def __init__(self, message: str, *, failed: tuple[models.Model, str, str] | None = None):
        super().__init__(message)
        # A value that failed to decrypt (the row, its field, why): signalled once the refused
        # export has rolled back, so that its audit row is not rolled back with it.
        self.failed = failed


# --- the transfer key -----------------------------------------------------------------------------


def new_transfer_key() -> tuple[bytes, str]:
    """A receiver's key pair: the private half (PEM, to keep until the import) and the public half
    (base64, to send to the group's deployment)."""
    private = X25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, _public_text(private.public_key())


def _public_text(public: X25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _public_key(text: str) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except (ValueError, binascii.Error):
        raise MoveRefused(
            "That is not a transfer key: give the public key that `manage.py transfer_key` "
            "printed on the receiving deployment (44 characters of base64)."
        ) from None


def load_private_key(pem: bytes) -> X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise MoveRefused(
            "That file is not a transfer key made by `manage.py transfer_key`."
        ) from None
    if not isinstance(key, X25519PrivateKey):
        raise MoveRefused("That file is not a transfer key made by `manage.py transfer_key`.")
    return key


def _bundle_key(shared: bytes, ephemeral: bytes, receiver: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + receiver, info=_INFO).derive(
        shared
    )


def seal_bundle(payload: dict[str, Any], receiver_public: str) -> bytes:
    receiver = _public_key(receiver_public)
    receiver_raw = base64.b64decode(receiver_public.strip())
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    key = _bundle_key(ephemeral.exchange(receiver), ephemeral_raw, receiver_raw)
    header = (
        json.dumps(
            {
                "ephemeral": base64.b64encode(ephemeral_raw).decode(),
                "receiver": receiver_public.strip(),
            },
            sort_keys=True,
        ).encode()
        + b"\n"
    )
    nonce = os.urandom(NONCE)
    body = zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 6)
    return MAGIC + header + nonce + AESGCM(key).encrypt(nonce, body, MAGIC + header)


def open_bundle(data: bytes, private: X25519PrivateKey) -> dict[str, Any]:
    if not data.startswith(MAGIC):
        raise MoveRefused("That file is not a setting exported by Confide.")
    header, newline, rest = data[len(MAGIC) :].partition(b"\n")
    try:
        meta = json.loads(header)
        ephemeral_raw = base64.b64decode(meta["ephemeral"], validate=True)
        ephemeral = X25519PublicKey.from_public_bytes(ephemeral_raw)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise MoveRefused("The file's header is damaged: ask for the export again.") from None
    mine = _public_text(private.public_key())
    if meta.get("receiver") != mine:
        raise MoveRefused(
            "This file was exported for another transfer key: ask the group's deployment to "
            f"export it again for this one ({mine})."
        )
    key = _bundle_key(private.exchange(ephemeral), ephemeral_raw, base64.b64decode(mine))
    try:
        body = AESGCM(key).decrypt(rest[:NONCE], rest[NONCE:], MAGIC + header + newline)
    except InvalidTag:
        raise MoveRefused(
            "The file failed its integrity check: it was cut short or changed on the way. "
            "Nothing was imported; ask for the export again."
        ) from None
    inflater = zlib.decompressobj()
    plain = inflater.decompress(body, MAX_PAYLOAD)
    if inflater.unconsumed_tail:
        raise MoveRefused("The file holds more than a setting could: it is refused.")
    payload: dict[str, Any] = json.loads(plain)
    if payload.get("format") != FORMAT:
        raise MoveRefused(f"This file is of format {payload.get('format')}, not {FORMAT}.")
    return payload


# --- values ------------------------------------------------------------------------------------


def _dump(model_field: models.Field, value: Any) -> Any:
    """A column's value as JSON, exactly (microseconds kept: row seals cover them)."""
    if value is None:
        return None
    if isinstance(model_field, EncryptedMixin):
        # The ciphertext, as stored: in its column, or in the object its column names
        # (core.filestore), which the receiving deployment may not reach.
        if not isinstance(value, str):
            return ""
        try:
            return filestore.inline(value)
        except filestore.FileStorageError as error:
            raise MoveRefused(
                f"{error}. Nothing was exported: try again when it answers."
            ) from None
        except DecryptionError as error:
            # Missing, or not the object its row was saved with: read once more through the
            # field, as a page would, to name the row and why; export() signals the failure
            # (decryption_failed, audited) once its transaction has rolled back.
            reason = str(error)
            model = model_field.model
            row = model._base_manager.filter(**{model_field.attname: value}).first()
            if row is not None:
                try:
                    model_field.unseal(row, value, access_of(row) or ())
                except DecryptionError as again:
                    reason = str(again)
            raise MoveRefused(
                f"{model._meta.label} {row.pk if row is not None else '(row not found)'}: "
                f"{model_field.name} cannot be exported ({reason}). Nothing was exported: "
                "`manage.py check_file_storage` names every row whose file is missing.",
                failed=(row, model_field.name, reason) if row is not None else None,
            ) from None
    if isinstance(model_field, models.JSONField):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_string(value)
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _load(model_field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(model_field, EncryptedMixin):
        return Sealed(value)
    if isinstance(model_field, models.JSONField):
        return value
    if isinstance(model_field, models.BinaryField):
        return base64.b64decode(value)
    return model_field.to_python(value)


def _columns(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def _rows(model: type[models.Model], pks: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """The rows' stored values (ciphertexts as they are), in order of primary key."""
    fields = _columns(model)
    names = [f.attname for f in fields]
    manager = _manager(model)
    ordered = sorted(pks, key=str)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        for values in manager.filter(pk__in=chunk).order_by("pk").values_list(*names):
            yield {f.attname: _dump(f, v) for f, v in zip(fields, values, strict=True)}


def _manager(model: type[models.Model]) -> models.QuerySet[Any]:
    manager = model._default_manager
    across = getattr(manager, "across_settings", None)
    return across() if across is not None else model._base_manager.all()


def _target(link: models.Field) -> type[models.Model]:
    """The model a relation points to (resolved: the app registry is ready)."""
    target = link.related_model
    assert isinstance(target, type) and issubclass(target, models.Model), link
    return target


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


# --- export --------------------------------------------------------------------------------------


def _setting_models() -> list[type[models.Model]]:
    found = []
    for app in SETTING_APPS:
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            if _label(model) not in STAYS:
                found.append(model)
    return found


def _owns_setting(model: type[models.Model]) -> bool:
    return any(
        f.name == "setting" and f.is_relation and f.related_model is Setting
        for f in model._meta.concrete_fields
    )


def _collect(setting: Setting) -> dict[type[models.Model], set[Any]]:
    """Every row of the setting: the rows with its ``setting``, then whatever hangs from them
    (until nothing more is found)."""
    found: dict[type[models.Model], set[Any]] = defaultdict(set)
    others = []
    for model in _setting_models():
        if _owns_setting(model):
            found[model] |= set(
                _manager(model).filter(setting_id=setting.pk).values_list("pk", flat=True)
            )
        else:
            others.append(model)
    grown = True
    while grown:
        grown = False
        for model in others:
            links = [
                f
                for f in model._meta.concrete_fields
                if f.is_relation and f.related_model in found and found[f.related_model]
            ]
            if not links:
                continue
            new: set[Any] = set()
            for link in links:
                targets = sorted(found[_target(link)], key=str)
                for start in range(0, len(targets), CHUNK):
                    new |= set(
                        _manager(model)
                        .filter(**{f"{link.attname}__in": targets[start : start + CHUNK]})
                        .values_list("pk", flat=True)
                    )
            new -= found[model]
            if new:
                found[model] |= new
                grown = True
    return {model: pks for model, pks in found.items() if pks}


def _user_links(model: type[models.Model]) -> list[models.Field]:
    user_model = get_user_model()
    return [
        f for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model
    ]


Rows = list[tuple[type[models.Model], list[dict[str, Any]]]]


def _held(rows: Rows) -> dict[type[models.Model], set[str]]:
    return {model: {str(r[model._meta.pk.attname]) for r in found} for model, found in rows}


def _stray_reference(
    rows: Rows, setting_id: UUID, people: set[Any] | None
) -> tuple[type[models.Model], dict[str, Any], type[models.Model], Any] | None:
    """The first reference of a row to something the rows do not hold — not the setting, not one
    of its rows, not one of ``people`` (None: people are not checked), not a fixed table (a
    permission): (model, row, what it points at, the value). Asked of an export before it is
    written, and of a file before it is imported."""
    held = _held(rows)
    user_model = get_user_model()
    for model, found in rows:
        for link in model._meta.concrete_fields:
            if not link.is_relation:
                continue
            target = _target(link)
            for row in found:
                value = row[link.attname]
                if value is None or target is Permission:
                    continue
                if target is Setting:
                    ok = str(value) == str(setting_id)
                elif target is user_model:
                    ok = people is None or value in people
                else:
                    ok = str(value) in held.get(target, set())
                if not ok:
                    return model, row, target, value
    return None


def _account_rows(user_ids: set[int]) -> dict[str, list[dict[str, Any]]]:
    """Each person's two-factor devices (and a static device's tokens)."""
    out: dict[str, list[dict[str, Any]]] = {}
    devices: dict[type[models.Model], set[Any]] = {}
    for app in ACCOUNT_APPS:
        if not apps.is_installed(f"django_otp.plugins.{app}"):
            continue
        for model in apps.get_app_config(app).get_models():
            if _user_links(model):
                pks = set(
                    model._base_manager.filter(user_id__in=user_ids).values_list("pk", flat=True)
                )
                devices[model] = pks
    for model, pks in devices.items():
        out[_label(model)] = list(_rows(model, pks))
    for app in ACCOUNT_APPS:
        if not apps.is_installed(f"django_otp.plugins.{app}"):
            continue
        for model in apps.get_app_config(app).get_models():
            for link in model._meta.concrete_fields:
                if link.is_relation and link.related_model in devices and model not in devices:
                    pks = set(
                        model._base_manager.filter(
                            **{f"{link.attname}__in": devices[link.related_model]}
                        ).values_list("pk", flat=True)
                    )
                    out[_label(model)] = list(_rows(model, pks))
    return out


def _keys_used(
    rows: dict[type[models.Model], list[dict[str, Any]]], setting: Setting
) -> list[dict[str, Any]]:
    """The data keys the rows need: each ciphertext names its key, each row seal its setting's."""
    wanted: set[UUID] = {keys.key_id_for(keys.Owner(keys.SETTING, setting.pk))}
    for model, found in rows.items():
        sealed = [f.attname for f in encrypted_fields(model)]
        seals = [
            f.attname for f in model._meta.concrete_fields if f.name in ("row_seal", "rooms_seal")
        ]
        for row in found:
            for name in sealed:
                token = row[name]
                if token and keys.is_sealed_v2(token):
                    wanted.add(keys.key_of(token))
                else:
                    raise MoveRefused(
                        f"{model._meta.label} {row['id']} holds a value in the first format, "
                        "which no other deployment can read: run `manage.py reencrypt` first."
                    )
            for name in seals:
                token = row[name] or ""
                if token.startswith(integrity.PREFIX):
                    wanted.add(UUID(hex=token[len(integrity.PREFIX) :].partition("$")[0]))
    # Keys of the setting's children and staff made but not used yet, and destroyed ones (kept as
    # the proof of their destruction).
    owners = [UUID(str(row["id"])) for model in (Child, Staff) for row in rows.get(model, [])]
    for start in range(0, len(owners), CHUNK):
        wanted |= set(
            DataKey.objects.filter(
                scope__in=(keys.CHILD, keys.STAFF), owner__in=owners[start : start + CHUNK]
            ).values_list("pk", flat=True)
        )
    out = []
    for data_key in DataKey.objects.filter(pk__in=wanted).order_by("created_at", "pk"):
        if data_key.scope == keys.SETTING and data_key.owner != setting.pk:
            raise MoveRefused(
                f"Data key {data_key.pk} of setting {data_key.owner} protects rows of this setting: the "
                "setting cannot leave until they are re-encrypted (`manage.py reencrypt`)."
            )
        raw = None if data_key.destroyed_at is not None else keys.unwrap(data_key.pk)
        out.append(
            {
                "id": str(data_key.pk),
                "scope": data_key.scope,
                "owner": str(data_key.owner),
                "created_at": data_key.created_at.isoformat(),
                "destroyed_at": data_key.destroyed_at.isoformat()
                if data_key.destroyed_at
                else None,
                "key": base64.b64encode(raw).decode() if raw is not None else None,
            }
        )
    return out


def _audit(setting: Setting) -> dict[str, Any]:
    """The setting's chain: its seals, the entries they cover, and its anchors."""
    seals = list(AuditSeal.objects.filter(chain=setting.pk).order_by("sequence"))
    covered = list(
        SealedEntry.objects.filter(seal__chain=setting.pk)
        .order_by("entry_id")
        .values_list("entry_id", "seal_id", "content_hash")
    )
    user_model = get_user_model()
    names = dict(
        user_model.objects.filter(
            pk__in={s.actor_pk for s in seals if s.actor_pk is not None}
        ).values_list("pk", user_model.USERNAME_FIELD)
    )
    entry_fields = [
        f for f in _columns(LogEntry) if f.attname not in ("content_type_id", "actor_id")
    ]
    entries = []
    ids = [entry_id for entry_id, _seal, _hash in covered]
    for start in range(0, len(ids), CHUNK):
        chunk = LogEntry.objects.filter(pk__in=ids[start : start + CHUNK]).select_related(
            "content_type", "actor"
        )
        for entry in chunk.order_by("pk"):
            row = {f.attname: _dump(f, getattr(entry, f.attname)) for f in entry_fields}
            row["content_type"] = [entry.content_type.app_label, entry.content_type.model]
            row["actor"] = entry.actor.get_username() if entry.actor is not None else None
            entries.append(row)
    return {
        "seals": [
            {
                "id": s.pk,
                "sequence": s.sequence,
                "version": s.version,
                "key_id": s.key_id,
                "actor": names.get(s.actor_pk),
                "actor_key": s.actor_key,
                "digest": s.digest,
                "created_at": s.created_at.isoformat(),
            }
            for s in seals
        ],
        "entries": entries,
        "covered": [[entry_id, seal_id, digest] for entry_id, seal_id, digest in covered],
        "anchors": [a.record for a in anchors.read() if anchors.chain_of(a.record) == setting.pk],
    }


@dataclass
class Exported:
    data: bytes
    rows: int
    people: int
    keys: int
    entries: int


def export(setting: Setting, receiver_public: str) -> Exported:
    """The setting, whole, in a file only the holder of the receiver's private key can open. The
    export is recorded in the setting's own chain first, so the file ends with it.

    Called outside a transaction (``manage.py export_setting``): a refusal's audit row, written
    once the export has rolled back, would otherwise go with the caller's transaction."""
    _public_key(receiver_public)  # refuse a bad key before anything is written
    try:
        return _export(setting, receiver_public)
    except MoveRefused as refused:
        if refused.failed is not None:
            row, name, reason = refused.failed
            # The refusal's message is what the person needs: a failing receiver is logged.
            for receiver, result in decryption_failed.send_robust(
                sender=type(row), instance=row, field=name, message=reason
            ):
                if isinstance(result, Exception):
                    logger.error("%r failed on a refused export: %s", receiver, result)
        raise


def _export(setting: Setting, receiver_public: str) -> Exported:
    first_statement = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and first_statement:
            with connection.cursor() as cursor:
                # One consistent picture of the setting, whatever is written meanwhile.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # The export is the last event of the setting's chain, in the file; a refused export
        # rolls it back with everything else.
        with tenancy.working_in(setting.pk):
            log_event(
                actor=None,
                event=Event.SETTING_EXPORTED,
                obj=setting,
                detail={"receiver": receiver_public.strip()},
            )
        collected = _collect(setting)
        rows = {model: list(_rows(model, pks)) for model, pks in collected.items()}
        stray = _stray_reference(list(rows.items()), setting.pk, None)
        if stray is not None:
            model, row, target, value = stray
            raise MoveRefused(
                f"{model._meta.label} {row[model._meta.pk.attname]} refers to "
                f"{target._meta.label} {value}, which is not of this setting: the "
                "setting cannot leave until that is put right."
            )
        user_ids = {
            row[link.attname]
            for model, found in rows.items()
            for link in _user_links(model)
            for row in found
            if row[link.attname] is not None
        }
        users = list(_rows(get_user_model(), user_ids))
        payload: dict[str, Any] = {
            "format": FORMAT,
            "exported_at": timezone.now().isoformat(),
            "setting": {
                f.attname: _dump(f, getattr(setting, f.attname)) for f in _columns(Setting)
            },
            "group": setting.group.name if setting.group is not None else None,
            "users": users,
            "accounts": _account_rows(user_ids),
            "keys": _keys_used(rows, setting),
            "rows": [[_label(model), found] for model, found in rows.items()],
            "references": _references(rows),
            "audit": _audit(setting),
        }
    return Exported(
        seal_bundle(payload, receiver_public),
        rows=sum(len(found) for found in rows.values()),
        people=len(users),
        keys=len(payload["keys"]),
        entries=len(payload["audit"]["entries"]),
    )


def _references(rows: dict[type[models.Model], list[dict[str, Any]]]) -> dict[str, list[Any]]:
    """The natural keys of the permissions the rows name (a need-to-know grant's; their ids are
    this database's own)."""
    permissions: set[int] = set()
    for model, found in rows.items():
        for link in model._meta.concrete_fields:
            if link.is_relation and link.related_model is Permission:
                permissions |= {r[link.attname] for r in found if r[link.attname] is not None}
    return {
        "permissions": [
            [p.pk, *p.natural_key()]
            for p in Permission.objects.filter(pk__in=permissions).select_related("content_type")
        ],
    }


# --- import --------------------------------------------------------------------------------------


@dataclass
class Imported:
    setting: Setting
    rows: int = 0
    people: int = 0
    keys: int = 0
    values: int = 0
    sealed_rows: int = 0
    entries: int = 0
    head: int = 0
    anchors: int = 0
    shredded: int = 0
    renumbered_people: list[str] = field(default_factory=list)
    # The setting's anchors from the file that verified here: appended after the import commits.
    anchor_records: list[dict[str, Any]] = field(default_factory=list)
    anchor_error: str = ""


def fingerprint(data: bytes) -> str:
    """The file's SHA-256, which the group's IT reads to the receiver by another route (a phone
    call): only the receiver's key can open the file, but anyone with the public half could have
    made one, so the receiver imports only the file whose fingerprint they were told."""
    return hashlib.sha256(data).hexdigest()


def import_setting(
    data: bytes, private: X25519PrivateKey, *, sha256: str, group: str | None = None
) -> Imported:
    told = sha256.strip().lower().replace(" ", "")
    if not hmac.compare_digest(fingerprint(data), told):
        raise MoveRefused(
            "This file's SHA-256 is not the one you were told: it is not the file the group's "
            "deployment exported (or the fingerprint was mistyped). Nothing was imported."
        )
    payload = open_bundle(data, private)
    try:
        with transaction.atomic():
            result = _import(payload, group)
    except (ValidationError, ValueError, KeyError, TypeError, LookupError) as error:
        # A file sealed for this key but not as Confide exports (a value of the wrong kind, a
        # missing column): refused like any other, the transaction rolled back.
        raise MoveRefused(
            f"The file's content is not what Confide exports ({type(error).__name__}: {error}). "
            "Nothing was imported."
        ) from None
    try:
        anchors.append(result.anchor_records)
    except OSError as error:
        # The setting is in; its anchors are not on file: the command says what to do.
        result.anchor_error = f"{error.strerror or error}"
    return result


def _import(payload: dict[str, Any], group_name: str | None) -> Imported:
    setting_row = payload["setting"]
    setting_id = UUID(setting_row["id"])
    if Setting.objects.filter(pk=setting_id).exists():
        raise MoveRefused(f"This deployment already holds setting {setting_id}: nothing imported.")
    group = None
    if group_name:
        group = SettingGroup.objects.filter(name=group_name).first()
        if group is None:
            raise MoveRefused(f"There is no group named {group_name!r} here: make it first.")
    rows = _payload_rows(payload, setting_id)
    for model, found in rows:
        pk_name = model._meta.pk.attname
        if model._meta.pk.db_returning:
            continue  # a row number of its own: renumbered here
        ids = [r[pk_name] for r in found]
        for start in range(0, len(ids), CHUNK):
            taken = _manager(model).filter(pk__in=ids[start : start + CHUNK])
            first = taken.values_list("pk", flat=True).first()
            if first is not None:
                raise MoveRefused(
                    f"{model._meta.label} {first} is here already: this deployment holds some "
                    "of the setting (imported before?). Nothing was imported."
                )

    users = _import_users(payload["users"])
    result = Imported(setting=Setting(pk=setting_id), people=len(payload["users"]))
    result.renumbered_people = [name for name, (old, new) in users.items() if old != new]
    user_map = {old: new for old, new in users.values()}

    setting = Setting(**{f.attname: _load(f, setting_row[f.attname]) for f in _columns(Setting)})
    setting.group = group
    bulk_insert([setting])
    result.setting = setting
    owners = {
        keys.SETTING: {str(setting_id)},
        keys.CHILD: {str(r["id"]) for model, found in rows if model is Child for r in found},
        keys.STAFF: {str(r["id"]) for model, found in rows if model is Staff for r in found},
    }
    result.keys, shredded_keys = _import_keys(payload["keys"], setting_id, owners)
    _import_accounts(payload["accounts"], user_map)

    references = payload.get("references", {})
    permission_map = {
        old: Permission.objects.get_by_natural_key(codename, app_label, model).pk
        for old, codename, app_label, model in references.get("permissions", [])
    }
    user_model = get_user_model()
    for model, found in rows:
        fields = _columns(model)
        renumber = model._meta.pk.db_returning
        objects = []
        for row in found:
            values = {}
            for f in fields:
                if f.primary_key and renumber:
                    continue
                value = row[f.attname]
                if value is not None and f.is_relation:
                    if f.related_model is user_model:
                        value = user_map[value]
                    elif f.related_model is Permission:
                        value = permission_map[value]
                values[f.attname] = _load(f, value)
            obj = model(**values)
            if isinstance(obj, SealedRowModel):
                _reseal_if_renumbered(obj, row, user_map, setting_id)
            objects.append(obj)
        bulk_insert(objects)
        result.rows += len(objects)

    result.entries, result.head = _import_audit(payload["audit"], user_map, setting_id)
    mine = [a for a in payload["audit"]["anchors"] if anchors.chain_of(a) == setting_id]
    result.anchors = len(mine)
    _verify(rows, setting_id, shredded_keys, result, mine)
    result.anchor_records = mine
    _reset_sequences()
    with tenancy.working_in(setting_id):
        log_event(
            actor=None,
            event=Event.SETTING_IMPORTED,
            obj=setting,
            detail={
                "rows": result.rows,
                "people": result.people,
                "audit_entries": result.entries,
                "exported_at": payload["exported_at"],
            },
        )
    return result


def _payload_rows(payload: dict[str, Any], setting_id: UUID) -> Rows:
    """The file's rows, refused unless each is of a setting's model, of this setting (its own
    ``setting``, or a link to a row of the file), and refers to nothing but the file's rows, the
    setting, the file's people and fixed tables. So a file, however it was made, writes only the
    setting's own rows — never a group role, another setting's post, or an account's rights."""
    allowed = {_label(model): model for model in _setting_models()}
    rows: Rows = []
    for label, found in payload["rows"]:
        model = allowed.get(label)
        if model is None:
            raise MoveRefused(f"The file holds rows of {label}, which a setting does not move.")
        rows.append((model, found))
    for model, found in rows:
        if _owns_setting(model):
            for row in found:
                if str(row["setting_id"]) != str(setting_id):
                    raise MoveRefused(f"{model._meta.label} {row['id']} is of another setting.")
    stray = _stray_reference(rows, setting_id, {row["id"] for row in payload["users"]})
    if stray is not None:
        model, _row, target, value = stray
        raise MoveRefused(
            f"{model._meta.label} in the file refers to {target._meta.label} {value}, which the "
            "file does not hold."
        )
    held = _held(rows)
    for model, found in rows:
        if _owns_setting(model):
            continue
        links = [f for f in model._meta.concrete_fields if f.is_relation]
        for row in found:
            if not any(
                row[link.attname] is not None
                and str(row[link.attname]) in held.get(_target(link), set())
                for link in links
            ):
                raise MoveRefused(f"{model._meta.label} in the file belongs to nothing of it.")
    return rows


def _import_users(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Each person's account, under their own id where it is free here. Returns username →
    (id there, id here)."""
    user_model = get_user_model()
    name_field = user_model.USERNAME_FIELD
    names = [row[name_field] for row in rows]
    taken = sorted(
        user_model._base_manager.filter(**{f"{name_field}__in": names}).values_list(
            name_field, flat=True
        )
    )
    if taken:
        raise MoveRefused(
            "These usernames are in use here already: "
            + ", ".join(taken)
            + ". Rename them on one side first (nothing was imported)."
        )
    ids_taken = set(
        user_model._base_manager.filter(pk__in=[row["id"] for row in rows]).values_list(
            "pk", flat=True
        )
    )
    fields = _columns(user_model)
    made = []
    for row in rows:
        user = user_model(**{f.attname: _load(f, row[f.attname]) for f in fields})
        # No rights come with a file: the admin follows a post's role here (records.services).
        user.is_superuser = False
        user.is_staff = False
        if ids_taken:
            user.pk = None  # all numbered here: ids given and ids made never meet
        made.append((row, user))
    # bulk_create: no signals (the import is one event), ids kept where given.
    user_model._base_manager.bulk_create([user for _row, user in made])
    return {row[name_field]: (row["id"], user.pk) for row, user in made}


def _import_keys(
    rows: list[dict[str, Any]], setting_id: UUID, owners: dict[str, set[str]]
) -> tuple[int, set[str]]:
    """The setting's key wrapped under this deployment's master key; its children's and staff's
    under it. A key for anyone else (another setting, a child the file does not hold) is refused:
    a file must not plant a key it knows for someone who is not moving."""
    strangers = [r for r in rows if str(r["owner"]) not in owners.get(r["scope"], set())]
    if strangers:
        raise MoveRefused(
            f"The file holds a key of {strangers[0]['scope']} {strangers[0]['owner']}, who is not "
            "of the setting."
        )
    own = [r for r in rows if r["scope"] == keys.SETTING and r["owner"] == str(setting_id)]
    live = next((r for r in own if r["key"]), None)
    if live is None:
        raise MoveRefused("The file holds no live key of the setting: it cannot be read here.")
    setting_key = (UUID(live["id"]), base64.b64decode(live["key"]))
    shredded: set[str] = set()
    for row in sorted(rows, key=lambda r: r["scope"] != keys.SETTING):
        key_id, owner = UUID(row["id"]), UUID(row["owner"])
        if DataKey.objects.filter(pk=key_id).exists():
            raise MoveRefused(f"Data key {key_id} is here already: nothing was imported.")
        if row["key"] and DataKey.objects.live().filter(scope=row["scope"], owner=owner).exists():
            raise MoveRefused(
                f"This deployment has a live {row['scope']} key of {owner} already: nothing was "
                "imported."
            )
        if row["key"] is None:
            shredded.add(key_id.hex)
        keys.adopt(
            key_id=key_id,
            scope=row["scope"],
            owner=owner,
            key=base64.b64decode(row["key"]) if row["key"] else None,
            setting_key=setting_key,
            created_at=datetime.fromisoformat(row["created_at"]),
            destroyed_at=(
                datetime.fromisoformat(row["destroyed_at"]) if row["destroyed_at"] else None
            ),
        )
    keys.clear_cache()
    return len(rows), shredded


def _import_accounts(accounts: dict[str, list[dict[str, Any]]], user_map: dict[int, int]) -> None:
    """Two-factor devices first, then what hangs from them (a static device's tokens)."""
    device_maps: dict[type[models.Model], dict[Any, Any]] = {}
    ordered = sorted(accounts.items(), key=lambda item: 0 if _user_links(_model(item[0])) else 1)
    user_model = get_user_model()
    for label, found in ordered:
        model = _model(label)
        mapping: dict[Any, Any] = {}
        for row in found:
            values = {}
            for f in _columns(model):
                if f.primary_key:
                    continue
                value = row[f.attname]
                if value is not None and f.is_relation:
                    value = (
                        user_map[value]
                        if f.related_model is user_model
                        else device_maps[_target(f)][value]
                    )
                values[f.attname] = _load(f, value)
            obj = model(**values)
            bulk_insert([obj])
            mapping[row[model._meta.pk.attname]] = obj.pk
        device_maps[model] = mapping


def _reseal_if_renumbered(
    obj: SealedRowModel, row: dict[str, Any], user_map: dict[int, int], setting_id: UUID
) -> None:
    """A row seal that covers a person's id (a post's user) is checked against the id it was made
    with, then made again for the id the person has here."""
    columns = obj.confide_sealed
    renumbered = [
        f.attname
        for f in _user_links(type(obj))
        if f.attname in columns
        and row[f.attname] is not None
        and user_map[row[f.attname]] != row[f.attname]
    ]
    if not renumbered:
        return
    before = [(name, _load(_field(obj, name), row[name])) for name in columns]
    if not integrity.verify(
        row["row_seal"], integrity.label_of(obj), obj.pk, before, setting=setting_id
    ):
        raise MoveRefused(f"{obj._meta.label} {obj.pk}'s seal does not verify in the file.")
    obj.row_seal = integrity.seal_instance(obj, columns)


def _field(obj: models.Model, attname: str) -> models.Field:
    for f in obj._meta.concrete_fields:
        if f.attname == attname:
            return f
    raise KeyError(attname)


def _import_audit(
    audit: dict[str, Any], user_map: dict[int, int], setting_id: UUID
) -> tuple[int, int]:
    """The setting's chain as it was: its entries renumbered here (in the order they were
    written), its seals and what they cover copied."""
    user_model = get_user_model()
    by_name = dict(
        user_model._base_manager.filter(pk__in=list(user_map.values())).values_list(
            user_model.USERNAME_FIELD, "pk"
        )
    )
    fields = {f.attname: f for f in _columns(LogEntry)}
    entries = []
    old_ids = []
    covered = {entry_id for entry_id, _seal, _digest in audit["covered"]}
    if len(covered) != len(audit["entries"]) or any(
        row["id"] not in covered for row in audit["entries"]
    ):
        raise MoveRefused("The file's audit entries and the seals that cover them disagree.")
    for row in audit["entries"]:
        values = {
            name: _load(fields[name], value)
            for name, value in row.items()
            if name in fields and name != "id"
        }
        app_label, model_name = row["content_type"]
        content_type, _made = ContentType.objects.get_or_create(
            app_label=app_label, model=model_name
        )
        entry = LogEntry(**values)
        entry.content_type_id = content_type.pk
        entry.actor_id = by_name.get(row["actor"]) if row["actor"] else None
        entries.append(entry)
        old_ids.append(row["id"])
    bulk_insert(entries)
    entry_map = dict(zip(old_ids, [e.pk for e in entries], strict=True))
    # The index of what each read event covered is made again from the sealed lists.
    bulk_insert([ReadItem(entry_id=e.pk, object_pk=pk) for e in entries for pk in listed_items(e)])
    seals = []
    seal_ids = []
    for row in audit["seals"]:
        seals.append(
            AuditSeal(
                chain=setting_id,
                sequence=row["sequence"],
                version=row["version"],
                key_id=row["key_id"],
                actor_pk=by_name.get(row["actor"]) if row["actor"] else None,
                actor_key=row["actor_key"],
                digest=row["digest"],
                created_at=datetime.fromisoformat(row["created_at"]),
            )
        )
        seal_ids.append(row["id"])
    bulk_insert(seals)
    seal_map = dict(zip(seal_ids, [s.pk for s in seals], strict=True))
    bulk_insert(
        [
            SealedEntry(
                entry_id=entry_map[entry_id], seal_id=seal_map[seal_id], content_hash=digest
            )
            for entry_id, seal_id, digest in audit["covered"]
        ]
    )
    return len(entries), seals[-1].sequence if seals else 0


def _verify(
    rows: list[tuple[type[models.Model], list[dict[str, Any]]]],
    setting_id: UUID,
    shredded_keys: set[str],
    result: Imported,
    anchor_records: list[dict[str, Any]],
) -> None:
    """Every value decrypts, every row seal verifies, the chain walks intact and agrees with its
    anchors: else the import is refused (the transaction is rolled back)."""
    keys.clear_cache()
    with tenancy.working_in(setting_id):
        for model, found in rows:
            fields = encrypted_fields(model)
            pks = [row[model._meta.pk.attname] for row in found]
            if not fields and not issubclass(model, SealedRowModel):
                continue
            if model._meta.pk.db_returning:
                continue  # links between rows: no values of their own
            for start in range(0, len(pks), CHUNK):
                for obj in _manager(model).filter(pk__in=pks[start : start + CHUNK]):
                    for f in fields:
                        token = obj.__dict__.get(f.attname)
                        if (
                            isinstance(token, str)
                            and keys.is_sealed_v2(token)
                            and keys.key_of(token).hex in shredded_keys
                        ):
                            result.shredded += 1
                            continue
                        try:
                            getattr(obj, f.attname)
                        except DecryptionError as error:
                            raise MoveRefused(
                                f"{model._meta.label} {obj.pk}: {f.name} does not decrypt here "
                                f"({error}). Nothing was imported."
                            ) from None
                        result.values += 1
                    if isinstance(obj, SealedRowModel):
                        if not obj.is_intact():
                            raise MoveRefused(
                                f"{model._meta.label} {obj.pk}: its seal does not verify here. "
                                "Nothing was imported."
                            )
                        result.sealed_rows += 1
                    if isinstance(obj, Staff) and obj.rooms_seal:
                        rooms = list(obj.rooms.values_list("pk", flat=True))
                        if not rooms_are_sealed(obj, rooms):
                            raise MoveRefused(
                                f"Staff {obj.pk}: the seal of their rooms does not verify here."
                            )
        report = verify_chain(chain=setting_id)
        if not report.intact:
            raise MoveRefused(f"The setting's audit chain does not verify here: {report.problem}.")
        found_anchors = [
            anchors.Anchor("(the file)", number, record)
            for number, record in enumerate(anchor_records, start=1)
        ]
        problems = anchors.check(
            head_sequence=report.head_sequence, anchors=found_anchors, chain=setting_id
        )
        if problems:
            raise MoveRefused(
                f"The setting's audit chain disagrees with its anchors: {problems[0]}."
            )
    keys.clear_cache()


def _reset_sequences() -> None:
    """People imported with their own ids: the next account made here must not reuse one."""
    user_model = get_user_model()
    statements = connection.ops.sequence_reset_sql(no_style(), [user_model])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def write_file(path: Path, data: bytes) -> None:
    """Written whole or not at all, readable by its owner alone."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(path)
