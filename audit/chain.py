"""The audit log made tamper-evident by an HMAC hash chain.

Every LogEntry is sealed in the transaction that writes it, by one AuditSeal for all the entries
written together (a page of reads is one seal): seal n's digest is HMAC(key, digest of seal n-1 ||
the SHA-256 of each covered entry's canonical JSON, in order of id), the key derived by HKDF from
the newest encryption key, whose id the seal keeps so seals stay verifiable after a rotation (as
long as the older key stays configured). Each entry's hash is kept on its SealedEntry, so
``manage.py verify_audit`` names the very entry that was edited. The database also refuses UPDATE
(and, on PostgreSQL, DELETE) of log rows and seals: records/migrations/0003 and 0004, which made
these tables before they moved to this app.

One chain per setting, one for the deployment (audit migration 0003): an entry stamped with a
setting (audit.log) is sealed in that setting's chain, under a key derived from the setting's own
data key (core.keys) and a lock of its own on PostgreSQL, so settings do not queue behind each
other; the rest in the deployment's chain, under the master keys. A version 3 seal covers only
what survives an export: each entry's content without its integer id, its content type by natural
key (``app_label.model``), the actor by username. So a setting's chain, exported with its key
(audit.export), verifies on its own in another deployment.
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
from uuid import UUID

from auditlog.models import LogEntry
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone

from core import crypto, keys

from .models import DEPLOYMENT_CHAIN, AuditSeal, SealedEntry

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
        attname = field.attname
        for obj in objs:
            # The value as held, not through a descriptor: an encrypted field's ciphertext as it
            # came (records.moving), never its plaintext.
            values = obj.__dict__
            value = values[attname] if attname in values else getattr(obj, attname)
            if value is not last:
                last, prepared = value, field.get_db_prep_save(value, db)
            column.append(prepared)
        prepared_columns.append(column)
    rows = list(zip(*prepared_columns, strict=True))
    insert, placeholders = _insert_statement(db, meta.db_table, fields)
    returning = f" RETURNING {_quoted(db, meta.pk)}" if made_key else ""
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


def _quoted(db: Any, field: models.Field) -> str:
    assert field.column is not None, "a concrete field has a column"
    return str(db.ops.quote_name(field.column))


def _insert_statement(db: Any, table: str, fields: Sequence[models.Field]) -> tuple[str, str]:
    """``INSERT INTO table (columns) VALUES `` and one row's placeholders. Names from the
    model's metadata, quoted; every value goes as a parameter."""
    columns = ", ".join(_quoted(db, f) for f in fields)
    insert = f"INSERT INTO {db.ops.quote_name(table)} ({columns}) VALUES "  # noqa: S608
    return insert, f"({', '.join(['%s'] * len(fields))})"


def insert_values(model: type[models.Model], attnames: Sequence[str], rows: Sequence[Any]) -> None:
    """INSERT these rows of ``model`` (tuples of values for ``attnames``, each one as the
    database takes it: a number or a string), without making an instance for each or asking
    the keys back: for index rows written by the hundred (audit.log.log_page_read)."""
    if not rows:
        return
    db = transaction.get_connection()
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[attname] for attname in attnames]
    insert, placeholders = _insert_statement(db, model._meta.db_table, fields)
    size = max(db.ops.bulk_batch_size(fields, rows), 1)
    with db.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                insert + ", ".join([placeholders] * len(batch)),
                [value for row in batch for value in row],
            )


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
# Any constant: the class of the PostgreSQL advisory locks that serialise appends to each chain.
CHAIN_LOCK_CLASS = 0x436F6E66
# The key of additional_data that names the setting an entry belongs to (audit.log stamps it).
SETTING_STAMP = "setting"
VERSION = 3


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


def setting_chain_key(chain: UUID, key_id: str) -> bytes:
    """The HMAC key of a setting's chain, derived from the setting's data key ``key_id``
    (DecryptionError if it is gone or destroyed). Not kept past the call: a destroyed key stops
    working at once, as core.keys promises."""
    try:
        data_key = UUID(key_id)
    except ValueError:
        raise crypto.DecryptionError(f"{key_id!r} names no setting's data key") from None
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"confide audit chain v3|" + str(chain).encode() + b"|" + key_id.encode(),
    ).derive(keys.unwrap(data_key))


def key_for(chain: UUID, key_id: str) -> bytes:
    """The HMAC key of a version 3 seal of ``chain`` made under ``key_id``."""
    if chain == DEPLOYMENT_CHAIN:
        return chain_key(key_id)
    return setting_chain_key(chain, key_id)


