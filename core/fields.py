"""Encrypted model fields.

The column holds the ciphertext; the attribute holds plaintext. Encryption happens in
``pre_save`` (which knows the instance) and decryption lazily on first read of the attribute.
Primary keys are UUIDs made in Python, so the key exists before the INSERT. Never
``queryset.update()`` an encrypted field: the value would not be bound to its row.

A ciphertext (core.keys) is made with the data key of the row's owner (``confide_owner()``: a
child, a member of staff, or the setting) and carries as associated data the model, the field,
the primary key **and the columns that decide who may read the row** (``confide_access``: level,
child, author...). A row moved to another child, or downgraded to a lower level, behind the
application's back fails to decrypt, loudly, and the audit log hears of it. Changing such a column
through the application re-encrypts the row's values when it is saved. An empty value is encrypted
like any other, so a column emptied behind the application's back is refused, not shown as blank.

Values of the first format (core.crypto: model, field and key only) are still read, until
``manage.py reencrypt`` has converted them and ``CONFIDE_REFUSE_LEGACY_CIPHERTEXT`` is set.

An EncryptedBinaryField's ciphertext (an attachment, a PDF) may be kept in object storage instead
of its column, which then holds a reference to it (core.filestore, ``CONFIDE_FILE_STORAGE``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models

from . import crypto, filestore, keys
from .access import access_of, owner_function
from .signals import decryption_failed


def refusing_legacy() -> bool:
    """Once every value is in the current format: the old one (and an empty column) is refused."""
    return bool(getattr(settings, "CONFIDE_REFUSE_LEGACY_CIPHERTEXT", False))


def _setting_owner(instance: Any) -> keys.Owner:
    """A row with no child or member of staff of its own is encrypted under its setting's key."""
    setting = getattr(instance, "setting_id", None)
    return keys.Owner(keys.SETTING, setting) if setting else keys.Owner.setting()


class Sealed(str):
    """A ciphertext read from the database, not yet decrypted."""


