"""Attachments and PDFs in object storage (S3 or its like), when the deployment says so.

``CONFIDE_FILE_STORAGE`` is ``database`` (the default: an EncryptedBinaryField's ciphertext is its
column, as it always was) or ``s3``. With ``s3``, the ciphertext the field would have written to
its column — already encrypted under its owner's data key and bound to its row and the columns
that decide who reads it (core.fields) — is uploaded instead, as one object of the storage
``STORAGES["confide_files"]`` (django-storages' S3Storage, config/settings.py) under a random name
that says nothing (``files/<32 hex digits>``); the column keeps only a reference to it,
``obj$files/<32 hex digits>$<SHA-256 of the object>``. No plaintext leaves the process, and an
object opens only with its row and the keys, as a column's ciphertext does.

- **Reading** fetches the object, checks it against the SHA-256 in the reference and decrypts it
  as the column's value would be. An object that is missing, or is not the one the row was saved
  with, fails as a tampered column does (DecryptionError: audited, the integrity page); a store
  that cannot be reached raises FileStorageError (a page that says so) and changes nothing.
- **Mixed**: values written before the switch stay in their columns and read as before; values
  written while it was on stay in the store. Switched back to ``database`` with the bucket still
  named, new values go to their columns and the objects still read: keep the bucket named while
  any reference is left (``manage.py check_file_storage`` counts them).
- **A failed upload** raises FileStorageError before the row is written: the row is not saved and
  the service's transaction rolls back. An object uploaded for a row that then was not saved (its
  transaction rolled back, its INSERT or UPDATE failed) is deleted at the end of the request or
  task (``discard_unsaved``), once no transaction is open and its row does not refer to it.
- **A row deleted** (``delete()``, or a queryset's, as destruction does) has its object deleted
  once its transaction commits, never before (a deletion rolled back keeps it), and only if no
  row refers to it then.
- **A value replaced** is not deleted with the save: a copy of the row loaded before may still
  write it back (a save that failed after the upload left the row as it was; a stale copy saves
  every field). The daily job ``file_storage_sweep`` removes it, with anything else left behind
  (a process killed between an upload and its commit, a delete the store refused): objects no
  row has referred to at two of its runs a day apart (``sweep``). A bucket therefore belongs to one deployment:
  another deployment's objects, or a newer copy's seen from a restored one, would look
  unreferenced.
- **A reference** is exactly ``obj$files/<32 hex digits>$<64 hex digits>``: anything else in a
  column that starts ``obj$`` was not written by Confide, and fails as a tampered column does
  (DecryptionError, audited). It is never followed to delete an object.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from asgiref.local import Local
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import InvalidStorageError, Storage, storages
from django.db import DatabaseError, models, transaction
from django.db.models.functions import Substr
from django.utils import timezone

from .crypto import DecryptionError
from .models import UnreferencedFile

logger = logging.getLogger(__name__)

DATABASE, S3 = "database", "s3"
STORAGE = "confide_files"
PREFIX = "obj$"
DIRECTORY = "files"
# What put() writes, and all that is read, followed or deleted: the object's name and SHA-256.
REFERENCE = re.compile(r"obj\$(files/[0-9a-f]{32})\$([0-9a-f]{64})")
# A name as a column may mention it, well formed or not: the sweep keeps what any row names.
MENTIONED = re.compile(r"files/[0-9a-f]{32}")
# An object no row refers to is deleted by the sweep only when older than any transaction lasts.
SWEEP_GRACE = timedelta(days=1)


class FileStorageError(Exception):
    """The object store could not be reached, or refused: nothing was saved, or shown."""


def enabled() -> bool:
    """Whether new values go to the object store (CONFIDE_FILE_STORAGE=s3)."""
    return getattr(settings, "CONFIDE_FILE_STORAGE", DATABASE) == S3


def configured() -> bool:
    """Whether there is a store to read, delete and sweep: with CONFIDE_FILE_STORAGE=s3, or
    back at ``database`` with the bucket still named (its objects still read)."""
    return STORAGE in getattr(settings, "STORAGES", {})


def is_reference(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def parse(reference: str) -> tuple[str, str]:
    """The object's name and SHA-256 a reference gives; DecryptionError (tampering, audited
    where the value was read) when it is not one put() wrote."""
    found = REFERENCE.fullmatch(reference)
    if found is None:
        raise DecryptionError("its reference to the object store is malformed")
    return found[1], found[2]


def name_of(reference: str) -> str:
    return parse(reference)[0]


def _storage() -> Storage:
    try:
        return storages[STORAGE]
    except InvalidStorageError:
        raise FileStorageError(
            "A file is in object storage, but none is configured (CONFIDE_FILE_STORAGE=s3 with "
            "CONFIDE_S3_BUCKET): configure the store the files were written to."
        ) from None


def _failed(action: str, error: Exception) -> FileStorageError:
    return FileStorageError(f"The object store could not {action}: {type(error).__name__}: {error}")


# --- writing, reading, deleting --------------------------------------------------------------


def put(token: str, *, model: type[models.Model], attname: str, pk: Any = None) -> str:
    """Upload a ciphertext (a field's sealed value) as a new object for the row of ``model``
    with primary key ``pk`` (None if not known yet); return the reference its column keeps
    instead. Raises FileStorageError, having saved nothing that a row refers to."""
    data = token.encode("ascii")
    name = f"{DIRECTORY}/{uuid.uuid4().hex}"
    storage = _storage()
    try:
        saved = storage.save(name, ContentFile(data))
    except Exception as error:  # the network's, botocore's or the store's: one clear failure
        raise _failed("store a file", error) from error
    reference = f"{PREFIX}{saved}${hashlib.sha256(data).hexdigest()}"
    _uploads().append(_Upload(model, attname, reference, pk))
    return reference


def fetch(reference: str) -> str:
    """The ciphertext an object holds, checked against its reference."""
    name, digest = parse(reference)
    storage = _storage()
    try:
        with storage.open(name, "rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        _check_bucket(storage)
        raise DecryptionError("its file is missing from the object store") from None
    except Exception as error:  # the network's, botocore's or the store's: one clear failure
        raise _failed("read a file", error) from error
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), digest):
        raise DecryptionError("its file in the object store is not the one it was saved with")
    return data.decode("ascii")


def _check_bucket(storage: Storage) -> None:
    """A 404 is a missing object only if the bucket itself answers (S3 says 404 for both)."""
    client = getattr(getattr(getattr(storage, "connection", None), "meta", None), "client", None)
    bucket = getattr(storage, "bucket_name", None)
    if client is None or not bucket:
        return
    try:
        client.head_bucket(Bucket=bucket)
    except Exception as error:  # the network's, botocore's or the store's: one clear failure
        raise _failed(f"find its bucket {bucket!r}", error) from error


def inline(value: str) -> str:
    """The ciphertext a column holds, or the one its reference names (records.moving carries the
    bytes themselves to another deployment)."""
    return fetch(value) if is_reference(value) else value


def _delete(name: str) -> bool:
    try:
        _storage().delete(name)
    except Exception:  # logged; the daily sweep deletes it later
        logger.exception("The object store could not delete %s; the daily sweep will", name)
        return False
    return True


def delete_after_commit(reference: str, *, model: type[models.Model], pk: Any) -> None:
    """Delete a deleted row's object once the transaction that deleted it commits (at once
    outside a transaction), if no row refers to it then; a rollback keeps it. A malformed
    reference deletes nothing: what it names is the sweep's to judge.

    The objects of a transaction's deleted rows are looked for together, when it commits: one
    query per column that may hold a file, however many rows it deleted (a child's file
    destroyed with its attachments), not one per row."""
    try:
        name = name_of(reference)
    except DecryptionError:
        logger.warning("A row with a malformed file reference was deleted; its object is left")
        return
    _pending_deletes().append((model, pk, name))
    # One callback per row; the first to run after the commit deletes them all, the rest find
    # nothing left. A deletion rolled back leaves its row, and its name here for a later commit:
    # an object is deleted only if the row whose deletion named it is gone.
    transaction.on_commit(_delete_pending)


def _pending_deletes() -> list[tuple[type[models.Model], Any, str]]:
    pending: list[tuple[type[models.Model], Any, str]] | None = getattr(_local, "deletes", None)
    if pending is None:
        pending = _local.deletes = []
    return pending


def _delete_pending() -> int:
    pending = list(_pending_deletes())
    _pending_deletes().clear()
    if not pending:
        return 0
    try:
        by_model: dict[type[models.Model], set[Any]] = {}
        for model, pk, _name in pending:
            by_model.setdefault(model, set()).add(pk)
        alive = {
            (model, pk)
            for model, pks in by_model.items()
            for pk in model._base_manager.filter(pk__in=pks).values_list("pk", flat=True)
        }
        gone = sorted({name for model, pk, name in pending if (model, pk) not in alive})
        named = referenced_among(gone) if gone else set()
    except DatabaseError:
        logger.exception("Could not look for the rows of %d objects; the sweep will", len(pending))
        return 0
    return sum(_delete(name) for name in gone if name not in named)


def referenced_among(names: list[str]) -> set[str]:
    """Those of these objects a row's column names (in a reference well formed or not): one
    query per column that may hold a file (per 500 names). The column's start is compared, not
    matched with LIKE: PostgreSQL then reads a ciphertext kept in the column (TOAST) only as far
    as that."""
    heads = {f"{PREFIX}{name}": name for name in names}
    found: set[str] = set()
    for length in sorted({len(head) for head in heads}):
        same = [head for head in heads if len(head) == length]
        for start in range(0, len(same), 500):
            chunk = same[start : start + 500]
            for model, attname in file_fields():
                rows = model._base_manager.annotate(_file_head=Substr(attname, 1, length))
                matches = (
                    rows.filter(_file_head__in=chunk)
                    .order_by()
                    .values_list("_file_head", flat=True)
                )
                found.update(heads[head] for head in matches.distinct())
    return found


def stored_reference(model: type[models.Model], pk: Any, attname: str) -> str | None:
    """The reference a row's column holds now, if it holds one (its value was not loaded)."""
    found = (
        model._base_manager.filter(pk=pk, **{f"{attname}__startswith": PREFIX})
        .values_list(attname, flat=True)
        .first()
    )
    return str(found) if found else None