def current_key(chain: UUID) -> tuple[str, bytes]:
    """The key id and HMAC key new seals of ``chain`` are made with: the newest master key for the
    deployment's chain; the setting's data key (made the first time) for a setting's."""
    if chain == DEPLOYMENT_CHAIN:
        key_id = crypto.keyring().current_id
        return key_id, chain_key(key_id)
    key_id = str(keys.key_id_for(keys.Owner(keys.SETTING, chain)))
    return key_id, setting_chain_key(chain, key_id)


def chain_of(entry: LogEntry) -> UUID:
    """The chain an entry belongs in: its setting's, or the deployment's when it has none."""
    data = entry.additional_data
    stamp = data.get(SETTING_STAMP) if isinstance(data, dict) else None
    if stamp:
        try:
            return UUID(str(stamp))
        except ValueError:
            pass
    return DEPLOYMENT_CHAIN


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
    return _digest_with(_chain_hmac(key_id), prev_digest, document)


def _digest_with(mac: hmac.HMAC, prev_digest: str, document: dict[str, Any]) -> str:
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


def _natural_content_type(pk: int | None) -> str | None:
    if pk is None:
        return None
    content_type = ContentType.objects.get_for_id(pk)  # cached by Django
    return f"{content_type.app_label}.{content_type.model}"


def portable_entry(entry: models.Model) -> dict[str, Any]:
    """What a version 3 seal covers of a LogEntry: its canonical content without the values that
    belong to this database alone (the entry's id; the content type's id, given by natural key)."""
    out = canonical_entry(entry)
    del out["id"]
    out["content_type"] = _natural_content_type(getattr(entry, "content_type_id", None))
    return out


def portable_hash(entry: models.Model) -> str:
    """The SHA-256 of an entry's portable content: what a version 3 seal covers of it."""
    return hashlib.sha256(_SEAL_JSON.encode(portable_entry(entry)).encode()).hexdigest()


def portable_digest(
    *,
    key: bytes,
    chain: UUID,
    key_id: str,
    prev_digest: str,
    sequence: int,
    created_at: datetime,
    actor_key: str,
    hashes: Sequence[str],
) -> str:
    """The digest of a version 3 seal: its chain, place, key, time, actor (by username) and the
    portable hash of each entry it covers, in the order they were written."""
    document = {
        "v": 3,
        "chain": str(chain),
        "sequence": sequence,
        "key_id": key_id,
        "sealed_at": created_at.astimezone(UTC).isoformat(),
        "actor": actor_key,
        "entries": list(hashes),
    }
    return _digest_with(hmac.new(key, digestmod=hashlib.sha256), prev_digest, document)


def _actor_names(
    entries: Sequence[LogEntry], known: dict[int | None, str]
) -> dict[int | None, str]:
    """The username of each entry's actor: from the user already loaded with the entry (as
    audit.log and auditlog write them), else read once for all."""
    names: dict[int | None, str] = known | {None: ""}
    actor_field = LogEntry._meta.get_field("actor")
    wanted = set()
    for entry in entries:
        if entry.actor_id is None or entry.actor_id in names:
            continue
        if actor_field.is_cached(entry) and entry.actor is not None:
            names[entry.actor_id] = entry.actor.get_username()
        else:
            wanted.add(entry.actor_id)
    if wanted:
        user_model = get_user_model()
        names.update(
            user_model.objects.filter(pk__in=wanted).values_list("pk", user_model.USERNAME_FIELD)
        )
    return names


def _lock_chain(chain: UUID) -> None:
    """On PostgreSQL, wait for the chain's own lock (held to the end of the transaction)."""
    if connection.vendor == "postgresql":
        # A lock on the last seal row would not do: a waiter would get that row back after the
        # holder commits, and build on a stale head. A fresh statement after this lock sees it.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [CHAIN_LOCK_CLASS, int.from_bytes(chain.bytes[:4], "big", signed=True)],
            )


def next_seal(
    *,
    chain: UUID,
    sequence: int,
    prev_digest: str,
    key: tuple[str, bytes],
    actor: tuple[int | None, str],
    created_at: datetime,
    hashes: Sequence[str],
) -> AuditSeal:
    """The chain's next (version 3) seal, unsaved: at ``sequence`` after ``prev_digest``, under
    ``key`` (its id and bytes), for ``actor`` (id and username), covering these portable hashes
    in the order they were written."""
    key_id, key_bytes = key
    actor_pk, actor_key = actor
    seal = AuditSeal(
        chain=chain,
        sequence=sequence,
        version=VERSION,
        key_id=key_id,
        actor_pk=actor_pk,
        actor_key=actor_key,
        created_at=created_at,
    )
    seal.digest = portable_digest(
        key=key_bytes,
        chain=chain,
        key_id=key_id,
        prev_digest=prev_digest,
        sequence=sequence,
        created_at=created_at,
        actor_key=actor_key,
        hashes=hashes,
    )
    return seal