class _EncryptedDescriptor:
    def __init__(self, field: EncryptedMixin) -> None:
        self.field = field

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        if self.field.attname not in instance.__dict__:
            # A deferred field: load it like Django's own DeferredAttribute would.
            instance.refresh_from_db(fields=[self.field.attname])
        value = instance.__dict__.get(self.field.attname)
        if isinstance(value, Sealed):
            cache_key = "_plain_" + self.field.attname
            cached = instance.__dict__.get(cache_key)
            if cached is not None and cached[0] is value:
                return cached[1]
            plain = self.field.open_sealed(instance, value)
            instance.__dict__[cache_key] = (value, plain)
            return plain
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedMixin:
    attname: str
    name: str
    empty_plain: Any

    def contribute_to_class(self, cls: Any, name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)  # type: ignore[misc]
        setattr(cls, self.attname, _EncryptedDescriptor(self))

    def aad(self, instance: Any) -> bytes:
        """The first format's associated data: model, field and primary key."""
        return crypto.associated_data(instance._meta.label, self.name, instance.pk)

    def access_aad(self, instance: Any, access: tuple[tuple[str, str], ...]) -> bytes:
        # The row's part is made once for all its encrypted fields (while its key and access
        # columns stay as they are).
        pk = instance.pk
        memo = instance.__dict__.get("_confide_aad_memo")
        if memo is None or memo[0] is not access or memo[1] != pk:
            columns = ";".join(f"{name}={value}" for name, value in access)
            memo = (access, pk, f"{pk}|{columns}")
            instance.__dict__["_confide_aad_memo"] = memo
        return f"v2|{instance._meta.label}|{self.name}|{memo[2]}".encode()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, memoryview | bytes):
            value = bytes(value).decode()
        if value is None or value == "":
            # Written before empty values were encrypted; refused once the old format is.
            return Sealed("") if refusing_legacy() else self.empty_plain
        return Sealed(value)

    def seal(self, instance: Any, plain: Any) -> Sealed:
        access = access_of(instance)
        owner_of = owner_function(type(instance))
        try:
            owner = owner_of(instance) if owner_of is not None else _setting_owner(instance)
        except AttributeError:
            owner = None
        if access is None or owner is None or not keys.ready():
            # A migration's historical model from before a column that decides access (or
            # names the owner) existed, or a migration run before the data keys' table: written
            # in the first format, which `manage.py reencrypt` converts.
            if plain == self.empty_plain:
                return Sealed("")
            return Sealed(crypto.encrypt_bytes(self.to_bytes(plain), self.aad(instance)))
        return Sealed(keys.encrypt(self.to_bytes(plain), owner, self.access_aad(instance, access)))

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if isinstance(value, Sealed):
            loaded = model_instance.__dict__.get("_confide_loaded_access")
            if value and loaded is not None and loaded != access_of(model_instance):
                # A column that decides who reads the row changed: sealed again, bound to it.
                plain = self.unseal(model_instance, value, loaded)
                value = self.seal(model_instance, plain)
                model_instance.__dict__[self.attname] = value
            return value
        if value is None:
            value = self.empty_plain
        return self.seal(model_instance, value)

    def unseal(self, instance: Any, token: str, access: tuple[tuple[str, str], ...]) -> Any:
        if keys.is_sealed_v2(token):
            # The row's setting, when loaded (a deferred column is not fetched for this).
            setting = instance.__dict__.get("setting_id")
            return self.from_bytes(
                keys.decrypt(token, self.access_aad(instance, access), setting=setting)
            )
        if refusing_legacy():
            reason = (
                "the column was emptied"
                if not token
                else "a value in the old format is refused (CONFIDE_REFUSE_LEGACY_CIPHERTEXT)"
            )
            raise crypto.DecryptionError(reason)
        return self.from_bytes(crypto.decrypt_bytes(token, self.aad(instance)))

    def open_sealed(self, instance: Any, token: str) -> Any:
        try:
            return self.unseal(instance, token, access_of(instance) or ())
        except crypto.DecryptionError as exc:
            # Never shown as an empty field: the read fails, and the audit log hears of it.
            decryption_failed.send(
                sender=type(instance), instance=instance, field=self.name, message=str(exc)
            )
            raise

    def needs_reseal(self, instance: Any) -> bool:
        """Stored in the old format, or empty: ``manage.py reencrypt`` converts it."""
        value = instance.__dict__.get(self.attname)
        return not (isinstance(value, Sealed) and keys.is_sealed_v2(value))

    def reseal(self, instance: Any) -> bool:
        """Bring the stored value to the current format (its plaintext unchanged). Returns True
        when the stored value changed."""
        if not self.needs_reseal(instance):
            return False
        plain = getattr(instance, self.attname)
        instance.__dict__[self.attname] = self.seal(instance, plain)
        return True

    def to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def from_bytes(self, data: bytes) -> Any:
        raise NotImplementedError


class EncryptedTextField(EncryptedMixin, models.TextField):
    empty_plain = ""

    def get_prep_value(self, value: Any) -> Any:
        # Values reach the database only through pre_save, already sealed.
        return value if value is None else str(value)

    def to_bytes(self, value: Any) -> bytes:
        return str(value).encode()

    def from_bytes(self, data: bytes) -> str:
        return data.decode()