# --- uploads whose row was never saved ------------------------------------------------------

# This thread's (or context's) uploads, as Django keeps its database connections.
_local = Local()


@dataclass(frozen=True)
class _Upload:
    model: type[models.Model]
    attname: str
    reference: str
    pk: Any  # None when the row's primary key was not known before its INSERT


def _uploads() -> list[_Upload]:
    found: list[_Upload] | None = getattr(_local, "uploads", None)
    if found is None:
        found = _local.uploads = []
    return found


def discard_unsaved(**_signal: Any) -> int:
    """Delete the objects uploaded here for rows that were not saved with them after all (a
    transaction rolled back, an INSERT or UPDATE refused). Run when a request or a task ends; it
    waits while a transaction is still open, since the rows may yet be committed."""
    if transaction.get_connection().in_atomic_block:
        return 0
    # Deletions rolled back left their names waiting (delete_after_commit): nothing to do.
    _local.deletes = []
    uploads = getattr(_local, "uploads", None)
    if not uploads:
        return 0
    _local.uploads = []
    removed = 0
    for upload in uploads:
        rows = upload.model._base_manager.filter(**{upload.attname: upload.reference})
        if upload.pk is not None:
            rows = rows.filter(pk=upload.pk)  # found by its index, not by reading every row
        name = name_of(upload.reference)
        try:
            saved = rows.exists()
        except DatabaseError:
            logger.exception("Could not look for the row of %s; the sweep will", name)
            continue
        if not saved and _delete(name):
            removed += 1
    return removed


