"""The audit log made tamper-evident by an HMAC hash chain.

Every LogEntry is sealed in the transaction that writes it, by one AuditSeal for all the entries
written together (a page of reads is one seal): seal n's digest is HMAC(key, digest of seal n-1 ||
the SHA-256 of each covered entry's canonical JSON, in order of id), the key derived by HKDF from
the newest encryption key, whose id the seal keeps so seals stay verifiable after a rotation (as
long as the older key stays configured). Each entry's hash is kept on its SealedEntry, so
``manage.py verify_audit`` names the very entry that was edited. The database also refuses UPDATE
(and, on PostgreSQL, DELETE) of log rows and seals: records/migrations/0003 and 0004, which made
these tables before they moved to this app.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from auditlog.models import LogEntry
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from core import crypto

from .models import AuditSeal, SealedEntry

_UNSET = object()


def bulk_insert(objs: Sequence[models.Model]) -> None:
    """INSERT new rows for ``objs`` (all of one model) and set the keys the database makes: what
    bulk_create does — one statement per batch the database allows, no signals — for the audit
    trail's page-sized writes.

    bulk_create prepares every value of every row on its own, about 75 µs a row for a LogEntry's
    15 columns: three times what the database then takes to write the row. The rows of a page
    share most of their values (actor, address, time, event), so here a value is prepared once
    for the rows that hold that same object. Values are written as they are: no ``pre_save``
    (set auto_now fields yourself).
    """
    if not objs:
        return
    db = transaction.get_connection()  # the connection itself: a proxy would be looked up per value
    assert db.features.can_return_rows_from_bulk_insert
    meta = objs[0]._meta
    assert meta.pk is not None
    made_key = meta.pk.db_returning  # an auto-incremented id, or a key given like any column
    fields = [f for f in meta.concrete_fields if not (f.primary_key and made_key)]
    prepared_columns = []
    for field in fields:
        column, last, prepared = [], _UNSET, None
        for obj in objs:
            value = getattr(obj, field.attname)
            if value is not last:
                last, prepared = value, field.get_db_prep_save(value, db)
            column.append(prepared)
        prepared_columns.append(column)
    rows = list(zip(*prepared_columns, strict=True))

    def quote(field: models.Field) -> str:
        assert field.column is not None, "a concrete field has a column"
        return db.ops.quote_name(field.column)

    # Names from the model's metadata, quoted; every value goes as a parameter.
    columns = ", ".join(quote(f) for f in fields)
    insert = f"INSERT INTO {db.ops.quote_name(meta.db_table)} ({columns}) VALUES "  # noqa: S608
    placeholders = f"({', '.join(['%s'] * len(fields))})"
    returning = f" RETURNING {quote(meta.pk)}" if made_key else ""
    size = max(db.ops.bulk_batch_size(fields, objs), 1)
    with db.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                insert + ", ".join([placeholders] * len(batch)) + returning,
                [value for row in batch for value in row],
            )
            written = objs[start : start + size]
            if made_key:
                # In the order of the VALUES, as bulk_create relies on too.
                for obj, (pk,) in zip(written, cursor.fetchall(), strict=True):
                    obj.pk = pk
            for obj in written:
                obj._state.adding = False
                obj._state.db = db.alias


GENESIS = "0" * 64
# The LogEntry columns a seal covers. Fixed, so a column auditlog adds later does not break old
# seals. The actor is covered through AuditSeal.actor_pk, because auditlog clears LogEntry.actor
# (ON DELETE SET NULL) when a user is deleted.
SEALED_FIELDS = (
    "id",
    "content_type",
    "object_pk",
    "object_id",
    "object_repr",
    "serialized_data",
    "action",
    "changes_text",
    "changes",
    "cid",
    "remote_addr",
    "remote_port",
    "timestamp",
    "additional_data",
    "actor_email",
)
# What json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) gives,
# without making a new encoder for every seal.
_SEAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# Any constant: the key of the PostgreSQL advisory lock that serialises appends to the chain.
CHAIN_LOCK = 0x436F6E666964


@cache
def _chain_key(key_id: str, secret: bytes) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"confide audit chain v1|" + key_id.encode(),
    )
    return hkdf.derive(secret)


def chain_key(key_id: str) -> bytes:
    """The HMAC key for seals made under encryption key ``key_id`` (DecryptionError if gone)."""
    ring = crypto.keyring()
    if key_id not in ring.keys:
        raise crypto.DecryptionError(f"no encryption key with id {key_id!r} is configured")
    return _chain_key(key_id, ring.keys[key_id])


def _chain_hmac(key_id: str) -> hmac.HMAC:
    """A fresh HMAC under the chain key for ``key_id``: a copy of one keyed once."""
    return _keyed_hmac(chain_key(key_id)).copy()


@cache
def _keyed_hmac(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)


def _is_json_plain(value: Any) -> bool:
    """True when a JSON round trip gives the value back as it is (so it can be skipped)."""
    if value is None or isinstance(value, str | int):  # bool is an int
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_plain(v) for k, v in value.items())
    return False


def _to_plain(field: models.Field) -> Callable[[Any], Any]:
    """How a (non-null) value of ``field`` reads as the database returns it, in JSON (so memory
    and database agree)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def from_json(value: Any) -> Any:
            if encoder is None and _is_json_plain(value):
                return value
            return json.loads(json.dumps(value, cls=encoder))

        return from_json
    if isinstance(field, models.DateTimeField):
        return lambda value: value.astimezone(UTC).isoformat()
    return field.get_prep_value