class EncryptedBinaryField(EncryptedMixin, models.TextField):  # type: ignore[type-arg]
    """Bytes, stored as base64 ciphertext text (attachments are size-limited): in the column, or,
    with ``CONFIDE_FILE_STORAGE=s3``, as an object whose reference the column holds
    (core.filestore). The ciphertext is the same either way, bound to its row."""

    _pyi_private_set_type: bytes  # type: ignore[assignment]
    _pyi_private_get_type: bytes  # type: ignore[assignment]

    empty_plain = b""
    # core.filestore finds the columns that may hold a reference by this.
    holds_files = True

    def get_prep_value(self, value: Any) -> Any:
        return value if value is None else str(value)

    def to_bytes(self, value: Any) -> bytes:
        return bytes(value)

    def from_bytes(self, data: bytes) -> bytes:
        return data

    def seal(self, instance: Any, plain: Any) -> Sealed:
        sealed = super().seal(instance, plain)
        if plain and filestore.enabled() and keys.is_sealed_v2(sealed):
            # The same ciphertext, as an object: the column keeps a reference to it. An empty
            # value (and one sealed in the first format, by a migration) stays in the column.
            return Sealed(
                filestore.put(sealed, model=type(instance), attname=self.attname, pk=instance.pk)
            )
        return sealed

    def unseal(self, instance: Any, token: str, access: tuple[tuple[str, str], ...]) -> Any:
        if filestore.is_reference(token):
            token = filestore.fetch(token)
        return super().unseal(instance, token, access)

    def needs_reseal(self, instance: Any) -> bool:
        # An object is only ever written in the current format.
        value = instance.__dict__.get(self.attname)
        return not filestore.is_reference(value) and super().needs_reseal(instance)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        # An object replaced is not deleted here: the save may yet fail, or a copy of the row
        # loaded before may write it back. The daily sweep deletes it once no row refers to it.
        values = model_instance.__dict__
        before = values.get(self.attname)
        value = super().pre_save(model_instance, add)
        if filestore.is_reference(value) and value is not before:
            # Uploaded now: kept, since Django asks for an INSERT's values twice (once to look
            # for expressions) and the second time must not upload another object. The
            # plaintext stays readable without fetching it back.
            values[self.attname] = value
            if before is not None and not isinstance(before, Sealed):
                values["_plain_" + self.attname] = (value, self.to_bytes(before))
        return value


class EncryptedJSONField(EncryptedMixin, models.TextField):  # type: ignore[type-arg]
    """A JSON list (or object), stored as ciphertext text. Empty stores as an empty column."""

    _pyi_private_set_type: Any  # type: ignore[assignment]
    _pyi_private_get_type: Any  # type: ignore[assignment]

    empty_plain: Any = []

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if (value is None or value == "") and not refusing_legacy():
            return []  # a new list each time: the value may be changed in place
        return super().from_db_value(value, expression, connection)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        # Only an empty value reaches here unsealed (a default for existing rows, in a
        # migration, say): written empty, and sealed by manage.py reencrypt.
        if value:
            raise ValueError("An encrypted JSON value is sealed in pre_save.")
        return ""

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    def from_bytes(self, data: bytes) -> Any:
        return json.loads(data)


def encrypted_fields(model: type[models.Model]) -> list[EncryptedMixin]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


def binary_fields(model: type[models.Model]) -> list[EncryptedBinaryField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedBinaryField)]


def delete_files_with_row(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """pre_delete of a model with an EncryptedBinaryField (a queryset's delete sends it for each
    row): the row's objects are deleted once the deletion commits, if no row refers to them then
    (core.filestore)."""
    for model_field in binary_fields(sender):
        value = instance.__dict__.get(model_field.attname)
        if not isinstance(value, Sealed) and filestore.configured():
            # Not loaded, or given a new value not saved: what the row holds is asked.
            value = filestore.stored_reference(sender, instance.pk, model_field.attname)
        if filestore.is_reference(value):
            filestore.delete_after_commit(value, model=sender, pk=instance.pk)


def decrypt_fields(instances: Iterable[models.Model], *names: str) -> None:
    """Decrypt these encrypted fields of these instances now, in one pass (the plaintext stays on
    each instance for later reads).

    For pages that show many rows: a tampered value then fails before any HTML is made, and
    decrypting in one go costs about a third of decrypting each value as a template reaches it,
    between its other work (measured on a 500-entry chronology: 5 ms against 15 ms).
    """
    for instance in instances:
        for name in names:
            getattr(instance, name)


def prepare_for_insert(instances: Iterable[models.Model]) -> None:
    """Give new rows the values their fields make when saved (encrypted values sealed, automatic
    dates set), for an insert that calls no ``save()`` (audit.chain.bulk_insert), as bulk_create
    does for each value it writes."""
    for instance in instances:
        for model_field in instance._meta.concrete_fields:
            if (
                isinstance(model_field, EncryptedMixin)
                or getattr(model_field, "auto_now_add", False)
                or getattr(model_field, "auto_now", False)
            ):
                instance.__dict__[model_field.attname] = model_field.pre_save(instance, True)