def locked_head(chain: UUID) -> tuple[int, str]:
    """Lock the chain (on PostgreSQL, until the transaction ends: nothing else appends
    meanwhile), then read its head: the last seal's sequence and digest."""
    _lock_chain(chain)
    head = (
        AuditSeal.objects.filter(chain=chain)
        .order_by("-sequence")
        .values("sequence", "digest")
        .first()
    )
    return (head["sequence"], head["digest"]) if head else (0, GENESIS)


def seal_entries(
    entries: Sequence[LogEntry], *, usernames: dict[int | None, str] | None = None
) -> None:
    """Seal newly written log entries: one seal for each actor's entries among them (so one for a
    page of reads) in each chain they belong to, in the same queries whatever their number (per
    chain a lock and its head; then the seals and which entries they cover, inserted at once).
    ``usernames``: the actors' usernames where the caller has them (else read once)."""
    if not entries:
        return
    groups: dict[UUID, dict[int | None, list[LogEntry]]] = {}
    for entry in entries:
        assert entry.pk is not None, "seal log entries after they are inserted"
        groups.setdefault(chain_of(entry), {}).setdefault(entry.actor_id, []).append(entry)
    names = _actor_names(entries, usernames or {})
    # savepoint=False: inside a caller's transaction this adds no queries; outside one it opens a
    # transaction, so the head read and the inserts happen under the lock.
    with transaction.atomic(savepoint=False):
        created_at = timezone.now()
        seals: list[tuple[AuditSeal, list[tuple[int, str]]]] = []
        for chain in sorted(groups):  # always in one order: no two writers wait on each other
            sequence, prev = locked_head(chain)
            key_id, key = current_key(chain)
            for actor_pk, group in groups[chain].items():
                covered = sorted((entry.pk, portable_hash(entry)) for entry in group)
                sequence += 1
                seal = next_seal(
                    chain=chain,
                    sequence=sequence,
                    prev_digest=prev,
                    key=(key_id, key),
                    actor=(actor_pk, names.get(actor_pk, "")),
                    created_at=created_at,
                    hashes=[digest for _pk, digest in covered],
                )
                prev = seal.digest
                seals.append((seal, covered))
        bulk_insert([seal for seal, _ in seals])
        bulk_insert(
            [
                SealedEntry(entry_id=pk, seal_id=seal.pk, content_hash=digest)
                for seal, covered in seals
                for pk, digest in covered
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
    chain: UUID = DEPLOYMENT_CHAIN

    @property
    def intact(self) -> bool:
        return self.problem is None


def chains() -> list[UUID]:
    """Every chain with a seal, the deployment's first."""
    found = set(AuditSeal.objects.order_by().values_list("chain", flat=True).distinct())
    return [DEPLOYMENT_CHAIN] + sorted(found - {DEPLOYMENT_CHAIN})


def chain_name(chain: UUID) -> str:
    return "the deployment's chain" if chain == DEPLOYMENT_CHAIN else f"setting {chain}'s chain"


def _seal_batches(chain: UUID, batch_size: int, after: int = 0) -> Iterator[list[AuditSeal]]:
    last = after
    while True:
        batch = list(
            AuditSeal.objects.filter(chain=chain, sequence__gt=last).order_by("sequence")[
                :batch_size
            ]
        )
        if not batch:
            return
        yield batch
        last = batch[-1].sequence


def _naming(seal: AuditSeal, entry_ids: Sequence[int]) -> str:
    where = "" if seal.chain == DEPLOYMENT_CHAIN else f" of setting {seal.chain}"
    if not entry_ids:
        return f"seal #{seal.sequence}{where}"
    if len(entry_ids) == 1:
        return f"seal #{seal.sequence}{where} (log entry {entry_ids[0]})"
    return f"seal #{seal.sequence}{where} (log entries {entry_ids[0]}–{entry_ids[-1]})"


def _seal_problem(
    seal: AuditSeal,
    sealed: list[SealedEntry],
    entries: dict[Any, LogEntry],
    live_actors: dict[Any, str],
    prev: str,
    keys_seen: dict[str, bytes],
) -> str | None:
    """What is wrong with one seal and the entries it covers, or None."""
    where = _naming(seal, [s.entry_id for s in sealed])
    if not sealed:
        return f"{where} covers no log entry: the entries it sealed were deleted"
    if seal.version < VERSION and seal.chain != DEPLOYMENT_CHAIN:
        return f"{where}: a version {seal.version} seal in a setting's chain; the seal was altered"
    hash_of = portable_hash if seal.version == VERSION else content_hash
    for covered in sealed:
        entry = entries.get(covered.entry_id)
        here = _naming(seal, [covered.entry_id])
        if entry is None:
            return f"{here}: the log entry was deleted"
        actor_ok = entry.actor_id == seal.actor_pk or (
            entry.actor_id is None and seal.actor_pk not in live_actors
        )
        # A version 3 seal names its actor by username: the person with the id it keeps must
        # still be that person (an id moved to another account, on the entry and the seal, is
        # seen). Usernames are never changed (records.admin).
        if seal.version == VERSION and seal.actor_pk in live_actors:
            actor_ok = actor_ok and live_actors[seal.actor_pk] == seal.actor_key
        if not actor_ok:
            return f"{here}: the entry's actor was changed"
        if seal.version >= 2 and not hmac.compare_digest(hash_of(entry), covered.content_hash):
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
        elif seal.version == VERSION:
            key = keys_seen.get(seal.key_id)
            if key is None:
                key = keys_seen[seal.key_id] = key_for(seal.chain, seal.key_id)
            digest = portable_digest(
                key=key,
                chain=seal.chain,
                key_id=seal.key_id,
                prev_digest=prev,
                sequence=seal.sequence,
                created_at=seal.created_at,
                actor_key=seal.actor_key,
                hashes=[s.content_hash for s in sealed],
            )
            altered = "the seal was altered, or entries it covered were deleted, moved or reordered"
        else:
            return f"{where} has an unknown version, {seal.version}: the seal was altered"
    except crypto.DecryptionError as error:
        if seal.chain != DEPLOYMENT_CHAIN:
            return f"{where} cannot be checked: its setting's key is unreadable ({error})"
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


def verify_chain(
    *,
    chain: UUID = DEPLOYMENT_CHAIN,
    batch_size: int = 1000,
    since: Checkpoint | None = None,
) -> ChainReport:
    """Walk one chain in order and report the first broken link. ``since``: walk on from an
    earlier walk's intact head only (its seal must still be there with the same digest), so a
    check every few minutes reads what was written since, not the whole log."""
    user_model = get_user_model()
    prev, expected, count = GENESIS, 1, 0
    after_entry = 0
    keys_seen: dict[str, bytes] = {}

    def report(problem: str | None) -> ChainReport:
        return ChainReport(count, problem, expected - 1, prev, chain)

    if since is not None and since.sequence > 0:
        stored = AuditSeal.objects.filter(chain=chain, sequence=since.sequence).values_list(
            "digest", flat=True
        )
        digest = stored.first()
        if digest is None or not hmac.compare_digest(digest, since.digest):
            what = (
                f"seal #{since.sequence}, intact at the last check, is gone: entries were cut"
                if digest is None
                else f"seal #{since.sequence} changed since the last check: the seal was altered"
            )
            return ChainReport(
                since.entries,
                what,
                since.sequence,
                since.digest,
                chain,
            )
        prev, expected, count = since.digest, since.sequence + 1, since.entries
        after_entry = since.last_entry_id
    for seals in _seal_batches(chain, batch_size, after=expected - 1):
        sealed: dict[int, list[SealedEntry]] = defaultdict(list)
        for covered in SealedEntry.objects.filter(seal__in=[s.pk for s in seals]).order_by(
            "entry_id"
        ):
            sealed[covered.seal_id].append(covered)
        entries = LogEntry.objects.in_bulk([c.entry_id for cs in sealed.values() for c in cs])
        live_actors = dict(
            user_model.objects.filter(
                pk__in={s.actor_pk for s in seals if s.actor_pk is not None}
            ).values_list("pk", user_model.USERNAME_FIELD)
        )
        for seal in seals:
            if seal.sequence != expected:
                missing = (
                    f"#{expected}"
                    if seal.sequence == expected + 1
                    else f"#{expected}–#{seal.sequence - 1}"
                )
                where = _naming(seal, [c.entry_id for c in sealed[seal.pk]])
                return report(
                    f"seal {missing} is missing before {where}: sealed log entries were deleted"
                )
            problem = _seal_problem(seal, sealed[seal.pk], entries, live_actors, prev, keys_seen)
            if problem is not None:
                return report(problem)
            prev, expected, count = seal.digest, expected + 1, count + len(sealed[seal.pk])
    unsealed = [
        entry.pk
        for entry in LogEntry.objects.filter(confide_seal__isnull=True, pk__gt=after_entry)
        .only("pk", "additional_data")
        .order_by("pk")
        .iterator(chunk_size=1000)
        if chain_of(entry) == chain
    ]
    if unsealed:
        return report(
            f"log entry {unsealed[0]} has no seal: it was written around Confide, or its seal "
            f"was deleted ({len(unsealed)} unsealed entries)"
        )
    return report(None)