# Per LogEntry class (migrations bring their own historical one): (name, attname, to_plain) for
# each sealed column, worked out once.
_sealed_columns: dict[type[models.Model], list[tuple[str, str, Callable[[Any], Any]]]] = {}


def canonical_entry(entry: models.Model) -> dict[str, Any]:
    """The sealed content of a LogEntry (a real or a migration's historical one)."""
    columns = _sealed_columns.get(type(entry))
    if columns is None:
        columns = []
        for name in SEALED_FIELDS:
            field = entry._meta.get_field(name)
            assert isinstance(field, models.Field)
            columns.append((name, field.attname, _to_plain(field)))
        _sealed_columns[type(entry)] = columns
    out: dict[str, Any] = {}
    for name, attname, to_plain in columns:
        value = getattr(entry, attname)
        out[name] = None if value is None else to_plain(value)
    return out


def _chain_digest(key_id: str, prev_digest: str, document: dict[str, Any]) -> str:
    mac = _chain_hmac(key_id)
    mac.update(prev_digest.encode())
    mac.update(b"\n")
    mac.update(_SEAL_JSON.encode(document).encode())
    digest: str = mac.hexdigest()
    return digest


def seal_digest(
    *,
    key_id: str,
    prev_digest: str,
    sequence: int,
    created_at: datetime,
    actor_pk: int | None,
    entry: dict[str, Any],
) -> str:
    """The digest of a version 1 seal (made before migration 0004, and by migration 0003): one
    entry, its canonical content in the digest itself."""
    document = {
        "v": 1,
        "sequence": sequence,
        "key_id": key_id,
        "sealed_at": created_at.astimezone(UTC).isoformat(),
        "actor": actor_pk,
        "entry": entry,
    }
    return _chain_digest(key_id, prev_digest, document)


def content_hash(entry: models.Model) -> str:
    """The SHA-256 of a LogEntry's canonical JSON: what a version 2 seal covers of it."""
    return hashlib.sha256(_SEAL_JSON.encode(canonical_entry(entry)).encode()).hexdigest()


def batch_digest(
    *,
    key_id: str,
    prev_digest: str,
    sequence: int,
    created_at: datetime,
    actor_pk: int | None,
    entries: Sequence[tuple[int, str]],
) -> str:
    """The digest of a version 2 seal: each entry it covers as (id, content hash), in order of id."""
    document = {
        "v": 2,
        "sequence": sequence,
        "key_id": key_id,
        "sealed_at": created_at.astimezone(UTC).isoformat(),
        "actor": actor_pk,
        "entries": [[pk, digest] for pk, digest in entries],
    }
    return _chain_digest(key_id, prev_digest, document)