def forget_unsaved() -> None:
    """Forget this thread's uploads without deleting them (a test's bucket goes with the test)."""
    _local.uploads = []


# --- the whole store: checked, and swept ------------------------------------------------------


def file_fields() -> Iterator[tuple[type[models.Model], str]]:
    """Every column that may hold a reference (core.fields marks them ``holds_files``)."""
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if getattr(model_field, "holds_files", False):
                yield model, model_field.attname


def _references() -> Iterator[tuple[str, Any, str]]:
    """(model label, primary key, reference) of every value kept in the store."""
    for model, attname in file_fields():
        rows = model._base_manager.filter(**{f"{attname}__startswith": PREFIX}).values_list(
            "pk", attname
        )
        for pk, reference in rows.iterator():
            yield model._meta.label, pk, str(reference)


def _listed(storage: Storage) -> set[str]:
    try:
        _directories, names = storage.listdir(DIRECTORY)
    except Exception as error:  # the network's, botocore's or the store's: one clear failure
        raise _failed("list its files", error) from error
    return {f"{DIRECTORY}/{name}" for name in names}


@dataclass
class Report:
    in_columns: int = 0
    in_store: int = 0
    unreferenced: int = 0
    missing: list[str] = field(default_factory=list)


def check() -> Report:
    """How many values are in their columns and in the store, and which rows' objects are
    missing (a restored database whose bucket was not restored with it, say)."""
    report = Report()
    for model, attname in file_fields():
        report.in_columns += model._base_manager.exclude(
            **{f"{attname}__startswith": PREFIX}
        ).count()
    references = list(_references())
    report.in_store = len(references)
    if not references and not configured():
        return report
    listed = _listed(_storage())
    named: set[str] = set()
    for label, pk, reference in references:
        named.update(MENTIONED.findall(reference))
        found = REFERENCE.fullmatch(reference)
        if found is None or found[1] not in listed:
            report.missing.append(f"{label} {pk}")
    report.unreferenced = len(listed - named)
    return report


