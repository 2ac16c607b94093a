"""When an object in the store (core.filestore) is deleted, and what a reference that is not one
Confide wrote does: an object a row refers to is never deleted — not after a save that failed,
not when a copy of the row loaded earlier writes its old value back, not when another row's
reference was forged to name it; a replaced object goes with the daily sweep once no row refers
to it and it is old; a malformed reference fails as tampering (audited) and deletes nothing; an
export that meets a missing object is refused clearly and the failure signalled."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.signals import request_finished
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import filestore
from core.crypto import DecryptionError
from core.models import UnreferencedFile
from core.signals import decryption_failed
from records import moving
from records.models import Attachment

from ..factories import a_pdf
from .conftest import closed_endpoint, use_store
from .test_object_storage import an_attachment, download, stored

pytestmark = pytest.mark.django_db


def past_the_grace_period() -> datetime:
    """A sweep's clock once every object made so far is older than the grace period."""
    return timezone.now() + filestore.SWEEP_GRACE + timedelta(minutes=1)


def integrity_failures() -> Any:
    return LogEntry.objects.filter(additional_data__event="decryption_failed")


# --- a save that failed, and a copy of the row loaded before a replacement ------------------------


@pytest.mark.django_db(transaction=True)
def test_a_save_that_failed_leaves_the_object_the_row_still_uses(bucket, people):
    data = a_pdf("the first letter")
    attachment = an_attachment(people, data)
    first = stored(Attachment, attachment.pk, "content")

    loaded = Attachment.objects.get(pk=attachment.pk)
    loaded.content = a_pdf("the second letter")
    loaded.size = -1  # refused by the column's CHECK: the UPDATE fails after the upload
    with pytest.raises(IntegrityError), transaction.atomic():
        loaded.save()
    loaded.filename = "renamed.pdf"
    with transaction.atomic():
        loaded.save(update_fields=["filename"])

    assert stored(Attachment, attachment.pk, "content") == first
    assert filestore.name_of(first) in bucket.objects()
    reread = Attachment.objects.get(pk=attachment.pk)
    assert reread.content == data and reread.filename == "renamed.pdf"
    assert not integrity_failures().exists()

    # The object uploaded for the failed save: no row refers to it, and the work is over. Each
    # of the two uploads is looked for by its row's primary key (an index), not by the column
    # alone (a table scan): the first is the row's, and stays.
    assert len(bucket.objects()) == 2
    with CaptureQueriesContext(connection) as queries:
        assert filestore.discard_unsaved() == 1
    table, pk = Attachment._meta.db_table, Attachment._meta.pk.column
    assert len(queries.captured_queries) == 2
    for query in queries.captured_queries:
        assert f'"{table}"."{pk}" = ' in query["sql"]
        assert f'"{table}"."content" = ' in query["sql"]
    assert set(bucket.objects()) == {filestore.name_of(first)}
    request_finished.send(sender=None)
    assert Attachment.objects.get(pk=attachment.pk).content == data


def test_a_copy_loaded_before_a_replacement_writes_back_a_file_that_still_reads(
    bucket, people, django_capture_on_commit_callbacks
):
    data = a_pdf("the first letter")
    attachment = an_attachment(people, data)
    first = stored(Attachment, attachment.pk, "content")
    one = Attachment.objects.get(pk=attachment.pk)
    two = Attachment.objects.get(pk=attachment.pk)

    with django_capture_on_commit_callbacks(execute=True):
        one.content = a_pdf("the second letter")
        one.save()
    second = stored(Attachment, attachment.pk, "content")
    assert second != first
    with django_capture_on_commit_callbacks(execute=True):
        two.filename = "renamed.pdf"
        two.save()  # every field, its content as loaded: the first file's reference

    assert stored(Attachment, attachment.pk, "content") == first
    assert Attachment.objects.get(pk=attachment.pk).content == data
    assert not integrity_failures().exists()
    # The second object is the one no row refers to now: a sweep notes it, and the next, a day
    # later, takes it, and only it.
    assert filestore.sweep() == "0 objects no record refers to removed"
    assert filestore.sweep(now=past_the_grace_period()) == "1 objects no record refers to removed"
    assert set(bucket.objects()) == {filestore.name_of(first)}
    assert Attachment.objects.get(pk=attachment.pk).content == data