def seal_entries(entries: Sequence[LogEntry]) -> None:
    """Seal newly written log entries: one seal for each actor's entries among them (so one for a
    page of reads), in the same queries whatever their number (read the head, insert the seals,
    insert which entries they cover; on PostgreSQL a lock first)."""
    if not entries:
        return
    key_id = crypto.keyring().current_id
    by_actor: dict[int | None, list[LogEntry]] = {}
    for entry in entries:
        assert entry.pk is not None, "seal log entries after they are inserted"
        by_actor.setdefault(entry.actor_id, []).append(entry)
    # savepoint=False: inside a caller's transaction this adds no queries; outside one it opens a
    # transaction, so the head read and the inserts happen under the lock.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            # A lock on the last seal row would not do: a waiter would get that row back after the
            # holder commits, and build on a stale head. A fresh statement after this lock sees it.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        head = AuditSeal.objects.order_by("-sequence").values("sequence", "digest").first()
        sequence, prev = (head["sequence"], head["digest"]) if head else (0, GENESIS)
        created_at = timezone.now()
        seals: list[tuple[AuditSeal, list[tuple[int, str]]]] = []
        for actor_pk, group in by_actor.items():
            hashes = sorted((entry.pk, content_hash(entry)) for entry in group)
            sequence += 1
            seal = AuditSeal(
                sequence=sequence,
                version=2,
                key_id=key_id,
                actor_pk=actor_pk,
                created_at=created_at,
            )
            seal.digest = prev = batch_digest(
                key_id=key_id,
                prev_digest=prev,
                sequence=sequence,
                created_at=created_at,
                actor_pk=actor_pk,
                entries=hashes,
            )
            seals.append((seal, hashes))
        bulk_insert([seal for seal, _ in seals])
        bulk_insert(
            [
                SealedEntry(entry_id=pk, seal_id=seal.pk, content_hash=digest)
                for seal, hashes in seals
                for pk, digest in hashes
            ]
        )