def sweep(*, older_than: timedelta = SWEEP_GRACE, now: datetime | None = None) -> str:
    """The daily job: delete the objects no row referred to at this sweep nor at one at least
    ``older_than`` before it. A sweep notes the unreferenced objects it sees (UnreferencedFile)
    and forgets those a row names again; the next one, a day later, deletes those still
    unreferenced. So a young object (its transaction not yet committed) is never deleted, nor
    one a copy of a row loaded before its file was replaced could still write back within a day.
    (What happens between two sweeps is not seen: an object named again by a stale copy and
    replaced again before the next sweep keeps the first sweep's date.) An object a row names is
    kept, even in a malformed reference (evidence, for whoever looks into it)."""
    if not configured():
        return "files are kept in the database: nothing to sweep"
    storage = _storage()
    # Listed before the rows are read: an object uploaded in between is not listed, or is noted
    # for the next sweep, by which time its row has committed (and it is forgotten).
    listed = _listed(storage)
    named = {name for _label, _pk, found in _references() for name in MENTIONED.findall(found)}
    now = now or timezone.now()
    unreferenced = listed - named
    noted = dict(UnreferencedFile.objects.values_list("name", "since"))
    forget = [name for name in noted if name not in unreferenced]
    for start in range(0, len(forget), 500):
        UnreferencedFile.objects.filter(name__in=forget[start : start + 500]).delete()
    UnreferencedFile.objects.bulk_create(
        [UnreferencedFile(name=name, since=now) for name in unreferenced if name not in noted],
        batch_size=500,
        ignore_conflicts=True,  # a second sweep at once noted it too
    )
    due = sorted(n for n in unreferenced if n in noted and noted[n] <= now - older_than)
    removed, refused = 0, 0
    for name in due:
        if _delete(name):
            removed += 1
            UnreferencedFile.objects.filter(name=name).delete()
        else:
            refused += 1
    if refused:
        raise FileStorageError(
            f"{refused} objects no record refers to could not be deleted ({removed} were)."
        )
    return f"{removed} objects no record refers to removed"