def test_a_replaced_file_a_stale_copy_writes_back_within_a_day_is_never_swept(
    bucket, people, django_capture_on_commit_callbacks
):
    # The old file was uploaded long ago: its age says nothing of when it stopped being named.
    data = a_pdf("the first letter")
    attachment = an_attachment(people, data)
    first = stored(Attachment, attachment.pk, "content")
    stale = Attachment.objects.get(pk=attachment.pk)  # a copy loaded before the replacement
    with django_capture_on_commit_callbacks(execute=True):
        fresh = Attachment.objects.get(pk=attachment.pk)
        fresh.content = a_pdf("the second letter")
        fresh.save()
    much_later = timezone.now() + timedelta(days=30)

    # The first sweep that sees it unreferenced only notes it, however old the object.
    assert filestore.sweep(now=much_later) == "0 objects no record refers to removed"
    assert filestore.name_of(first) in bucket.objects()
    assert UnreferencedFile.objects.filter(name=filestore.name_of(first)).exists()

    # The stale copy saves every field, its content as loaded: the first file is named again,
    # and forgotten by the next sweep, which notes the second instead.
    with django_capture_on_commit_callbacks(execute=True):
        stale.filename = "renamed.pdf"
        stale.save()
    later_still = much_later + filestore.SWEEP_GRACE + timedelta(minutes=1)
    assert filestore.sweep(now=later_still) == "0 objects no record refers to removed"
    assert filestore.name_of(first) in bucket.objects()
    assert Attachment.objects.get(pk=attachment.pk).content == data
    assert not UnreferencedFile.objects.filter(name=filestore.name_of(first)).exists()
    assert not integrity_failures().exists()


# --- references that are not ones Confide wrote -----------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param("obj${name}$" + "\u00e9" * 64, id="a digest not in ASCII"),
        pytest.param("obj${name}", id="no digest"),
        pytest.param("obj${name}$", id="an empty digest"),
        pytest.param("obj${name}${digest}$", id="a part too many"),
        pytest.param("obj$files/../{name}${digest}", id="another path"),
        pytest.param("obj${upper}${digest}", id="capitals"),
        pytest.param("obj$", id="nothing"),
    ],
)
def test_a_malformed_reference_fails_as_tampering_and_is_audited(
    forged, bucket, people, client_for
):
    attachment = an_attachment(people)
    reference = stored(Attachment, attachment.pk, "content")
    name = filestore.name_of(reference)
    value = forged.format(name=name, digest=reference.rpartition("$")[2], upper=name.upper())
    Attachment._base_manager.filter(pk=attachment.pk).update(content=value)

    response = download(client_for("keyperson1"), attachment)

    assert response.status_code == 500
    assert b"failed its integrity check" in response.content
    failed = integrity_failures().get()
    assert failed.object_pk == str(attachment.pk)
    assert "malformed" in failed.additional_data["error"]
    with pytest.raises(DecryptionError, match="malformed"):
        filestore.fetch(value)


def test_rows_deleted_together_have_their_objects_looked_for_together(
    bucket, people, django_capture_on_commit_callbacks
):
    # A child's file destroyed with its attachments: one query per column that may hold a
    # file (and one for which rows are gone), however many rows went, not one per row.
    gone = [an_attachment(people, a_pdf(f"letter {n}")) for n in range(5)]
    kept = an_attachment(people)
    kept_name = filestore.name_of(stored(Attachment, kept.pk, "content"))
    assert len(bucket.objects()) == 6
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for attachment in gone:
            Attachment.objects.get(pk=attachment.pk).delete()
    assert len(bucket.objects()) == 6  # nothing before the commit
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    # Which of the rows are gone (one query for their model), then the columns.
    assert len(queries) == 1 + len(list(filestore.file_fields()))
    assert set(bucket.objects()) == {kept_name}