def seal_new_entry(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """post_save of LogEntry (connected in audit.apps)."""
    # Not gated by auditlog's disable_auditlog(): whatever is written to the log is sealed.
    if created:
        seal_entries([instance])


@dataclass(frozen=True)
class ChainReport:
    entries: int
    problem: str | None = None
    head_sequence: int = 0
    head_digest: str = GENESIS

    @property
    def intact(self) -> bool:
        return self.problem is None


def _seal_batches(batch_size: int, after: int = 0) -> Iterator[list[AuditSeal]]:
    last = after
    while True:
        batch = list(AuditSeal.objects.filter(sequence__gt=last).order_by("sequence")[:batch_size])
        if not batch:
            return
        yield batch
        last = batch[-1].sequence


def _naming(seal: AuditSeal, entry_ids: Sequence[int]) -> str:
    if not entry_ids:
        return f"seal #{seal.sequence}"
    if len(entry_ids) == 1:
        return f"seal #{seal.sequence} (log entry {entry_ids[0]})"
    return f"seal #{seal.sequence} (log entries {entry_ids[0]}–{entry_ids[-1]})"


def _seal_problem(
    seal: AuditSeal,
    sealed: list[SealedEntry],
    entries: dict[Any, LogEntry],
    live_actors: set[Any],
    prev: str,
) -> str | None:
    """What is wrong with one seal and the entries it covers, or None."""
    where = _naming(seal, [s.entry_id for s in sealed])
    if not sealed:
        return f"{where} covers no log entry: the entries it sealed were deleted"
    for covered in sealed:
        entry = entries.get(covered.entry_id)
        here = _naming(seal, [covered.entry_id])
        if entry is None:
            return f"{here}: the log entry was deleted"
        actor_ok = entry.actor_id == seal.actor_pk or (
            entry.actor_id is None and seal.actor_pk not in live_actors
        )
        if not actor_ok:
            return f"{here}: the entry's actor was changed"
        if seal.version == 2 and not hmac.compare_digest(content_hash(entry), covered.content_hash):
            return f"{here}: the entry or its seal was altered"
    try:
        if seal.version == 1:
            if len(sealed) != 1:
                return f"{where}: a version 1 seal covers one entry; entries were moved to it"
            digest = seal_digest(
                key_id=seal.key_id,
                prev_digest=prev,
                sequence=seal.sequence,
                created_at=seal.created_at,
                actor_pk=seal.actor_pk,
                entry=canonical_entry(entries[sealed[0].entry_id]),
            )
            altered = "the entry or its seal was altered, or entries were reordered"
        elif seal.version == 2:
            digest = batch_digest(
                key_id=seal.key_id,
                prev_digest=prev,
                sequence=seal.sequence,
                created_at=seal.created_at,
                actor_pk=seal.actor_pk,
                entries=[(s.entry_id, s.content_hash) for s in sealed],
            )
            altered = "the seal was altered, or entries it covered were deleted, moved or reordered"
        else:
            return f"{where} has an unknown version, {seal.version}: the seal was altered"
    except crypto.DecryptionError:
        return (
            f"{where} was made with encryption key {seal.key_id!r}, which is no longer in "
            "CONFIDE_ENCRYPTION_KEYS: keep retired keys listed (after the newest) for as long "
            "as the audit log they sealed is kept"
        )
    if not hmac.compare_digest(digest, seal.digest):
        return f"{where}: {altered}"
    return None


@dataclass(frozen=True)
class Checkpoint:
    """Where an earlier walk stopped, intact: its head seal and the entries counted to it."""

    sequence: int
    digest: str
    entries: int
    last_entry_id: int


def verify_chain(*, batch_size: int = 1000, since: Checkpoint | None = None) -> ChainReport:
    """Walk the chain in order and report the first broken link. ``since``: walk on from an
    earlier walk's intact head only (its seal must still be there with the same digest), so a
    check every few minutes reads what was written since, not the whole log."""
    user_model = get_user_model()
    prev, expected, count = GENESIS, 1, 0
    after_entry = 0
    if since is not None and since.sequence > 0:
        stored = AuditSeal.objects.filter(sequence=since.sequence).values_list("digest", flat=True)
        digest = stored.first()
        if digest is None:
            return ChainReport(
                since.entries,
                f"seal #{since.sequence}, intact at the last check, is gone: entries were cut",
                since.sequence,
                since.digest,
            )
        if not hmac.compare_digest(digest, since.digest):
            return ChainReport(
                since.entries,
                f"seal #{since.sequence} changed since the last check: the seal was altered",
                since.sequence,
                since.digest,
            )
        prev, expected, count = since.digest, since.sequence + 1, since.entries
        after_entry = since.last_entry_id
    for seals in _seal_batches(batch_size, after=expected - 1):
        sealed: dict[int, list[SealedEntry]] = defaultdict(list)
        for covered in SealedEntry.objects.filter(seal__in=[s.pk for s in seals]).order_by(
            "entry_id"
        ):
            sealed[covered.seal_id].append(covered)
        entries = LogEntry.objects.in_bulk([c.entry_id for cs in sealed.values() for c in cs])
        live_actors = set(
            user_model.objects.filter(
                pk__in={s.actor_pk for s in seals if s.actor_pk is not None}
            ).values_list("pk", flat=True)
        )
        for seal in seals:
            if seal.sequence != expected:
                missing = (
                    f"#{expected}"
                    if seal.sequence == expected + 1
                    else f"#{expected}–#{seal.sequence - 1}"
                )
                where = _naming(seal, [c.entry_id for c in sealed[seal.pk]])
                return ChainReport(
                    count,
                    f"seal {missing} is missing before {where}: sealed log entries were deleted",
                    expected - 1,
                    prev,
                )
            problem = _seal_problem(seal, sealed[seal.pk], entries, live_actors, prev)
            if problem is not None:
                return ChainReport(count, problem, expected - 1, prev)
            prev, expected, count = seal.digest, expected + 1, count + len(sealed[seal.pk])
    unsealed = (
        LogEntry.objects.filter(confide_seal__isnull=True, pk__gt=after_entry)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    first = unsealed.first()
    if first is not None:
        return ChainReport(
            count,
            f"log entry {first} has no seal: it was written around Confide, or its seal was "
            f"deleted ({unsealed.count()} unsealed entries)",
            expected - 1,
            prev,
        )
    return ChainReport(count, None, expected - 1, prev)