def test_a_deletion_rolled_back_never_deletes_its_object_later(
    bucket, people, django_capture_on_commit_callbacks
):
    # Deleted and rolled back: the row stays, its file's name waits for a later commit. The row's
    # file is then replaced (the old object unreferenced, but within the sweep's day) and another
    # row deleted: the old object must stay, for a copy of the row loaded before may write it back.
    data = a_pdf("the first letter")
    attachment = an_attachment(people, data)
    first = filestore.name_of(stored(Attachment, attachment.pk, "content"))
    stale = Attachment.objects.get(pk=attachment.pk)
    other = an_attachment(people)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(IntegrityError), transaction.atomic():
            Attachment.objects.get(pk=attachment.pk).delete()
            raise IntegrityError("rolled back")
        fresh = Attachment.objects.get(pk=attachment.pk)
        fresh.content = a_pdf("the second letter")
        fresh.save()
        Attachment.objects.get(pk=other.pk).delete()
    assert first in bucket.objects()
    stale.filename = "renamed.pdf"
    stale.save()
    assert Attachment.objects.get(pk=attachment.pk).content == data


@pytest.mark.parametrize("forgery", ["a copy of its reference", "its name", "its name, no digest"])
def test_deleting_a_row_whose_reference_names_another_rows_object_leaves_that_object(
    forgery, bucket, people, django_capture_on_commit_callbacks
):
    data = a_pdf("the other row's letter")
    other = an_attachment(people, data)
    forged = an_attachment(people)
    reference = stored(Attachment, other.pk, "content")
    name = filestore.name_of(reference)
    value = {
        "a copy of its reference": reference,
        "its name": f"obj${name}${'0' * 64}",
        "its name, no digest": f"obj${name}",
    }[forgery]
    Attachment._base_manager.filter(pk=forged.pk).update(content=value)

    with django_capture_on_commit_callbacks(execute=True):
        Attachment.objects.get(pk=forged.pk).delete()

    assert name in bucket.objects()
    assert Attachment.objects.get(pk=other.pk).content == data
    # The forged row's own object, which nothing refers to now, goes with the sweeps; the other
    # row's stays however old it is.
    assert filestore.sweep() == "0 objects no record refers to removed"
    assert filestore.sweep(now=past_the_grace_period()) == "1 objects no record refers to removed"
    assert set(bucket.objects()) == {name}


def test_a_deleted_row_whose_object_another_row_refers_to_leaves_it(
    bucket, people, django_capture_on_commit_callbacks
):
    # The re-check happens after the commit: a row made to refer to the object meanwhile
    # (within the same transaction, here) keeps it.
    data = a_pdf("a letter")
    first, second = an_attachment(people, data), an_attachment(people)
    reference = stored(Attachment, first.pk, "content")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Attachment.objects.get(pk=first.pk).delete()
        Attachment._base_manager.filter(pk=second.pk).update(content=reference)
    assert filestore.name_of(reference) in bucket.objects()


# --- an export that meets a file it cannot read -----------------------------------------------


def test_an_export_that_meets_a_missing_object_is_refused_clearly_and_reported(bucket, people):
    attachment = an_attachment(people)
    bucket.delete(filestore.name_of(stored(Attachment, attachment.pk, "content")))
    _pem, public = moving.new_transfer_key()
    heard: list[tuple[Any, Any, str]] = []

    def hear(sender: Any, *, instance: Any, field: str, **kwargs: Any) -> None:
        heard.append((sender, instance.pk, field))

    decryption_failed.connect(hear, dispatch_uid="test_export_missing_object")
    try:
        with pytest.raises(
            moving.MoveRefused,
            match=rf"records\.Attachment {attachment.pk}: content cannot be exported \(its file is "
            r"missing from the object store\)\. Nothing was exported",
        ):
            moving.export(people.setting, public)
    finally:
        decryption_failed.disconnect(dispatch_uid="test_export_missing_object")
    # Signalled as a page's read that fails its integrity check is (core.fields.open_sealed),
    # once the refused export has rolled back: its audit row stays, and names the row.
    assert heard == [(Attachment, attachment.pk, "content")]
    failure = integrity_failures().get()
    assert failure.object_pk == str(attachment.pk)
    assert failure.additional_data["field"] == "content"
    assert "missing from the object store" in failure.additional_data["error"]
    # The export's own event went with its transaction.
    assert not LogEntry.objects.filter(additional_data__event="setting_exported").exists()


def test_an_export_the_store_cannot_answer_is_refused_clearly(bucket, people, settings):
    an_attachment(people)
    use_store(settings, closed_endpoint(), bucket.name)
    _pem, public = moving.new_transfer_key()

    with pytest.raises(moving.MoveRefused, match="object store could not .*Nothing was exported"):
        moving.export(people.setting, public)
    assert not integrity_failures().exists()
